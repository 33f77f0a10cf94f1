"""Stock questions and changes: sellable quantities from lots, kit availability, receipts."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload

from models import (
    Kit,
    Order,
    OrderLine,
    Product,
    StockAllocation,
    StockLot,
    StockMovement,
    StockReceipt,
    User,
    db,
)
from models.base import utcnow
from shop.money import parse_pounds, plain_pounds
from shop.services.audit import record
from shop.services.pagination import Page, clamp_page
from shop.services.unit_of_work import unit_of_work

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


def kit_availabilities(
    kits: Iterable[Kit], today: date, sellable: dict[int, int] | None = None
) -> dict[int, Availability]:
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


# Orders whose held units a later step still sells (ship, collect) or frees (expiry, refund).
STATUSES_THAT_HOLD_STOCK = ("pending_payment", "paid", "ready_for_collection", "partially_refunded")


@dataclass(frozen=True)
class StrandedReservation:
    """Units a lot still holds for an order that is over, so no step will ever free them."""

    lot_number: str
    product_id: int
    order_reference: str
    order_status: str
    quantity: int


def stranded_reservations() -> list[StrandedReservation]:
    """Return every held allocation whose order can no longer sell or release it."""
    rows = db.session.execute(
        select(StockLot.lot_number, StockLot.product_id, Order.reference, Order.status)
        .add_columns(StockAllocation.quantity)
        .join(StockLot, StockLot.id == StockAllocation.lot_id)
        .join(OrderLine, OrderLine.id == StockAllocation.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .where(StockAllocation.state == "held", Order.status.not_in(STATUSES_THAT_HOLD_STOCK))
        .order_by(Order.id, StockLot.id)
    ).all()
    return [StrandedReservation(*row) for row in rows]


# --- back office: receipts, adjustments, counts, write-offs, recall, CSV ---------------------


class StockError(ValueError):
    """A stock change the shop refuses; the message is written for staff to read."""


@dataclass(frozen=True)
class LineProblem:
    """What is wrong with one line of a delivery: its position, the field and the problem."""

    index: int
    field: str
    problem: str


class DeliveryError(StockError):
    """A delivery with invalid lines; nothing was booked."""

    def __init__(self, problems: list[LineProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"line {p.index + 1} {p.field}: {p.problem}" for p in problems))


@dataclass(frozen=True)
class DeliveryLine:
    """One lot in a delivery: which product, lot number, expiry, units and unit cost."""

    product_id: int
    lot_number: str
    expiry_date: date
    quantity: int
    unit_cost_pence: int | None = None


# reason code -> (label, movement kind, required sign: -1 remove, +1 add, 0 either)
ADJUSTMENT_REASONS: dict[str, tuple[str, str, int]] = {
    "damaged": ("Damaged", "write_off", -1),
    "expired": ("Expired write-off", "write_off", -1),
    "found": ("Found", "adjustment", 1),
    "correction": ("Correction", "adjustment", 0),
}
MAX_UNITS_PER_LINE = 100_000
LOT_NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$")
_LOTS = StockLot.__table__


def _change_on_hand(lot_id: int, delta: int) -> bool:
    """Add `delta` to a lot in one conditional UPDATE; False when it would go below reserved."""
    result = db.session.execute(
        _LOTS.update()
        .where(
            _LOTS.c.id == lot_id,
            _LOTS.c.quantity_on_hand + delta >= _LOTS.c.quantity_reserved,
        )
        .values(quantity_on_hand=_LOTS.c.quantity_on_hand + delta)
    )
    return result.rowcount == 1


def _set_on_hand(lot_id: int, seen: int, counted: int) -> bool:
    """Set a lot to `counted` only if it still holds `seen` and orders hold no more than that."""
    result = db.session.execute(
        _LOTS.update()
        .where(
            _LOTS.c.id == lot_id,
            _LOTS.c.quantity_on_hand == seen,
            _LOTS.c.quantity_reserved <= counted,
        )
        .values(quantity_on_hand=counted)
    )
    return result.rowcount == 1


def _locked_lots(condition) -> list[StockLot]:
    """Load lots in id order, locking them on PostgreSQL so concurrent changes queue up."""
    return list(
        db.session.execute(
            select(StockLot)
            .where(condition)
            .order_by(StockLot.id)
            .with_for_update(of=StockLot)
            .execution_options(populate_existing=True)
        )
        .scalars()
        .all()
    )


def _insert_lot_if_missing(line: DeliveryLine) -> None:
    """Create the lot with nothing on hand unless it exists; safe when two receipts race."""
    values = {
        "product_id": line.product_id,
        "lot_number": line.lot_number,
        "expiry_date": line.expiry_date,
        "quantity_on_hand": 0,
        "quantity_reserved": 0,
        "unit_cost_pence": line.unit_cost_pence,
        "received_at": utcnow(),
    }
    if db.session.get_bind().dialect.name == "postgresql":
        statement = postgresql_insert(StockLot).values(**values)
    else:
        statement = sqlite_insert(StockLot).values(**values)
    db.session.execute(
        statement.on_conflict_do_nothing(index_elements=["product_id", "lot_number"])
    )


def check_delivery_lines(lines: list[DeliveryLine], today: date) -> list[LineProblem]:
    """Return every problem with a delivery's lines (empty when all can be booked)."""
    problems: list[LineProblem] = []
    if not lines:
        return [LineProblem(0, "lines", "A delivery needs at least one line.")]
    products = {
        product.id: product
        for product in db.session.execute(
            select(Product).where(Product.id.in_({line.product_id for line in lines}))
        ).scalars()
    }
    existing = {
        (lot.product_id, lot.lot_number): lot
        for lot in db.session.execute(
            select(StockLot).where(
                StockLot.product_id.in_(products),
                StockLot.lot_number.in_({line.lot_number for line in lines}),
            )
        ).scalars()
    }
    seen: dict[tuple[int, str], int] = {}
    for index, line in enumerate(lines):
        if line.product_id not in products:
            problems.append(LineProblem(index, "product", "Choose a product the shop sells."))
        if not LOT_NUMBER_PATTERN.match(line.lot_number or ""):
            problems.append(
                LineProblem(
                    index,
                    "lot_number",
                    "Lot numbers are 1 to 60 letters, digits, dots, dashes or slashes.",
                )
            )
        if line.expiry_date <= today:
            problems.append(
                LineProblem(index, "expiry_date", "The expiry date must be in the future.")
            )
        if not 1 <= line.quantity <= MAX_UNITS_PER_LINE:
            problems.append(
                LineProblem(
                    index, "quantity", f"Quantity must be between 1 and {MAX_UNITS_PER_LINE}."
                )
            )
        if line.unit_cost_pence is not None and line.unit_cost_pence < 0:
            problems.append(LineProblem(index, "unit_cost", "The unit cost cannot be negative."))
        key = (line.product_id, line.lot_number)
        if key in seen:
            problems.append(
                LineProblem(index, "lot_number", f"This lot is already on line {seen[key] + 1}.")
            )
        seen.setdefault(key, index)
        lot = existing.get(key)
        if lot is not None and lot.expiry_date != line.expiry_date:
            problems.append(
                LineProblem(
                    index,
                    "expiry_date",
                    f"Lot {lot.lot_number} is already in stock with expiry "
                    f"{lot.expiry_date.isoformat()}; check the date on the box.",
                )
            )
    return problems


