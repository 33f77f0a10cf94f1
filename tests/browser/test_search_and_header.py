"""Header basket and search, product search and the catalogue filters, on a phone and a desktop."""

from __future__ import annotations

import pytest

from tests.browser.accessibility import all_violations
from tests.browser.conftest import keep_screenshot, scrolls_sideways

pytestmark = pytest.mark.browser


def test_header_basket_count_and_search_lead_to_results(live_server, screen):
    page = screen
    page.goto(live_server + "/")
    basket = page.locator("header .basket-link")
    assert basket.is_visible() and basket.locator(".badge").count() == 0
    assert scrolls_sideways(page) <= 0, page.url

    # The header's search, typed and sent as a person would.
    page.fill("#site-search-q", "mineral spf50")
    page.press("#site-search-q", "Enter")
    page.wait_for_url("**/products?q=mineral+spf50")
    assert "matching “mineral spf50”" in page.locator("main [role=status]").inner_text()
    names = page.locator(".product-card .card-title").all_inner_texts()
    assert names and all("SPF50" in name for name in names), names
    assert scrolls_sideways(page) <= 0, page.url
    assert all_violations(page) == [], page.url
    keep_screenshot(page, f"search-{page.width}")

    # A card's button puts one in the basket; the header counts it at this width too.
    page.locator(".product-card .card-add-to-basket button").first.click()
    page.wait_for_url("**/basket")
    page.goto(live_server + "/products")
    badge = page.locator("header .basket-link .badge")
    assert badge.is_visible() and badge.inner_text().startswith("1")
    assert scrolls_sideways(page) <= 0, page.url
    assert all_violations(page) == [], page.url
    keep_screenshot(page, f"products-{page.width}")
    assert page.console_problems == []


def test_filters_apply_on_change_and_a_search_keeps_them(live_server, screen):
    page = screen
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
    assert scrolls_sideways(page) <= 0, page.url
    assert all_violations(page) == [], page.url
    keep_screenshot(page, f"no-match-{page.width}")
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
