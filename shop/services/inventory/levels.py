"""Sellable stock: units per product, kit availability, low stock and lots to act on."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload

from models import Kit, Product, StockLot, db
from shop.services import shared_cache
from shop.services.inventory.listings import StockRow, stock_rows

# At or below this many units, the shop tells customers how many are left.
ONLY_FEW_LEFT = 5


def sellable_by_product(product_ids: Iterable[int] | None, today: date) -> dict[int, int]:
    """Return units that can be sold now per product: unexpired lots, less what orders hold.

    `None` asks for every product with stock (one grouped scan, no list of ids to send).
    """
    query = select(
        StockLot.product_id, func.sum(StockLot.quantity_on_hand - StockLot.quantity_reserved)
    ).where(StockLot.expiry_date > today)
    sellable: dict[int, int] = {}
    if product_ids is not None:
        ids = sorted(set(product_ids))
        if not ids:
            return {}
        query = query.where(StockLot.product_id.in_(ids))
        sellable = dict.fromkeys(ids, 0)
    rows = db.session.execute(query.group_by(StockLot.product_id)).all()
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


def kit_units(items: Iterable[tuple[int, int]], sellable: dict[int, int]) -> list[int]:
    """Return how many kits each (product id, quantity per kit) item's stock could make."""
    return [sellable.get(product_id, 0) // quantity for product_id, quantity in items]


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
        counts = kit_units(((item.product_id, item.quantity) for item in kit.items), sellable)
        units = min(counts)
        missing = tuple(
            item.product.name for item, count in zip(kit.items, counts, strict=True) if count == 0
        )
        result[kit.id] = Availability(units=units, missing=missing if units == 0 else ())
    return result


def low_stock(today: date, limit: int = 1000) -> list[StockRow]:
    """Return active products whose sellable stock is at or below their threshold, by name.

    Every product has to be looked at, so each is looked at cheaply: the sellable sum is
    read from the lots' covering index (ix_stock_lot_sellable). Which products are low is
    then kept until the catalogue or stock changes (or the day does, as lots expire), and only
    their rows are loaded.
    """
    ids = shared_cache.remember("low-stock", (today, limit), lambda: _low_stock_ids(today, limit))
    products = db.session.execute(
        select(Product).where(Product.id.in_(ids)).order_by(Product.name, Product.id)
    ).scalars()
    return stock_rows(list(products), today)


def _low_stock_ids(today: date, limit: int) -> list[int]:
    sellable = func.coalesce(
        select(func.sum(StockLot.quantity_on_hand - StockLot.quantity_reserved))
        .where(StockLot.product_id == Product.id, StockLot.expiry_date > today)
        .correlate(Product)
        .scalar_subquery(),
        0,
    )
    return list(
        db.session.execute(
            select(Product.id)
            .where(Product.is_active.is_(True), sellable <= Product.low_stock_threshold)
            .order_by(Product.name, Product.id)
            .limit(limit)
        ).scalars()
    )


def lots_expiring(today: date, within_days: int, limit: int | None = None) -> list[StockLot]:
    """Return lots with units on hand that expire after today and within `within_days`."""
    return list(
        db.session.execute(
            select(StockLot)
            .where(
                StockLot.quantity_on_hand > 0,
                StockLot.expiry_date > today,
                StockLot.expiry_date <= today + timedelta(days=within_days),
            )
            .options(joinedload(StockLot.product))
            .order_by(StockLot.expiry_date, StockLot.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def expired_lots_on_hand(today: date, limit: int | None = None) -> list[StockLot]:
    """Return expired lots that still have units on the shelf (never sold; to write off)."""
    return list(
        db.session.execute(
            select(StockLot)
            .where(StockLot.quantity_on_hand > 0, StockLot.expiry_date <= today)
            .options(joinedload(StockLot.product))
            .order_by(StockLot.expiry_date, StockLot.id)
            .limit(limit)
        )
        .scalars()
        .all()
    )


def expiry_counts(today: date, windows: tuple[int, ...]) -> tuple[int, dict[int, int]]:
    """Count lots on hand already expired, and expiring within each window, in one query.

    Only lots up to the widest window are read (an index range on the expiry date).
    """
    widest = today + timedelta(days=max(windows))
    row = db.session.execute(
        select(
            func.sum(case((StockLot.expiry_date <= today, 1), else_=0)),
            *(
                func.sum(
                    case(
                        (
                            (StockLot.expiry_date > today)
                            & (StockLot.expiry_date <= today + timedelta(days=days)),
                            1,
                        ),
                        else_=0,
                    )
                )
                for days in windows
            ),
        ).where(StockLot.quantity_on_hand > 0, StockLot.expiry_date <= widest)
    ).one()
    return int(row[0] or 0), {days: int(n or 0) for days, n in zip(windows, row[1:], strict=True)}
