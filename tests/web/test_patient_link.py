"""The patient's personal link: unguessable, expiring, revocable, and private to one patient."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

import pytest
from clinic_support import (
    clinic_catalogue,
    create_recommendation,
    latest_recommendation,
    link_emails,
    send,
    sent_token,
    token_from_email,
)
from factories import make_user
from sqlalchemy import select, update

from models import AuditEntry, Recommendation, SavedPlan, db
from shop.services.recommendations import hash_token


@pytest.fixture
def shop(client, login):
    catalogue = clinic_catalogue()
    clinician = make_user(role="clinician", name="Dr Lane")
    login(clinician)
    return {**catalogue, "clinician": clinician}


def _as_patient(client) -> None:
    """Forget the clinician: the patient opens the link in their own browser."""
    with client.session_transaction() as session:
        session.clear()


def test_sending_stores_only_a_hash_and_emails_an_expiring_link(client, shop, app):
    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    rec = latest_recommendation()
    assert len(token) >= 43
    assert rec.token_hash == hash_token(token) and token not in (rec.token_hash or "")
    sent_at = rec.sent_at.replace(tzinfo=UTC) if rec.sent_at.tzinfo is None else rec.sent_at
    expires_at = (
        rec.expires_at.replace(tzinfo=UTC) if rec.expires_at.tzinfo is None else (rec.expires_at)
    )
    assert expires_at - sent_at == timedelta(days=app.config["RECOMMENDATION_LINK_DAYS"])
    [email] = link_emails()
    assert f"{app.config['PUBLIC_BASE_URL']}/r/{token}" in email.body_text
    # The email names no treatment or skin details: only the link.
    assert "Micro-needling" not in email.body_text and "Fitzpatrick" not in email.body_text
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert "recommendation.send" in actions


def test_the_patient_page_shows_the_plan_and_notes_the_first_opening(client, shop):
    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    _as_patient(client)
    response = client.get(f"/r/{token}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    for text in (
        "Ada Patient",
        "Micro-needling Kit",
        "Gentle Cleanser",
        "What to avoid, and until when",
        "Day by day",
        "Keep the skin cool tonight.",
        "I have been given and have read this aftercare advice",
        "Buy this kit",
    ):
        assert text in html, text
    first_open = latest_recommendation().opened_at
    assert first_open is not None
    client.get(f"/r/{token}")
    assert latest_recommendation().opened_at == first_open


def test_acknowledging_needs_the_box_ticked_and_records_the_time(client, shop):
    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    _as_patient(client)
    response = client.post(f"/r/{token}/acknowledge", data={})
    assert response.status_code == 422
    assert "Please tick the box to confirm." in response.get_data(as_text=True)
    assert latest_recommendation().acknowledged_at is None
    assert client.post(f"/r/{token}/acknowledge", data={"confirm": "y"}).status_code == 302
    acknowledged = latest_recommendation().acknowledged_at
    assert acknowledged is not None
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "You confirmed on" in page
    client.post(f"/r/{token}/acknowledge", data={"confirm": "y"})
    assert latest_recommendation().acknowledged_at == acknowledged


@pytest.mark.parametrize(
    "token",
    [
        # Well formed (43 URL-safe characters, as a sent link has) but never issued.
        pytest.param("Qm7vK2pX9rT4wL8nB3cF6hJ1sD5gY0aZeU-iO_kMqRt", id="unknown"),
        pytest.param("short", id="short"),
        pytest.param("x" * 200, id="too-long"),
        pytest.param("not a token!", id="not-url-safe"),
    ],
)
def test_unknown_or_malformed_tokens_are_404_with_no_data(client, shop, token):
    rec = create_recommendation(client)
    sent_token(client, rec.id)
    _as_patient(client)
    for method, url in (
        ("GET", f"/r/{token}"),
        ("POST", f"/r/{token}/acknowledge"),
        ("POST", f"/r/{token}/buy"),
    ):
        response = client.open(url, method=method, data={"confirm": "y"})
        assert response.status_code == 404, (method, url)
        html = response.get_data(as_text=True)
        assert "We could not find that link" in html
        assert "Ada Patient" not in html and "Gentle Cleanser" not in html
    rec = latest_recommendation()
    assert rec.opened_at is None and rec.acknowledged_at is None


def test_an_expired_link_is_410_with_no_data(client, shop):
    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    db.session.execute(
        update(Recommendation)
        .where(Recommendation.id == rec.id)
        .values(expires_at=datetime.now(UTC) - timedelta(minutes=1))
    )
    db.session.commit()
    _as_patient(client)
    response = client.get(f"/r/{token}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "This link has expired" in html and "Ada Patient" not in html
    assert client.post(f"/r/{token}/buy").status_code == 410
    with client.session_transaction() as session:
        assert "basket" not in session
    assert latest_recommendation().opened_at is None


def test_a_revoked_link_is_410_with_no_data(client, shop):
    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    assert client.post(f"/clinic/recommendations/{rec.id}/revoke").status_code == 302
    assert latest_recommendation().status == "revoked"
    _as_patient(client)
    response = client.get(f"/r/{token}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "This link no longer works" in html and "Ada Patient" not in html
    assert client.post(f"/r/{token}/acknowledge", data={"confirm": "y"}).status_code == 410


def test_a_revoked_recommendation_cannot_be_sent_or_revoked_again(client, shop):
    rec = create_recommendation(client)
    client.post(f"/clinic/recommendations/{rec.id}/revoke")
    assert send(client, rec.id).status_code == 409
    assert client.post(f"/clinic/recommendations/{rec.id}/revoke").status_code == 409
    assert link_emails() == []


def test_resending_makes_a_new_link_and_the_old_one_stops_working(client, shop):
    rec = create_recommendation(client)
    old = sent_token(client, rec.id)
    new = sent_token(client, rec.id)
    assert old != new and len(link_emails()) == 2
    _as_patient(client)
    assert client.get(f"/r/{old}").status_code == 404
    assert client.get(f"/r/{new}").status_code == 200
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert "recommendation.resend" in actions


def test_one_patients_token_never_shows_another_patients_plan(client, shop):
    first = create_recommendation(client, patient_name="Ada First", notes="Note for Ada")
    first_token = sent_token(client, first.id)
    second = create_recommendation(
        client,
        patient_name="Bo Second",
        patient_email="bo@example.com",
        notes="Note for Bo",
        fitzpatrick="5",
    )
    second_token = sent_token(client, second.id)
    _as_patient(client)
    first_page = client.get(f"/r/{first_token}").get_data(as_text=True)
    second_page = client.get(f"/r/{second_token}").get_data(as_text=True)
    assert "Ada First" in first_page and "Note for Ada" in first_page
    assert "Bo Second" not in first_page and "Note for Bo" not in first_page
    assert "Bo Second" in second_page and "Ada First" not in second_page
    # Acknowledging through one link touches only that recommendation.
    client.post(f"/r/{first_token}/acknowledge", data={"confirm": "y"})
    db.session.expire_all()
    assert db.session.get(Recommendation, first.id).acknowledged_at is not None
    assert db.session.get(Recommendation, second.id).acknowledged_at is None


def test_guessing_tokens_is_rate_limited(client, shop, app, monkeypatch):
    monkeypatch.setitem(app.config, "RECOMMENDATION_LINK_RATE_LIMIT", "5 per minute")
    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    _as_patient(client)
    codes = [client.get(f"/r/{secrets.token_urlsafe(32)}").status_code for _ in range(5)]
    assert codes == [404] * 5
    assert client.get(f"/r/{secrets.token_urlsafe(32)}").status_code == 429
    # The budget is shared by every link route, so the buttons cannot be used to guess either.
    assert client.post(f"/r/{token}/buy").status_code == 429
    assert client.get(f"/r/{token}").status_code == 429


def test_buying_puts_exactly_the_recommended_products_in_the_basket(client, shop):
    rec = create_recommendation(client)
    mist = shop["products"]["mist"]
    client.post(
        f"/clinic/recommendations/{rec.id}/items",
        data={"add-product": "thermal-mist", "add-quantity": "2"},
    )
    rec = latest_recommendation()
    assert rec.kit_id is None
    token = sent_token(client, rec.id)
    _as_patient(client)
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "£" in page
    with client.session_transaction() as session:
        session["basket"] = {f"product:{mist.id}": 5, f"product:{shop['products']['hat'].id}": 1}
    response = client.post(f"/r/{token}/buy")
    assert response.status_code == 303
    expected = {f"product:{item.product_id}": item.quantity for item in rec.items}
    expected[f"product:{shop['products']['hat'].id}"] = 1  # other lines stay
    with client.session_transaction() as session:
        assert session["basket"] == expected
        assert session["recommendation_id"] == rec.id
    basket = client.get("/basket").get_data(as_text=True)
    assert "Thermal Mist" in basket


def test_buying_is_refused_with_a_message_when_stock_runs_out(client, shop):
    from models import StockLot

    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    db.session.execute(
        update(StockLot)
        .where(StockLot.product_id == shop["products"]["cleanser"].id)
        .values(quantity_on_hand=0)
    )
    db.session.commit()
    _as_patient(client)
    response = client.post(f"/r/{token}/buy")
    assert response.status_code == 409
    assert "sold out" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "basket" not in session and "recommendation_id" not in session


def test_buying_needs_the_form_token(client, shop, app, monkeypatch):
    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    _as_patient(client)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(f"/r/{token}/buy")
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "basket" not in session


def test_a_signed_in_customer_is_offered_to_save_the_plan(client, shop, login):
    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    _as_patient(client)
    assert "Save to my plans" not in client.get(f"/r/{token}").get_data(as_text=True)
    login(make_user(role="customer", email="ada@example.com"))
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Save to my plans" in page
    assert 'action="/account/plans"' in page
    response = client.post("/account/plans", data={"consent": "y", "recommendation_token": token})
    assert response.status_code == 303
    saved = db.session.query(SavedPlan).one()
    assert saved.recommendation_id == rec.id
    assert response.headers["Location"] == f"/account/plans/{saved.id}"
    assert saved.screening == rec.screening
    assert [(line.product_id, line.quantity) for line in saved.lines] == [
        (item.product_id, item.quantity) for item in rec.items
    ]


def test_saving_with_a_dead_link_token_is_refused_and_keeps_nothing(client, shop, login):
    rec = create_recommendation(client)
    sent_token(client, rec.id)
    _as_patient(client)
    login(make_user(role="customer", email="ada@example.com"))
    response = client.post(
        "/account/plans",
        data={"consent": "y", "recommendation_token": "not-a-real-token-at-all"},
    )
    assert response.status_code == 400
    assert "no longer works" in response.get_data(as_text=True)
    assert db.session.query(SavedPlan).count() == 0


def test_an_overlong_link_token_on_a_saved_plan_is_refused(client, shop, login):
    create_recommendation(client)
    login(make_user(role="customer", email="ada@example.com"))
    response = client.post(
        "/account/plans",
        data={"consent": "y", "recommendation_token": "x" * 200},
    )
    assert response.status_code == 422
    assert db.session.query(SavedPlan).count() == 0


def test_the_token_in_an_email_is_the_one_that_opens_the_page(client, shop):
    rec = create_recommendation(client)
    send(client, rec.id)
    token = token_from_email(link_emails()[-1])
    _as_patient(client)
    assert client.get(f"/r/{token}").status_code == 200


def test_the_acknowledgement_comes_before_buy_this_kit(client, shop):
    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    _as_patient(client)
    html = client.get(f"/r/{token}").get_data(as_text=True)
    assert html.index('id="ack-heading"') < html.index("Buy this kit")
    assert html.index("I have been given and have read") < html.index("Buy this kit")


def test_checkout_from_the_link_starts_with_the_name_and_email_the_clinician_recorded(client, shop):
    rec = create_recommendation(
        client, patient_name="Ada Lovelace", patient_email="Ada@Example.com"
    )
    token = sent_token(client, rec.id)
    _as_patient(client)
    bought = client.post(f"/r/{token}/buy")
    # Nothing personal travels in the address: only the token page and the checkout path.
    assert bought.headers["Location"] == "/checkout"
    html = client.get("/checkout").get_data(as_text=True)
    assert 'value="Ada Lovelace"' in html and 'value="ada@example.com"' in html
    # Someone else's browser, with no basket from the link, starts empty.
    other = client.application.test_client()
    with other.session_transaction() as session:
        session["basket"] = {f"product:{shop['products']['hat'].id}": 1}
    assert "Ada Lovelace" not in other.get("/checkout").get_data(as_text=True)


def test_checkout_leaves_out_the_details_of_a_revoked_or_garbled_recommendation(client, shop):
    rec = create_recommendation(client, patient_name="Ada Lovelace")
    sent_token(client, rec.id)
    client.post(f"/clinic/recommendations/{rec.id}/revoke")
    _as_patient(client)
    for kept in (rec.id, str(rec.id), True, rec.id + 99):
        with client.session_transaction() as session:
            session["basket"] = {f"product:{shop['products']['hat'].id}": 1}
            session["recommendation_id"] = kept
        response = client.get("/checkout")
        assert response.status_code == 200
        assert "Ada Lovelace" not in response.get_data(as_text=True), kept


def test_a_signed_in_customer_buying_from_the_link_starts_with_the_recorded_details(
    client, shop, login
):
    rec = create_recommendation(
        client, patient_name="Ada Lovelace", patient_email="ada@example.com"
    )
    token = sent_token(client, rec.id)
    login(make_user(email="other.address@example.com", name="A. Lovelace"))
    client.post(f"/r/{token}/buy")
    html = client.get("/checkout").get_data(as_text=True)
    assert 'value="Ada Lovelace"' in html and 'value="ada@example.com"' in html