def receive_delivery(
    lines: list[DeliveryLine],
    *,
    today: date,
    user_id: int | None = None,
    supplier: str = "",
    reference: str = "",
    note: str = "",
) -> StockReceipt:
    """Book a delivery of one or more lots: a receipt, a movement per line; commits.

    Raises DeliveryError (nothing booked) when any line is invalid.
    """
    problems = check_delivery_lines(lines, today)
    if problems:
        raise DeliveryError(problems)
    with unit_of_work():
        receipt = StockReceipt(supplier=supplier, reference=reference, note=note, user_id=user_id)
        db.session.add(receipt)
        db.session.flush()
        for line in lines:
            _insert_lot_if_missing(line)
            lot_id, expiry = db.session.execute(
                select(StockLot.id, StockLot.expiry_date).where(
                    StockLot.product_id == line.product_id,
                    StockLot.lot_number == line.lot_number,
                )
            ).one()
            if expiry != line.expiry_date:  # another receipt created it a moment ago
                raise StockError(
                    f"Lot {line.lot_number} was just booked with expiry {expiry.isoformat()}."
                )
            _change_on_hand(lot_id, line.quantity)
            db.session.add(
                StockMovement(
                    lot_id=lot_id,
                    product_id=line.product_id,
                    kind="receipt",
                    quantity=line.quantity,
                    reason="Delivery received",
                    note=reference,
                    user_id=user_id,
                    receipt_id=receipt.id,
                )
            )
        record(
            user_id,
            "stock.receive",
            "stock_receipt",
            receipt.id,
            None,
            {
                "supplier": supplier,
                "reference": reference,
                "lines": [
                    {
                        "product_id": line.product_id,
                        "lot_number": line.lot_number,
                        "expiry_date": line.expiry_date.isoformat(),
                        "quantity": line.quantity,
                        "unit_cost_pence": line.unit_cost_pence,
                    }
                    for line in lines
                ],
            },
        )
    return receipt


