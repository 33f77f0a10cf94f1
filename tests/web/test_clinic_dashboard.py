"""The clinic dashboard: open consultation requests oldest first, and following them up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from factories import make_user
from sqlalchemy import select

from models import AuditEntry, ConsultationRequest, db


def _request(name: str, minutes_ago: int, status: str = "open") -> ConsultationRequest:
    moment = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    request = ConsultationRequest(
        name=name,
        email=f"{name.lower()}@example.com",
        preferred_times="Mornings",
        question=f"Question from {name}",
        status=status,
        created_at=moment,
    )
    db.session.add(request)
    db.session.commit()
    return request


@pytest.fixture
def clinician(login):
    user = make_user(role="clinician", name="Dr Lane")
    login(user)
    return user


def test_open_requests_are_listed_oldest_first(client, clinician):
    _request("Newest", 5)
    _request("Oldest", 50)
    _request("Middle", 20)
    _request("Handled", 90, status="contacted")
    html = client.get("/clinic/").get_data(as_text=True)
    assert html.index("Oldest") < html.index("Middle") < html.index("Newest")
    assert "Handled" not in html
    contacted = client.get("/clinic/?status=contacted").get_data(as_text=True)
    assert "Handled" in contacted and "Newest" not in contacted


def test_an_unknown_status_filter_is_refused(client, clinician):
    assert client.get("/clinic/?status=lost").status_code == 400


@pytest.mark.parametrize("status", ["contacted", "booked", "closed"])
def test_a_request_is_marked_with_a_note_in_its_history(client, clinician, status):
    request = _request("Bo", 10)
    response = client.post(
        f"/clinic/requests/{request.id}", data={"status": status, "note": "Called, left message"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    request = db.session.get(ConsultationRequest, request.id)
    assert request.status == status
    assert request.handled_by_id == clinician.id
    assert "Called, left message" in request.staff_note
    entry = db.session.execute(select(AuditEntry)).scalar_one()
    assert entry.action == "consultation.status" and entry.after == {"status": status}
    page = client.get(f"/clinic/requests/{request.id}").get_data(as_text=True)
    assert "Dr Lane" in page and "Called, left message" in page


def test_follow_up_notes_add_up_rather_than_overwrite(client, clinician):
    request = _request("Bo", 10)
    client.post(f"/clinic/requests/{request.id}", data={"status": "contacted", "note": "First"})
    client.post(f"/clinic/requests/{request.id}", data={"status": "booked", "note": "Second"})
    db.session.expire_all()
    note = db.session.get(ConsultationRequest, request.id).staff_note
    assert "First" in note and "Second" in note


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "open", "note": ""}, "Not a valid choice"),
        ({"status": "lost", "note": ""}, "Not a valid choice"),
        ({"note": "no status"}, "Choose contacted, booked or closed."),
        ({"status": "booked", "note": "x" * 1001}, "under 1000 characters"),
    ],
)
def test_bad_follow_up_input_changes_nothing(client, clinician, data, message):
    request = _request("Bo", 10)
    response = client.post(f"/clinic/requests/{request.id}", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    request = db.session.get(ConsultationRequest, request.id)
    assert request.status == "open" and request.staff_note == ""


def test_an_unknown_request_is_404(client, clinician):
    assert client.get("/clinic/requests/999").status_code == 404
    assert client.post("/clinic/requests/999", data={"status": "booked"}).status_code == 404


def test_the_dashboard_runs_the_same_queries_however_many_requests(
    client, clinician, count_queries
):
    from factories import make_treatment_with_protocol

    treatment = make_treatment_with_protocol()
    for number in range(3):
        _request(f"P{number}", number).treatment_id = treatment.id
    db.session.commit()
    client.get("/clinic/")  # warm up: the session user is loaded the same way each time
    with count_queries() as few:
        assert client.get("/clinic/").status_code == 200
    for number in range(3, 30):
        _request(f"P{number}", number).treatment_id = treatment.id
    db.session.commit()
    with count_queries() as many:
        assert client.get("/clinic/").status_code == 200
    assert many.count == few.count
