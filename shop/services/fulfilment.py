"""Order fulfilment for the back office: lists, order pages, the pick list and staff actions.

The state machine, stock commit/release and refunds live in shop.services.orders and
shop.services.payments. Each staff action here adds its audit entry (and any email) to the
session first and then calls that service, whose single commit writes them together; on any
failure everything is rolled back, so no audit entry or email exists for a change that
did not happen. Packing is the one step those services do not cover: it is written here the
same way (one conditional UPDATE, an OrderEvent, IllegalTransition when refused).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import func, literal, or_, select, update
from sqlalchemy.orm import selectinload

from models import (
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Product,
    Recommendation,
    Refund,
    StockAllocation,
    StockLot,
    User,
    db,
)
from shop import clock
from shop.services import orders, payments
from shop.services.audit import record
from shop.services.notifications import queue_email
from shop.services.pagination import Page, paginate
from shop.services.unit_of_work import unit_of_work

OrderError = orders.OrderError
IllegalTransition = orders.IllegalTransition


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OrderFilters:
    """What the staff order list is narrowed to; empty values mean no restriction."""

    status: str = ""
    fulfilment: str = ""
    start: date | None = None
    end: date | None = None
    search: str = ""


def _to_pack():
    return (Order.status == "paid") & Order.packed_at.is_(None)


# The order list counts only this many pages past the one shown: orders never stop coming,
# so an exact count would read every order ever placed on each visit.
ORDER_PAGES_COUNTED_AHEAD = 4


def list_orders(filters: OrderFilters, page: int = 1, per_page: int = 30) -> Page:
    """Return one page of orders, newest first (two queries, both bounded by indexes)."""
    query = select(Order)
    if filters.status == "to_pack":
        query = query.where(_to_pack())
    elif filters.status:
        query = query.where(Order.status == filters.status)
    if filters.fulfilment:
        query = query.where(Order.fulfilment == filters.fulfilment)
    if filters.start:
        query = query.where(Order.placed_at >= clock.day_starts(filters.start))
    if filters.end:
        query = query.where(Order.placed_at < clock.day_starts(filters.end + timedelta(days=1)))
    if filters.search:
        text = filters.search.strip()
        query = query.where(
            or_(Order.reference == text.upper(), Order.email == text.lower())
            if "@" in text or len(text) >= 6
            else Order.reference.startswith(text.upper(), autoescape=True)
        )
    return paginate(
        query.order_by(Order.placed_at.desc(), Order.id.desc()),
        page,
        per_page,
        scalars=True,
        count_ahead=ORDER_PAGES_COUNTED_AHEAD,
    )


@dataclass(frozen=True)
class EventRow:
    """An order event with who made it."""

    event: OrderEvent
    user_email: str | None


@dataclass(frozen=True)
class OrderOrigin:
    """The clinician's recommendation an order was bought from, and who made it.

    Only what fulfilment needs: no treatment or skin details, which are health data.
    """

    recommendation_id: int | None
    sent_at: datetime | None
    clinician_name: str
    clinician_email: str


@dataclass(frozen=True)
class OrderDetail:
    """Everything the staff order page shows."""

    order: Order
    payments: list[Payment]
    refunds: list[Refund]
    events: list[EventRow]
    refundable: dict[int, int] = field(default_factory=dict)
    origin: OrderOrigin | None = None

    @property
    def can_refund(self) -> bool:
        """Tell whether anything on the order can still be refunded."""
        return (
            self.order.status in orders.REFUNDABLE_STATUSES
            and self.order.refunded_pence < self.order.total_pence
        )


def order_detail(order_id: int) -> OrderDetail | None:
    """Return an order with lines, allocated lots, payments, refunds and history (6 queries)."""
    order = db.session.execute(
        select(Order)
        .where(Order.id == order_id)
        .options(
            selectinload(Order.lines)
            .selectinload(OrderLine.allocations)
            .joinedload(StockAllocation.lot),
            selectinload(Order.lines)
            .selectinload(OrderLine.allocations)
            .joinedload(StockAllocation.product),
        )
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if order is None:
        return None
    order_payments = list(
        db.session.execute(
            select(Payment).where(Payment.order_id == order.id).order_by(Payment.id)
        ).scalars()
    )
    refunds = list(
        db.session.execute(
            select(Refund).where(Refund.order_id == order.id).order_by(Refund.id)
        ).scalars()
    )
    events = [
        EventRow(event, email)
        for event, email in db.session.execute(
            select(OrderEvent, User.email)
            .outerjoin(User, User.id == OrderEvent.user_id)
            .where(OrderEvent.order_id == order.id)
            .order_by(OrderEvent.id)
        ).all()
    ]
    refundable = {line.id: line.quantity - line.refunded_quantity for line in order.lines}
    return OrderDetail(order, order_payments, refunds, events, refundable, _origin(order))


def _origin(order: Order) -> OrderOrigin | None:
    """Read the recommendation and clinician behind an order (one query, or none)."""
    if order.recommendation_id is None and order.clinician_id is None:
        return None
    clinician = User.id == func.coalesce(order.clinician_id, Recommendation.clinician_id)
    if order.recommendation_id is not None:
        query = (
            select(Recommendation.id, Recommendation.sent_at, User.name, User.email)
            .select_from(Recommendation)
            .outerjoin(User, clinician)
            .where(Recommendation.id == order.recommendation_id)
        )
    else:
        query = select(
            literal(None).label("id"), literal(None).label("sent_at"), User.name, User.email
        ).where(User.id == order.clinician_id)
    row = db.session.execute(query).first()
    if row is None:
        return None
    return OrderOrigin(row[0], row[1], row[2] or "", row[3] or "")


@dataclass(frozen=True)
class PickLot:
    """Units to take from one lot, and for which orders."""

    lot_number: str
    expiry_date: date
    units: int
    references: list[str]


@dataclass(frozen=True)
class PickProduct:
    """One product to pick for the waiting orders, lot by lot (first expiry first)."""

    product: Product
    units: int
    lots: list[PickLot]


def pick_list() -> tuple[list[PickProduct], list[Order]]:
    """Return what to pick for paid orders not yet packed, grouped by product, FEFO by lot."""
    rows = db.session.execute(
        select(StockAllocation, StockLot, Product, Order.reference)
        .join(StockLot, StockLot.id == StockAllocation.lot_id)
        .join(Product, Product.id == StockAllocation.product_id)
        .join(OrderLine, OrderLine.id == StockAllocation.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(_to_pack(), StockAllocation.state == "held")
        .order_by(Product.name, Product.id, StockLot.expiry_date, StockLot.id, Order.reference)
    ).all()
    products: dict[int, dict[str, Any]] = {}
    for allocation, lot, product, reference in rows:
        entry = products.setdefault(product.id, {"product": product, "lots": {}})
        lot_entry = entry["lots"].setdefault(lot.id, {"lot": lot, "units": 0, "references": []})
        lot_entry["units"] += allocation.quantity
        if reference not in lot_entry["references"]:
            lot_entry["references"].append(reference)
    result = []
    for entry in products.values():
        lots = [
            PickLot(v["lot"].lot_number, v["lot"].expiry_date, v["units"], v["references"])
            for v in entry["lots"].values()
        ]
        result.append(PickProduct(entry["product"], sum(lot.units for lot in lots), lots))
    waiting = list(
        db.session.execute(
            select(Order)
            .where(_to_pack())
            .order_by(Order.paid_at, Order.id)
            .options(selectinload(Order.lines))
        ).scalars()
    )
    return result, waiting


# --- actions --------------------------------------------------------------------------------


def _order_or_raise(order_id: int) -> Order:
    order = db.session.get(Order, order_id)
    if order is None:
        raise orders.OrderNotFound("We could not find that order.")
    return order


def _audited(
    order_id: int,
    user_id: int | None,
    action: str,
    after: dict[str, Any],
    work: Callable[[], Any],
    before_work: Callable[[Order], None] | None = None,
) -> Any:
    """Stage the audit entry (and any email), then run the service that commits them."""
    with unit_of_work():
        order = _order_or_raise(order_id)
        record(user_id, action, "order", order.reference, {"status": order.status}, after)
        if before_work is not None:
            before_work(order)
        return work()


def mark_packed(order_id: int, user_id: int | None = None) -> None:
    """Record that a paid order has been picked and packed (its status stays paid); commits."""
    with unit_of_work():
        order = _order_or_raise(order_id)
        now = clock.utc_now()
        table = Order.__table__
        result = db.session.execute(
            update(table)
            .where(table.c.id == order_id, table.c.status == "paid", table.c.packed_at.is_(None))
            .values(packed_at=now, updated_at=now)
        )
        if result.rowcount != 1:
            db.session.refresh(order)
            if order.status != "paid":
                label = orders.ORDER_STATUS_LABELS.get(order.status, order.status).lower()
                raise IllegalTransition(f"An order that is {label} cannot be packed.")
            raise IllegalTransition("This order is already packed.")
        db.session.add(OrderEvent(order_id=order_id, note="Picked and packed", user_id=user_id))
        record(user_id, "order.pack", "order", order.reference, {"packed": False}, {"packed": True})


def _email_context(order: Order) -> dict[str, Any]:
    config = current_app.config
    return {
        "order": order,
        "order_url": f"{config['PUBLIC_BASE_URL']}/orders/{order.reference}",
        "clinic_address": config["CLINIC_ADDRESS"],
        "clinic_phone": config["CLINIC_PHONE"],
        "shop_name": config["SHOP_NAME"],
    }


def ship(order_id: int, tracking: str, user_id: int | None = None) -> None:
    """Mark a paid delivery order shipped with its tracking reference and email the customer."""
    tracking = tracking.strip()
    if not tracking:
        raise OrderError("Enter the tracking reference.")

    def email(order: Order) -> None:
        queue_email(
            order.email,
            f"Your order {order.reference} is on its way",
            "order_shipped",
            tracking=tracking,
            **_email_context(order),
        )

    _audited(
        order_id,
        user_id,
        "order.ship",
        {"status": "shipped", "tracking_reference": tracking},
        lambda: orders.mark_shipped(order_id, tracking, user_id=user_id),
        email,
    )


def ready_for_collection(order_id: int, user_id: int | None = None) -> None:
    """Mark a click-and-collect order ready at the clinic and email the customer.

    Paid orders and pay-at-clinic orders awaiting payment both can be made ready once; the
    email of a pay-at-clinic order says what to pay at the desk.
    """

    def email(order: Order) -> None:
        reserved_until = clock.local(order.reserved_until) if order.reserved_until else None
        queue_email(
            order.email,
            f"Your order {order.reference} is ready to collect",
            "order_ready",
            pay_at_desk=order.payment_method == "clinic" and order.status == "pending_payment",
            reserved_until=reserved_until,
            **_email_context(order),
        )

    _audited(
        order_id,
        user_id,
        "order.ready_for_collection",
        {"ready": True},
        lambda: orders.mark_ready_for_collection(order_id, user_id=user_id),
        email,
    )


def collected(order_id: int, user_id: int | None = None, desk_method: str | None = None) -> None:
    """Record a collection at the desk (and, for pay-at-clinic, the payment taken there).

    `desk_method` ("card" or "cash") says how an unpaid pay-at-clinic order was paid; it is
    refused (OrderError, nothing changed) when such an order has none.
    """
    after: dict[str, Any] = {"status": "completed"}
    if desk_method:
        after["paid_at_desk"] = desk_method
    _audited(
        order_id,
        user_id,
        "order.collect",
        after,
        lambda: orders.mark_collected(order_id, user_id=user_id, desk_method=desk_method),
    )


def delivered(order_id: int, user_id: int | None = None) -> None:
    """Close a shipped order once it has arrived."""
    _audited(
        order_id,
        user_id,
        "order.delivered",
        {"status": "completed"},
        lambda: orders.mark_delivered(order_id, user_id=user_id),
    )


def cancel(order_id: int, note: str, user_id: int | None = None) -> None:
    """Cancel an unpaid order and release the stock it holds (paid orders are refunded)."""
    _audited(
        order_id,
        user_id,
        "order.cancel",
        {"status": "cancelled", "note": note},
        lambda: orders.cancel_order(order_id, note=f"Cancelled: {note}", user_id=user_id),
    )


def refund(
    order_id: int,
    lines: Mapping[int, int],
    *,
    restock: bool,
    reason: str,
    include_delivery: bool = False,
    user_id: int | None = None,
) -> Refund:
    """Refund some or all lines through the payment gateway; stock back on sale or written off.

    Raises payments.RefundError (nothing changed) or payments.GatewayError (the gateway
    refused or could not be reached; nothing changed).
    """
    wanted = {line_id: quantity for line_id, quantity in lines.items() if quantity}
    order = _order_or_raise(order_id)
    if order.status in ("paid", "ready_for_collection"):
        # Units not yet handed over never left the shelf: they always go back on sale.
        restock = True
    return _audited(
        order_id,
        user_id,
        "order.refund",
        {
            "lines": {str(k): v for k, v in wanted.items()},
            "restock": restock,
            "include_delivery": include_delivery,
            "reason": reason,
        },
        lambda: payments.refund_order(
            order_id,
            wanted,
            restock=restock,
            user_id=user_id,
            reason=reason,
            include_delivery=include_delivery,
        ),
    )