def adjust_lot(
    lot_id: int, change: int, reason: str, note: str = "", user_id: int | None = None
) -> StockMovement:
    """Add or remove units of a lot for a reason (damaged, expired, found, correction); commits.

    Refuses to take a lot below what orders hold, so reserved never exceeds on hand.
    """
    if reason not in ADJUSTMENT_REASONS:
        raise StockError("Choose a reason for the adjustment.")
    label, kind, sign = ADJUSTMENT_REASONS[reason]
    if change == 0:
        raise StockError("An adjustment must change the quantity.")
    if sign < 0 and change > 0:
        raise StockError(f"'{label}' removes units: enter a negative change.")
    if sign > 0 and change < 0:
        raise StockError(f"'{label}' adds units: enter a positive change.")
    if abs(change) > MAX_UNITS_PER_LINE:
        raise StockError(f"A change of more than {MAX_UNITS_PER_LINE} units is not possible.")
    lot = db.session.get(StockLot, lot_id)
    if lot is None:
        raise StockError("That lot does not exist.")
    before = {"quantity_on_hand": lot.quantity_on_hand}
    with unit_of_work():
        if not _change_on_hand(lot.id, change):
            db.session.refresh(lot)
            raise StockError(
                f"Lot {lot.lot_number} has {lot.quantity_on_hand} on hand and "
                f"{lot.quantity_reserved} reserved for orders, so it can go down by at most "
                f"{lot.quantity_free}. Cancel or release those orders first."
            )
        movement = StockMovement(
            lot_id=lot.id,
            product_id=lot.product_id,
            kind=kind,
            quantity=change,
            reason=label,
            note=note,
            user_id=user_id,
        )
        db.session.add(movement)
        db.session.flush()
        db.session.refresh(lot)
        record(
            user_id,
            f"stock.adjust.{reason}",
            "stock_lot",
            lot.id,
            before,
            {"quantity_on_hand": lot.quantity_on_hand, "change": change, "note": note},
        )
    return movement


@dataclass(frozen=True)
class StocktakeResult:
    """What a stocktake booked: the count movements, and how many lots matched already."""

    movements: list[StockMovement]
    unchanged: int


class StocktakeError(StockError):
    """Some counted lots cannot be booked; nothing was."""

    def __init__(self, problems: dict[int, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems.values()))


