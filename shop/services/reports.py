"""Reports and the staff dashboard: sales, best sellers, revenue by treatment, stock value."""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pygal
from pygal.style import Style
from sqlalchemy import Select, and_, case, func, or_, select, union_all

from models import (
    ConsultationRequest,
    Kit,
    Order,
    OrderLine,
    Product,
    StockAllocation,
    StockLot,
    Treatment,
    db,
    kit_treatments,
)
from models.clinic import Recommendation
from shop import clock
from shop.money import plain_pounds
from shop.services import shared_cache
from shop.services.inventory import (
    StockRow,
    expired_lots_on_hand,
    expiry_counts,
    lots_expiring,
    low_stock,
)
from shop.services.pagination import Page, paginate
from shop.services.spreadsheets import csv_safe

# Orders that count as sales: paid and not (wholly) refunded; refunds are taken off.
SALES_STATUSES = ("paid", "ready_for_collection", "shipped", "completed", "partially_refunded")
EXPIRING_SOON_DAYS = 60
MAX_RANGE_DAYS = 366


def _bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """Return [start 00:00, day after end 00:00) of the clinic's days, as UTC moments."""
    return clock.day_starts(start), clock.day_starts(end + timedelta(days=1))


def _sold_at():
    return func.coalesce(Order.paid_at, Order.placed_at)


def _sold_between(low: datetime, high: datetime):
    """Orders sold in [low, high): paid then, or never paid and placed then.

    The same as coalesce(paid_at, placed_at) in the range, written as two ranges on
    ix_order_paid_at_placed_at (paid_at; then paid_at IS NULL and placed_at), so the
    database reads only the range's orders instead of computing coalesce on every order.
    """
    return and_(
        # Nearly every order has a sales status, so that test must not pick the index:
        # `status || ''` keeps SQLite (which has no statistics unless ANALYZE ran) from
        # walking every sold order through a status index instead of the two date ranges.
        Order.status.concat("").in_(SALES_STATUSES),
        or_(
            and_(Order.paid_at >= low, Order.paid_at < high),
            and_(Order.paid_at.is_(None), Order.placed_at >= low, Order.placed_at < high),
        ),
    )


def _in_range(start: date, end: date):
    return _sold_between(*_bounds(start, end))


def _net_line():
    """A line's revenue after refunded units (integer pence, rounded down)."""
    return (
        OrderLine.line_total_pence * (OrderLine.quantity - OrderLine.refunded_quantity)
    ) / OrderLine.quantity


@dataclass(frozen=True)
class SalesPoint:
    """Sales on one day or in one week."""

    starts: date
    orders: int
    revenue_pence: int


def sales_by_day(start: date, end: date) -> list[SalesPoint]:
    """Return net sales (order totals less refunds) for every clinic day of the range, zeros too.

    Orders are put on their day in the clinic's time zone, in Python: SQLite has no time
    zones, and a sale at 00:30 BST belongs to the new day, not to UTC's previous one.
    """
    rows = db.session.execute(
        select(_sold_at(), Order.total_pence - Order.refunded_pence).where(_in_range(start, end))
    ).all()
    found: dict[date, tuple[int, int]] = {}
    for sold_at, net in rows:
        day = clock.local(sold_at).date()
        orders, revenue = found.get(day, (0, 0))
        found[day] = (orders + 1, revenue + int(net or 0))
    points = []
    current = start
    while current <= end:
        orders, revenue = found.get(current, (0, 0))
        points.append(SalesPoint(current, orders, revenue))
        current += timedelta(days=1)
    return points


def sales_by_week(daily: list[SalesPoint]) -> list[SalesPoint]:
    """Add daily sales up into weeks starting on Monday."""
    weeks: dict[date, list[int]] = {}
    for point in daily:
        monday = point.starts - timedelta(days=point.starts.weekday())
        totals = weeks.setdefault(monday, [0, 0])
        totals[0] += point.orders
        totals[1] += point.revenue_pence
    return [SalesPoint(week, orders, revenue) for week, (orders, revenue) in weeks.items()]


@dataclass(frozen=True)
class BestSeller:
    """A product or kit with units sold and revenue in the range."""

    kind: str
    item_id: int
    name: str
    units: int
    revenue_pence: int


