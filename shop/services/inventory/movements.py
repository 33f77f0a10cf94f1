"""Stock changes and their ledger: receipts, adjustments, counts, write-offs, and its checks.

Every change is one conditional UPDATE of the lot plus an append-only movement, so on-hand
always equals the sum of the lot's movements, and reserved never exceeds on hand.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from models import (
    Order,
    OrderLine,
    Product,
    StockAllocation,
    StockLot,
    StockMovement,
    StockReceipt,
    db,
)
from shop import clock
from shop.services.audit import record
from shop.services.inventory.deliveries import DeliveryError, DeliveryLine, check_delivery_lines
from shop.services.inventory.rules import ADJUSTMENT_REASONS, MAX_UNITS_PER_LINE, StockError
from shop.services.unit_of_work import unit_of_work

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
        "received_at": clock.utc_now(),
    }
    if db.session.get_bind().dialect.name == "postgresql":
        statement = postgresql_insert(StockLot).values(**values)
    else:
        statement = sqlite_insert(StockLot).values(**values)
    db.session.execute(
        statement.on_conflict_do_nothing(index_elements=["product_id", "lot_number"])
    )


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
class CountChange:
    """One lot whose count differs from the books: what the books said and what was counted."""

    lot_id: int
    product_name: str
    lot_number: str
    booked: int
    counted: int

    @property
    def difference(self) -> int:
        """Units found (positive) or missing (negative)."""
        return self.counted - self.booked

    def describe(self) -> str:
        """Say the change in words: "Umbra SPF50 lot L24-0917: 24 → 20, 4 written off"."""
        moved = (
            f"{self.difference} found" if self.difference > 0 else f"{-self.difference} written off"
        )
        return f"{self.product_name} lot {self.lot_number}: {self.booked} → {self.counted}, {moved}"


@dataclass(frozen=True)
class StocktakeResult:
    """What a stocktake booked: the count movements, each change, and how many lots matched."""

    movements: list[StockMovement]
    unchanged: int
    changes: list[CountChange] = field(default_factory=list)


class StocktakeError(StockError):
    """Some counted lots cannot be booked; nothing was."""

    def __init__(self, problems: dict[int, str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems.values()))


class LargeCountDifferences(StockError):
    """Some counts differ from the books by more than the threshold; nothing was booked.

    Staff confirm them (after a recount) and submit again.
    """

    def __init__(self, changes: list[CountChange], threshold: int) -> None:
        self.changes = changes
        self.threshold = threshold
        super().__init__("; ".join(change.describe() for change in changes))


def stocktake(
    counts: dict[int, int],
    *,
    user_id: int | None = None,
    note: str = "",
    confirm_over: int | None = None,
) -> StocktakeResult:
    """Book counted quantities for many lots: a count movement for each difference; commits.

    All or nothing: if a count is below what orders hold, or a lot is unknown, nothing is booked.
    With `confirm_over`, a count more than that many units away from the books (read under
    the same lock the booking uses) raises LargeCountDifferences and books nothing.
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
        names = dict(
            db.session.execute(
                select(Product.id, Product.name).where(
                    Product.id.in_({lot.product_id for lot in lots})
                )
            ).all()
        )
        changes = [
            CountChange(
                lot.id, names[lot.product_id], lot.lot_number, lot.quantity_on_hand, counts[lot.id]
            )
            for lot in lots
            if counts[lot.id] != lot.quantity_on_hand
        ]
        if confirm_over is not None:
            large = [change for change in changes if abs(change.difference) > confirm_over]
            if large:
                raise LargeCountDifferences(large, confirm_over)
        movements: list[StockMovement] = []
        unchanged = len(lots) - len(changes)
        by_lot = {lot.id: lot for lot in lots}
        for change in changes:
            lot = by_lot[change.lot_id]
            counted, seen = change.counted, change.booked
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
    return StocktakeResult(movements=movements, unchanged=unchanged, changes=changes)


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


# --- verifying the ledger ----------------------------------------------------------------


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
