"""The Stripe webhook: signatures, exactly-once handling, every event the shop acts on."""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import func, select

from models import Order, OrderEvent, Payment, ProcessedEvent, db
from tests.checkout_helpers import DELIVERY_FORM, add, emails, sellable
from tests.factories import make_lot, make_product
from tests.stripe_fake import (
    WEBHOOK_SECRET,
    completed_session,
    event,
    sign,
)


@pytest.fixture
def cream(app_ctx):
    product = make_product(name="Hook Cream", price_pence=2000)
    make_lot(product, 10)
    return product


@pytest.fixture
def card_order(client, cream, fake_stripe):
    """A card order waiting for payment, and its Checkout Session at the fake Stripe."""
    add(client, cream.slug, 2)
    client.post("/checkout", data=DELIVERY_FORM)
    order = db.session.execute(select(Order)).scalar_one()
    session = next(iter(fake_stripe.sessions.values()))
    return order, session


def deliver(client, payload, secret=WEBHOOK_SECRET, timestamp=None, header=None):
    body, signature = sign(payload, secret, timestamp)
    return client.post(
        "/webhooks/stripe",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": header if header is not None else signature},
    )


def status_of(order):
    db.session.expire_all()
    return db.session.get(Order, order.id).status


def event_count():
    return db.session.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one()


def test_completed_session_marks_the_order_paid_and_sends_the_confirmation(
    client, card_order, cream
):
    order, session = card_order
    response = deliver(client, event("checkout.session.completed", completed_session(session)))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "paid"
    assert status_of(order) == "paid"
    payment = db.session.execute(select(Payment)).scalar_one()
    assert payment.status == "succeeded" and payment.payment_intent_id.startswith("pi_test_")
    (email,) = emails()
    assert "received your payment" in email.body_text
    # Paid stock stays held until the goods leave the shop.
    assert sellable(cream) == 8
    success = client.get(f"/checkout/success/{order.reference}").get_data(as_text=True)
    assert "Paid" in success


def test_replayed_event_changes_nothing_the_second_time(client, card_order):
    _order, session = card_order
    paid = event("checkout.session.completed", completed_session(session))
    assert deliver(client, paid).get_json()["outcome"] == "paid"
    events = db.session.execute(select(func.count()).select_from(OrderEvent)).scalar_one()
    again = deliver(client, paid)
    assert again.status_code == 200 and again.get_json()["outcome"] == "duplicate"
    assert len(emails()) == 1
    assert db.session.execute(select(func.count()).select_from(OrderEvent)).scalar_one() == events


def test_a_second_completed_event_with_another_id_does_not_pay_twice(client, card_order):
    order, session = card_order
    deliver(client, event("checkout.session.completed", completed_session(session)))
    second = deliver(client, event("checkout.session.completed", completed_session(session)))
    assert second.get_json()["outcome"] == "already paid"
    assert len(emails()) == 1
    assert status_of(order) == "paid"


@pytest.mark.parametrize(
    "header",
    [
        "",
        "t=123",
        "garbage",
        "t=1700000000,v1=0000000000000000000000000000000000000000000000000000000000000000",
    ],
)
def test_forged_or_missing_signatures_are_refused(client, card_order, header):
    order, session = card_order
    response = deliver(
        client, event("checkout.session.completed", completed_session(session)), header=header
    )
    assert response.status_code == 400
    assert status_of(order) == "pending_payment"
    assert event_count() == 0


def test_signature_with_the_wrong_secret_is_refused(client, card_order):
    order, session = card_order
    response = deliver(
        client,
        event("checkout.session.completed", completed_session(session)),
        secret="whsec_not_ours",
    )
    assert response.status_code == 400
    assert status_of(order) == "pending_payment"


def test_stale_signature_is_refused(client, card_order, app):
    order, session = card_order
    too_old = int(time.time()) - app.config["STRIPE_WEBHOOK_TOLERANCE"] - 60
    response = deliver(
        client, event("checkout.session.completed", completed_session(session)), timestamp=too_old
    )
    assert response.status_code == 400
    assert status_of(order) == "pending_payment"


