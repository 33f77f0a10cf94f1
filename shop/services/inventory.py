"""Stock questions and changes: sellable quantities from lots, kit availability, receipts."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select

from models import Kit, StockLot, StockMovement, db

# At or below this many units, the shop tells customers how many are left.
ONLY_FEW_LEFT = 5


def sellable_by_product(product_ids: Iterable[int], today: date) -> dict[int, int]:
    """Return units that can be sold now per product: unexpired lots, less what orders hold."""
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = db.session.execute(
        select(
            StockLot.product_id,
            func.sum(StockLot.quantity_on_hand - StockLot.quantity_reserved),
        )
        .where(StockLot.product_id.in_(ids), StockLot.expiry_date > today)
        .group_by(StockLot.product_id)
    ).all()
    sellable = dict.fromkeys(ids, 0)
    sellable.update({product_id: int(total or 0) for product_id, total in rows})
    return sellable


@dataclass(frozen=True)
class Availability:
    """How many of something can be sold now, and which component is short when none can."""

    units: int
    missing: tuple[str, ...] = field(default=())

    @property
    def in_stock(self) -> bool:
        """Tell whether at least one can be sold."""
        return self.units > 0

    @property
    def only_few_left(self) -> bool:
        """Tell whether so few are left that the shop says how many."""
        return 0 < self.units <= ONLY_FEW_LEFT

    @property
    def label(self) -> str:
        """Return the availability as customers read it."""
        if not self.in_stock:
            if self.missing:
                return "Out of stock: " + ", ".join(self.missing) + " unavailable"
            return "Out of stock"
        if self.only_few_left:
            return f"Only {self.units} left"
        return "In stock"


def product_availability(sellable: int) -> Availability:
    """Wrap a product's sellable units as an availability."""
    return Availability(units=max(sellable, 0))


def kit_availabilities(kits: Iterable[Kit], today: date) -> dict[int, Availability]:
    """Compute each kit's availability from its components' stock, in one query for all kits.

    A kit can be made as many times as its scarcest component allows: the minimum over its
    items of floor(sellable / quantity per kit). Never stored, always computed.
    """
    kits = list(kits)
    sellable = sellable_by_product((item.product_id for kit in kits for item in kit.items), today)
    result: dict[int, Availability] = {}
    for kit in kits:
        if not kit.items:
            result[kit.id] = Availability(units=0)
            continue
        counts = [sellable.get(item.product_id, 0) // item.quantity for item in kit.items]
        units = min(counts)
        missing = tuple(
            item.product.name for item, count in zip(kit.items, counts, strict=True) if count == 0
        )
        result[kit.id] = Availability(units=units, missing=missing if units == 0 else ())
    return result


def receive_lot(
    *,
    product_id: int,
    lot_number: str,
    expiry_date: date,
    quantity: int,
    unit_cost_pence: int | None = None,
    user_id: int | None = None,
    reason: str = "Delivery received",
) -> StockLot:
    """Book a delivered lot (or more units of a known lot) with a receipt movement; commits."""
    if quantity <= 0:
        raise ValueError("a receipt needs a positive quantity")
    lot = db.session.execute(
        select(StockLot).where(StockLot.product_id == product_id, StockLot.lot_number == lot_number)
    ).scalar_one_or_none()
    if lot is None:
        lot = StockLot(
            product_id=product_id,
            lot_number=lot_number,
            expiry_date=expiry_date,
            quantity_on_hand=0,
            quantity_reserved=0,
            unit_cost_pence=unit_cost_pence,
        )
        db.session.add(lot)
        db.session.flush()
    # A conditional, in-database increment: concurrent receipts and sales never lose units.
    db.session.execute(
        StockLot.__table__.update()
        .where(StockLot.id == lot.id)
        .values(quantity_on_hand=StockLot.quantity_on_hand + quantity)
    )
    db.session.add(
        StockMovement(
            lot_id=lot.id,
            product_id=product_id,
            kind="receipt",
            quantity=quantity,
            reason=reason,
            user_id=user_id,
        )
    )
    db.session.commit()
    db.session.refresh(lot)
    return lot


def ledger_differences() -> list[tuple[StockLot, int]]:
    """Return every lot whose quantity on hand differs from the sum of its movements."""
    movement_sums = (
        select(StockMovement.lot_id, func.sum(StockMovement.quantity).label("total"))
        .group_by(StockMovement.lot_id)
        .subquery()
    )
    rows = db.session.execute(
        select(StockLot, func.coalesce(movement_sums.c.total, 0))
        .outerjoin(movement_sums, movement_sums.c.lot_id == StockLot.id)
        .where(StockLot.quantity_on_hand != func.coalesce(movement_sums.c.total, 0))
        .order_by(StockLot.id)
    ).all()
    return [(lot, int(total)) for lot, total in rows]
