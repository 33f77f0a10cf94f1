"""Orders: placing them with all-or-nothing stock reservation, and every status transition.

Stock is never checked in Python and then decremented: each lot is changed by one conditional
UPDATE whose WHERE clause re-checks the quantity, and the row count says whether it worked.
Lots are always touched in one fixed order (product id, expiry date, lot id) so concurrent
transactions cannot deadlock. Each status change is one conditional UPDATE on the status.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import NamedTuple

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from models import (
    Kit,
    KitItem,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Recommendation,
    StockAllocation,
    StockLot,
    StockMovement,
    db,
)
from shop import clock
from shop.money import vat_included
from shop.services.basket import BasketStore, PricedBasket, price_basket, shortage_message
from shop.services.inventory import sellable_by_product
from shop.services.notifications import queue_email
from shop.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
REFERENCE_LENGTH = 10
# Card sessions may complete a moment before they expire; keep their stock a little longer.
CARD_EXPIRY_GRACE = timedelta(minutes=10)
# Stripe refuses Checkout Sessions that expire sooner than this.
MIN_CHECKOUT_MINUTES = 30
STANDARD_VAT_BP = 2000

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


class EmptyBasket(OrderError):
    """There is nothing to order."""


class PaymentMethodUnavailable(OrderError):
    """The chosen payment method cannot be used for this order."""


class InsufficientStock(OrderError):
    """A line cannot be covered by the stock; the whole order was rolled back."""

    def __init__(self, item_name: str, available: int, message: str | None = None) -> None:
        self.item_name = item_name
        self.available = available
        super().__init__(message or shortage_message(item_name, available))


class IllegalTransition(OrderError):
    """The order's status does not allow this change."""


class OrderNotFound(OrderError):
    """No order has that id or reference."""


@dataclass(frozen=True)
class CheckoutDetails:
    """What the checkout form collected, already validated and normalised."""

    name: str
    email: str
    fulfilment: str  # collect | delivery
    payment_method: str  # card | clinic
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    town: str = ""
    postcode: str = ""
    user_id: int | None = None
    recommendation_id: int | None = None


def card_payments_enabled() -> bool:
    """Tell whether card payments are configured (both Stripe secrets set)."""
    config = current_app.config
    return bool(config["STRIPE_SECRET_KEY"] and config["STRIPE_WEBHOOK_SECRET"])


def payment_methods_for(fulfilment: str | None) -> list[str]:
    """Return the payment methods open to an order fulfilled this way."""
    methods = ["card"] if card_payments_enabled() else []
    if fulfilment in (None, "collect"):
        methods.append("clinic")
    return methods


def delivery_fee(subtotal_pence: int, fulfilment: str) -> int:
    """Return the delivery charge: a flat fee, free at or over the threshold, none to collect."""
    if fulfilment != "delivery":
        return 0
    config = current_app.config
    if subtotal_pence >= config["FREE_DELIVERY_THRESHOLD_PENCE"]:
        return 0
    return config["DELIVERY_FEE_PENCE"]


def new_reference() -> str:
    """Return a fresh, unguessable order reference such as 'LS-7KQ2M9XW4P'."""
    return "LS-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def checkout_minutes() -> int:
    """Return how long a card checkout holds stock, never less than Stripe allows."""
    return max(current_app.config["CHECKOUT_SESSION_MINUTES"], MIN_CHECKOUT_MINUTES)


