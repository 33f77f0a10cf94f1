"""Stock as CSV files: the stock export, and the delivery import with its row-by-row preview."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select

from models import Product, StockLot, StockReceipt, db
from shop.labels import counted
from shop.money import parse_pounds, plain_pounds
from shop.services.inventory.deliveries import (
    DeliveryLine,
    check_delivery_line,
    check_delivery_lines,
    lots_in_stock,
)
from shop.services.inventory.movements import receive_delivery
from shop.services.inventory.rules import MAX_UNITS_PER_LINE, StockError
from shop.services.spreadsheets import csv_safe

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
QUANTITY_RULE = f"The quantity must be a whole number from 1 to {MAX_UNITS_PER_LINE}."
# A delivery line's fields as a CSV file names them.
CSV_COLUMN_OF_FIELD = {"product": "sku"}


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
                csv_safe(name),
                csv_safe(lot.lot_number),
                lot.expiry_date.isoformat(),
                lot.quantity_on_hand,
                lot.quantity_reserved,
                "yes" if lot.is_expired(today) else "no",
                plain_pounds(lot.unit_cost_pence),
            ]
        )
    return output.getvalue()


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
        super().__init__(f"{counted(len(problems), 'problem')} in the file")


# A data row of the file: its line number and its values by column name.
RawRow = tuple[int, dict[str, str]]


def preview_delivery_csv(text: str, today: date) -> DeliveryPreview:
    """Check a delivery CSV row by row and return the lines it would book and every problem."""
    text = text.lstrip("\ufeff")
    if not text.strip():
        return DeliveryPreview([], [CsvProblem(1, "(file)", "The file is empty.")])
    reader = csv.reader(io.StringIO(text))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except csv.Error as error:
        return DeliveryPreview([], [CsvProblem(1, "(file)", f"Not a CSV file: {error}.")])
    problems = _header_problems(header)
    if problems:
        return DeliveryPreview([], problems)
    rows, problems, readable = _read_rows(reader, header)
    if not readable:
        return DeliveryPreview([], problems)
    if not rows and not problems:
        problems.append(CsvProblem(2, "(file)", "The file has a header but no rows."))
    products = _products_by_sku(rows)
    candidates: list[tuple[int, Product, DeliveryLine]] = []
    for line, values in rows:
        product = products.get(values["sku"].lower())
        delivery, row_problems = _check_row(line, values, product, today)
        problems += row_problems
        if delivery is not None:
            candidates.append((line, product, delivery))
    problems += _clashes_between_rows(candidates, today)
    problems.sort(key=lambda p: p.line)
    if problems:
        return DeliveryPreview(lines=[], problems=problems)
    return DeliveryPreview(lines=_preview_lines(candidates), problems=[])


def _header_problems(header: list[str]) -> list[CsvProblem]:
    """Return what is wrong with the header row: missing, unknown or repeated columns."""
    problems = [
        CsvProblem(1, name, "This column is missing from the header.")
        for name in DELIVERY_CSV_COLUMNS
        if name not in header
    ]
    problems += [
        CsvProblem(
            1, name or "(blank)", "Unknown column; expected " + ", ".join(DELIVERY_CSV_COLUMNS)
        )
        for name in header
        if name not in DELIVERY_CSV_COLUMNS
    ]
    if len(set(header)) != len(header):
        problems.append(CsvProblem(1, "(header)", "A column is named twice."))
    return problems


def _read_rows(reader, header: list[str]) -> tuple[list[RawRow], list[CsvProblem], bool]:
    """Read the data rows (blank ones skipped); False at the end when the file is not CSV."""
    position = {name: header.index(name) for name in DELIVERY_CSV_COLUMNS}
    rows: list[RawRow] = []
    problems: list[CsvProblem] = []
    try:
        for row in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in row):
                continue
            if len(rows) >= MAX_CSV_ROWS:
                problems.append(
                    CsvProblem(line, "(file)", f"A file may have at most {MAX_CSV_ROWS} rows.")
                )
                break
            if len(row) != len(header):
                problems.append(
                    CsvProblem(line, "(row)", f"Expected {len(header)} values, found {len(row)}.")
                )
                continue
            rows.append((line, {name: row[i].strip() for name, i in position.items()}))
    except csv.Error as error:
        problems.append(CsvProblem(reader.line_num, "(file)", f"Not valid CSV: {error}."))
        return rows, problems, False
    return rows, problems, True


def _products_by_sku(rows: list[RawRow]) -> dict[str, Product]:
    """Return the products the rows name, by lower-case SKU, in one query."""
    skus = {values["sku"].lower() for _, values in rows}
    return {
        product.sku.lower(): product
        for product in db.session.execute(
            select(Product).where(func.lower(Product.sku).in_(skus))
        ).scalars()
    }


def _check_row(
    line: int, values: dict[str, str], product: Product | None, today: date
) -> tuple[DeliveryLine | None, list[CsvProblem]]:
    """Read one row into a delivery line and check it; the line is None when it has problems."""
    problems: list[CsvProblem] = []

    def unreadable(column: str, problem: str) -> None:
        problems.append(CsvProblem(line, column, problem))

    if not values["sku"]:
        unreadable("sku", "The SKU is empty.")
    elif product is None:
        unreadable("sku", f"No product has the SKU '{values['sku'][:40]}'.")
    lot_number = values["lot_number"] or None
    if lot_number is None:
        unreadable("lot_number", "The lot number is empty.")
    expiry = _iso_date(values["expiry_date"])
    if expiry is None:
        unreadable("expiry_date", "Write the date as YYYY-MM-DD, e.g. 2027-03-31.")
    quantity = int(values["quantity"]) if re.fullmatch(r"\d{1,6}", values["quantity"]) else None
    if quantity is None:
        unreadable("quantity", QUANTITY_RULE)
    cost = None
    if values["unit_cost"]:
        try:
            cost = parse_pounds(values["unit_cost"])
        except ValueError:
            unreadable(
                "unit_cost",
                "Write the unit cost in pounds, e.g. 4.50 (no sign, no currency symbol).",
            )
    for field, problem in check_delivery_line(
        today,
        product_known=True if product is not None else None,
        lot_number=lot_number,
        expiry_date=expiry,
        quantity=quantity,
        unit_cost_pence=cost,
    ):
        # A file is told one rule for quantities, whether the value is not a number or too big.
        wording = QUANTITY_RULE if field == "quantity" else problem
        unreadable(CSV_COLUMN_OF_FIELD.get(field, field), wording)
    if problems:
        # Report a row's problems in the file's column order, as a reader scans it.
        problems.sort(key=lambda p: DELIVERY_CSV_COLUMNS.index(p.column))
        return None, problems
    return DeliveryLine(product.id, lot_number, expiry, quantity, cost), []


def _iso_date(text: str) -> date | None:
    """Read a YYYY-MM-DD date, or None (fromisoformat alone also takes other ISO forms)."""
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _clashes_between_rows(
    candidates: list[tuple[int, Product, DeliveryLine]], today: date
) -> list[CsvProblem]:
    """Return the valid rows' clashes with each other and with the lots already in stock."""
    deliveries = [delivery for _, _, delivery in candidates]
    if not deliveries:
        return []
    return [
        CsvProblem(
            candidates[issue.index][0],
            CSV_COLUMN_OF_FIELD.get(issue.field, issue.field),
            issue.problem.replace("line ", "row "),
        )
        for issue in check_delivery_lines(deliveries, today)
    ]


def _preview_lines(candidates: list[tuple[int, Product, DeliveryLine]]) -> list[PreviewLine]:
    """Return the rows to book, each marked when its lot is new to the shop."""
    held = lots_in_stock(
        {delivery.product_id for _, _, delivery in candidates},
        {delivery.lot_number for _, _, delivery in candidates},
    )
    return [
        PreviewLine(line, product, delivery, (delivery.product_id, delivery.lot_number) not in held)
        for line, product, delivery in candidates
    ]


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