def test_signature_dated_beyond_the_tolerance_ahead_is_refused(client, card_order, app):
    order, session = card_order
    tolerance = app.config["STRIPE_WEBHOOK_TOLERANCE"]
    paid = event("checkout.session.completed", completed_session(session))
    ahead = deliver(client, paid, timestamp=int(time.time()) + tolerance + 60)
    assert ahead.status_code == 400
    assert status_of(order) == "pending_payment" and event_count() == 0
    # A clock a little fast is still within the tolerance.
    skewed = deliver(client, paid, timestamp=int(time.time()) + 30)
    assert skewed.status_code == 200 and status_of(order) == "paid"


def _charge_refunded(amount_refunded):
    return {"payment_intent": "pi_x", "amount_refunded": amount_refunded}


@pytest.mark.parametrize(
    "body",
    [
        "[]",
        "null",
        '"checkout.session.completed"',
        json.dumps({"id": "evt_m1", "type": "checkout.session.completed", "data": "str"}),
        json.dumps(
            {"id": "evt_m2", "type": "checkout.session.completed", "data": {"object": [1, 2]}}
        ),
        json.dumps({"id": ["evt_m3"], "type": "charge.refunded", "data": {"object": {}}}),
        json.dumps(event("charge.refunded", _charge_refunded("all"))),
        json.dumps(event("charge.refunded", _charge_refunded(True))),
        json.dumps(event("checkout.session.completed", {"client_reference_id": 7})),
        json.dumps(event("checkout.session.completed", {"amount_total": "4395"})),
        json.dumps(event("checkout.session.expired", {"metadata": "LS-1"})),
        json.dumps(event("charge.refunded", {"payment_intent": "pi_\u0000"})),
        json.dumps(event("refund.updated", {"id": "re_1", "status": ["succeeded"]})),
        "[" * 100_000 + "]" * 100_000,
    ],
)
def test_signed_but_malformed_events_are_refused_and_change_nothing(client, card_order, body):
    order, _session = card_order
    response = deliver(client, body)
    assert response.status_code == 400
    assert response.get_json()["error"]["title"] == "Malformed event"
    assert status_of(order) == "pending_payment" and event_count() == 0


def test_body_changed_after_signing_is_refused(client, card_order):
    order, session = card_order
    body, signature = sign(event("checkout.session.completed", completed_session(session)))
    tampered = body.replace('"amount_total": 4395', '"amount_total": 1')
    response = client.post(
        "/webhooks/stripe",
        data=tampered + " ",
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )
    assert response.status_code == 400
    assert status_of(order) == "pending_payment"


def test_webhook_is_refused_when_stripe_is_not_configured(client):
    body, signature = sign(event("checkout.session.completed", {"id": "cs_x"}))
    response = client.post(
        "/webhooks/stripe",
        data=body,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )
    assert response.status_code == 400


def test_webhook_needs_no_csrf_token(app, fake_stripe, card_order):
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        client = app.test_client()
        response = deliver(client, event("some.unknown.event", {"id": "x"}))
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert response.status_code == 200


def test_unknown_events_are_acknowledged(client, fake_stripe):
    response = deliver(client, event("customer.created", {"id": "cus_1"}))
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "ignored"


def test_not_json_with_a_valid_signature_is_refused(client, fake_stripe):
    response = deliver(client, "this is not json")
    assert response.status_code == 400


def test_expired_session_releases_the_stock(client, card_order, cream):
    order, session = card_order
    assert sellable(cream) == 8
    response = deliver(client, event("checkout.session.expired", {**session, "status": "expired"}))
    assert response.get_json()["outcome"] == "expired"
    assert status_of(order) == "expired"
    assert sellable(cream) == 10
    assert db.session.execute(select(Payment)).scalar_one().status == "expired"


def test_expired_after_completed_changes_nothing(client, card_order, cream):
    order, session = card_order
    deliver(client, event("checkout.session.completed", completed_session(session)))
    late = deliver(client, event("checkout.session.expired", session))
    assert late.get_json()["outcome"] == "already paid"
    assert status_of(order) == "paid"
    assert sellable(cream) == 8


def test_payment_after_the_hold_lapsed_is_recorded_for_staff_not_fulfilled(
    client, card_order, cream
):
    order, session = card_order
    deliver(client, event("checkout.session.expired", session))
    late = deliver(client, event("checkout.session.completed", completed_session(session)))
    assert late.get_json()["outcome"] == "paid late"
    assert status_of(order) == "expired"
    assert sellable(cream) == 10
    notes = db.session.execute(select(OrderEvent.note)).scalars().all()
    assert any("after the reservation lapsed" in note for note in notes)


