"""Stock as the back office reads it: the stock list, a product's lots and ledger, count sheets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import joinedload

from models import Order, Product, StockLot, StockMovement, User, db
from shop.services.pagination import Page, paginate


@dataclass(frozen=True)
class StockRow:
    """A product's stock at a glance."""

    product: Product
    on_hand: int
    reserved: int
    sellable: int
    expired: int
    lots: int

    @property
    def is_low(self) -> bool:
        """Tell whether sellable stock is at or below the product's threshold."""
        return self.sellable <= self.product.low_stock_threshold


def _stock_totals(today: date) -> Select:
    """The query of stock totals per product (one row per product that has lots)."""
    unexpired = StockLot.expiry_date > today
    return select(
        StockLot.product_id.label("product_id"),
        func.sum(StockLot.quantity_on_hand).label("on_hand"),
        func.sum(StockLot.quantity_reserved).label("reserved"),
        func.sum(
            case((unexpired, StockLot.quantity_on_hand - StockLot.quantity_reserved), else_=0)
        ).label("sellable"),
        func.sum(case((unexpired, 0), else_=StockLot.quantity_on_hand)).label("expired"),
        func.count(StockLot.id).label("lots"),
    ).group_by(StockLot.product_id)


def stock_rows(products: list[Product], today: date) -> list[StockRow]:
    """Return the stock totals of these products, in their order (one query)."""
    found = {
        row[0]: row[1:]
        for row in db.session.execute(
            _stock_totals(today).where(StockLot.product_id.in_([p.id for p in products]))
        )
    }
    return [
        StockRow(p, *(int(value or 0) for value in found.get(p.id, (0,) * 5))) for p in products
    ]


def _searched(query: Select, search: str) -> Select:
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            func.lower(Product.name).like(pattern) | func.lower(Product.sku).like(pattern)
        )
    return query


def list_stock(
    today: date,
    *,
    page: int = 1,
    per_page: int = 50,
    search: str = "",
    only_low: bool = False,
) -> Page:
    """Return one page of products with their stock totals (at most three queries).

    The whole list pages products by name (an index) and totals only that page's lots;
    the low-stock filter needs every product's totals, so it joins them up front.
    """
    if only_low:
        totals = _stock_totals(today).subquery()
        sellable = func.coalesce(totals.c.sellable, 0)
        query = select(
            Product,
            func.coalesce(totals.c.on_hand, 0),
            func.coalesce(totals.c.reserved, 0),
            sellable,
            func.coalesce(totals.c.expired, 0),
            func.coalesce(totals.c.lots, 0),
        ).outerjoin(totals, totals.c.product_id == Product.id)
        query = _searched(query, search).where(
            Product.is_active.is_(True), sellable <= Product.low_stock_threshold
        )
        return paginate(
            query.order_by(Product.name, Product.id),
            page,
            per_page,
            lambda rows: [StockRow(row[0], *(int(value) for value in row[1:])) for row in rows],
        )

    return paginate(
        _searched(select(Product), search).order_by(Product.name, Product.id),
        page,
        per_page,
        lambda products: stock_rows(products, today),
        scalars=True,
    )


@dataclass(frozen=True)
class LedgerEntry:
    """A stock movement with who made it and which order it belongs to."""

    movement: StockMovement
    lot_number: str
    user_email: str | None
    order_reference: str | None


@dataclass(frozen=True)
class ProductStock:
    """A product's lots and one page of its movement ledger."""

    product: Product
    lots: list[StockLot]
    ledger: Page  # of LedgerEntry
    row: StockRow


def product_stock(
    product_id: int, today: date, page: int = 1, per_page: int = 50
) -> ProductStock | None:
    """Return a product's lots (expiry order) and a page of its ledger, newest first."""
    product = db.session.get(Product, product_id)
    if product is None:
        return None
    lots = list(
        db.session.execute(
            select(StockLot)
            .where(StockLot.product_id == product_id)
            .order_by(StockLot.expiry_date, StockLot.id)
        )
        .scalars()
        .all()
    )
    ledger = paginate(
        select(StockMovement, StockLot.lot_number, User.email, Order.reference)
        .join(StockLot, StockLot.id == StockMovement.lot_id)
        .outerjoin(User, User.id == StockMovement.user_id)
        .outerjoin(Order, Order.id == StockMovement.order_id)
        .where(StockMovement.product_id == product_id)
        .order_by(StockMovement.id.desc()),
        page,
        per_page,
        lambda rows: [LedgerEntry(*row) for row in rows],
    )
    sellable = sum(lot.quantity_free for lot in lots if not lot.is_expired(today))
    row = StockRow(
        product,
        on_hand=sum(lot.quantity_on_hand for lot in lots),
        reserved=sum(lot.quantity_reserved for lot in lots),
        sellable=sellable,
        expired=sum(lot.quantity_on_hand for lot in lots if lot.is_expired(today)),
        lots=len(lots),
    )
    return ProductStock(product=product, lots=lots, ledger=ledger, row=row)


def lots_for_count(today: date, search: str = "") -> list[StockLot]:
    """Return the lots with units on hand (or unexpired), in shelf order, for a stocktake sheet."""
    query = (
        select(StockLot)
        .join(Product, Product.id == StockLot.product_id)
        .where((StockLot.quantity_on_hand > 0) | (StockLot.expiry_date > today))
        .options(joinedload(StockLot.product))
        .order_by(Product.name, StockLot.expiry_date, StockLot.id)
    )
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            func.lower(Product.name).like(pattern)
            | func.lower(Product.sku).like(pattern)
            | func.lower(StockLot.lot_number).like(pattern)
        )
    return list(db.session.execute(query.limit(500)).scalars().all())


def get_lot(lot_id: int) -> StockLot | None:
    """Return a lot with its product."""
    return db.session.execute(
        select(StockLot).where(StockLot.id == lot_id).options(joinedload(StockLot.product))
    ).scalar_one_or_none()
