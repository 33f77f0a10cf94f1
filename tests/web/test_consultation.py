"""Anyone can ask for a free consultation; the request is saved and confirmed by email."""

from __future__ import annotations

import pytest
from factories import make_treatment_with_protocol
from sqlalchemy import func, select

from models import ConsultationRequest, OutboxEmail, db

VALID = {
    "name": "Ada Patient",
    "email": "ada@example.com",
    "phone": "+44 (0)7700 900123",
    "treatment": "microneedling",
    "preferred_times": "Weekday mornings",
    "question": "How long is the redness?",
    "consent": "y",
}


def _counts() -> tuple[int, int]:
    return (
        db.session.execute(select(func.count(ConsultationRequest.id))).scalar_one(),
        db.session.execute(select(func.count(OutboxEmail.id))).scalar_one(),
    )


def test_the_form_lists_treatments_and_preselects_one_from_the_link(client):
    make_treatment_with_protocol()
    page = client.get("/consultation?treatment=microneedling")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert '<option selected value="microneedling">' in html or (
        'value="microneedling" selected' in html
    )
    assert 'for="consent"' in html  # every input has a label


def test_a_request_is_saved_and_confirmed_by_email_in_the_outbox(client):
    make_treatment_with_protocol()
    response = client.post("/consultation", data=VALID)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/consultation/thanks")
    request = db.session.execute(select(ConsultationRequest)).scalar_one()
    assert request.status == "open"
    assert request.treatment.slug == "microneedling"
    assert request.contact_consent_at is not None
    email = db.session.execute(select(OutboxEmail)).scalar_one()
    assert email.kind == "consultation_confirmation"
    assert email.to_address == "ada@example.com" and "Micro-needling" in email.body_text
    assert client.get("/consultation/thanks").status_code == 200


def test_treatment_and_question_are_optional(client):
    data = dict(VALID, treatment="", question="", phone="")
    assert client.post("/consultation", data=data).status_code == 302
    request = db.session.execute(select(ConsultationRequest)).scalar_one()
    assert request.treatment_id is None and request.phone == ""


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Please tell us your name."),
        ("name", "x" * 121, "Field cannot be longer than 120 characters."),
        ("email", "", "Please give an email address"),
        ("email", "not-an-email", "Please enter a valid email address"),
        ("phone", "call me maybe", "Please enter a phone number"),
        ("phone", "1" * 41, "at most 40 characters"),
        ("treatment", "tattoo-removal", "Not a valid choice"),
        ("preferred_times", "", "Please tell us which days and times suit you."),
        ("preferred_times", "x" * 501, "under 500 characters"),
        ("question", "x" * 2001, "under 2000 characters"),
        ("consent", None, "Please agree to us contacting you"),
        ("consent", "no", "Tick the box or leave it empty."),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_saved(client, field, value, message):
    make_treatment_with_protocol()
    data = dict(VALID)
    if value is None:
        data.pop(field)
    else:
        data[field] = value
    response = client.post("/consultation", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _counts() == (0, 0)


def test_requests_are_rate_limited_per_address(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "CONSULTATION_RATE_LIMIT", "2 per minute")
    for number in range(2):
        data = dict(VALID, email=f"person{number}@example.com", treatment="")
        assert client.post("/consultation", data=data).status_code == 302
    assert client.post("/consultation", data=dict(VALID, treatment="")).status_code == 429
    assert _counts() == (2, 2)
