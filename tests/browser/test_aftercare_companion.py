"""The aftercare companion in a real browser, on a phone and a laptop: plan link, reminders,
a concern with a red flag, the saved plan, and the clinician's concern list."""

from datetime import date, timedelta

import pytest

from tests.browser.conftest import looks_right, sign_in

pytestmark = pytest.mark.browser


def _plan_from_the_kit_finder(page, live_server) -> str:
    page.goto(live_server + "/kit-finder?treatment=microneedling")
    page.fill("#treated_on", (date.today() - timedelta(days=2)).isoformat())
    page.check("text=Type III")
    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    page.check("input[name=screening_isotretinoin_recent][value=never]")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert "/plans/" in page.url
    return page.url


def _send_concern(page) -> None:
    """Fill in the rest of the concern form on screen and send it."""
    page.fill("input[name=started_on]", date.today().isoformat())
    page.fill("textarea[name=details]", "Yellow crust on the left cheek since this morning.")
    page.fill("input[name=name]", "Journey Patient")
    page.fill("input[name=email]", "journey@example.com")
    page.fill("input[name=phone]", "07700 900456")
    page.check("input[name=consent]")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def test_a_patient_follows_the_plan_asks_for_reminders_and_reports_a_red_flag(live_server, screen):
    page = screen
    plan_url = _plan_from_the_kit_finder(page, live_server)
    first = page.locator("main .plan-today")
    assert first.is_visible() and first.locator("h2").inner_text().startswith("Today: Day 3")
    looks_right(page)

    page.fill("#reminder-email", "journey@example.com")
    page.check("#reminder-consent")
    page.click("#reminders button[type=submit]")
    page.wait_for_load_state()
    assert page.url == plan_url
    assert page.locator("text=We have emailed you a link to confirm").count() == 1

    page.click("main .plan-tools >> text=Report a concern")
    page.wait_for_load_state()
    assert page.url.endswith("/concern")
    looks_right(page)
    alert = page.locator("[data-concern-alert]").first
    assert not alert.is_visible()
    page.check("text=Pus, yellow crusts or a bad smell from the treated skin")
    assert alert.is_visible()  # at once, before the form is sent
    _send_concern(page)
    top = page.locator("main [data-concern-alert]").first
    assert top.is_visible() and "Call the clinic now" in top.inner_text()
    looks_right(page)


def test_a_signed_in_patient_keeps_the_plan_and_reads_it_in_full(live_server, screen):
    page = screen
    sign_in(page, live_server, "patient@clinic.example")
    _plan_from_the_kit_finder(page, live_server)
    page.check("#save-plan-consent")
    page.click("text=Save this plan")
    page.wait_for_load_state()
    assert "/account/plans/" in page.url
    assert page.locator("main .plan-today").is_visible()
    assert page.locator("text=Buy again").count() >= 1
    looks_right(page)


def test_the_clinician_sees_a_reported_concern_in_the_list_and_opens_it(live_server, screen):
    page = screen
    _plan_from_the_kit_finder(page, live_server)
    page.click("main .plan-tools >> text=Report a concern")
    page.check("text=Dryness, tightness, flaking or peeling")
    _send_concern(page)
    sign_in(page, live_server, "clinician@clinic.example")
    response = page.goto(live_server + "/clinic/concerns")
    assert response.status == 200 and page.url.endswith("/clinic/concerns")
    looks_right(page)
    page.locator("main a", has_text="Journey Patient").first.click()
    page.wait_for_load_state()
    assert "Yellow crust on the left cheek" in page.locator("main").inner_text()
    looks_right(page)