def _best_sellers_query(start: date, end: date, kind: str) -> Select:
    """Products or kits sold in the range, most units first (net of refunds), grouped in SQL."""
    item_id = OrderLine.product_id if kind == "product" else OrderLine.kit_id
    item = Product if kind == "product" else Kit
    units = func.sum(OrderLine.quantity - OrderLine.refunded_quantity)
    revenue = func.sum(_net_line())
    return (
        select(item_id, item.name, units, revenue)
        .join(Order, Order.id == OrderLine.order_id)
        .join(item, item.id == item_id)
        .where(OrderLine.kind == kind, _in_range(start, end))
        .group_by(item_id, item.name)
        .having(units > 0)
        .order_by(units.desc(), revenue.desc(), item.name, item_id)
    )


def best_sellers(start: date, end: date, kind: str, page: int = 1, per_page: int | None = None):
    """Return one page of the best-selling products or kits (every one without `per_page`)."""

    def sellers(rows) -> list[BestSeller]:
        return [
            BestSeller(kind, item_id, name, int(units), int(revenue or 0))
            for item_id, name, units, revenue in rows
        ]

    query = _best_sellers_query(start, end, kind)
    if per_page is None:
        rows = sellers(db.session.execute(query).all())
        return Page(rows, 1, max(len(rows), 1), len(rows))
    return paginate(query, page, per_page, sellers, count_in_page=True)


@dataclass(frozen=True)
class TreatmentRevenue:
    """Revenue attributed to a treatment (None: not linked to one)."""

    treatment: str
    revenue_pence: int
    via_recommendation_pence: int
    via_kits_pence: int


def revenue_by_treatment(start: date, end: date) -> list[TreatmentRevenue]:
    """Attribute sales to treatments: a recommendation's order to its treatment, else kit lines.

    A kit made for several treatments shares its revenue equally between them (whole pence,
    the remainder to the first), so the column adds up to the sales total.
    """
    rows = db.session.execute(
        select(Recommendation.treatment_id, OrderLine.kit_id, func.sum(_net_line()))
        .join(Order, Order.id == OrderLine.order_id)
        .outerjoin(Recommendation, Recommendation.id == Order.recommendation_id)
        .where(_in_range(start, end))
        .group_by(Recommendation.treatment_id, OrderLine.kit_id)
    ).all()
    kit_ids = {kit_id for _, kit_id, _ in rows if kit_id is not None}
    kit_map: dict[int, list[int]] = defaultdict(list)
    if kit_ids:
        for kit_id, treatment_id in db.session.execute(
            select(kit_treatments.c.kit_id, kit_treatments.c.treatment_id)
            .join(Treatment, Treatment.id == kit_treatments.c.treatment_id)
            .where(kit_treatments.c.kit_id.in_(kit_ids))
            .order_by(kit_treatments.c.kit_id, Treatment.position, Treatment.id)
        ):
            kit_map[kit_id].append(treatment_id)
    via_rec: dict[int | None, int] = defaultdict(int)
    via_kit: dict[int | None, int] = defaultdict(int)
    for treatment_id, kit_id, revenue in rows:
        revenue = int(revenue or 0)
        if treatment_id is not None:
            via_rec[treatment_id] += revenue
        elif kit_id is not None and kit_map.get(kit_id):
            targets = kit_map[kit_id]
            share, remainder = divmod(revenue, len(targets))
            for index, target in enumerate(targets):
                via_kit[target] += share + (remainder if index == 0 else 0)
        else:
            via_kit[None] += revenue
    names = dict(db.session.execute(select(Treatment.id, Treatment.name)).all())
    keys = set(via_rec) | set(via_kit)
    result = [
        TreatmentRevenue(
            treatment=names.get(key, "Not linked to a treatment")
            if key is not None
            else "Not linked to a treatment",
            revenue_pence=via_rec[key] + via_kit[key],
            via_recommendation_pence=via_rec[key],
            via_kits_pence=via_kit[key],
        )
        for key in keys
    ]
    return sorted(
        result, key=lambda r: (r.treatment == "Not linked to a treatment", -r.revenue_pence)
    )


@dataclass(frozen=True)
class StockValue:
    """A product's stock on hand valued at its lots' unit costs."""

    sku: str
    name: str
    units: int
    value_pence: int
    units_without_cost: int


def _stock_values(products: Select) -> Select:
    """Each product's on-hand units and their value at cost, for the products selected."""
    return (
        select(
            Product.sku,
            Product.name,
            func.sum(StockLot.quantity_on_hand),
            func.sum(StockLot.quantity_on_hand * func.coalesce(StockLot.unit_cost_pence, 0)),
            func.sum(
                case((StockLot.unit_cost_pence.is_(None), StockLot.quantity_on_hand), else_=0)
            ),
        )
        .join(StockLot, StockLot.product_id == Product.id)
        .where(StockLot.quantity_on_hand > 0, Product.id.in_(products))
        .group_by(Product.id, Product.sku, Product.name)
        .order_by(Product.name, Product.id)
    )


