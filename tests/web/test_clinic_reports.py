"""Reports: links sent, opened, acknowledged and purchased, per clinician and treatment."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from clinic_support import clinic_catalogue
from factories import make_treatment_with_protocol, make_user

from models import Order, Recommendation, db
from shop.services.recommendations import Actor, recommendation_report


def _rec(clinician, treatment, sent_days_ago, opened=False, acknowledged=False, order=None):
    sent_at = datetime.now(UTC) - timedelta(days=sent_days_ago)
    rec = Recommendation(
        clinician_id=clinician.id,
        patient_name="P",
        patient_email="p@example.com",
        treatment_id=treatment.id,
        treated_on=date.today(),
        fitzpatrick=2,
        status="sent",
        sent_at=sent_at,
        expires_at=sent_at + timedelta(days=60),
        opened_at=sent_at if opened else None,
        acknowledged_at=sent_at if acknowledged else None,
    )
    db.session.add(rec)
    db.session.flush()
    if order:
        db.session.add(
            Order(
                reference=f"LS-R{rec.id:08d}",
                email="p@example.com",
                name="P",
                fulfilment="collect",
                payment_method="clinic",
                status=order,
                subtotal_pence=1000,
                total_pence=1000,
                recommendation_id=rec.id,
                clinician_id=clinician.id,
            )
        )
    db.session.commit()
    return rec


@pytest.fixture
def data(app_ctx):
    catalogue = clinic_catalogue()
    needling = catalogue["treatment"]
    peel = make_treatment_with_protocol("chemical-peel-superficial")
    lane = make_user(role="clinician", name="Dr Lane")
    moss = make_user(role="clinician", name="Dr Moss")
    _rec(lane, needling, 1, opened=True, acknowledged=True, order="paid")
    _rec(lane, needling, 2, opened=True, order="cancelled")  # not a sale
    _rec(lane, peel, 3)
    _rec(moss, needling, 4, opened=True, acknowledged=True, order="pending_payment")
    _rec(moss, peel, 90, opened=True, order="paid")  # outside the default range
    return {"lane": lane, "moss": moss}


def test_the_funnel_is_counted_per_clinician_and_treatment(data):
    report = recommendation_report(
        date.today() - timedelta(days=30), date.today(), Actor(user_id=0, is_admin=True)
    )
    by_clinician = {
        r.label: (r.sent, r.opened, r.acknowledged, r.purchased) for r in report.by_clinician
    }
    assert by_clinician == {"Dr Lane": (3, 2, 1, 1), "Dr Moss": (1, 1, 1, 1)}
    by_treatment = {r.label: (r.sent, r.purchased) for r in report.by_treatment}
    assert by_treatment == {"Micro-needling": (3, 2), "Superficial chemical peel": (1, 0)}
    assert report.total.sent == 4 and report.total.conversion_percent == 50


def test_a_clinician_sees_their_own_figures_an_admin_everyones(client, login, data):
    login(data["lane"])
    html = client.get("/clinic/reports").get_data(as_text=True)
    assert "Dr Lane" in html and "Dr Moss" not in html
    login(make_user(role="admin"))
    html = client.get("/clinic/reports").get_data(as_text=True)
    assert "Dr Lane" in html and "Dr Moss" in html
    wide = client.get(
        f"/clinic/reports?date_from={(date.today() - timedelta(days=100)).isoformat()}"
        f"&date_to={date.today().isoformat()}"
    ).get_data(as_text=True)
    assert "5 sent" in wide


@pytest.mark.parametrize(
    "query",
    [
        "date_from=yesterday",
        "date_to=2026-13-01",
        "date_from=2026-02-01&date_to=2026-01-01",
        "date_from=2020-01-01&date_to=2026-01-01",
        f"date_from={(date.today() - timedelta(days=800)).isoformat()}",
    ],
)
def test_a_bad_range_is_refused_with_a_message(client, login, data, query):
    login(data["lane"])
    response = client.get(f"/clinic/reports?{query}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "invalid-feedback" in html and "Per clinician" not in html


def test_the_report_runs_the_same_queries_however_many_rows(client, login, data, count_queries):
    admin = make_user(role="admin")
    login(admin)
    client.get("/clinic/reports")
    with count_queries() as few:
        client.get("/clinic/reports")
    needling = db.session.get(Recommendation, 1).treatment
    for number in range(20):
        _rec(data["moss"], needling, 5, opened=bool(number % 2), order="paid")
    with count_queries() as many:
        client.get("/clinic/reports")
    assert many.count == few.count
