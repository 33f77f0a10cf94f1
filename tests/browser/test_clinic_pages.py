"""A clinician's day in a real browser: landing, the draft, the sheet, the patient's link."""

import re
from datetime import date
from pathlib import Path

import pytest

from tests.browser.accessibility import serious_violations
from tests.browser.conftest import SCREENSHOTS_DIR, WIDTHS, keep_screenshot, sign_in

pytestmark = pytest.mark.browser


def _fits_and_passes_axe(page, name: str) -> None:
    """No sideways scroll and no serious axe finding at either width; a picture of each."""
    assert getattr(page, "console_problems", []) == [], name
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.evaluate("document.documentElement.scrollWidth <= innerWidth"), (name, width)
        assert serious_violations(page) == [], (name, width)
        keep_screenshot(page, f"{name}-{width}")


def _draft(page, base_url, name: str) -> str:
    """Record a patient for micro-needling today, cold sores answered yes; return the draft URL."""
    page.goto(base_url + "/clinic/recommendations/new")
    page.fill("#patient_name", name)
    page.fill("#patient_email", "sam.patient@example.com")
    page.select_option("#treatment", "microneedling")
    page.fill("#treated_on", date.today().isoformat())
    page.check("input[name=fitzpatrick][value='3']")
    for radio in page.locator("input[type=radio][value=no]").all():
        radio.check()
    page.check("input[name=screening_isotretinoin_recent][value=never]")
    page.check("input[name=screening_cold_sores][value=yes]")
    page.check("#consent")
    page.click("main form button[type=submit]")
    page.wait_for_load_state()
    assert re.search(r"/clinic/recommendations/\d+$", page.url), page.url
    return page.url


@pytest.fixture
def clinician(live_server, page):
    sign_in(page, live_server, "clinician@clinic.example")
    return page


def test_a_clinician_lands_on_the_clinic_which_fits_every_width(live_server, clinician):
    assert clinician.url == live_server + "/clinic/"
    assert clinician.locator("main h1").count() == 1
    _fits_and_passes_axe(clinician, "clinic-landing")


def test_the_draft_shows_stock_a_preview_and_disabled_unsuitable_options(live_server, clinician):
    url = _draft(clinician, live_server, "Sam Draft")
    page = clinician
    assert page.locator(".kit-line .stock-flag").count() >= 3
    assert page.locator("#preview-heading").is_visible()
    assert page.locator(".patient-preview .timeline-day").count() >= 3
    assert page.locator(".patient-preview .avoid-table tbody tr").count() >= 5
    disabled = page.locator(".kit-line select option[disabled]")
    assert disabled.count() >= 1 and "not suitable" in disabled.first.inner_text()
    _fits_and_passes_axe(page, "clinic-draft")
    # A refused change (posted as an old page or another tool might) comes back to the
    # recommendation's own address with the reason beside the form.
    form = page.locator(".kit-line form[action$='/swap']").first
    unsuitable = form.locator("option[disabled]").first.get_attribute("value")
    form.locator("select").evaluate(
        "(select, value) => { select.querySelector(`option[value='${value}']`).disabled = false;"
        " select.value = value; }",
        unsuitable,
    )
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.url == url + "#problem"
    assert page.locator(".kit-line [role=alert]").first.inner_text().endswith(".")


def test_the_sheet_prints_the_days_and_signature_without_screen_notices(live_server, clinician):
    _draft(clinician, live_server, "Sam Sheet")
    page = clinician
    page.check("#print_sheet")
    page.click("form[action$='/send'] button[type=submit]")
    page.wait_for_load_state()
    assert page.url.endswith("/print")
    page.emulate_media(media="print")
    for hidden in (".screen-only", ".flash-messages", ".site-header", ".site-footer"):
        assert not page.locator(hidden).first.is_visible(), hidden
    for shown in (".sheet-days-table", ".sheet-sign", ".qr-code"):
        assert page.locator(shown).is_visible(), shown
    sheet = page.locator("main").inner_text()
    assert "Your clinician: Dr Jo Clinician." in sheet and "before treatment" not in sheet
    pdf = page.pdf(format="A4")
    if SCREENSHOTS_DIR:
        Path(SCREENSHOTS_DIR, "clinic-sheet.pdf").write_bytes(pdf)
    # The plan on the first A4 page, the day-by-day table and the lines to sign on the second.
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) == 2
    keep_screenshot(page, "clinic-sheet-print")


def test_the_patient_confirms_the_advice_before_buying_and_checkout_knows_them(
    live_server, clinician, browser
):
    _draft(clinician, live_server, "Sam Link")
    clinician.check("#print_sheet")
    clinician.click("form[action$='/send'] button[type=submit]")
    clinician.wait_for_load_state()
    link = clinician.locator(".sheet-link").inner_text().strip()
    path = link[link.index("/r/") :]
    context = browser.new_context(viewport={"width": 390, "height": 844})
    patient = context.new_page()
    patient.goto(live_server + path)
    for width in WIDTHS:
        patient.set_viewport_size({"width": width, "height": 900})
        confirm = patient.locator("#ack-heading").bounding_box()
        buy = patient.get_by_role("button", name="Buy this kit").bounding_box()
        assert confirm["y"] < buy["y"], width
    _fits_and_passes_axe(patient, "patient-link")
    patient.get_by_role("button", name="Buy this kit").click()
    patient.wait_for_load_state()
    assert patient.url == live_server + "/checkout"
    assert patient.input_value("#name") == "Sam Link"
    assert patient.input_value("#email") == "sam.patient@example.com"
    context.close()