def _values(rows) -> list[StockValue]:
    return [
        StockValue(sku, name, int(units), int(value or 0), int(no_cost or 0))
        for sku, name, units, value, no_cost in rows
    ]


# The stock table counts this many pages past the one shown (see pagination.paginate).
STOCK_PAGES_COUNTED_AHEAD = 4


def stock_value(page: int = 1, per_page: int | None = None) -> Page:
    """Return a page of products' on-hand units valued at cost, by name (all without per_page).

    A page walks products by name (ix_product_name), keeping those with a lot on hand (the
    lot index answers), and values only that page's lots, so its cost does not grow with
    the catalogue.
    """
    on_hand = (
        select(StockLot.id)
        .where(StockLot.product_id == Product.id, StockLot.quantity_on_hand > 0)
        .exists()
    )
    stocked = select(Product.id).where(on_hand)
    if per_page is None:
        rows = _values(db.session.execute(_stock_values(stocked)).all())
        return Page(rows, 1, max(len(rows), 1), len(rows))
    return paginate(
        stocked.order_by(Product.name, Product.id),
        page,
        per_page,
        lambda ids: _values(
            db.session.execute(_stock_values(select(Product.id).where(Product.id.in_(ids)))).all()
        ),
        scalars=True,
        count_ahead=STOCK_PAGES_COUNTED_AHEAD,
    )


def stock_value_total() -> int:
    """Return the value at cost of all stock on hand (one sum over the lots)."""
    total = db.session.execute(
        select(
            func.sum(StockLot.quantity_on_hand * func.coalesce(StockLot.unit_cost_pence, 0))
        ).where(StockLot.quantity_on_hand > 0)
    ).scalar_one()
    return int(total or 0)


@dataclass(frozen=True)
class ShortDatedSale:
    """Units sold from a lot that was close to its expiry when sold."""

    sku: str
    name: str
    lot_number: str
    expiry_date: date
    units: int
    fewest_days_left: int


def sold_from_expiring_lots(
    start: date, end: date, within_days: int = EXPIRING_SOON_DAYS
) -> list[ShortDatedSale]:
    """Return units sold in the range from lots with at most `within_days` left on sale day."""
    sold_at = _sold_at()
    rows = db.session.execute(
        select(
            Product.sku,
            Product.name,
            StockLot.lot_number,
            StockLot.expiry_date,
            sold_at,
            func.sum(StockAllocation.quantity),
        )
        .join(OrderLine, OrderLine.id == StockAllocation.order_line_id)
        .join(Order, Order.id == OrderLine.order_id)
        .join(StockLot, StockLot.id == StockAllocation.lot_id)
        .join(Product, Product.id == StockAllocation.product_id)
        .where(_in_range(start, end), StockAllocation.state.in_(("held", "committed")))
        .group_by(Product.sku, Product.name, StockLot.lot_number, StockLot.expiry_date, sold_at)
    ).all()
    found: dict[tuple[str, str, str, date], list[int]] = {}
    for sku, name, lot_number, expiry, sold_moment, units in rows:
        days_left = (expiry - clock.local(sold_moment).date()).days
        if days_left > within_days:
            continue
        entry = found.setdefault((sku, name, lot_number, expiry), [0, days_left])
        entry[0] += int(units)
        entry[1] = min(entry[1], days_left)
    return sorted(
        (ShortDatedSale(*key, units, days) for key, (units, days) in found.items()),
        key=lambda s: (s.expiry_date, s.name),
    )


@dataclass(frozen=True)
class Report:
    """Everything the reports page shows for one date range; per-item tables are pages."""

    start: date
    end: date
    daily: list[SalesPoint]
    weekly: list[SalesPoint]
    best: dict[str, Page]  # "product" and "kit": pages of BestSeller
    treatments: list[TreatmentRevenue]
    stock: Page  # of StockValue
    stock_value_pence: int
    short_dated: list[ShortDatedSale]

    @property
    def revenue_pence(self) -> int:
        """Return net sales over the range."""
        return sum(point.revenue_pence for point in self.daily)

    @property
    def orders(self) -> int:
        """Return how many orders were sold in the range."""
        return sum(point.orders for point in self.daily)


