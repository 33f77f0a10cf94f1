"""The plan link as a patient reads it on a phone and prints it: today first, two A4 pages."""

import re
from datetime import date, timedelta

import pytest

from tests.browser.accessibility import serious_violations

pytestmark = pytest.mark.browser


def _open_plan(page, live_server, treatment: str, days_ago: int) -> None:
    page.goto(live_server + f"/kit-finder?treatment={treatment}")
    page.fill("#treated_on", (date.today() - timedelta(days=days_ago)).isoformat())
    page.check("text=Type II")
    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    page.check("input[name=screening_isotretinoin_recent][value=never]")
    page.click("main form button[type=submit]")
    assert page.url.startswith(live_server + "/plans/")


def test_on_a_phone_today_comes_straight_after_the_heading(live_server, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    _open_plan(page, live_server, "microneedling", 4)
    follows = page.evaluate("document.querySelector('main h1').nextElementSibling.className")
    assert follows == "plan-today"
    assert page.evaluate("document.documentElement.scrollWidth <= innerWidth")
    assert serious_violations(page) == []
    context.close()


def test_the_longest_plan_prints_on_two_a4_pages_with_the_clinic_phone(live_server, page):
    _open_plan(page, live_server, "laser-ablative", 6)
    page.emulate_media(media="print")
    assert page.locator(".when-to-call").is_visible()
    assert page.locator(".plan-key-dates").is_visible()
    pdf = page.pdf(format="A4")
    assert 1 <= len(re.findall(rb"/Type\s*/Page[^s]", pdf)) <= 2
