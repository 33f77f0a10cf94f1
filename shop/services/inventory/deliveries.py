"""A delivery's lines and the one check each line passes, typed in a form or read from CSV."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from models import Product, StockLot, db
from shop.services.inventory.rules import (
    LOT_NUMBER_PATTERN,
    LOT_NUMBER_RULE,
    MAX_UNITS_PER_LINE,
    StockError,
)


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


def check_delivery_line(
    today: date,
    *,
    product_known: bool | None,
    lot_number: str | None,
    expiry_date: date | None,
    quantity: int | None,
    unit_cost_pence: int | None,
) -> list[tuple[str, str]]:
    """Return (field, problem) for every rule one delivery line breaks, in field order.

    None skips a field: the CSV reader passes it for a value it could not read, and has
    already said why.
    """
    problems: list[tuple[str, str]] = []
    if product_known is False:
        problems.append(("product", "Choose a product the shop sells."))
    if lot_number is not None and not LOT_NUMBER_PATTERN.match(lot_number):
        problems.append(("lot_number", LOT_NUMBER_RULE))
    if expiry_date is not None and expiry_date <= today:
        problems.append(("expiry_date", "The expiry date must be in the future."))
    if quantity is not None and not 1 <= quantity <= MAX_UNITS_PER_LINE:
        problems.append(("quantity", f"Quantity must be between 1 and {MAX_UNITS_PER_LINE}."))
    if unit_cost_pence is not None and unit_cost_pence < 0:
        problems.append(("unit_cost", "The unit cost cannot be negative."))
    return problems


def lots_in_stock(
    product_ids: Collection[int], lot_numbers: Collection[str]
) -> dict[tuple[int, str], StockLot]:
    """Return the lots the shop already holds among these products and lot numbers."""
    return {
        (lot.product_id, lot.lot_number): lot
        for lot in db.session.execute(
            select(StockLot).where(
                StockLot.product_id.in_(product_ids), StockLot.lot_number.in_(lot_numbers)
            )
        ).scalars()
    }


def check_delivery_lines(lines: list[DeliveryLine], today: date) -> list[LineProblem]:
    """Return every problem with a delivery's lines (empty when all can be booked)."""
    if not lines:
        return [LineProblem(0, "lines", "A delivery needs at least one line.")]
    known = set(
        db.session.execute(
            select(Product.id).where(Product.id.in_({line.product_id for line in lines}))
        ).scalars()
    )
    held = lots_in_stock(known, {line.lot_number for line in lines})
    problems: list[LineProblem] = []
    seen: dict[tuple[int, str], int] = {}
    for index, line in enumerate(lines):
        for field, problem in check_delivery_line(
            today,
            product_known=line.product_id in known,
            lot_number=line.lot_number or "",
            expiry_date=line.expiry_date,
            quantity=line.quantity,
            unit_cost_pence=line.unit_cost_pence,
        ):
            problems.append(LineProblem(index, field, problem))
        problems += _clashes(index, line, seen, held)
    return problems


def _clashes(
    index: int,
    line: DeliveryLine,
    seen: dict[tuple[int, str], int],
    held: dict[tuple[int, str], StockLot],
) -> list[LineProblem]:
    """Return a line's clashes with earlier lines and with the same lot already in stock."""
    problems: list[LineProblem] = []
    key = (line.product_id, line.lot_number)
    if key in seen:
        problems.append(
            LineProblem(index, "lot_number", f"This lot is already on line {seen[key] + 1}.")
        )
    seen.setdefault(key, index)
    lot = held.get(key)
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