def build_report(
    start: date, end: date, pages: dict[str, int] | None = None, per_page: int | None = None
) -> Report:
    """Compute every report for a date range (a fixed number of queries).

    With `per_page`, the best-seller and stock tables are one page each (`pages` says which,
    by "products", "kits" and "stock"); without it they are whole, as the CSV needs them.
    """
    if end < start:
        raise ValueError("The end date is before the start date.")
    if (end - start).days >= MAX_RANGE_DAYS:
        raise ValueError(f"Choose a range of at most {MAX_RANGE_DAYS} days.")
    pages = pages or {}
    # Figures only (totals per day, product, kit, treatment and lot; no order or customer), so
    # one staff member's report serves the next until an order, payment, refund, product or
    # lot changes. The clinic's date is in the key: lots expire at midnight without a write.
    key = (clock.today(), start, end, tuple(sorted(pages.items())), per_page)
    return shared_cache.remember(
        "report", key, lambda: _build_report(start, end, pages, per_page), sales=True
    )


def _build_report(start: date, end: date, pages: dict[str, int], per_page: int | None) -> Report:
    daily = sales_by_day(start, end)
    return Report(
        start=start,
        end=end,
        daily=daily,
        weekly=sales_by_week(daily),
        best={
            "product": best_sellers(start, end, "product", pages.get("products", 1), per_page),
            "kit": best_sellers(start, end, "kit", pages.get("kits", 1), per_page),
        },
        treatments=revenue_by_treatment(start, end),
        stock=stock_value(pages.get("stock", 1), per_page),
        stock_value_pence=stock_value_total(),
        short_dated=sold_from_expiring_lots(start, end),
    )


REPORT_TABLES = ("daily", "weekly", "products", "kits", "treatments", "stock", "short-dated")


def report_csv(report: Report, table: str) -> str:
    """Return one table of a report as CSV (amounts in pounds, dates ISO)."""
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")
    if table in ("daily", "weekly"):
        writer.writerow(["day" if table == "daily" else "week_starting", "orders", "revenue"])
        points = report.daily if table == "daily" else report.weekly
        for point in points:
            writer.writerow(
                [point.starts.isoformat(), point.orders, plain_pounds(point.revenue_pence)]
            )
    elif table in ("products", "kits"):
        writer.writerow(["name", "units", "revenue"])
        for item in report.best["product" if table == "products" else "kit"].items:
            writer.writerow([csv_safe(item.name), item.units, plain_pounds(item.revenue_pence)])
    elif table == "treatments":
        writer.writerow(["treatment", "revenue", "via_recommendations", "via_kits"])
        for row in report.treatments:
            writer.writerow(
                [
                    row.treatment,
                    plain_pounds(row.revenue_pence),
                    plain_pounds(row.via_recommendation_pence),
                    plain_pounds(row.via_kits_pence),
                ]
            )
    elif table == "stock":
        writer.writerow(["sku", "product", "units", "value_at_cost", "units_without_cost"])
        for row in report.stock.items:
            writer.writerow(
                [
                    row.sku,
                    csv_safe(row.name),
                    row.units,
                    plain_pounds(row.value_pence),
                    row.units_without_cost,
                ]
            )
    elif table == "short-dated":
        writer.writerow(
            ["sku", "product", "lot_number", "expiry_date", "units", "fewest_days_left"]
        )
        for row in report.short_dated:
            writer.writerow(
                [
                    row.sku,
                    csv_safe(row.name),
                    csv_safe(row.lot_number),
                    row.expiry_date.isoformat(),
                    row.units,
                    row.fewest_days_left,
                ]
            )
    else:
        raise ValueError(f"unknown report table {table!r}")
    return output.getvalue()


CHART_STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2a30",
    foreground_strong="#1f2a30",
    foreground_subtle="#d7dee2",
    colors=("#2f6f73",),
    font_family="system-ui, sans-serif",
)


