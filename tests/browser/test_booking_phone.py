"""Booking a free consultation on a phone: clinic hours set on screen, a time chosen and booked,
then the private manage link; no sideways scrolling, no axe findings, and it works without
JavaScript too."""

from __future__ import annotations

import os

import pytest

pytestmark = pytest.mark.browser

PASSWORD = "Browser-demo-2026"
PHONE = {"width": 390, "height": 844}
SHOTS = os.environ.get("BROWSER_SCREENSHOTS", "")


def _axe_violations(page) -> list[str]:
    """Return every axe finding on the page (any impact), one line each."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
    ]


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


def _clinician_page(browser, live_server, viewport=PHONE):
    """Return a page signed in as the demo clinician."""
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    page.goto(live_server + "/account/login")
    page.fill("input[name=email]", "clinician@clinic.example")
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    return context, page


def _set_clinic_hours(browser, live_server) -> None:
    """Sign in as the demo clinician and open every day 09:00-17:00 with a lunch break."""
    context, page = _clinician_page(browser, live_server)
    page.goto(live_server + "/clinic/schedule")
    for weekday in range(7):
        page.fill(f"#d{weekday}_starts", "09:00")
        page.fill(f"#d{weekday}_ends", "17:00")
        page.fill(f"#d{weekday}_break_starts", "13:00")
        page.fill(f"#d{weekday}_break_ends", "14:00")
    page.click("text=Save weekly hours")
    page.wait_for_load_state()
    assert page.locator("text=Weekly hours saved.").count() == 1
    assert _fits(page)
    _shot(page, "schedule-390")
    assert _axe_violations(page) == []
    context.close()


def _fill_details(page, email: str) -> None:
    page.fill("#name", "Phone Patient")
    page.fill("#email", email)
    page.fill("#phone", "07700 900123")
    page.select_option("#treatment", "microneedling")
    page.check("#consent")


def test_booking_on_a_phone_fits_the_screen_and_passes_axe(browser, live_server):
    _set_clinic_hours(browser, live_server)
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)

    page.goto(live_server + "/consultation")
    assert page.locator("h1").inner_text() == "Book a free consultation"
    assert page.locator("input[name=slot]").count() > 10
    assert _fits(page)
    _shot(page, "book-390")
    assert _axe_violations(page) == []

    # Sending without a time says so next to the times, and keeps the details typed.
    _fill_details(page, "phone.patient@example.com")
    page.click("text=Book this time")
    assert page.locator("#slot-error").inner_text() == "Please choose one of the times listed."
    assert page.input_value("#name") == "Phone Patient"
    assert _axe_violations(page) == []

    page.locator(".slot-choice").first.click()
    page.check("#consent")
    page.click("text=Book this time")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Your consultation is booked"
    assert _fits(page)
    _shot(page, "booked-390")
    assert _axe_violations(page) == []

    page.click("text=Move or cancel")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Your consultation"
    assert page.locator("text=Move to another time").count() == 1
    assert _fits(page)
    _shot(page, "manage-390")
    assert _axe_violations(page) == []
    # The browser reports the refused form's 422 itself; nothing else may go wrong.
    assert [p for p in problems if "422" not in p] == []
    context.close()

    # On a desktop the booking page fits too.
    context = browser.new_context(viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.goto(live_server + "/consultation")
    assert _fits(page)
    _shot(page, "book-1366")
    assert _axe_violations(page) == []
    context.close()

    # The clinic sees the booking on its dashboard, on a phone and on a desktop.
    for name, viewport in (("390", PHONE), ("1366", {"width": 1366, "height": 900})):
        context, page = _clinician_page(browser, live_server, viewport)
        page.goto(live_server + "/clinic/")
        assert page.locator("#bookings").get_by_text("Phone Patient").count() >= 1
        assert page.locator("#bookings >> text=Create a recommendation").count() >= 1
        assert _fits(page)
        _shot(page, f"clinic-day-{name}")
        assert _axe_violations(page) == []
        context.close()


def test_booking_works_without_javascript(browser, live_server):
    _set_clinic_hours(browser, live_server)
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server + "/consultation")
    page.locator(".slot-choice").nth(1).click()
    _fill_details(page, "no.script@example.com")
    page.click("text=Book this time")
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Your consultation is booked"
    page.click("text=Move or cancel")
    page.click("text=Cancel my consultation")
    page.wait_for_load_state()
    assert page.locator("text=This consultation is cancelled.").count() == 1
    context.close()
