"""Recording a patient's profile: every field checked, consent required, edits re-plan."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from clinic_support import (
    clinic_catalogue,
    create_recommendation,
    latest_recommendation,
    recommendation_form,
)
from factories import make_user
from sqlalchemy import func, select

from models import AuditEntry, ConsultationRequest, Recommendation, db


@pytest.fixture
def shop(client, login):
    catalogue = clinic_catalogue()
    login(make_user(role="clinician"))
    return catalogue


def _count() -> int:
    return db.session.execute(select(func.count(Recommendation.id))).scalar_one()


def test_the_form_asks_for_consent_and_every_screening_answer(client, shop):
    html = client.get("/clinic/recommendations/new").get_data(as_text=True)
    assert "The patient agreed to this being recorded" in html
    assert html.count('value="yes"') == 6
    assert "When did you last take isotretinoin" in html and 'value="3-6"' in html


def test_a_draft_stores_the_profile_and_audits_without_health_data(client, shop):
    rec = create_recommendation(
        client, concerns=["sensitive", "dry"], screening_cold_sores="yes", fitzpatrick="3"
    )
    assert rec.patient_email == "ada@example.com" and rec.fitzpatrick == 3
    assert rec.concerns == ["dry", "sensitive"]
    assert rec.screening["cold_sores"] is True and rec.screening["open_wounds"] is False
    entry = db.session.execute(select(AuditEntry)).scalar_one()
    assert entry.action == "recommendation.create" and entry.target_id == str(rec.id)
    assert entry.before is None and entry.after is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("patient_name", "", "Enter the patient&#39;s name."),
        ("patient_name", "x" * 121, "Field cannot be longer than 120 characters."),
        ("patient_email", "", "Enter the email address the link goes to."),
        ("patient_email", "ada@", "Enter a valid email address"),
        ("treatment", "", "Choose the treatment."),
        ("treatment", "tattoo", "Not a valid choice"),
        ("treated_on", "", "Enter the treatment date"),
        ("treated_on", "31/02/2026", "Not a valid date value."),
        ("treated_on", (date.today() - timedelta(days=400)).isoformat(), "within the last year"),
        ("treated_on", (date.today() + timedelta(days=400)).isoformat(), "within the next year"),
        ("fitzpatrick", None, "Choose the patient&#39;s skin type."),
        ("fitzpatrick", "7", "Not a valid choice"),
        ("concerns", "freckles", "is not a valid choice"),
        ("screening_open_wounds", None, "Record the patient&#39;s answer: yes or no."),
        ("screening_cold_sores", "maybe", "Not a valid choice"),
        ("notes", "x" * 2001, "under 2000 characters"),
        ("consent", None, "Confirm that the patient agreed to this being recorded."),
        ("consultation_id", "abc", "That consultation request is not valid."),
        ("consultation_id", "999", "That consultation request does not exist."),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(client, shop, field, value, message):
    data = recommendation_form()
    if value is None:
        data.pop(field)
    else:
        data[field] = value
    response = client.post("/clinic/recommendations/new", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count() == 0


def test_a_treatment_without_protocol_cannot_be_chosen(client, shop):
    from factories import make_treatment

    make_treatment("hydrafacial", "HydraFacial")
    html = client.get("/clinic/recommendations/new").get_data(as_text=True)
    assert "HydraFacial" not in html
    response = client.post(
        "/clinic/recommendations/new", data=recommendation_form(treatment="hydrafacial")
    )
    assert response.status_code == 422 and _count() == 0


def test_a_draft_started_from_a_request_is_prefilled(client, shop):
    request = ConsultationRequest(
        name="Bo Patient", email="bo@example.com", preferred_times="any", treatment_id=1
    )
    db.session.add(request)
    db.session.commit()
    html = client.get(f"/clinic/recommendations/new?consultation={request.id}").get_data(
        as_text=True
    )
    assert 'value="Bo Patient"' in html and 'value="bo@example.com"' in html
    assert client.get("/clinic/recommendations/new?consultation=999").status_code == 404


def test_editing_only_names_or_notes_keeps_the_kit_changes(client, shop):
    rec = create_recommendation(client)
    client.post(
        f"/clinic/recommendations/{rec.id}/items",
        data={"add-product": "thermal-mist", "add-quantity": "1"},
    )
    response = client.post(
        f"/clinic/recommendations/{rec.id}/edit",
        data=recommendation_form(patient_name="Ada Lovelace", notes="New note"),
    )
    assert response.status_code == 302
    rec = latest_recommendation()
    assert rec.patient_name == "Ada Lovelace" and rec.notes == "New note"
    assert "thermal-mist" in [i.product.slug for i in rec.items]


def test_editing_the_profile_proposes_the_kit_again(client, shop):
    rec = create_recommendation(client)
    client.post(
        f"/clinic/recommendations/{rec.id}/items",
        data={"add-product": "thermal-mist", "add-quantity": "1"},
    )
    planned = (date.today() + timedelta(days=7)).isoformat()
    response = client.post(
        f"/clinic/recommendations/{rec.id}/edit",
        data=recommendation_form(screening_pregnant_or_breastfeeding="yes", treated_on=planned),
    )
    assert response.status_code == 302
    rec = latest_recommendation()
    assert not rec.suitable and rec.items == []


def test_bad_edits_change_nothing(client, shop):
    rec = create_recommendation(client)
    for field, value in [("patient_email", "nope"), ("fitzpatrick", "0"), ("consent", None)]:
        data = recommendation_form(patient_name="Changed")
        if value is None:
            data.pop(field)
        else:
            data[field] = value
        response = client.post(f"/clinic/recommendations/{rec.id}/edit", data=data)
        assert response.status_code == 422, field
    assert latest_recommendation().patient_name == "Ada Patient"


def test_a_revoked_recommendation_cannot_be_edited(client, shop):
    rec = create_recommendation(client)
    assert client.post(f"/clinic/recommendations/{rec.id}/revoke").status_code == 302
    assert client.get(f"/clinic/recommendations/{rec.id}/edit").status_code == 409
    response = client.post(
        f"/clinic/recommendations/{rec.id}/edit", data=recommendation_form(patient_name="X")
    )
    assert response.status_code == 409
    assert latest_recommendation().patient_name == "Ada Patient"