def sales_chart_svg(points: list[SalesPoint], title: str) -> bytes:
    """Draw sales as a bar chart in SVG on the server: no script, so it works under any CSP."""
    chart = pygal.Bar(
        style=CHART_STYLE,
        width=900,
        height=360,
        show_legend=False,
        js=[],
        disable_xml_declaration=False,
        x_label_rotation=45 if len(points) > 14 else 0,
        show_minor_x_labels=False,
        truncate_label=12,
        value_formatter=lambda pence: "£" + plain_pounds(int(pence or 0)),
        title=title,
    )
    labels = [point.starts.strftime("%d %b") for point in points]
    chart.x_labels = labels
    step = max(1, len(labels) // 15)
    chart.x_labels_major = labels[::step]
    chart.add("Sales", [point.revenue_pence for point in points])
    # pygal still writes a small config script; the chart needs none of it, so drop it.
    return re.sub(rb"<script\b.*?</script>", b"", chart.render(), flags=re.DOTALL)


# --- dashboard ---------------------------------------------------------------------------


# Dashboard counts stop here ("999+"): past it the number changes nothing staff do, and
# counting further would read ever more orders on every visit.
DASHBOARD_COUNT_CAP = 999
EXPIRY_WINDOWS = (30, 60, 90)


@dataclass(frozen=True)
class Dashboard:
    """What staff need to see first thing: work waiting, stock to act on, sales so far."""

    to_pack: list[Order]
    to_pack_count: int
    awaiting_collection: list[Order]
    awaiting_count: int
    overdue_collection: int
    low_stock: list[StockRow]
    expiring: list[StockLot]
    expiring_counts: dict[int, int]
    expired_on_hand: list[StockLot]
    expired_count: int
    today_orders: int
    today_pence: int
    week_orders: int
    week_pence: int
    open_consultations: int

    @staticmethod
    def count_label(count: int) -> str:
        """Return a capped count as staff read it ("999+" past the cap)."""
        return f"{DASHBOARD_COUNT_CAP}+" if count > DASHBOARD_COUNT_CAP else str(count)


def _sales_between(low: datetime, high: datetime) -> tuple[int, int]:
    orders, revenue = db.session.execute(
        select(func.count(Order.id), func.sum(Order.total_pence - Order.refunded_pence)).where(
            _sold_between(low, high)
        )
    ).one()
    return int(orders or 0), int(revenue or 0)


def _capped_count(*conditions) -> int:
    """Count matching orders, stopping one past DASHBOARD_COUNT_CAP."""
    return db.session.execute(
        select(func.count()).select_from(
            select(Order.id).where(*conditions).limit(DASHBOARD_COUNT_CAP + 1).subquery()
        )
    ).scalar_one()


# The click-and-collect queue as two conditions, each one range of ix_order_collect_queue.
_READY_TO_COLLECT = (Order.status == "ready_for_collection", Order.fulfilment == "collect")
_PAY_AT_DESK = (
    Order.status == "pending_payment",
    Order.fulfilment == "collect",
    Order.payment_method == "clinic",
)


def _awaiting_collection(limit: int) -> list[Order]:
    """Return the first orders of the collection queue by hold deadline (one query).

    Each part of the queue is read in deadline order from the index and cut to `limit`,
    then the two short lists are merged, so no sort touches the whole queue.
    """
    parts = [
        select(Order.id)
        .where(*part)
        .order_by(Order.reserved_until, Order.id)
        .limit(limit)
        .subquery()
        .select()
        for part in (_READY_TO_COLLECT, _PAY_AT_DESK)
    ]
    return list(
        db.session.execute(
            select(Order)
            .where(Order.id.in_(union_all(*parts)))
            .order_by(Order.reserved_until, Order.id)
            .limit(limit)
        ).scalars()
    )


def build_dashboard(today: date, now: datetime, limit: int = 10) -> Dashboard:
    """Collect the dashboard's lists and counts (a fixed number of bounded queries)."""
    to_pack_filter = (Order.status == "paid", Order.packed_at.is_(None))
    to_pack = list(
        db.session.execute(
            select(Order).where(*to_pack_filter).order_by(Order.paid_at, Order.id).limit(limit)
        ).scalars()
    )
    awaiting_count = _capped_count(*_READY_TO_COLLECT) + _capped_count(*_PAY_AT_DESK)
    overdue = _capped_count(*_READY_TO_COLLECT, Order.reserved_until < now) + _capped_count(
        *_PAY_AT_DESK, Order.reserved_until < now
    )
    expired_count, expiring_counts = expiry_counts(today, EXPIRY_WINDOWS)
    week_start = today - timedelta(days=today.weekday())
    today_low, today_high = _bounds(today, today)
    week_low, _ = _bounds(week_start, today)
    today_orders, today_pence = _sales_between(today_low, today_high)
    week_orders, week_pence = _sales_between(week_low, today_high)
    open_consultations = db.session.execute(
        select(func.count(ConsultationRequest.id)).where(ConsultationRequest.status == "open")
    ).scalar_one()
    return Dashboard(
        to_pack=to_pack,
        to_pack_count=_capped_count(*to_pack_filter),
        awaiting_collection=_awaiting_collection(limit),
        awaiting_count=awaiting_count,
        overdue_collection=overdue,
        low_stock=low_stock(today, limit),
        expiring=lots_expiring(today, max(EXPIRY_WINDOWS), limit),
        expiring_counts=expiring_counts,
        expired_on_hand=expired_lots_on_hand(today, limit),
        expired_count=expired_count,
        today_orders=today_orders,
        today_pence=today_pence,
        week_orders=week_orders,
        week_pence=week_pence,
        open_consultations=open_consultations,
    )
