"""Recall: every order and customer that received units of a lot."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from models import Order, OrderLine, StockAllocation, StockLot, StockMovement, db


@dataclass(frozen=True)
class RecallOrder:
    """An order that received (or holds) units of a recalled lot."""

    order: Order
    lot_number: str
    product_name: str
    units: int
    states: tuple[str, ...]


@dataclass(frozen=True)
class RecallResult:
    """The lots matching a lot number and every order that got units of them."""

    lots: list[StockLot]
    orders: list[RecallOrder]


def recall_lookup(lot_number: str) -> RecallResult:
    """Find every order and customer that received units of a lot (any product)."""
    wanted = lot_number.strip().lower()
    lots = list(
        db.session.execute(
            select(StockLot)
            .where(func.lower(StockLot.lot_number) == wanted)
            .options(joinedload(StockLot.product))
            .order_by(StockLot.id)
        )
        .scalars()
        .all()
    )
    if not lots:
        return RecallResult(lots=[], orders=[])
    by_id = {lot.id: lot for lot in lots}
    found: dict[tuple[int, int], dict] = {}
    allocation_rows = db.session.execute(
        select(
            Order.id,
            StockAllocation.lot_id,
            StockAllocation.state,
            func.sum(StockAllocation.quantity),
        )
        .join(OrderLine, OrderLine.id == StockAllocation.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(StockAllocation.lot_id.in_(by_id), StockAllocation.state != "released")
        .group_by(Order.id, StockAllocation.lot_id, StockAllocation.state)
    ).all()
    for order_id, lot_id, state, units in allocation_rows:
        entry = found.setdefault((order_id, lot_id), {"units": 0, "states": set()})
        entry["units"] += int(units)
        entry["states"].add(state)
    # Sales booked in the ledger count too, even if an allocation row is missing.
    movement_rows = db.session.execute(
        select(StockMovement.order_id, StockMovement.lot_id, func.sum(-StockMovement.quantity))
        .where(
            StockMovement.lot_id.in_(by_id),
            StockMovement.order_id.is_not(None),
            StockMovement.kind == "sale",
        )
        .group_by(StockMovement.order_id, StockMovement.lot_id)
    ).all()
    for order_id, lot_id, units in movement_rows:
        entry = found.setdefault((order_id, lot_id), {"units": int(units), "states": set()})
        entry["states"].add("sold")
    orders = {
        order.id: order
        for order in db.session.execute(
            select(Order).where(Order.id.in_({order_id for order_id, _ in found}))
        ).scalars()
    }
    result = [
        RecallOrder(
            order=orders[order_id],
            lot_number=by_id[lot_id].lot_number,
            product_name=by_id[lot_id].product.name,
            units=entry["units"],
            states=tuple(sorted(entry["states"])),
        )
        for (order_id, lot_id), entry in found.items()
    ]
    result.sort(key=lambda r: (r.order.placed_at, r.order.id))
    return RecallResult(lots=lots, orders=result)