def stocktake(
    counts: dict[int, int], *, user_id: int | None = None, note: str = ""
) -> StocktakeResult:
    """Book counted quantities for many lots: a count movement for each difference; commits.

    All or nothing: if a count is below what orders hold, or a lot is unknown, nothing is booked.
    """
    problems: dict[int, str] = {}
    for lot_id, counted in counts.items():
        if counted < 0 or counted > MAX_UNITS_PER_LINE:
            problems[lot_id] = f"The count must be between 0 and {MAX_UNITS_PER_LINE}."
    if problems:
        raise StocktakeError(problems)
    if not counts:
        raise StockError("Enter at least one counted quantity.")
    with unit_of_work():
        lots = _locked_lots(StockLot.id.in_(counts))
        missing = set(counts) - {lot.id for lot in lots}
        for lot_id in sorted(missing):
            problems[lot_id] = f"Lot {lot_id} does not exist."
        movements: list[StockMovement] = []
        unchanged = 0
        for lot in lots:
            counted = counts[lot.id]
            seen = lot.quantity_on_hand
            if counted == seen:
                unchanged += 1
                continue
            if not _set_on_hand(lot.id, seen, counted):
                db.session.refresh(lot)
                if lot.quantity_reserved > counted:
                    problems[lot.id] = (
                        f"Lot {lot.lot_number}: counted {counted}, but {lot.quantity_reserved} "
                        "units are reserved for orders. Find them or release those orders first."
                    )
                else:
                    problems[lot.id] = (
                        f"Lot {lot.lot_number} changed while you were counting; count it again."
                    )
                continue
            movement = StockMovement(
                lot_id=lot.id,
                product_id=lot.product_id,
                kind="count",
                quantity=counted - seen,
                reason="Stocktake",
                note=note,
                user_id=user_id,
            )
            db.session.add(movement)
            movements.append(movement)
            record(
                user_id,
                "stock.count",
                "stock_lot",
                lot.id,
                {"quantity_on_hand": seen},
                {"quantity_on_hand": counted, "note": note},
            )
        if problems:
            raise StocktakeError(problems)
    return StocktakeResult(movements=movements, unchanged=unchanged)


@dataclass(frozen=True)
class WriteOff:
    """Units of one expired lot written off, and how many orders still hold."""

    lot: StockLot
    units: int
    still_reserved: int


def write_off_expired(today: date, user_id: int | None = None) -> list[WriteOff]:
    """Write off every expired lot's free units in one step; commits.

    Units that orders still hold stay on the lot (reserved never exceeds on hand); staff see them.
    """
    written: list[WriteOff] = []
    with unit_of_work():
        lots = _locked_lots(
            (StockLot.expiry_date <= today)
            & (StockLot.quantity_on_hand > StockLot.quantity_reserved)
        )
        for lot in lots:
            seen, reserved = lot.quantity_on_hand, lot.quantity_reserved
            if not _set_on_hand(lot.id, seen, reserved):
                raise StockError(f"Lot {lot.lot_number} changed meanwhile; try again.")
            db.session.add(
                StockMovement(
                    lot_id=lot.id,
                    product_id=lot.product_id,
                    kind="write_off",
                    quantity=reserved - seen,
                    reason="Expired write-off",
                    note=f"Expired on {lot.expiry_date.isoformat()}",
                    user_id=user_id,
                )
            )
            written.append(WriteOff(lot=lot, units=seen - reserved, still_reserved=reserved))
        if written:
            record(
                user_id,
                "stock.write_off_expired",
                "stock_lot",
                ",".join(str(w.lot.id) for w in written)[:60],
                None,
                {"lots": [{"lot_id": w.lot.id, "units": w.units} for w in written]},
            )
    return written


def set_low_stock_threshold(product_id: int, threshold: int, user_id: int | None = None) -> None:
    """Change a product's low-stock threshold; commits."""
    if not 0 <= threshold <= MAX_UNITS_PER_LINE:
        raise StockError(f"The threshold must be between 0 and {MAX_UNITS_PER_LINE}.")
    product = db.session.get(Product, product_id)
    if product is None:
        raise StockError("That product does not exist.")
    with unit_of_work():
        before = {"low_stock_threshold": product.low_stock_threshold}
        product.low_stock_threshold = threshold
        record(
            user_id,
            "product.threshold",
            "product",
            product.id,
            before,
            {"low_stock_threshold": threshold},
        )


# --- reading stock for the back office ----------------------------------------------------


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


