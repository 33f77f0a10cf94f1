"""The whole journey: request, recommendation, emailed link, open, acknowledge, buy, order."""

from __future__ import annotations

from clinic_support import (
    clinic_catalogue,
    create_recommendation,
    link_emails,
    token_from_email,
)
from factories import make_user
from sqlalchemy import select

from models import ConsultationRequest, Order, OutboxEmail, Recommendation, db


def test_request_to_order_through_the_personal_link(client, login):
    """A consultation request ends in an order that records the recommendation and clinician."""
    catalogue = clinic_catalogue()
    response = client.post(
        "/consultation",
        data={
            "name": "Ada Patient",
            "email": "Ada@Example.com",
            "phone": "07700 900123",
            "treatment": "microneedling",
            "preferred_times": "Weekday mornings",
            "question": "Is it painful?",
            "consent": "y",
        },
    )
    assert response.status_code == 302
    request = db.session.execute(select(ConsultationRequest)).scalar_one()
    assert request.status == "open" and request.email == "ada@example.com"
    confirmation = db.session.execute(
        select(OutboxEmail).where(OutboxEmail.kind == "consultation_confirmation")
    ).scalar_one()
    assert confirmation.to_address == "ada@example.com"

    clinician = make_user(role="clinician", name="Dr Rhea Lane")
    login(clinician)
    page = client.get(f"/clinic/recommendations/new?consultation={request.id}")
    assert page.status_code == 200 and "Ada Patient" in page.get_data(as_text=True)
    rec = create_recommendation(client, consultation_id=str(request.id))
    assert rec.consultation_id == request.id and rec.clinician_id == clinician.id
    assert rec.status == "draft" and rec.suitable
    assert rec.kit_id == catalogue["kit"].id
    assert len(rec.items) == 3

    response = client.post(f"/clinic/recommendations/{rec.id}/send", data={})
    assert response.status_code == 302
    [email] = link_emails()
    assert email.to_address == "ada@example.com"
    token = token_from_email(email)
    assert "Dr Rhea Lane" in email.body_text
    rec = db.session.get(Recommendation, rec.id)
    assert rec.status == "sent" and rec.token_hash and token not in rec.token_hash

    # The patient, in a fresh browser with no account.
    with client.session_transaction() as session:
        session.clear()
    page = client.get(f"/r/{token}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Micro-needling Kit" in html and "Keep the skin cool tonight." in html
    assert 'aria-current="date"' in html  # today is highlighted in the timeline
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).opened_at is not None

    response = client.post(f"/r/{token}/acknowledge", data={"confirm": "y"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Recommendation, rec.id).acknowledged_at is not None

    response = client.post(f"/r/{token}/buy")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/checkout")
    with client.session_transaction() as session:
        assert session["recommendation_id"] == rec.id
        assert session["basket"] == {f"kit:{catalogue['kit'].id}": 1}

    response = client.post(
        "/checkout",
        data={
            "name": "Ada Patient",
            "email": "ada@example.com",
            "phone": "07700 900123",
            "fulfilment": "collect",
            "payment_method": "clinic",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)
    order = db.session.execute(select(Order)).scalar_one()
    assert order.recommendation_id == rec.id
    assert order.clinician_id == clinician.id
    [line] = order.lines
    assert line.kind == "kit" and line.kit_id == catalogue["kit"].id

    login(clinician)
    listing = client.get("/clinic/recommendations").get_data(as_text=True)
    assert "Purchased" in listing and order.reference in listing


def test_only_the_order_after_buy_this_kit_records_the_recommendation(client, login):
    """The session key is used once: a later order in the same browser is not attributed."""
    catalogue = clinic_catalogue()
    login(make_user(role="clinician"))
    rec = create_recommendation(client)
    client.post(f"/clinic/recommendations/{rec.id}/send")
    token = token_from_email(link_emails()[-1])
    with client.session_transaction() as session:
        session.clear()
    checkout = {
        "name": "Ada Patient",
        "email": "ada@example.com",
        "fulfilment": "collect",
        "payment_method": "clinic",
    }
    client.post(f"/r/{token}/buy")
    assert client.post("/checkout", data=checkout).status_code == 303
    with client.session_transaction() as session:
        assert "recommendation_id" not in session
    hat = catalogue["products"]["hat"].slug
    added = client.post("/basket/add", data={"kind": "product", "slug": hat, "quantity": 1})
    assert added.status_code in (302, 303)
    assert client.post("/checkout", data=checkout).status_code == 303
    orders = db.session.execute(select(Order).order_by(Order.id)).scalars().all()
    assert [o.recommendation_id for o in orders] == [rec.id, None]
