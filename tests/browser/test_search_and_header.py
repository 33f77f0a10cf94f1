"""Header basket and search, product search and the catalogue filters, on a phone and a desktop."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.browser

WIDTHS = (390, 1366)
SHOTS = os.environ.get("SCREENSHOT_DIR")


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("window.innerWidth"), f"{page.url} is {width}px wide"


def _no_axe_violations(page) -> None:
    from axe_playwright_python.sync_playwright import Axe

    violations = Axe().run(page).response["violations"]
    assert [f"{v['id']} ({v['impact']}): {v['help']}" for v in violations] == [], page.url


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def sized_page(request, browser):
    """A fresh page at a phone's and a desktop's width, recording console errors."""
    context = browser.new_context(viewport={"width": request.param, "height": 900})
    page = context.new_page()
    page.width = request.param
    page.console_problems = []
    page.on(
        "console",
        lambda message: (
            page.console_problems.append(message.text) if message.type == "error" else None
        ),
    )
    yield page
    context.close()


def test_header_basket_count_and_search_lead_to_results(live_server, sized_page):
    page = sized_page
    page.goto(live_server + "/")
    basket = page.locator("header .basket-link")
    assert basket.is_visible() and basket.locator(".badge").count() == 0
    _no_sideways_scroll(page)

    # The header's search, typed and sent as a person would.
    page.fill("#site-search-q", "mineral spf50")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/products?q=mineral+spf50")
    assert "matching “mineral spf50”" in page.locator("main [role=status]").inner_text()
    names = page.locator(".product-card .card-title").all_inner_texts()
    assert names and all("SPF50" in name for name in names), names
    _no_sideways_scroll(page)
    _no_axe_violations(page)
    _shot(page, f"search-{page.width}")

    # A card's button puts one in the basket; the header counts it at this width too.
    page.locator(".product-card .card-add-to-basket button").first.click()
    page.wait_for_url("**/basket")
    page.goto(live_server + "/products")
    badge = page.locator("header .basket-link .badge")
    assert badge.is_visible() and badge.inner_text().startswith("1")
    _no_sideways_scroll(page)
    _no_axe_violations(page)
    _shot(page, f"products-{page.width}")
    assert page.console_problems == []


def test_filters_apply_on_change_and_a_search_keeps_them(live_server, sized_page):
    page = sized_page
    page.goto(live_server + "/products")
    # With the script running, the button is tucked away and the note says what happens.
    assert page.locator("[data-auto-submit-note]").is_visible()
    assert page.locator("[data-auto-submit-button]").bounding_box()["width"] <= 1
    page.select_option("#category", "sunscreen")
    page.wait_for_url("**/products?*category=sunscreen*")
    assert all(
        "Sunscreens" in text for text in page.locator(".product-card p.small").all_inner_texts()
    )
    page.fill("#q", "tinted")
    page.press("#q", "Enter")
    page.wait_for_url("**q=tinted**")
    assert page.locator("#category").input_value() == "sunscreen"
    assert page.locator(".product-card").count() >= 1
    page.goto(live_server + "/products?q=nothing-like-this")
    assert page.locator("text=Nothing matched").is_visible()
    assert page.locator("text=Popular aftercare kits").is_visible()
    _no_sideways_scroll(page)
    _no_axe_violations(page)
    _shot(page, f"no-match-{page.width}")
    assert page.console_problems == []


def test_filters_still_work_without_javascript(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 900}, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/products")
    page.select_option("#category", "balm")
    assert "category=" not in page.url  # nothing happens until the button is pressed
    page.click("text=Show products")
    page.wait_for_url("**category=balm**")
    assert page.locator(".product-card").count() >= 1
    context.close()