def _stock_totals(today: date):
    """A subquery of stock totals per product (one row per product that has lots)."""
    unexpired = StockLot.expiry_date > today
    return (
        select(
            StockLot.product_id.label("product_id"),
            func.sum(StockLot.quantity_on_hand).label("on_hand"),
            func.sum(StockLot.quantity_reserved).label("reserved"),
            func.sum(
                case((unexpired, StockLot.quantity_on_hand - StockLot.quantity_reserved), else_=0)
            ).label("sellable"),
            func.sum(case((unexpired, 0), else_=StockLot.quantity_on_hand)).label("expired"),
            func.count(StockLot.id).label("lots"),
        )
        .group_by(StockLot.product_id)
        .subquery()
    )


def list_stock(
    today: date, *, page: int = 1, per_page: int = 50, search: str = "", only_low: bool = False
) -> Page:
    """Return one page of products with their stock totals (two queries whatever the size)."""
    totals = _stock_totals(today)
    sellable = func.coalesce(totals.c.sellable, 0)
    query = select(
        Product,
        func.coalesce(totals.c.on_hand, 0),
        func.coalesce(totals.c.reserved, 0),
        sellable,
        func.coalesce(totals.c.expired, 0),
        func.coalesce(totals.c.lots, 0),
    ).outerjoin(totals, totals.c.product_id == Product.id)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            func.lower(Product.name).like(pattern) | func.lower(Product.sku).like(pattern)
        )
    if only_low:
        query = query.where(Product.is_active.is_(True), sellable <= Product.low_stock_threshold)
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = clamp_page(page, total, per_page)
    rows = db.session.execute(
        query.order_by(Product.name, Product.id).limit(per_page).offset((page - 1) * per_page)
    ).all()
    items = [StockRow(p, int(a), int(b), int(c), int(d), int(e)) for p, a, b, c, d, e in rows]
    return Page(items=items, page=page, per_page=per_page, total=total)


def low_stock(today: date) -> list[StockRow]:
    """Return active products whose sellable stock is at or below their threshold."""
    return list_stock(today, per_page=1000, only_low=True).items


def lots_expiring(today: date, within_days: int) -> list[StockLot]:
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
        )
        .scalars()
        .all()
    )


