"""The order state machine: statuses, the table of moves, and the one transition function."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from sqlalchemy import select, update

from models import Order, OrderEvent, db
from shop import clock

ORDER_STATUS_LABELS = {
    "pending_payment": "Awaiting payment",
    "paid": "Paid",
    "ready_for_collection": "Ready to collect",
    "shipped": "Shipped",
    "completed": "Completed",
    "expired": "Expired",
    "cancelled": "Cancelled",
    "refunded": "Refunded",
    "partially_refunded": "Partly refunded",
}
# How a status reads inside "A ... order cannot be ...".
_STATUS_ADJECTIVES = {
    "pending_payment": "n unpaid",
    "paid": " paid",
    "ready_for_collection": " ready-to-collect",
    "shipped": " shipped",
    "completed": " completed",
    "expired": "n expired",
    "cancelled": " cancelled",
    "refunded": " refunded",
    "partially_refunded": " partly refunded",
}


class Move(NamedTuple):
    """One named status change: the statuses it may start from, the one it ends in, its verb."""

    sources: frozenset[str]
    target: str
    verb: str  # reads in "A shipped order cannot be <verb>."


_REFUNDABLE = frozenset(
    {"paid", "ready_for_collection", "shipped", "completed", "partially_refunded"}
)
_UNPAID = frozenset({"pending_payment"})
# The order state machine, declared once: every status change names one of these moves.
TRANSITIONS: dict[str, Move] = {
    "pay": Move(_UNPAID, "paid", "paid"),
    "make_ready": Move(frozenset({"paid"}), "ready_for_collection", "made ready to collect"),
    "ship": Move(frozenset({"paid"}), "shipped", "shipped"),
    "deliver": Move(frozenset({"shipped"}), "completed", "marked delivered"),
    "collect": Move(frozenset({"paid", "ready_for_collection"}), "completed", "collected"),
    # Pay-at-clinic orders are often paid at the desk in the same moment they are collected.
    "collect_and_pay": Move(
        frozenset({"pending_payment", "paid", "ready_for_collection"}), "completed", "collected"
    ),
    "cancel": Move(_UNPAID, "cancelled", "cancelled"),
    "expire": Move(_UNPAID, "expired", "expired"),
    "refund": Move(_REFUNDABLE, "refunded", "refunded"),
    "refund_in_part": Move(_REFUNDABLE, "partially_refunded", "refunded"),
}
REFUNDABLE_STATUSES = TRANSITIONS["refund"].sources


class OrderError(Exception):
    """An order action that cannot be done; the message is fit to show."""


class IllegalTransition(OrderError):
    """The order's status does not allow this change."""


class OrderNotFound(OrderError):
    """No order has that id or reference."""


def record_event(
    order_id: int,
    from_status: str | None,
    to_status: str | None,
    note: str = "",
    user_id: int | None = None,
) -> None:
    """Add one step to the order's history (committed with the change)."""
    db.session.add(
        OrderEvent(
            order_id=order_id,
            from_status=from_status,
            to_status=to_status,
            note=note,
            user_id=user_id,
        )
    )


def current_status(order_id: int) -> str:
    """Read the order's status, locking its row (PostgreSQL) so the check and update agree."""
    status = db.session.execute(
        select(Order.status).where(Order.id == order_id).with_for_update()
    ).scalar_one_or_none()
    if status is None:
        raise OrderNotFound("We could not find that order.")
    return status


def _illegal(status: str, action: str) -> IllegalTransition:
    """Build the error for `action` refused in `status`."""
    return IllegalTransition(
        f"A{_STATUS_ADJECTIVES.get(status, ' ' + status)} order cannot be {action}."
    )


def transition(
    order_id: int,
    move: str,
    *,
    note: str = "",
    user_id: int | None = None,
    extra_where: Callable | None = None,
    values: dict | None = None,
    check: Callable[[], None] | None = None,
) -> str:
    """Make the named move of TRANSITIONS with one conditional UPDATE; returns the old status.

    Raises IllegalTransition when the status (read under a row lock) does not allow it.
    Runs inside the caller's transaction; the caller commits.
    """
    sources, to_status, verb = TRANSITIONS[move]
    status = current_status(order_id)
    if status not in sources:
        raise _illegal(status, verb)
    if check is not None:
        check()  # further rules (fulfilment, payment method), once the status is known to fit
    table = Order.__table__
    # WHERE status = the status just read: of two racing callers only one can match.
    statement = (
        update(table)
        .where(table.c.id == order_id, table.c.status == status)
        .values(status=to_status, updated_at=clock.utc_now(), **(values or {}))
    )
    if extra_where is not None:
        statement = statement.where(extra_where(table))
    if db.session.execute(statement).rowcount != 1:
        raise _illegal(status, verb)
    record_event(order_id, status, to_status, note, user_id)
    return status