def _record_event(
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


def place_order(
    store: BasketStore,
    details: CheckoutDetails,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> Order:
    """Turn the basket into an order awaiting payment, holding stock for every line; commits.

    Prices come from the database. All lines are reserved in one transaction or none are:
    any shortage raises InsufficientStock naming the item and nothing is changed.
    """
    now = now or clock.utc_now()
    # The clinic's date at that moment: a lot expiring today is not sold at 00:30 BST.
    today = today or clock.local(now).date()
    basket = price_basket(store.load(), today)
    if basket.is_empty:
        raise EmptyBasket("Your basket is empty.")
    for line in basket.lines:
        if line.problem:
            raise InsufficientStock(line.name, line.available, line.problem)
    if details.payment_method not in payment_methods_for(details.fulfilment):
        raise PaymentMethodUnavailable(
            "Paying at the clinic is only possible when you collect your order."
            if details.payment_method == "clinic"
            else "Card payments are not available at the moment."
        )
    with unit_of_work():
        order = _create_order(basket, details, now)
        _reserve_stock(order, basket, today)
        if details.payment_method == "clinic":
            _queue_confirmation(order)
        store.discard_after_order()
    log.info("Order %s placed (%s, %s)", order.reference, order.payment_method, order.fulfilment)
    return order


def _create_order(basket: PricedBasket, details: CheckoutDetails, now: datetime) -> Order:
    """Add the order, its lines and its pending payment to the session."""
    subtotal = basket.subtotal_pence
    delivery = delivery_fee(subtotal, details.fulfilment)
    if details.payment_method == "clinic":
        reserved_until = now + timedelta(days=current_app.config["COLLECTION_HOLD_DAYS"])
    else:
        reserved_until = now + timedelta(minutes=checkout_minutes())
    clinician_id = None
    if details.recommendation_id is not None:
        clinician_id = db.session.execute(
            select(Recommendation.clinician_id).where(
                Recommendation.id == details.recommendation_id
            )
        ).scalar_one_or_none()
    delivering = details.fulfilment == "delivery"
    order = Order(
        reference=new_reference(),
        user_id=details.user_id,
        email=details.email,
        name=details.name,
        phone=details.phone,
        fulfilment=details.fulfilment,
        address_line1=details.address_line1 if delivering else "",
        address_line2=details.address_line2 if delivering else "",
        town=details.town if delivering else "",
        postcode=details.postcode if delivering else "",
        status="pending_payment",
        payment_method=details.payment_method,
        subtotal_pence=subtotal,
        delivery_pence=delivery,
        total_pence=subtotal + delivery,
        vat_pence=basket.vat_pence + _delivery_vat(delivery),
        refunded_pence=0,
        currency=current_app.config["CURRENCY"],
        reserved_until=reserved_until,
        recommendation_id=details.recommendation_id if clinician_id is not None else None,
        clinician_id=clinician_id,
        placed_at=now,
    )
    for line in basket.lines:
        order.lines.append(
            OrderLine(
                kind=line.kind,
                product_id=line.product.id if line.product is not None else None,
                kit_id=line.kit.id if line.kit is not None else None,
                name=line.name,
                quantity=line.quantity,
                unit_price_pence=line.unit_price_pence,
                line_total_pence=line.line_total_pence,
                vat_pence=line.vat_pence,
            )
        )
    order.events.append(OrderEvent(from_status=None, to_status="pending_payment", note="Placed"))
    db.session.add(order)
    db.session.add(
        Payment(
            order=order,
            provider="stripe" if details.payment_method == "card" else "clinic",
            amount_pence=order.total_pence,
            currency=order.currency,
            status="pending",
        )
    )
    db.session.flush()
    return order


def _delivery_vat(delivery_pence: int) -> int:
    """VAT inside the delivery charge (standard rate: delivery follows the goods, all taxable)."""
    return vat_included(delivery_pence, STANDARD_VAT_BP)


def _reserve_stock(order: Order, basket: PricedBasket, today: date) -> None:
    """Hold stock for every line, first expiry first out, by conditional updates; all or nothing."""
    # (product id) -> [(order line, units still needed, basket line)] in line order.
    needs: dict[int, list[list]] = {}
    for order_line, line in zip(order.lines, basket.lines, strict=True):
        for product, units in line.components():
            needs.setdefault(product.id, []).append([order_line, units, line, product])
    lots = db.session.execute(
        select(
            StockLot.id, StockLot.product_id, StockLot.quantity_on_hand, StockLot.quantity_reserved
        )
        .where(StockLot.product_id.in_(needs), StockLot.expiry_date > today)
        .order_by(StockLot.product_id, StockLot.expiry_date, StockLot.id)
    ).all()
    lots_by_product: dict[int, list] = {}
    for lot in lots:
        lots_by_product.setdefault(lot.product_id, []).append(lot)

    for product_id in sorted(needs):
        wanted = needs[product_id]
        for lot in lots_by_product.get(product_id, []):
            remaining = sum(entry[1] for entry in wanted)
            if remaining == 0:
                break
            taken = _reserve_from_lot(
                lot.id, lot.quantity_on_hand - lot.quantity_reserved, remaining, today
            )
            # Share what this lot gave among the lines that need the product, in order.
            for entry in wanted:
                if taken == 0:
                    break
                share = min(entry[1], taken)
                if share:
                    # Added by id, not through the relationship, so nothing is lazy-loaded.
                    db.session.add(
                        StockAllocation(
                            order_line_id=entry[0].id,
                            product_id=product_id,
                            lot_id=lot.id,
                            quantity=share,
                            state="held",
                        )
                    )
                    entry[1] -= share
                    taken -= share
        short = [entry for entry in wanted if entry[1] > 0]
        if short:
            _raise_shortage(short[0][2], short[0][3], today)
    db.session.flush()


def _reserve_from_lot(lot_id: int, free_seen: int, wanted: int, today: date) -> int:
    """Hold up to `wanted` units of one lot; returns how many were held (maybe 0).

    The UPDATE re-checks free stock itself; when another buyer got there first it matches no
    row, and the free quantity is read again and retried (a few times at most).
    """
    free = free_seen
    for _attempt in range(5):
        take = min(wanted, free)
        if take <= 0:
            return 0
        result = db.session.execute(
            update(StockLot.__table__)
            .where(
                StockLot.__table__.c.id == lot_id,
                StockLot.__table__.c.quantity_on_hand - StockLot.__table__.c.quantity_reserved
                >= take,
                StockLot.__table__.c.expiry_date > today,
            )
            .values(quantity_reserved=StockLot.__table__.c.quantity_reserved + take)
        )
        if result.rowcount == 1:
            return take
        free = (
            db.session.execute(
                select(StockLot.quantity_on_hand - StockLot.quantity_reserved).where(
                    StockLot.id == lot_id, StockLot.expiry_date > today
                )
            ).scalar_one_or_none()
            or 0
        )
    return 0


def _raise_shortage(line, product, today: date) -> None:
    """Raise InsufficientStock for a basket line, saying how many are left now."""
    left = sellable_by_product([product.id], today)[product.id]
    if line.kit is None:
        raise InsufficientStock(line.name, max(left, 0))
    per_kit = next(item.quantity for item in line.kit.items if item.product_id == product.id)
    kits_left = max(left, 0) // per_kit
    message = (
        f"Sorry, {line.kit.name} is sold out ({product.name} has run out)."
        if kits_left == 0
        else shortage_message(line.kit.name, kits_left)
    )
    raise InsufficientStock(line.kit.name, kits_left, message)


def _queue_confirmation(order: Order) -> None:
    """Write the order confirmation email to the outbox in the current transaction."""
    config = current_app.config
    subject = (
        f"Your order {order.reference} is reserved for collection"
        if order.payment_method == "clinic" and order.status == "pending_payment"
        else f"Thank you for your order {order.reference}"
    )
    queue_email(
        order.email,
        subject,
        "order_confirmation",
        order=order,
        order_url=f"{config['PUBLIC_BASE_URL']}/orders/{order.reference}",
        clinic_address=config["CLINIC_ADDRESS"],
        clinic_phone=config["CLINIC_PHONE"],
        shop_name=config["SHOP_NAME"],
        reserved_until=clock.local(order.reserved_until),
        status_label=ORDER_STATUS_LABELS.get(order.status, order.status),
    )


# --- Reading orders -------------------------------------------------------------------------


def get_order_by_reference(reference: str) -> Order | None:
    """Return an order with its lines, products, kits and payments loaded, or None."""
    if not reference or len(reference) > 32:
        return None
    return db.session.execute(
        select(Order)
        .where(Order.reference == reference)
        .options(
            selectinload(Order.lines).selectinload(OrderLine.product),
            selectinload(Order.lines).selectinload(OrderLine.kit),
        )
    ).scalar_one_or_none()


def can_view_order(
    order: Order, placed_references: list[str] | tuple[str, ...], user_id: int | None
) -> bool:
    """Tell whether the visitor may see the order: they placed it here or own it."""
    if order.reference in placed_references:
        return True
    return user_id is not None and order.user_id == user_id


def latest_payment(order_id: int) -> Payment | None:
    """Return the order's most recent payment attempt."""
    return db.session.execute(
        select(Payment).where(Payment.order_id == order_id).order_by(Payment.id.desc()).limit(1)
    ).scalar_one_or_none()


# --- Stock release and commit ---------------------------------------------------------------


def _allocations(order_id: int, state: str) -> list[tuple[StockAllocation, StockLot]]:
    """Return the order's allocations in `state` with their lots, in the fixed locking order."""
    rows = db.session.execute(
        select(StockAllocation, StockLot)
        .join(StockLot, StockLot.id == StockAllocation.lot_id)
        .join(OrderLine, OrderLine.id == StockAllocation.order_line_id)
        .where(OrderLine.order_id == order_id, StockAllocation.state == state)
        .order_by(StockLot.product_id, StockLot.expiry_date, StockLot.id, StockAllocation.id)
    ).all()
    return [(allocation, lot) for allocation, lot in rows]


def _release_held(order_id: int) -> int:
    """Give back every unit the order holds (in the current transaction); returns units."""
    lots = StockLot.__table__
    allocations = StockAllocation.__table__
    released = 0
    for allocation, _lot in _allocations(order_id, "held"):
        moved = db.session.execute(
            update(allocations)
            .where(allocations.c.id == allocation.id, allocations.c.state == "held")
            .values(state="released", updated_at=clock.utc_now())
        )
        if moved.rowcount != 1:
            continue  # someone else released it in the meantime
        result = db.session.execute(
            update(lots)
            .where(lots.c.id == allocation.lot_id, lots.c.quantity_reserved >= allocation.quantity)
            .values(quantity_reserved=lots.c.quantity_reserved - allocation.quantity)
        )
        if result.rowcount != 1:
            raise OrderError(f"Lot {allocation.lot_id} holds less than the order's allocation.")
        released += allocation.quantity
    db.session.expire_all()
    return released


def _commit_held(order_id: int, reference: str, user_id: int | None) -> int:
    """Turn held units into sales: on-hand and reserved both drop, a sale movement per lot."""
    lots = StockLot.__table__
    allocations = StockAllocation.__table__
    sold = 0
    for allocation, lot in _allocations(order_id, "held"):
        moved = db.session.execute(
            update(allocations)
            .where(allocations.c.id == allocation.id, allocations.c.state == "held")
            .values(state="committed", updated_at=clock.utc_now())
        )
        if moved.rowcount != 1:
            continue
        result = db.session.execute(
            update(lots)
            .where(
                lots.c.id == allocation.lot_id,
                lots.c.quantity_reserved >= allocation.quantity,
                lots.c.quantity_on_hand >= allocation.quantity,
            )
            .values(
                quantity_on_hand=lots.c.quantity_on_hand - allocation.quantity,
                quantity_reserved=lots.c.quantity_reserved - allocation.quantity,
            )
        )
        if result.rowcount != 1:
            raise OrderError(f"Lot {lot.lot_number} no longer holds this order's units.")
        db.session.add(
            StockMovement(
                lot_id=allocation.lot_id,
                product_id=allocation.product_id,
                kind="sale",
                quantity=-allocation.quantity,
                reason=f"Order {reference}",
                user_id=user_id,
                order_id=order_id,
            )
        )
        sold += allocation.quantity
    db.session.flush()
    db.session.expire_all()
    return sold


def release_order_stock(order_id: int) -> int:
    """Release every unit an order still holds and commit; returns the units released.

    Prefer cancel_order / expire_order, which also move the status; this is for staff tools
    that must free stock of an order whose status they handle themselves.
    """
    with unit_of_work():
        released = _release_held(order_id)
        if released:
            _record_event(order_id, None, None, f"Released {released} held units")
    return released


def commit_order_stock(order_id: int, user_id: int | None = None) -> int:
    """Record the sale of every unit an order holds (goods left the shop); commits.

    Prefer mark_shipped / mark_collected, which call this inside their own transition.
    """
    order = _get_order(order_id)
    with unit_of_work():
        sold = _commit_held(order_id, order.reference, user_id)
    return sold


# --- Transitions ----------------------------------------------------------------------------


def _get_order(order_id: int) -> Order:
    """Return the order or raise OrderNotFound."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise OrderNotFound("We could not find that order.")
    return order


def _current_status(order_id: int) -> str:
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


def _transition(
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
    status = _current_status(order_id)
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
    _record_event(order_id, status, to_status, note, user_id)
    return status


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
        status = _current_status(order_id)
        if status in ("paid", "ready_for_collection", "shipped", "completed") or status in (
            "refunded",
            "partially_refunded",
        ):
            return False
        _transition(
            order_id,
            "pay",
            note=note,
            user_id=user_id,
            values={"paid_at": now},
        )
        _settle_payment(order_id, "succeeded", provider_reference, payment_intent_id)
        order = _get_order(order_id)
        db.session.refresh(order)
        _queue_confirmation(order)
        return True

    with unit_of_work():
        changed = work()
    return bool(changed)


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
    """Say a paid click-and-collect order is packed and waiting at the clinic; commits."""

    def work() -> None:
        order = _get_order(order_id)

        def collect_only() -> None:
            if order.fulfilment != "collect":
                raise IllegalTransition("Only click-and-collect orders can be ready to collect.")

        _transition(
            order_id,
            "make_ready",
            note="Ready to collect",
            user_id=user_id,
            values={"packed_at": clock.utc_now()},
            check=collect_only,
        )

    with unit_of_work():
        work()


def mark_shipped(order_id: int, tracking: str = "", *, user_id: int | None = None) -> None:
    """Record that a paid delivery order has left the shop, committing its stock; commits."""

    def work() -> None:
        order = _get_order(order_id)

        def delivery_only() -> None:
            if order.fulfilment != "delivery":
                raise IllegalTransition("Only delivery orders can be shipped.")

        now = clock.utc_now()
        _transition(
            order_id,
            "ship",
            note=f"Shipped{', tracking ' + tracking if tracking else ''}",
            user_id=user_id,
            values={"tracking_reference": tracking[:80], "shipped_at": now, "packed_at": now},
            check=delivery_only,
        )
        _commit_held(order_id, order.reference, user_id)

    with unit_of_work():
        work()


def mark_delivered(order_id: int, *, user_id: int | None = None) -> None:
    """Close a shipped order once it has arrived; commits."""
    with unit_of_work():
        _transition(
            order_id,
            "deliver",
            note="Delivered",
            user_id=user_id,
            values={"completed_at": clock.utc_now()},
        )


def mark_collected(order_id: int, *, user_id: int | None = None) -> None:
    """The patient collected the order at the clinic; commits the stock and completes it.

    For pay-at-clinic orders still awaiting payment this also records the payment taken
    at the desk.
    """

    def work() -> None:
        order = _get_order(order_id)

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
        previous = _transition(
            order_id,
            move,
            note="Collected at the clinic",
            user_id=user_id,
            values={"completed_at": now},
            check=collect_only,
        )
        if previous == "pending_payment":
            db.session.execute(
                update(Order.__table__).where(Order.__table__.c.id == order_id).values(paid_at=now)
            )
            _settle_payment(order_id, "succeeded")
            _record_event(order_id, None, None, "Paid at the clinic desk", user_id)
        _commit_held(order_id, order.reference, user_id)

    with unit_of_work():
        work()


def mark_paid_at_clinic(order_id: int, *, user_id: int | None = None) -> bool:
    """Record payment taken at the desk for a pay-at-clinic order before it is collected."""
    order = _get_order(order_id)
    if order.payment_method != "clinic":
        raise IllegalTransition("Only pay-at-clinic orders are paid at the desk.")
    return mark_paid(order_id, note="Paid at the clinic desk", user_id=user_id)


def cancel_order(order_id: int, *, note: str = "Cancelled", user_id: int | None = None) -> None:
    """Cancel an unpaid order and release its stock; commits. Paid orders are refunded instead."""

    def work() -> None:
        status = _current_status(order_id)
        if status in ("paid", "ready_for_collection"):
            raise IllegalTransition("A paid order cannot be cancelled; refund it instead.")
        _transition(order_id, "cancel", note=note, user_id=user_id)
        _settle_payment_if_pending(order_id, "failed")
        _release_held(order_id)

    with unit_of_work():
        work()


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
        status = _current_status(order_id)
        if status != "pending_payment":
            return False
        _transition(order_id, "expire", note=note)
        _settle_payment_if_pending(order_id, "expired")
        _release_held(order_id)
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


def kit_components(kit_ids: list[int]) -> dict[int, list[KitItem]]:
    """Return each kit's items with products (one query), for pages listing order lines."""
    if not kit_ids:
        return {}
    kits = db.session.execute(
        select(Kit)
        .where(Kit.id.in_(kit_ids))
        .options(selectinload(Kit.items).selectinload(KitItem.product))
    ).scalars()
    return {kit.id: list(kit.items) for kit in kits}
