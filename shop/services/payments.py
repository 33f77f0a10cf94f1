"""Payments: the gateway interface, Stripe hosted Checkout, pay at the clinic, webhooks, refunds.

Card data never reaches the shop: the customer pays on Stripe's page and the signed webhook
tells the shop. The success page only shows state; the webhook changes it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import stripe
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from models import (
    Order,
    OrderLine,
    Payment,
    ProcessedEvent,
    Refund,
    StockAllocation,
    StockLot,
    StockMovement,
    db,
)
from shop import clock
from shop.services import orders
from shop.services.basket import BasketStore
from shop.services.orders import CheckoutDetails, OrderError
from shop.services.orders.lifecycle import close_unpaid, record_payment
from shop.services.orders.states import current_status, record_event, transition
from shop.services.orders.stock import release_held
from shop.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """The payment provider could not be reached or refused the request."""


class WebhookSignatureError(Exception):
    """A webhook's signature is missing, wrong, too old or dated in the future."""


class MalformedEvent(Exception):
    """A correctly signed webhook whose body is not an event the shop can read."""


@dataclass(frozen=True)
class HostedCheckout:
    """Where to send the customer to pay, and the provider's id for that page."""

    session_id: str
    url: str


class PaymentGateway(Protocol):
    """What the shop needs from a way of taking money."""

    provider: str

    def refund(self, payment: Payment, amount_pence: int, idempotency_key: str) -> str | None:
        """Give `amount_pence` back; returns the provider's refund id (None for the desk)."""


class ClinicGateway:
    """Payment taken in person at the clinic desk: nothing to call, staff record it."""

    provider = "clinic"

    def refund(self, payment: Payment, amount_pence: int, idempotency_key: str) -> str | None:
        """Refunds of desk payments are handed back at the desk; nothing to call."""
        return None


