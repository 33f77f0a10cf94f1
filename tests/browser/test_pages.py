"""Pages as a person sees them: they render, work without console errors and pass axe checks."""

from datetime import date, timedelta

import pytest

from tests.browser.accessibility import serious_violations

pytestmark = pytest.mark.browser

PAGES = [
    "/",
    "/products",
    "/products?category=sunscreen&spf=50",
    "/kits",
    "/kits/microneedling-recovery-kit",
    "/kits/microneedling-pigment-prone-kit",
    "/treatments",
    "/treatments/microneedling",
    "/kit-finder",
    "/no-such-page",
]


@pytest.mark.parametrize("path", PAGES)
def test_page_renders_cleanly_and_accessibly(live_server, page, path):
    missing = path == "/no-such-page"
    response = page.goto(live_server + path)
    assert response.status == (404 if missing else 200)
    assert page.locator("main h1").count() >= 1
    # The browser logs the page's own 404; every asset it loads must still be found.
    expected = ["Failed to load resource: the server responded with a status of 404 (NOT FOUND)"]
    assert page.console_problems == (expected if missing else []), page.console_problems
    assert serious_violations(page) == []


def test_kit_finder_leads_to_a_plan_with_today_highlighted(live_server, page):
    page.goto(live_server + "/kit-finder?treatment=microneedling")
    page.fill("#treated_on", (date.today() - timedelta(days=4)).isoformat())
    page.check("text=Type II")
    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    page.check("input[name=screening_isotretinoin_recent][value=never]")
    page.click("main form button[type=submit]")
    assert page.locator("h1").inner_text().startswith("Micro-needling on")
    assert page.locator("[aria-current=date]").count() == 1
    assert "Today" in page.locator("[aria-current=date]").inner_text()
    assert page.locator(".plan-today h2").inner_text() == "Today: Day 5 of 15"
    assert page.locator("text=Micro-needling Recovery Kit").count() >= 1
    assert page.console_problems == []
    assert serious_violations(page) == []


def test_kit_finder_shows_errors_next_to_unanswered_questions(live_server, page):
    page.goto(live_server + "/kit-finder")
    page.click("main form button[type=submit]")
    assert page.locator(".alert-danger").count() == 1
    assert page.locator("text=Choose your treatment.").count() >= 1
    assert serious_violations(page) == []


def test_phone_layout_has_no_horizontal_scroll(live_server, browser):
    context = browser.new_context(viewport={"width": 375, "height": 800})
    page = context.new_page()
    for path in ("/", "/products", "/kits/microneedling-recovery-kit", "/kit-finder"):
        page.goto(live_server + path)
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, path
    context.close()
