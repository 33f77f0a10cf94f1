"""The printable aftercare sheet with a QR code of the link, right after sending."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from clinic_support import clinic_catalogue, create_recommendation, link_emails, send
from factories import make_user

from shop.services.recommendations import PRINT_SESSION_KEY


@pytest.fixture
def rec(client, login):
    clinic_catalogue()
    login(make_user(role="clinician"))
    return create_recommendation(client)


def test_send_and_print_shows_the_sheet_with_an_inline_svg_qr_code(client, rec, app):
    response = send(client, rec.id, print_sheet="y")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/clinic/recommendations/{rec.id}/print")
    page = client.get(f"/clinic/recommendations/{rec.id}/print")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    token = link_emails()[-1].body_text.split("/r/")[1].split()[0]
    assert f"{app.config['PUBLIC_BASE_URL']}/r/{token}" in html
    assert '<svg class="qr-code" role="img"' in html and "<path" in html
    assert "<script>" not in html.split("</main>")[0].split("<main")[1]
    assert " style=" not in html  # the strict CSP forbids inline styles
    assert "Gentle Cleanser" in html and "What to avoid" in html
    # The recommendation page offers the sheet while the token is at hand.
    detail = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    assert "Print the aftercare sheet" in detail


def test_without_the_just_sent_token_the_sheet_asks_for_a_fresh_link(client, rec, login):
    send(client, rec.id)
    with client.session_transaction() as session:
        session.pop(PRINT_SESSION_KEY)
    response = client.get(f"/clinic/recommendations/{rec.id}/print")
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "The sheet needs a fresh link" in html and "/r/" not in html
    assert "Resend and print" in html


def test_a_stale_or_replaced_token_is_not_printed(client, rec):
    send(client, rec.id)
    with client.session_transaction() as session:
        kept = dict(session[PRINT_SESSION_KEY])
        session[PRINT_SESSION_KEY] = {
            **kept,
            "at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        }
    assert client.get(f"/clinic/recommendations/{rec.id}/print").status_code == 409
    # A resend elsewhere replaces the token: the kept one no longer matches.
    with client.session_transaction() as session:
        session[PRINT_SESSION_KEY] = kept
    from clinic_support import latest_recommendation

    from models import db

    stored = latest_recommendation()
    stored.token_hash = "0" * 64
    db.session.commit()
    assert client.get(f"/clinic/recommendations/{rec.id}/print").status_code == 409


def test_another_recommendations_token_is_never_printed(client, rec):
    other = create_recommendation(client, patient_name="Bo Other")
    send(client, other.id)
    assert client.get(f"/clinic/recommendations/{rec.id}/print").status_code == 409


def test_a_draft_has_no_sheet_to_print(client, rec):
    assert client.get(f"/clinic/recommendations/{rec.id}/print").status_code == 409


def test_the_sheet_for_a_treatment_done_today_speaks_of_it_as_done(client, rec):
    today = create_recommendation(client, screening_cold_sores="yes")
    send(client, today.id, print_sheet="y")
    html = client.get(f"/clinic/recommendations/{today.id}/print").get_data(as_text=True)
    assert "antiviral tablets in the days after treatment" in html
    assert "before treatment" not in html


def test_the_sheet_names_the_clinician_has_the_days_and_lines_to_sign_and_date(client, rec):
    send(client, rec.id, print_sheet="y")
    html = client.get(f"/clinic/recommendations/{rec.id}/print").get_data(as_text=True)
    assert "Your clinician: Test Clinician." in html
    assert "Signed by Test Clinician, clinician" in html and ">Date</span>" in html
    days = html.split('id="days-heading"')[1].split("</table>")[0]
    assert '<th scope="col">When</th><th scope="col">Use</th><th scope="col">Avoid</th>' in days
    assert "Day 0" in days and "Gentle Cleanser:" in days and "Sauna" in days
    # What is only for the screen is marked so, and print styles leave it out.
    assert '<p class="screen-only alert alert-info">Print this page' in html
    assert '<div class="container mt-3 flash-messages">' in html  # "The link is on its way"


def test_an_admin_printing_names_the_clinician_who_made_the_recommendation(client, rec, login):
    login(make_user(role="admin", name="Ada Admin"))
    send(client, rec.id, print_sheet="y")
    html = client.get(f"/clinic/recommendations/{rec.id}/print").get_data(as_text=True)
    assert "Your clinician: Test Clinician." in html and "Ada Admin" not in html