class StripeGateway:
    """Stripe through the official SDK's StripeClient, with a configurable API base."""

    provider = "stripe"

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        *,
        api_base: str = "",
        tolerance: int = 300,
        max_network_retries: int = 2,
    ) -> None:
        base_addresses = {"api": api_base.rstrip("/")} if api_base else None
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses=base_addresses,
            max_network_retries=max_network_retries,
        )
        self.webhook_secret = webhook_secret
        self.tolerance = tolerance

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeGateway:
        """Build the gateway from the app settings."""
        return cls(
            config["STRIPE_SECRET_KEY"],
            config["STRIPE_WEBHOOK_SECRET"],
            api_base=config["STRIPE_API_BASE"],
            tolerance=config["STRIPE_WEBHOOK_TOLERANCE"],
        )

    def create_checkout(
        self, order: Order, *, success_url: str, cancel_url: str, expires_at: datetime
    ) -> HostedCheckout:
        """Open a hosted Checkout Session for the order (idempotent per order)."""
        line_items = [
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": line.unit_price_pence,
                    "product_data": {"name": line.name},
                },
            }
            for line in order.lines
        ]
        if order.delivery_pence:
            line_items.append(
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": order.currency.lower(),
                        "unit_amount": order.delivery_pence,
                        "product_data": {"name": "UK delivery"},
                    },
                }
            )
        params = {
            "mode": "payment",
            "line_items": line_items,
            "client_reference_id": order.reference,
            "metadata": {"order_reference": order.reference},
            "payment_intent_data": {"metadata": {"order_reference": order.reference}},
            "customer_email": order.email,
            "expires_at": int(expires_at.timestamp()),
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{order.reference}"}
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error.user_message or error)) from error
        return HostedCheckout(session_id=session.id, url=session.url)

    def expire_checkout(self, session_id: str) -> None:
        """Close a Checkout Session so it can no longer be paid."""
        try:
            self.client.v1.checkout.sessions.expire(session_id)
        except stripe.StripeError as error:
            raise GatewayError(str(error.user_message or error)) from error

    def refund(self, payment: Payment, amount_pence: int, idempotency_key: str) -> str | None:
        """Refund part or all of a card payment; the idempotency key makes retries safe."""
        if not payment.payment_intent_id:
            raise GatewayError("This card payment has no payment intent to refund.")
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment.payment_intent_id,
                    "amount": amount_pence,
                    "metadata": {"order_reference": payment.order.reference},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error.user_message or error)) from error
        return refund.id

    def verify_webhook(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """Check the signature on the raw body and return the event as plain data.

        Raises WebhookSignatureError for a bad signature or one dated more than the tolerance
        away from now in either direction, MalformedEvent for a signed body that is not an
        event with an id, a type and a data object.
        """
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature, self.webhook_secret, self.tolerance
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise WebhookSignatureError(str(error)) from error
        # Stripe's SDK only refuses old signatures; one dated ahead could be replayed for as
        # long as it stays "recent", so it is refused too.
        if _signed_at(signature) > time.time() + self.tolerance:
            raise WebhookSignatureError("The signature is dated in the future.")
        try:
            event = json.loads(payload)
        except (ValueError, RecursionError) as error:
            raise MalformedEvent("The body is not JSON.") from error
        return _checked_event(event)


def _signed_at(signature: str) -> int:
    """Return the timestamp of a Stripe-Signature header already verified (Stripe's own reading)."""
    for item in signature.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            return int(value)
    raise WebhookSignatureError("The signature has no timestamp.")


def _checked_event(event: Any) -> dict[str, Any]:
    """Return the event if it has the shape every handler relies on, else raise MalformedEvent."""
    if not isinstance(event, dict):
        raise MalformedEvent("The event is not a JSON object.")
    if not _text(event, "id") or not _text(event, "type", max_length=120):
        raise MalformedEvent("The event has no id or type.")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("The event has no data object.")
    return event


def _text(obj: Mapping[str, Any], key: str, *, max_length: int = 255) -> str | None:
    """Read an optional string field of an event, refusing any other type (MalformedEvent)."""
    value = obj.get(key)
    if value is None:
        return None
    # Lengths match the columns the values are stored in; PostgreSQL refuses NUL in text.
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        raise MalformedEvent(f"The event's {key} is not a valid string.")
    return value


def _whole(obj: Mapping[str, Any], key: str) -> int | None:
    """Read an optional whole-number field of an event, refusing any other type."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent(f"The event's {key} is not a whole number.")
    return value


def _mapping(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """Read an optional object field of an event (empty when missing), refusing other types."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedEvent(f"The event's {key} is not an object.")
    return value


def stripe_gateway() -> StripeGateway | None:
    """Return the Stripe gateway when card payments are configured, else None."""
    if not orders.card_payments_enabled():
        return None
    return StripeGateway.from_config(current_app.config)


def gateway_for(provider: str) -> PaymentGateway:
    """Return the gateway that took a payment."""
    if provider == "stripe":
        gateway = stripe_gateway()
        if gateway is None:
            raise GatewayError("Card payments are not configured, so they cannot be refunded.")
        return gateway
    return ClinicGateway()


# --- Checkout ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutOutcome:
    """The placed order and, for card payments, the page to pay on."""

    order: Order
    payment_url: str | None = None


def place_and_pay(
    store: BasketStore,
    details: CheckoutDetails,
    return_urls: Callable[[str], tuple[str, str]],
    *,
    now: datetime | None = None,
) -> CheckoutOutcome:
    """Place the order (holding its stock) and, for card payments, open Stripe's page.

    `return_urls(reference)` gives the absolute success and cancel addresses. If Stripe cannot
    be reached the order is cancelled at once, its stock released, and GatewayError raised.
    """
    now = now or clock.utc_now()
    order = orders.place_order(store, details, now=now)
    if order.payment_method != "card":
        return CheckoutOutcome(order)
    gateway = stripe_gateway()
    success_url, cancel_url = return_urls(order.reference)
    try:
        if gateway is None:
            raise GatewayError("Card payments are not configured.")
        hosted = gateway.create_checkout(
            order,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=clock.local(order.reserved_until),
        )
    except GatewayError:
        log.warning("Could not open a card checkout for order %s", order.reference)
        orders.cancel_order(order.id, note="Card payment page could not be opened")
        raise
    with unit_of_work():
        payment = orders.latest_payment(order.id)
        payment.provider_reference = hosted.session_id
        payment.checkout_url = hosted.url
    return CheckoutOutcome(order, hosted.url)


def resume_url(order: Order, now: datetime | None = None) -> str | None:
    """Return the Stripe page where an unpaid card order can still be paid, if any."""
    now = now or clock.utc_now()
    if order.payment_method != "card" or order.status != "pending_payment":
        return None
    if clock.local(order.reserved_until) <= now:
        return None
    payment = orders.latest_payment(order.id)
    return payment.checkout_url if payment is not None else None


def cancel_unpaid_order(order_id: int, *, user_id: int | None = None) -> None:
    """Let the buyer cancel an order they have not paid: close its card page, free its stock.

    The Stripe session is expired first, so it can no longer be paid; if Stripe refuses (the
    payment has just gone through, or Stripe is unreachable) nothing changes and GatewayError
    says why. Paid orders raise IllegalTransition: the clinic refunds those.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise orders.OrderNotFound(order_id)
    if order.status != "pending_payment":
        raise orders.IllegalTransition(
            "Only an order that is not paid yet can be cancelled here; please call the clinic "
            "about a paid order."
        )
    payment = orders.latest_payment(order.id)
    if (
        order.payment_method == "card"
        and payment is not None
        and payment.provider == "stripe"
        and payment.status == "pending"
        and payment.provider_reference
    ):
        gateway = stripe_gateway()
        if gateway is None:
            raise GatewayError("Card payments are not configured, so this order cannot be closed.")
        gateway.expire_checkout(payment.provider_reference)
    orders.cancel_order(order.id, note="Cancelled by the customer", user_id=user_id)


# --- Webhooks ------------------------------------------------------------------------------


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
            obj = _mapping(_mapping(event, "data"), "object")
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
            id=_text(session, "id"),
            reference=_text(session, "client_reference_id")
            or _text(_mapping(session, "metadata"), "order_reference"),
            payment_intent=_text(session, "payment_intent"),
            payment_status=_text(session, "payment_status"),
            amount_total=_whole(session, "amount_total"),
            currency=(_text(session, "currency") or "").upper(),
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
    intent, refunded = _text(charge, "payment_intent"), _whole(charge, "amount_refunded") or 0
    if not intent:
        return "no payment intent"
    payment = db.session.execute(
        select(Payment).where(Payment.provider == "stripe", Payment.payment_intent_id == intent)
    ).scalar_one_or_none()
    if payment is None:
        return "unknown payment"
    return _record_refunded_total(payment, refunded, "Refund recorded by Stripe")


def _record_refunded_total(payment: Payment, refunded: int, note: str) -> str:
    """Raise the order's refunded amount to `refunded` (never lowers it) and set the status.

    A full refund also releases every unit the order still holds.
    """
    order = db.session.get(Order, payment.order_id)
    refunded = min(refunded, order.total_pence)
    status = current_status(order.id)
    # A refunded order holds its whole total as refunded, so any replay is already recorded.
    if status not in orders.REFUNDABLE_STATUSES and status != "refunded":
        return f"not refundable ({status})"
    if refunded <= order.refunded_pence:
        return "already recorded"
    move = "refund" if refunded >= order.total_pence else "refund_in_part"
    try:
        transition(
            order.id,
            move,
            note=note,
            values={"refunded_pence": refunded},
            # Never lowers the amount: a replayed or out-of-order event matches no row.
            extra_where=lambda table: table.c.refunded_pence < refunded,
        )
    except orders.IllegalTransition:
        return "already recorded"
    to_status = orders.TRANSITIONS[move].target
    payment.status = "refunded" if to_status == "refunded" else "partially_refunded"
    if to_status == "refunded":
        # A fully refunded order is over: units it still holds (never handed over) go back
        # on sale, whichever way the refund arrived (staff, or Stripe's own dashboard).
        released = release_held(order.id)
        if released:
            record_event(order.id, None, None, f"Released {released} held units")
    return to_status


def _on_refund_updated(refund: Mapping[str, Any]) -> str:
    """refund.created / refund.updated / refund.failed: keep our refund row's status in step."""
    refund_id, stripe_status = _text(refund, "id"), _text(refund, "status")
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


# --- Refunds -------------------------------------------------------------------------------


class RefundError(OrderError):
    """A refund that cannot be made; the message is fit to show to staff."""


def refund_order(
    order_id: int,
    lines: Mapping[int, int],
    *,
    restock: bool,
    user_id: int | None = None,
    reason: str = "",
    include_delivery: bool = False,
) -> Refund:
    """Refund some quantities of an order's lines (and the delivery charge); commits.

    The gateway is called with an idempotency key derived from the order and the number of
    refunds before this one, so a retry after a crash cannot refund twice. With `restock`,
    units still held go back on sale and units already sold come back as a return movement.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise RefundError("We could not find that order.")
    if order.status not in orders.REFUNDABLE_STATUSES:
        raise RefundError(
            f"A {orders.ORDER_STATUS_LABELS[order.status].lower()} order cannot be refunded."
        )
    order_lines = {line.id: line for line in order.lines}
    amount = 0
    for line_id, quantity in lines.items():
        line = order_lines.get(line_id)
        if line is None:
            raise RefundError("That line is not on this order.")
        if quantity < 0 or quantity > line.quantity - line.refunded_quantity:
            raise RefundError(
                f"You can refund at most {line.quantity - line.refunded_quantity} of {line.name}."
            )
        amount += line.unit_price_pence * quantity
    if include_delivery:
        amount += order.delivery_pence
    amount = min(amount, order.total_pence - order.refunded_pence)
    if amount <= 0:
        raise RefundError("Choose something to refund.")

    payment = db.session.execute(
        select(Payment)
        .where(
            Payment.order_id == order.id, Payment.status.in_(("succeeded", "partially_refunded"))
        )
        .order_by(Payment.id.desc())
        .limit(1)
    ).scalar_one_or_none()
    if payment is None:
        raise RefundError("This order has no payment to refund.")
    previous = db.session.execute(select(Refund.id).where(Refund.order_id == order.id)).all()
    key = f"refund-{order.reference}-{len(previous) + 1}"
    provider_reference = gateway_for(payment.provider).refund(payment, amount, key)

    with unit_of_work():
        # Lock the order first, as every transition does, then check it is still refundable.
        if current_status(order.id) not in orders.REFUNDABLE_STATUSES:
            raise RefundError("The order changed while refunding; please look again.")
        refund = Refund(
            order_id=order.id,
            payment_id=payment.id,
            amount_pence=amount,
            status="succeeded",
            provider_reference=provider_reference,
            idempotency_key=key,
            lines=[
                {"order_line_id": line_id, "quantity": quantity, "restock": restock}
                for line_id, quantity in lines.items()
                if quantity
            ],
            reason=reason,
            created_by_id=user_id,
        )
        db.session.add(refund)
        line_table = OrderLine.__table__
        for line_id, quantity in lines.items():
            if not quantity:
                continue
            result = db.session.execute(
                update(line_table)
                .where(
                    line_table.c.id == line_id,
                    line_table.c.refunded_quantity + quantity <= line_table.c.quantity,
                )
                .values(refunded_quantity=line_table.c.refunded_quantity + quantity)
            )
            if result.rowcount != 1:
                raise RefundError("Those units were refunded at the same time by someone else.")
            if restock:
                _restock_line(order_lines[line_id], quantity, order.reference, user_id)
        outcome = _record_refunded_total(
            payment, order.refunded_pence + amount, f"Refunded {amount} pence. {reason}".strip()
        )
        if outcome.startswith("not refundable") or outcome == "already recorded":
            raise RefundError("The order changed while refunding; please look again.")
    return refund


def _restock_line(line: OrderLine, quantity: int, reference: str, user_id: int | None) -> None:
    """Put `quantity` of a line back on sale: release held units, or book returned ones."""
    per_unit: dict[int, int] = {}
    if line.kind == "product":
        per_unit[line.product_id] = 1
    else:
        for item in line.kit.items:
            per_unit[item.product_id] = item.quantity
    lots = StockLot.__table__
    allocation_table = StockAllocation.__table__
    # Latest expiry first: the freshest units are the ones worth putting back on sale.
    allocations = sorted(
        line.allocations, key=lambda a: (a.product_id, a.lot.expiry_date, a.lot_id), reverse=True
    )
    for product_id, units_each in per_unit.items():
        units = units_each * quantity
        for allocation in allocations:
            if units == 0:
                break
            if allocation.product_id != product_id or allocation.state not in ("held", "committed"):
                continue
            take = min(units, allocation.quantity)
            if allocation.state == "held":
                db.session.execute(
                    update(lots)
                    .where(lots.c.id == allocation.lot_id, lots.c.quantity_reserved >= take)
                    .values(quantity_reserved=lots.c.quantity_reserved - take)
                )
                new_state = "released"
            else:
                db.session.execute(
                    update(lots)
                    .where(lots.c.id == allocation.lot_id)
                    .values(quantity_on_hand=lots.c.quantity_on_hand + take)
                )
                db.session.add(
                    StockMovement(
                        lot_id=allocation.lot_id,
                        product_id=product_id,
                        kind="return",
                        quantity=take,
                        reason=f"Refund of order {reference}",
                        user_id=user_id,
                        order_id=line.order_id,
                    )
                )
                new_state = "returned"
            if take == allocation.quantity:
                db.session.execute(
                    update(allocation_table)
                    .where(allocation_table.c.id == allocation.id)
                    .values(state=new_state, updated_at=clock.utc_now())
                )
            else:
                db.session.execute(
                    update(allocation_table)
                    .where(allocation_table.c.id == allocation.id)
                    .values(quantity=allocation_table.c.quantity - take, updated_at=clock.utc_now())
                )
            units -= take
