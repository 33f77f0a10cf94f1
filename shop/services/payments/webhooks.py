"""Stripe webhook events: verified, applied exactly once, each by its handler.

The success page only shows state; these events change it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from models import Order, Payment, ProcessedEvent, Refund, db
from shop import clock
from shop.services import orders
from shop.services.orders.lifecycle import close_unpaid, record_payment
from shop.services.orders.states import current_status, record_event
from shop.services.payments.events import object_field, text_field, whole_field
from shop.services.payments.gateway import WebhookSignatureError, stripe_gateway
from shop.services.payments.refunds import record_refunded_total
from shop.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


def verify_stripe_webhook(payload: bytes, signature: str | None) -> dict[str, Any]:
    """Verify a Stripe webhook; raises WebhookSignatureError (also when Stripe is not set up).

    A signed body that is not a readable event raises MalformedEvent.
    """
    gateway = stripe_gateway()
    if gateway is None:
        raise WebhookSignatureError("Card payments are not configured.")
    return gateway.verify_webhook(payload, signature)


def handle_stripe_event(event: Mapping[str, Any]) -> str:
    """Apply one verified Stripe event exactly once; returns what happened, for the log.

    The event id is recorded (UNIQUE) in the same transaction as its effects, so a replay,
    or the same event delivered twice at once, changes nothing the second time. Effects are
    conditional updates, so events arriving out of order cannot undo each other. A field of
    the wrong type raises MalformedEvent with nothing changed (not even the id recorded).
    """
    event_id, event_type = str(event["id"]), str(event["type"])
    handler = EVENT_HANDLERS.get(event_type)
    try:
        with unit_of_work():
            db.session.add(
                ProcessedEvent(provider="stripe", event_id=event_id, event_type=event_type)
            )
            db.session.flush()
            obj = object_field(object_field(event, "data"), "object")
            outcome = handler(obj) if handler else "ignored"
    except IntegrityError:
        # Seen before, or being processed at this very moment by another worker: it won.
        return "duplicate"
    log.info("Stripe event %s (%s): %s", event_id, event_type, outcome)
    return outcome


@dataclass(frozen=True)
class SessionFields:
    """The fields of a Checkout Session the shop reads, each checked for its type."""

    id: str | None
    reference: str | None
    payment_intent: str | None
    payment_status: str | None
    amount_total: int | None
    currency: str

    @classmethod
    def read(cls, session: Mapping[str, Any]) -> SessionFields:
        """Read every field up front, so a malformed session is refused whatever the shop holds."""
        return cls(
            id=text_field(session, "id"),
            reference=text_field(session, "client_reference_id")
            or text_field(object_field(session, "metadata"), "order_reference"),
            payment_intent=text_field(session, "payment_intent"),
            payment_status=text_field(session, "payment_status"),
            amount_total=whole_field(session, "amount_total"),
            currency=(text_field(session, "currency") or "").upper(),
        )


def _order_for_session(session: SessionFields) -> Order | None:
    """Find and lock the order a Checkout Session belongs to, by its reference.

    The order row is locked before anything else of the order is touched (its payment, its
    stock), the same order every transition follows, so concurrent handlers cannot deadlock.
    """
    if not session.reference:
        return None
    return db.session.execute(
        select(Order)
        .where(Order.reference == session.reference)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()


def _session_payment(order: Order, session: SessionFields) -> Payment | None:
    """Return the order's Stripe payment row, remembering the session and intent ids."""
    payment = db.session.execute(
        select(Payment)
        .where(Payment.order_id == order.id, Payment.provider == "stripe")
        .order_by(Payment.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if payment is not None:
        if not payment.provider_reference and session.id:
            payment.provider_reference = session.id
        if session.payment_intent:
            payment.payment_intent_id = session.payment_intent
    return payment


def _note(order_id: int, note: str) -> None:
    """Add a note to the order's history in the current transaction."""
    record_event(order_id, None, None, note)


def _fulfil_paid_session(session: SessionFields, how: str) -> str:
    """Mark the session's order paid if the amount matches; in the current transaction."""
    order = _order_for_session(session)
    if order is None:
        return "unknown order"
    payment = _session_payment(order, session)
    if payment is not None and payment.provider_reference not in (None, session.id):
        _note(order.id, f"Ignored payment from an unknown checkout session ({how}).")
        return "other session"
    amount, currency = session.amount_total, session.currency
    if amount != order.total_pence or currency != order.currency:
        _note(order.id, f"Payment amount {amount} {currency} does not match the order total.")
        log.warning("Order %s: paid amount does not match the total", order.reference)
        return "amount mismatch"
    if order.status in ("expired", "cancelled"):
        # Paid a moment after the hold lapsed: the money is taken but the stock is gone.
        if payment is not None:
            payment.status = "succeeded"
        _note(order.id, "Payment arrived after the reservation lapsed: refund or re-reserve.")
        log.warning("Order %s was paid after its reservation lapsed", order.reference)
        return "paid late"
    changed = _mark_paid_in_transaction(order.id, how)
    return "paid" if changed else "already paid"


def _mark_paid_in_transaction(order_id: int, how: str) -> bool:
    """Move pending_payment -> paid inside the webhook's transaction; False if not pending."""
    status = current_status(order_id)
    if status != "pending_payment":
        return False
    record_payment(order_id, note=f"Card payment received ({how})", paid_at=clock.utc_now())
    return True


def _on_session_completed(obj: Mapping[str, Any]) -> str:
    """checkout.session.completed: paid now, or waiting for a delayed payment method."""
    session = SessionFields.read(obj)
    if session.payment_status in ("paid", "no_payment_required"):
        return _fulfil_paid_session(session, "checkout completed")
    order = _order_for_session(session)
    if order is None:
        return "unknown order"
    _session_payment(order, session)
    _note(order.id, "Checkout completed; waiting for the payment to clear.")
    return "awaiting payment"


def _on_async_succeeded(obj: Mapping[str, Any]) -> str:
    """checkout.session.async_payment_succeeded: a delayed payment cleared."""
    return _fulfil_paid_session(SessionFields.read(obj), "delayed payment cleared")


def _on_async_failed(obj: Mapping[str, Any]) -> str:
    """checkout.session.async_payment_failed: cancel the unpaid order and free its stock."""
    session = SessionFields.read(obj)
    order = _order_for_session(session)
    if order is None:
        return "unknown order"
    _session_payment(order, session)
    return _end_unpaid(order.id, "cancel", "The delayed card payment failed.", "failed")


def _on_session_expired(obj: Mapping[str, Any]) -> str:
    """checkout.session.expired: nobody paid in time, so release the stock."""
    order = _order_for_session(SessionFields.read(obj))
    if order is None:
        return "unknown order"
    return _end_unpaid(order.id, "expire", "The card payment page expired.", "expired")


def _end_unpaid(order_id: int, move: str, note: str, payment_status: str) -> str:
    """Expire or cancel an order if it is still unpaid, releasing its stock."""
    status = current_status(order_id)
    if status != "pending_payment":
        return f"already {status}"
    close_unpaid(order_id, move, note=note, payment_status=payment_status)
    return orders.TRANSITIONS[move].target


def _on_charge_refunded(charge: Mapping[str, Any]) -> str:
    """charge.refunded: record the total refunded so far (an absolute, so replays are harmless)."""
    # Every field is read (and type-checked) first, so a malformed event is refused whatever
    # the shop holds.
    intent, refunded = (
        text_field(charge, "payment_intent"),
        whole_field(charge, "amount_refunded") or 0,
    )
    if not intent:
        return "no payment intent"
    payment = db.session.execute(
        select(Payment).where(Payment.provider == "stripe", Payment.payment_intent_id == intent)
    ).scalar_one_or_none()
    if payment is None:
        return "unknown payment"
    return record_refunded_total(payment, refunded, "Refund recorded by Stripe")


def _on_refund_updated(refund: Mapping[str, Any]) -> str:
    """refund.created / refund.updated / refund.failed: keep our refund row's status in step."""
    refund_id, stripe_status = text_field(refund, "id"), text_field(refund, "status")
    row = db.session.execute(
        select(Refund).where(Refund.provider_reference == (refund_id or ""))
    ).scalar_one_or_none()
    if row is None:
        return "unknown refund"
    new_status = {"succeeded": "succeeded", "failed": "failed", "canceled": "failed"}.get(
        stripe_status, "pending"
    )
    if row.status != new_status and row.status != "failed":
        row.status = new_status
        _note(row.order_id, f"Refund {row.id} is {new_status}.")
    return f"refund {new_status}"


EVENT_HANDLERS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "checkout.session.completed": _on_session_completed,
    "checkout.session.async_payment_succeeded": _on_async_succeeded,
    "checkout.session.async_payment_failed": _on_async_failed,
    "checkout.session.expired": _on_session_expired,
    "charge.refunded": _on_charge_refunded,
    "refund.created": _on_refund_updated,
    "refund.updated": _on_refund_updated,
    "refund.failed": _on_refund_updated,
}