def expired_lots_on_hand(today: date) -> list[StockLot]:
    """Return expired lots that still have units on the shelf (never sold; to write off)."""
    return list(
        db.session.execute(
            select(StockLot)
            .where(StockLot.quantity_on_hand > 0, StockLot.expiry_date <= today)
            .options(joinedload(StockLot.product))
            .order_by(StockLot.expiry_date, StockLot.id)
        )
        .scalars()
        .all()
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
    total = db.session.execute(
        select(func.count()).where(StockMovement.product_id == product_id)
    ).scalar_one()
    page = clamp_page(page, total, per_page)
    rows = db.session.execute(
        select(StockMovement, StockLot.lot_number, User.email, Order.reference)
        .join(StockLot, StockLot.id == StockMovement.lot_id)
        .outerjoin(User, User.id == StockMovement.user_id)
        .outerjoin(Order, Order.id == StockMovement.order_id)
        .where(StockMovement.product_id == product_id)
        .order_by(StockMovement.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    entries = [LedgerEntry(m, lot_number, email, ref) for m, lot_number, email, ref in rows]
    sellable = sum(lot.quantity_free for lot in lots if not lot.is_expired(today))
    row = StockRow(
        product,
        on_hand=sum(lot.quantity_on_hand for lot in lots),
        reserved=sum(lot.quantity_reserved for lot in lots),
        sellable=sellable,
        expired=sum(lot.quantity_on_hand for lot in lots if lot.is_expired(today)),
        lots=len(lots),
    )
    return ProductStock(
        product=product,
        lots=lots,
        ledger=Page(items=entries, page=page, per_page=per_page, total=total),
        row=row,
    )


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


# --- recall ------------------------------------------------------------------------------


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


# --- CSV ---------------------------------------------------------------------------------

STOCK_CSV_COLUMNS = (
    "sku",
    "product",
    "lot_number",
    "expiry_date",
    "on_hand",
    "reserved",
    "expired",
    "unit_cost",
)
DELIVERY_CSV_COLUMNS = ("sku", "lot_number", "expiry_date", "quantity", "unit_cost")
MAX_CSV_ROWS = 2000


def export_stock_csv(today: date) -> str:
    """Return every lot as CSV: product, lot, expiry, quantities and unit cost."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    writer.writerow(STOCK_CSV_COLUMNS)
    rows = db.session.execute(
        select(Product.sku, Product.name, StockLot)
        .join(StockLot, StockLot.product_id == Product.id)
        .order_by(Product.sku, StockLot.expiry_date, StockLot.id)
    ).all()
    for sku, name, lot in rows:
        writer.writerow(
            [
                sku,
                _csv_safe(name),
                _csv_safe(lot.lot_number),
                lot.expiry_date.isoformat(),
                lot.quantity_on_hand,
                lot.quantity_reserved,
                "yes" if lot.is_expired(today) else "no",
                plain_pounds(lot.unit_cost_pence),
            ]
        )
    return output.getvalue()


def _csv_safe(text: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


@dataclass(frozen=True)
class CsvProblem:
    """One problem in an uploaded CSV file: the line, the column and what is wrong."""

    line: int
    column: str
    problem: str


@dataclass(frozen=True)
class PreviewLine:
    """A valid CSV row, ready to book."""

    line: int
    product: Product
    delivery: DeliveryLine
    new_lot: bool


@dataclass(frozen=True)
class DeliveryPreview:
    """What importing a delivery CSV would book, or why it cannot."""

    lines: list[PreviewLine]
    problems: list[CsvProblem]

    @property
    def units(self) -> int:
        """Return the total units the file would book."""
        return sum(line.delivery.quantity for line in self.lines)


class CsvImportError(StockError):
    """The CSV file has problems; nothing was booked."""

    def __init__(self, problems: list[CsvProblem]) -> None:
        self.problems = problems
        super().__init__(f"{len(problems)} problem(s) in the file")


def preview_delivery_csv(text: str, today: date) -> DeliveryPreview:
    """Check a delivery CSV row by row and return the lines it would book and every problem."""
    problems: list[CsvProblem] = []
    text = text.lstrip("\ufeff")
    if not text.strip():
        return DeliveryPreview([], [CsvProblem(1, "(file)", "The file is empty.")])
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as error:
        return DeliveryPreview([], [CsvProblem(1, "(file)", f"Not a CSV file: {error}.")])
    missing = [name for name in DELIVERY_CSV_COLUMNS if name not in header]
    unknown = [name for name in header if name not in DELIVERY_CSV_COLUMNS]
    for name in missing:
        problems.append(CsvProblem(1, name, "This column is missing from the header."))
    for name in unknown:
        problems.append(
            CsvProblem(
                1, name or "(blank)", "Unknown column; expected " + ", ".join(DELIVERY_CSV_COLUMNS)
            )
        )
    if len(set(header)) != len(header):
        problems.append(CsvProblem(1, "(header)", "A column is named twice."))
    if problems:
        return DeliveryPreview([], problems)
    position = {name: header.index(name) for name in DELIVERY_CSV_COLUMNS}
    raw_rows: list[tuple[int, dict[str, str]]] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(raw_rows) >= MAX_CSV_ROWS:
                problems.append(
                    CsvProblem(line, "(file)", f"A file may have at most {MAX_CSV_ROWS} rows.")
                )
                break
            if len(row) != len(header):
                problems.append(
                    CsvProblem(line, "(row)", f"Expected {len(header)} values, found {len(row)}.")
                )
                continue
            raw_rows.append((line, {name: row[i].strip() for name, i in position.items()}))
    except csv.Error as error:
        problems.append(CsvProblem(reader.line_num, "(file)", f"Not valid CSV: {error}."))
        return DeliveryPreview([], problems)
    if not raw_rows and not problems:
        problems.append(CsvProblem(2, "(file)", "The file has a header but no rows."))
    products = {
        product.sku.lower(): product
        for product in db.session.execute(
            select(Product).where(
                func.lower(Product.sku).in_({values["sku"].lower() for _, values in raw_rows})
            )
        ).scalars()
    }
    candidates: list[tuple[int, Product, DeliveryLine]] = []
    for line, values in raw_rows:
        row_problems: list[CsvProblem] = []
        product = products.get(values["sku"].lower())
        if not values["sku"]:
            row_problems.append(CsvProblem(line, "sku", "The SKU is empty."))
        elif product is None:
            row_problems.append(
                CsvProblem(line, "sku", f"No product has the SKU '{values['sku'][:40]}'.")
            )
        lot_number = values["lot_number"]
        if not lot_number:
            row_problems.append(CsvProblem(line, "lot_number", "The lot number is empty."))
        elif not LOT_NUMBER_PATTERN.match(lot_number):
            row_problems.append(
                CsvProblem(
                    line,
                    "lot_number",
                    "Lot numbers are 1 to 60 letters, digits, dots, dashes or slashes.",
                )
            )
        expiry = None
        try:
            expiry = date.fromisoformat(values["expiry_date"])
            if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", values["expiry_date"]):
                raise ValueError
        except ValueError:
            expiry = None
            row_problems.append(
                CsvProblem(line, "expiry_date", "Write the date as YYYY-MM-DD, e.g. 2027-03-31.")
            )
        if expiry is not None and expiry <= today:
            row_problems.append(
                CsvProblem(line, "expiry_date", "The expiry date must be in the future.")
            )
        quantity = None
        if re.fullmatch(r"\d{1,6}", values["quantity"]):
            quantity = int(values["quantity"])
        if quantity is None or not 1 <= quantity <= MAX_UNITS_PER_LINE:
            row_problems.append(
                CsvProblem(
                    line,
                    "quantity",
                    f"The quantity must be a whole number from 1 to {MAX_UNITS_PER_LINE}.",
                )
            )
        cost = None
        if values["unit_cost"]:
            try:
                cost = parse_pounds(values["unit_cost"])
            except ValueError:
                row_problems.append(
                    CsvProblem(
                        line,
                        "unit_cost",
                        "Write the unit cost in pounds, e.g. 4.50 (no sign, no currency symbol).",
                    )
                )
        problems.extend(row_problems)
        if not row_problems:
            candidates.append(
                (line, product, DeliveryLine(product.id, lot_number, expiry, quantity, cost))
            )
    # Checks across rows and against stock already held (duplicate lots, expiry mismatch).
    deliveries = [delivery for _, _, delivery in candidates]
    for issue in check_delivery_lines(deliveries, today) if deliveries else []:
        line = candidates[issue.index][0]
        column = {"product": "sku", "unit_cost": "unit_cost"}.get(issue.field, issue.field)
        problems.append(CsvProblem(line, column, issue.problem.replace("line ", "row ")))
    existing = {
        (lot.product_id, lot.lot_number)
        for lot in db.session.execute(
            select(StockLot).where(
                StockLot.product_id.in_({d.product_id for d in deliveries}),
                StockLot.lot_number.in_({d.lot_number for d in deliveries}),
            )
        ).scalars()
    }
    lines = [
        PreviewLine(
            line, product, delivery, (delivery.product_id, delivery.lot_number) not in existing
        )
        for line, product, delivery in candidates
    ]
    problems.sort(key=lambda p: p.line)
    return DeliveryPreview(lines=lines if not problems else [], problems=problems)


def import_delivery_csv(
    text: str,
    *,
    today: date,
    user_id: int | None = None,
    supplier: str = "",
    reference: str = "",
) -> StockReceipt:
    """Book a delivery from CSV; nothing is booked unless every row is valid (CsvImportError)."""
    preview = preview_delivery_csv(text, today)
    if preview.problems:
        raise CsvImportError(preview.problems)
    return receive_delivery(
        [line.delivery for line in preview.lines],
        today=today,
        user_id=user_id,
        supplier=supplier,
        reference=reference,
        note="Imported from CSV",
    )


def get_lot(lot_id: int) -> StockLot | None:
    """Return a lot with its product."""
    return db.session.execute(
        select(StockLot).where(StockLot.id == lot_id).options(joinedload(StockLot.product))
    ).scalar_one_or_none()
