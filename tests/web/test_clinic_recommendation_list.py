"""The clinician's list of recommendations: status of each link, orders, constant queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from clinic_support import clinic_catalogue, create_recommendation, sent_token
from factories import make_user
from sqlalchemy import update

from models import Order, Recommendation, db
from shop.services.recommendations import link_status


def _order(rec: Recommendation, reference: str, status: str = "pending_payment") -> Order:
    order = Order(
        reference=reference,
        email=rec.patient_email,
        name=rec.patient_name,
        fulfilment="collect",
        payment_method="clinic",
        status=status,
        subtotal_pence=5000,
        delivery_pence=0,
        total_pence=5000,
        recommendation_id=rec.id,
        clinician_id=rec.clinician_id,
    )
    db.session.add(order)
    db.session.commit()
    return order


@pytest.fixture
def clinician(client, login):
    clinic_catalogue()
    user = make_user(role="clinician", name="Dr Lane")
    login(user)
    return user


def test_each_status_is_shown(client, clinician):
    draft = create_recommendation(client, patient_name="Draft Patient")
    sent = create_recommendation(client, patient_name="Sent Patient")
    sent_token(client, sent.id)
    opened = create_recommendation(client, patient_name="Opened Patient")
    sent_token(client, opened.id)
    acknowledged = create_recommendation(client, patient_name="Ack Patient")
    sent_token(client, acknowledged.id)
    bought = create_recommendation(client, patient_name="Bought Patient")
    sent_token(client, bought.id)
    expired = create_recommendation(client, patient_name="Expired Patient")
    sent_token(client, expired.id)
    revoked = create_recommendation(client, patient_name="Revoked Patient")
    client.post(f"/clinic/recommendations/{revoked.id}/revoke")
    now = datetime.now(UTC)
    for rec_id, values in [
        (opened.id, {"opened_at": now}),
        (acknowledged.id, {"opened_at": now, "acknowledged_at": now}),
        (expired.id, {"expires_at": now - timedelta(days=1)}),
    ]:
        db.session.execute(update(Recommendation).where(Recommendation.id == rec_id).values(values))
    db.session.commit()
    order = _order(bought, "LS-BOUGHT0001")
    html = client.get("/clinic/recommendations").get_data(as_text=True)
    expected = {
        draft: "Draft",
        sent: ">Sent<",
        opened: "Opened",
        acknowledged: "Advice acknowledged",
        bought: "Purchased",
        expired: "Expired",
        revoked: "Revoked",
    }
    for rec, label in expected.items():
        assert rec.patient_name in html
        assert label in html, label
    assert order.reference in html


def test_status_rules():
    now = datetime.now(UTC)
    rec = Recommendation(status="sent", expires_at=now + timedelta(days=1))
    assert link_status(rec, [], now) == "sent"
    rec.opened_at = now
    assert link_status(rec, [], now) == "opened"
    rec.acknowledged_at = now
    assert link_status(rec, [], now) == "acknowledged"
    rec.expires_at = now - timedelta(seconds=1)
    assert link_status(rec, [], now) == "expired"
    from shop.services.recommendations import Purchase

    assert link_status(rec, [Purchase("LS-1", "paid", 100)], now) == "purchased"
    assert link_status(rec, [Purchase("LS-1", "cancelled", 100)], now) == "expired"
    rec.status = "revoked"
    assert link_status(rec, [Purchase("LS-1", "paid", 100)], now) == "revoked"


def test_a_bad_page_number_is_refused(client, clinician):
    for page in ("0", "-1", "abc", "999999999"):
        assert client.get(f"/clinic/recommendations?page={page}").status_code == 400, page


def test_the_list_runs_the_same_queries_however_many_rows(client, clinician, count_queries, login):
    other = make_user(role="clinician", name="Dr Other")
    for number in range(2):
        rec = create_recommendation(client, patient_name=f"P{number}")
        sent_token(client, rec.id)
        _order(rec, f"LS-FEW{number:06d}")
    admin = make_user(role="admin")
    client.get("/clinic/recommendations")
    with count_queries() as few:
        assert client.get("/clinic/recommendations").status_code == 200
    for number in range(2, 20):
        rec = create_recommendation(client, patient_name=f"P{number}")
        sent_token(client, rec.id)
        _order(rec, f"LS-MANY{number:05d}")
    with count_queries() as many:
        assert client.get("/clinic/recommendations").status_code == 200
    assert many.count == few.count
    # An admin's list (with clinician names) is constant too.
    login(admin)
    with count_queries() as admin_view:
        html = client.get("/clinic/recommendations").get_data(as_text=True)
    assert "Dr Lane" in html and other.name not in html
    assert admin_view.count == many.count
    # The recommendation page itself is constant in the catalogue size.
    rec_id = rec.id
    with count_queries() as detail_few:
        assert client.get(f"/clinic/recommendations/{rec_id}").status_code == 200
    from factories import make_product

    for number in range(15):
        make_product(slug=f"more-{number}", category="cleanser")
    with count_queries() as detail_many:
        assert client.get(f"/clinic/recommendations/{rec_id}").status_code == 200
    assert detail_many.count == detail_few.count


def test_the_list_pages_by_the_setting_and_keeps_a_page_past_the_end_on_the_last(client, clinician):
    for number in range(3):
        create_recommendation(client, patient_name=f"Paged Patient {number}")
    client.application.config["RECOMMENDATIONS_PER_PAGE"] = 2
    try:
        first = client.get("/clinic/recommendations").get_data(as_text=True)
        last = client.get("/clinic/recommendations?page=9").get_data(as_text=True)
    finally:
        client.application.config["RECOMMENDATIONS_PER_PAGE"] = 25
    # Newest first: the first page has the two latest, the last page the oldest.
    assert "Paged Patient 2" in first and "Paged Patient 1" in first
    assert "Paged Patient 0" not in first
    assert "Paged Patient 0" in last and "Paged Patient 2" not in last
    assert "(3 in all)" in first
    assert 'rel="next"' in first
