"""Refunds: staff refunds through the gateway, and the refunded total whichever way it arrives."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select, update

from models import Order, OrderLine, Payment, Refund, StockAllocation, StockLot, StockMovement, db
from shop import clock
from shop.services import orders
from shop.services.orders import OrderError
from shop.services.orders.states import current_status, record_event, transition
from shop.services.orders.stock import release_held
from shop.services.payments.gateway import gateway_for
from shop.services.unit_of_work import unit_of_work


class RefundError(OrderError):
    """A refund that cannot be made; the message is fit to show to staff."""


def record_refunded_total(payment: Payment, refunded: int, note: str) -> str:
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
        outcome = record_refunded_total(
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
