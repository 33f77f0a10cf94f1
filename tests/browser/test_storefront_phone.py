"""The storefront on a phone and a desktop: no sideways scroll, pictures, checkout's script."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.browser.accessibility import all_violations
from tests.browser.conftest import keep_screenshot, recording_page, scrolls_sideways, serve_shop
from tests.stripe_fake import FakeStripe, stripe_configured

pytestmark = pytest.mark.browser

KIT = "/kits/microneedling-recovery-kit"
WIDTHS = (320, 390, 1366)


def _check(page, name: str, width: int) -> None:
    """The page fits its width, logs no error and has no axe finding at all."""
    assert scrolls_sideways(page) <= 0, (name, width)
    assert page.console_problems == [], (name, page.console_problems)
    if width != 320:  # axe at the two widths the shop is designed for
        assert all_violations(page) == [], (name, width)
    keep_screenshot(page, f"{name}-{width}")


@pytest.mark.parametrize("width", WIDTHS)
def test_kit_basket_checkout_and_confirmation_fit_the_screen(live_server, browser, width):
    context, page = recording_page(browser, width, 850)
    page.goto(live_server + KIT)
    # On a phone too, the price and the button come before the list of items.
    buy = page.locator("form.add-to-basket button").bounding_box()
    items = page.locator("text=What is in the kit").bounding_box()
    assert buy["y"] < items["y"]
    _check(page, "kit", width)

    page.click("form.add-to-basket button[type=submit]")
    page.goto(live_server + "/products/cloakwell-green-colour-corrector")
    page.click("form.add-to-basket button[type=submit]")
    page.goto(live_server + "/basket")
    remove = page.locator(".basket-line-remove button").first
    box = remove.bounding_box()
    assert box["x"] + box["width"] <= width  # Remove is on screen
    # Kit names read on one or two lines, not one word a line.
    name = page.locator(".basket-line-name a").first.bounding_box()
    assert name["height"] < 60
    assert page.locator(".basket-line-picture img").count() >= 2
    for image in page.locator(".basket-line-picture img").all():
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    _check(page, "basket", width)

    page.goto(live_server + "/checkout")
    assert page.locator("text=Collection at the clinic: free").is_visible()
    _check(page, "checkout", width)
    page.fill("#name", "Ada Patient")
    page.fill("#email", "ada@example.com")
    page.click("button:has-text('Place order')")
    page.wait_for_load_state()
    assert page.locator("main h1").inner_text() == "Thank you for your order"
    assert page.locator("a[href^='tel:']").first.is_visible()
    _check(page, "order", width)
    context.close()


@pytest.fixture(scope="module")
def card_server(tmp_path_factory):
    """The seeded shop with card payments (and so delivery) on, paying into the fake Stripe."""
    fake = FakeStripe().start()
    try:
        with serve_shop(
            tmp_path_factory.mktemp("cards"), lambda app: stripe_configured(app, fake)
        ) as url:
            yield url
    finally:
        fake.stop()


@pytest.mark.parametrize("width", (390, 1366))
def test_checkout_hides_the_address_for_collection_and_adds_delivery(card_server, browser, width):
    context, page = recording_page(browser, width, 850)
    page.goto(card_server + KIT)
    page.click("form.add-to-basket button[type=submit]")
    page.goto(card_server + "/checkout")
    address = page.locator("#delivery-address")
    assert not address.is_visible()
    assert page.locator("[data-no-script-note]").is_hidden()
    _check(page, "checkout-cards", width)
    page.check("input[name=fulfilment][value=delivery]")
    assert address.is_visible()
    summary = page.locator("[data-checkout-totals]").inner_text()
    assert "UK delivery" in summary and "Collection" not in summary
    assert page.locator("[data-fulfilment-choice=delivery]").is_visible()
    assert page.locator("[data-fulfilment-choice=collect]").is_hidden()
    _check(page, "checkout-delivery", width)
    page.check("input[name=fulfilment][value=collect]")
    assert not address.is_visible()
    context.close()


def test_kits_list_has_no_axe_finding(live_server, browser):
    for width in (390, 1366):
        context, page = recording_page(browser, width, 850)
        page.goto(live_server + "/kits")
        assert page.locator(".kit-card .kit-pictures img").count() >= 3
        _check(page, "kits", width)
        context.close()


@pytest.mark.parametrize("width", (390, 1366))
def test_a_visitor_from_a_type_v_plan_is_shown_the_kit_that_fits(live_server, browser, width):
    context, page = recording_page(browser, width, 850)
    page.goto(live_server + "/kit-finder?treatment=microneedling")
    page.fill("#treated_on", (date.today() - timedelta(days=2)).isoformat())
    page.check("text=Type V")
    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    page.check("input[name=screening_isotretinoin_recent][value=never]")
    page.click("main button[type=submit]")
    page.wait_for_url("**/plans/**")
    page.goto(live_server + KIT)
    note = page.locator(".kit-fit-note")
    assert "your aftercare plan is for Fitzpatrick V" in note.inner_text()
    # The note comes before the price, which comes before the items.
    assert note.bounding_box()["y"] < page.locator(".buy-box").bounding_box()["y"]
    _check(page, "kit-note", width)
    note.locator("a").click()
    assert page.locator("main h1").inner_text() == "Micro-needling Recovery Kit (Fitzpatrick IV-VI)"
    assert page.locator(".kit-fit-note").count() == 0
    context.close()
