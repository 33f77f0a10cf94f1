"""An order after it is placed: paid, ready, shipped, delivered, collected, cancelled, expired."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from models import Order, db
from shop import clock
from shop.services.orders.placing import queue_confirmation
from shop.services.orders.queries import get_order, latest_payment
from shop.services.orders.states import (
    IllegalTransition,
    OrderError,
    current_status,
    record_event,
    transition,
)
from shop.services.orders.stock import commit_held, release_held
from shop.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

# How money taken at the clinic desk is named on the order page, in emails and the audit log.
DESK_PAYMENT_LABELS = {"card": "Card at the desk", "cash": "Cash"}
# ... and how it reads inside a sentence ("paid at the clinic desk by card").
DESK_PAYMENT_PHRASES = {"card": "by card", "cash": "in cash"}

# Card sessions may complete a moment before they expire; keep their stock a little longer.
CARD_EXPIRY_GRACE = timedelta(minutes=10)


def mark_paid(
    order_id: int,
    *,
    note: str = "Payment received",
    user_id: int | None = None,
    provider_reference: str | None = None,
    payment_intent_id: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Record that an unpaid order is paid; commits. Returns False if it was already paid.

    Safe to call twice or concurrently: only the call that moves it from pending_payment
    changes anything (and queues the confirmation email).
    """
    now = now or clock.utc_now()

    def work() -> bool:
        status = current_status(order_id)
        if status in ("paid", "ready_for_collection", "shipped", "completed") or status in (
            "refunded",
            "partially_refunded",
        ):
            return False
        record_payment(
            order_id,
            note=note,
            paid_at=now,
            user_id=user_id,
            provider_reference=provider_reference,
            payment_intent_id=payment_intent_id,
        )
        return True

    with unit_of_work():
        changed = work()
    return bool(changed)


def record_payment(
    order_id: int,
    *,
    note: str,
    paid_at: datetime,
    user_id: int | None = None,
    provider_reference: str | None = None,
    payment_intent_id: str | None = None,
) -> None:
    """Move an unpaid order to paid, settle its payment and queue the confirmation email.

    Runs inside the caller's transaction (mark_paid's, or a webhook's); the caller commits.
    """
    transition(order_id, "pay", note=note, user_id=user_id, values={"paid_at": paid_at})
    _settle_payment(order_id, "succeeded", provider_reference, payment_intent_id)
    order = get_order(order_id)
    db.session.refresh(order)
    queue_confirmation(order)


def _settle_payment(
    order_id: int,
    status: str,
    provider_reference: str | None = None,
    payment_intent_id: str | None = None,
) -> None:
    """Update the order's latest payment attempt (in the current transaction)."""
    payment = latest_payment(order_id)
    if payment is None:
        return
    payment.status = status
    if provider_reference and not payment.provider_reference:
        payment.provider_reference = provider_reference
    if payment_intent_id:
        payment.payment_intent_id = payment_intent_id


def mark_ready_for_collection(order_id: int, *, user_id: int | None = None) -> None:
    """Say a click-and-collect order is packed and waiting at the clinic; commits.

    A paid order moves to ready_for_collection. A pay-at-clinic order stays awaiting payment
    (the money is taken when it is collected) and only records when it was made ready; both
    are one conditional UPDATE, so doing it twice, or twice at once, is refused.
    """

    def work() -> None:
        order = get_order(order_id)
        if order.fulfilment != "collect":
            raise IllegalTransition("Only click-and-collect orders can be ready to collect.")
        now = clock.utc_now()
        if order.payment_method == "clinic" and current_status(order_id) == "pending_payment":
            _make_unpaid_order_ready(order_id, now, user_id)
            return
        transition(
            order_id,
            "make_ready",
            note="Ready to collect",
            user_id=user_id,
            values={"packed_at": now, "ready_at": now},
        )

    with unit_of_work():
        work()


def _make_unpaid_order_ready(order_id: int, now: datetime, user_id: int | None) -> None:
    """Record that an unpaid pay-at-clinic order is ready (its status stays pending_payment)."""
    table = Order.__table__
    result = db.session.execute(
        update(table)
        .where(
            table.c.id == order_id,
            table.c.status == "pending_payment",
            table.c.ready_at.is_(None),
        )
        .values(ready_at=now, packed_at=now, updated_at=now)
    )
    if result.rowcount != 1:
        raise IllegalTransition("This order is already ready to collect; the customer was told.")
    record_event(order_id, None, None, "Ready to collect; to be paid at the desk", user_id)


def mark_shipped(order_id: int, tracking: str = "", *, user_id: int | None = None) -> None:
    """Record that a paid delivery order has left the shop, committing its stock; commits."""

    def work() -> None:
        order = get_order(order_id)

        def delivery_only() -> None:
            if order.fulfilment != "delivery":
                raise IllegalTransition("Only delivery orders can be shipped.")

        now = clock.utc_now()
        transition(
            order_id,
            "ship",
            note=f"Shipped{', tracking ' + tracking if tracking else ''}",
            user_id=user_id,
            values={"tracking_reference": tracking[:80], "shipped_at": now, "packed_at": now},
            check=delivery_only,
        )
        commit_held(order_id, order.reference, user_id)

    with unit_of_work():
        work()