def test_delayed_payment_waits_then_succeeds(client, card_order):
    order, session = card_order
    waiting = deliver(
        client, event("checkout.session.completed", completed_session(session, "unpaid"))
    )
    assert waiting.get_json()["outcome"] == "awaiting payment"
    assert status_of(order) == "pending_payment"
    cleared = deliver(
        client,
        event("checkout.session.async_payment_succeeded", completed_session(session, "paid")),
    )
    assert cleared.get_json()["outcome"] == "paid"
    assert status_of(order) == "paid"


def test_delayed_payment_failure_cancels_and_releases(client, card_order, cream):
    order, session = card_order
    deliver(client, event("checkout.session.completed", completed_session(session, "unpaid")))
    failed = deliver(
        client,
        event("checkout.session.async_payment_failed", completed_session(session, "unpaid")),
    )
    assert failed.get_json()["outcome"] == "cancelled"
    assert status_of(order) == "cancelled"
    assert sellable(cream) == 10
    assert db.session.execute(select(Payment)).scalar_one().status == "failed"


def test_amount_mismatch_is_not_fulfilled(client, card_order):
    order, session = card_order
    cheap = {**completed_session(session), "amount_total": 1}
    response = deliver(client, event("checkout.session.completed", cheap))
    assert response.get_json()["outcome"] == "amount mismatch"
    assert status_of(order) == "pending_payment"


def test_event_for_an_unknown_order_is_acknowledged(client, fake_stripe):
    response = deliver(
        client,
        event(
            "checkout.session.completed",
            {"id": "cs_nope", "client_reference_id": "LS-NOPE", "payment_status": "paid"},
        ),
    )
    assert response.status_code == 200
    assert response.get_json()["outcome"] == "unknown order"


def test_charge_refunded_records_partial_then_full_refund(client, card_order):
    order, session = card_order
    paid = completed_session(session)
    deliver(client, event("checkout.session.completed", paid))
    charge = {"id": "ch_1", "object": "charge", "payment_intent": paid["payment_intent"]}
    partial = deliver(client, event("charge.refunded", {**charge, "amount_refunded": 1000}))
    assert partial.get_json()["outcome"] == "partially_refunded"
    db.session.expire_all()
    assert db.session.get(Order, order.id).refunded_pence == 1000
    # An older event arriving late cannot lower what is recorded.
    stale = deliver(client, event("charge.refunded", {**charge, "amount_refunded": 500}))
    assert stale.get_json()["outcome"] == "already recorded"
    full = deliver(
        client, event("charge.refunded", {**charge, "amount_refunded": order.total_pence})
    )
    assert full.get_json()["outcome"] == "refunded"
    assert status_of(order) == "refunded"
    assert db.session.get(Order, order.id).refunded_pence == order.total_pence


def test_full_refund_through_stripe_puts_the_held_stock_back_on_sale(
    client, runner, card_order, cream
):
    _order, session = card_order
    paid = completed_session(session)
    deliver(client, event("checkout.session.completed", paid))
    assert sellable(cream) == 8
    charge = {"id": "ch_2", "object": "charge", "payment_intent": paid["payment_intent"]}
    full = deliver(client, event("charge.refunded", {**charge, "amount_refunded": 4395}))
    assert full.get_json()["outcome"] == "refunded"
    assert sellable(cream) == 10
    verify = runner.invoke(args=["stock", "verify"])
    assert verify.exit_code == 0, verify.output


def test_refund_of_an_unpaid_order_is_ignored(client, card_order):
    order, _session = card_order
    db.session.execute(Payment.__table__.update().values(payment_intent_id="pi_test_unpaid"))
    db.session.commit()
    response = deliver(
        client,
        event("charge.refunded", {"payment_intent": "pi_test_unpaid", "amount_refunded": 100}),
    )
    assert response.get_json()["outcome"].startswith("not refundable")
    assert status_of(order) == "pending_payment"


def test_webhook_body_is_read_raw(client, card_order):
    """Whitespace and key order matter to the signature, so the raw bytes are verified."""
    order, session = card_order
    body = json.dumps(event("checkout.session.completed", completed_session(session)), indent=2)
    signed, signature = sign(body)
    response = client.post(
        "/webhooks/stripe",
        data=signed,
        content_type="application/json",
        headers={"Stripe-Signature": signature},
    )
    assert response.status_code == 200
    assert status_of(order) == "paid"