def mark_delivered(order_id: int, *, user_id: int | None = None) -> None:
    """Close a shipped order once it has arrived; commits."""
    with unit_of_work():
        transition(
            order_id,
            "deliver",
            note="Delivered",
            user_id=user_id,
            values={"completed_at": clock.utc_now()},
        )


def mark_collected(
    order_id: int, *, user_id: int | None = None, desk_method: str | None = None
) -> None:
    """The patient collected the order at the clinic; commits the stock and completes it.

    For pay-at-clinic orders still awaiting payment this also books the payment taken at the
    desk, which needs `desk_method` ("card" or "cash"). The order row is locked and moved with
    one conditional UPDATE, so of two staff confirming at once only one books the payment.
    """

    def work() -> None:
        order = get_order(order_id)

        def collect_only() -> None:
            if order.fulfilment != "collect":
                raise IllegalTransition("Only click-and-collect orders can be collected.")

        # A delivery order takes the wider move too, so it is refused for its fulfilment
        # ("Only click-and-collect ...") rather than for being unpaid.
        move = (
            "collect_and_pay"
            if order.payment_method == "clinic" or order.fulfilment != "collect"
            else "collect"
        )
        now = clock.utc_now()
        previous = transition(
            order_id,
            move,
            note="Collected at the clinic",
            user_id=user_id,
            values={"completed_at": now},
            check=collect_only,
        )
        if previous == "pending_payment":
            if desk_method not in DESK_PAYMENT_LABELS:
                raise OrderError("Choose how the customer paid: card at the desk or cash.")
            db.session.execute(
                update(Order.__table__).where(Order.__table__.c.id == order_id).values(paid_at=now)
            )
            _settle_payment(order_id, "succeeded")
            payment = latest_payment(order_id)
            if payment is not None:
                payment.desk_method = desk_method
            phrase = DESK_PAYMENT_PHRASES[desk_method]
            record_event(order_id, None, None, f"Paid at the clinic desk {phrase}", user_id)
        commit_held(order_id, order.reference, user_id)

    with unit_of_work():
        work()


def mark_paid_at_clinic(order_id: int, *, user_id: int | None = None) -> bool:
    """Record payment taken at the desk for a pay-at-clinic order before it is collected."""
    order = get_order(order_id)
    if order.payment_method != "clinic":
        raise IllegalTransition("Only pay-at-clinic orders are paid at the desk.")
    return mark_paid(order_id, note="Paid at the clinic desk", user_id=user_id)


def cancel_order(order_id: int, *, note: str = "Cancelled", user_id: int | None = None) -> None:
    """Cancel an unpaid order and release its stock; commits. Paid orders are refunded instead."""

    def work() -> None:
        status = current_status(order_id)
        if status in ("paid", "ready_for_collection"):
            raise IllegalTransition("A paid order cannot be cancelled; refund it instead.")
        close_unpaid(order_id, "cancel", note=note, payment_status="failed", user_id=user_id)

    with unit_of_work():
        work()


def close_unpaid(
    order_id: int, move: str, *, note: str, payment_status: str, user_id: int | None = None
) -> None:
    """Cancel or expire an unpaid order (`move`), close its payment and release its stock.

    Runs inside the caller's transaction; the caller commits.
    """
    transition(order_id, move, note=note, user_id=user_id)
    _settle_payment_if_pending(order_id, payment_status)
    release_held(order_id)


def _settle_payment_if_pending(order_id: int, status: str) -> None:
    """Close the latest payment attempt if it is still pending."""
    payment = latest_payment(order_id)
    if payment is not None and payment.status == "pending":
        payment.status = status


def expire_order(order_id: int, *, note: str = "Reservation expired") -> bool:
    """Expire an unpaid order and release its stock; commits. False if it was no longer unpaid.

    Safe to run concurrently with itself, the webhook and payment: exactly one wins.
    """

    def work() -> bool:
        status = current_status(order_id)
        if status != "pending_payment":
            return False
        close_unpaid(order_id, "expire", note=note, payment_status="expired")
        return True

    with unit_of_work():
        changed = work()
    return bool(changed)


def stale_order_ids(now: datetime, limit: int = 500) -> list[int]:
    """Return unpaid orders whose hold has run out (card orders after a short grace)."""
    rows = db.session.execute(
        select(Order.id, Order.payment_method, Order.reserved_until)
        .where(Order.status == "pending_payment", Order.reserved_until < now)
        .order_by(Order.reserved_until, Order.id)
        .limit(limit)
    ).all()
    db.session.rollback()  # end the read transaction before each order gets its own
    return [
        row.id
        for row in rows
        # The grace comes off `now` (UTC): adding it to a local time would count wall-clock
        # minutes, an hour out across a change of the clocks.
        if row.payment_method != "card" or clock.local(row.reserved_until) < now - CARD_EXPIRY_GRACE
    ]


def expire_stale_orders(now: datetime | None = None, limit: int = 500) -> int:
    """Expire every unpaid order whose reservation has lapsed; returns how many it expired.

    Each order is its own transaction and a conditional update, so this is safe on a schedule
    and when several copies run at once (or race the payment webhook).
    """
    now = now or clock.utc_now()
    expired = 0
    for order_id in stale_order_ids(now, limit):
        try:
            note = "Reservation lapsed"
            if expire_order(order_id, note=note):
                expired += 1
        except OrderError:
            log.exception("Could not expire order %s", order_id)
    return expired
