"""Measure each page's SQL statements and median time on the demo shop and on a grown shop.

Run: .venv/bin/python bench/scale.py [--products 5000] [--kits 200] [--orders 50000]
         [--small-orders 500] [--repeat 15] [--database-url postgresql://...]
         [--small-database-url postgresql://...]
Two shops are built side by side, each in a process of its own: the demo catalogue (about 30
products) with a small shop's order history (--small-orders, over two years, so that every
staff list has rows at both sizes), and the same shop grown through the shop's own models to
the given size. Each page is then measured on one shop and at once on the other, round after
round, so a machine that speeds up or slows down during the run weighs on both sizes alike.
Without --database-url both use throw-away SQLite files. A PostgreSQL --database-url must name
an empty database the large shop may fill; the small shop goes in --small-database-url, or else
in a database of the same name with "_small" appended, which the bench creates and drops.
It prints one table and whether each target is met: every page within 1.25x of its time at
the demo size, and the plan API under 50 ms at the grown size. Pages are timed as most
visitors get them (shared catalogue caches filled) and cold, as the first visitor after a
change to the catalogue or stock gets them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import random
import statistics
import sys
import tempfile
import time
import traceback
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psycopg
from flask import g
from psycopg import sql
from sqlalchemy import Engine, event, insert, select, text
from sqlalchemy.engine import make_url

from app import create_app
from models import (
    Kit,
    KitItem,
    Order,
    OrderEvent,
    OrderLine,
    Payment,
    Product,
    ProductSkinType,
    StockLot,
    StockMovement,
    Treatment,
    User,
    db,
)
from models.catalogue import kit_treatments
from shop.aftercare.vocabulary import CONCERNS, SKIN_TYPES
from shop.services import product_search, shared_cache

# Pages whose time must not grow with the shop, as (label, path); {today} is filled in.
STOREFRONT = (
    "/",
    "/products",
    "/products?category=sunscreen&spf=50&sort=price-asc",
    # A search that fills a page of 12 at both sizes (29 of the demo's 30 products match, and
    # about 4,000 more at 5,000), so the two times compare the same page, not 5 cards with 12.
    "/products?q=fragrance+free",
    "/products/umbra-sheer-mineral-fluid-spf50",
    "/kits",
    "/kits/microneedling-recovery-kit",
    "/treatments/microneedling",
    "/kit-finder",
)
PLAN_API = "/api/v1/aftercare-plan?treatment=microneedling&treated_on={today}&fitzpatrick=5"
STAFF = (
    "/staff/",
    "/staff/orders",
    "/staff/products",
    "/staff/kits",
    "/staff/stock",
    "/staff/reports",
)
RATIO_TARGET = 1.25
PLAN_API_TARGET_MS = 50.0
STAFF_EMAIL = "bench-staff@clinic.example"
STAFF_PASSWORD = "Bench-pass-2026"
BATCH = 2000
# The least time each round asks for a page served from the cache (see measure).
WARM_SECONDS = 0.25

# What a grown catalogue is made of: categories the engine looks at, with their attributes.
KINDS = (
    ("sunscreen", {"spf": 50, "uv_filter": "mineral", "days_per_unit": 30}),
    ("sunscreen", {"spf": 30, "uv_filter": "chemical", "days_per_unit": 30}),
    ("sunscreen", {"spf": 50, "uv_filter": "mineral", "tinted": True, "days_per_unit": 30}),
    ("cleanser", {"days_per_unit": 45}),
    ("moisturiser", {"days_per_unit": 40}),
    ("balm", {"occlusive": True, "days_per_unit": 30}),
    ("serum", {"actives": ["hyaluronic-acid"], "days_per_unit": 30}),
    ("mist", {"days_per_unit": 30}),
    ("makeup", {}),
)


def _chunks(rows: list[dict], size: int = BATCH):
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def _insert(model, rows: list[dict]) -> None:
    """Insert many rows through the model's own table (its constraints and defaults)."""
    for chunk in _chunks(rows):
        db.session.execute(insert(model), chunk)


def grow_catalogue(products: int, kits: int, rng: random.Random) -> list[int]:
    """Add products (each with skin types, one lot and its receipt) and kits; return product ids."""
    first = db.session.execute(select(db.func.coalesce(db.func.max(Product.id), 0))).scalar_one()
    rows = []
    for number in range(products):
        category, attributes = KINDS[number % len(KINDS)]
        rows.append(
            {
                "sku": f"SCALE-{number:06d}",
                "slug": f"scale-{category}-{number:06d}",
                "name": f"Scale {category.title()} {number:06d}",
                "brand": f"Brand {number % 40:02d}",
                "category": category,
                "summary": "A product added to measure the shop at scale.",
                "price_pence": 900 + rng.randrange(4000),
                "fragrance_free": number % 5 != 0,
                "non_comedogenic": number % 3 == 0,
                "actives": [],
                **attributes,
            }
        )
    _insert(Product, rows)
    ids = list(
        db.session.execute(select(Product.id).where(Product.id > first).order_by(Product.id))
        .scalars()
        .all()
    )
    _insert(
        ProductSkinType,
        [
            {"product_id": pid, "skin_type": SKIN_TYPES[(pid + k) % len(SKIN_TYPES)]}
            for pid in ids
            for k in range(2)
        ],
    )
    # Bulk inserts pass no flush, so the products' search rows are written here.
    product_search.refresh(db.session.connection(), ids)
    expiry = date.today() + timedelta(days=500)
    _insert(
        StockLot,
        [
            {
                "product_id": pid,
                "lot_number": f"S{pid:07d}",
                "expiry_date": expiry,
                "quantity_on_hand": 40,
                "quantity_reserved": 0,
            }
            for pid in ids
        ],
    )
    lots = db.session.execute(
        select(StockLot.id, StockLot.product_id).where(StockLot.product_id.in_(ids))
    ).all()
    _insert(
        StockMovement,
        [
            {"lot_id": lot, "product_id": pid, "kind": "receipt", "quantity": 40}
            for lot, pid in lots
        ],
    )
    treatments = db.session.execute(select(Treatment.id)).scalars().all()
    for number in range(kits):
        kit = Kit(
            slug=f"scale-kit-{number:04d}",
            name=f"Scale Kit {number:04d}",
            summary="A kit added to measure the shop at scale.",
            price_rule="percent_off",
            percent_off=10,
            fitzpatrick_min=1 + number % 3,
            fitzpatrick_max=4 + number % 3,
            concerns=[CONCERNS[number % len(CONCERNS)]] if number % 2 else [],
            is_active=True,
        )
        db.session.add(kit)
        db.session.flush()
        picked = rng.sample(ids, 4)
        _insert(
            KitItem,
            [
                {"kit_id": kit.id, "product_id": pid, "quantity": 1, "position": p}
                for p, pid in enumerate(picked)
            ],
        )
        db.session.execute(
            insert(kit_treatments),
            [{"kit_id": kit.id, "treatment_id": treatments[number % len(treatments)]}],
        )
    db.session.commit()
    return ids


def grow_orders(count: int, product_ids: list[int], rng: random.Random) -> None:
    """Add `count` paid, collected or shipped orders spread over two years, one line each."""
    statuses = ("paid", "completed", "completed", "shipped", "ready_for_collection")
    now = datetime.now(UTC)
    first = db.session.execute(select(db.func.coalesce(db.func.max(Order.id), 0))).scalar_one()
    rows = []
    for number in range(first, first + count):
        placed = now - timedelta(minutes=rng.randrange(60 * 24 * 730))
        status = statuses[number % len(statuses)]
        fulfilment = "delivery" if status == "shipped" else "collect"
        total = 1000 + rng.randrange(6000)
        rows.append(
            {
                "reference": f"LS-SCALE{number:07d}",
                "email": f"patient{number % 9000}@example.com",
                "name": f"Patient {number % 9000}",
                "fulfilment": fulfilment,
                "status": status,
                "payment_method": "card",
                "subtotal_pence": total,
                "delivery_pence": 0,
                "total_pence": total,
                "vat_pence": total // 6,
                "refunded_pence": 0,
                "currency": "GBP",
                "placed_at": placed,
                "paid_at": placed + timedelta(minutes=2),
            }
        )
    _insert(Order, rows)
    orders = db.session.execute(
        select(Order.id, Order.total_pence, Order.placed_at)
        .where(Order.id > first)
        .order_by(Order.id)
    ).all()
    names = dict(db.session.execute(select(Product.id, Product.name)).all())
    lines, events, payments = [], [], []
    for order_id, total, placed in orders:
        product_id = rng.choice(product_ids)
        lines.append(
            {
                "order_id": order_id,
                "kind": "product",
                "product_id": product_id,
                "name": names[product_id],
                "quantity": 1,
                "unit_price_pence": total,
                "line_total_pence": total,
                "vat_pence": total // 6,
                "refunded_quantity": 0,
            }
        )
        events.append(
            {
                "order_id": order_id,
                "from_status": None,
                "to_status": "pending_payment",
                "note": "Placed",
                "created_at": placed,
            }
        )
        payments.append(
            {
                "order_id": order_id,
                "provider": "stripe",
                "amount_pence": total,
                "currency": "GBP",
                "status": "succeeded",
                "created_at": placed,
            }
        )
    _insert(OrderLine, lines)
    _insert(OrderEvent, events)
    _insert(Payment, payments)
    db.session.commit()


def staff_client(app):
    """Return a test client signed in as a staff member, through the real sign-in form."""
    from werkzeug.security import generate_password_hash

    db.session.add(
        User(
            email=STAFF_EMAIL,
            name="Bench Staff",
            role="staff",
            password_hash=generate_password_hash(STAFF_PASSWORD),
        )
    )
    db.session.commit()
    client = app.test_client()
    response = client.post(
        "/account/login", data={"email": STAFF_EMAIL, "password": STAFF_PASSWORD}
    )
    assert response.status_code in (302, 303), response.status_code
    return client


def measure(client, path: str, repeat: int, cold: bool) -> tuple[int, float]:
    """Return (statements per request, median milliseconds) for one page.

    `cold` empties the shop's shared in-process cache before each request, as the first
    visitor after a change to the catalogue or stock finds it. Served from the cache, a page
    is asked for at least `repeat` times and for at least WARM_SECONDS, so the median of a
    page of under a millisecond rests on hundreds of requests, not a handful.
    """
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    response = client.get(path)  # warm caches and templates
    assert response.status_code == 200, (path, response.status_code)
    event.listen(Engine, "before_cursor_execute", count)
    timings: list[float] = []
    until = time.perf_counter() + (0 if cold else WARM_SECONDS)
    try:
        while len(timings) < repeat or time.perf_counter() < until:
            if cold:
                shared_cache.forget_local()
            started = time.perf_counter()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (path, response.status_code)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    return len(statements) // len(timings), statistics.median(timings)


@dataclass(frozen=True)
class Figures:
    """One page's statements and median time, served from the cache and cold."""

    statements: int
    ms: float
    cold_statements: int
    cold_ms: float


@dataclass(frozen=True)
class Built:
    """What one shop holds once built, and how long growing it took."""

    products: int
    orders: int
    seconds: float


def shop_process(url: str, grown: bool, args: argparse.Namespace, pipe: Connection) -> None:
    """Build one shop on `url`, then measure the pages the pipe asks for until it sends None.

    Each shop has a process of its own, so its heap, caches and connections are its own, as a
    worker serving a shop of that size would have; only the machine is shared.
    """
    # Both shops in one Redis would read each other's tokens; the bench measures in process.
    os.environ.pop("REDIS_URL", None)
    try:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": url,
                "RATELIMIT_ENABLED": False,
                "WTF_CSRF_ENABLED": False,
                "DEMO_PASSWORD": STAFF_PASSWORD,
            }
        )

        @app.teardown_request
        def forget_signed_in_user(_error=None) -> None:
            # The bench keeps one app context open, so `g` outlives a request (in production
            # each request has its own): without this, the public client would be served as
            # the staff member the other client signed in.
            g.pop("_login_user", None)

        rng = random.Random(2026)
        with app.app_context():
            db.create_all()
            seeded = app.test_cli_runner().invoke(args=["seed"])
            assert seeded.exit_code == 0, seeded.output
            public, staff = app.test_client(), staff_client(app)
            demo_ids = list(db.session.execute(select(Product.id)).scalars())
            grow_orders(args.small_orders, demo_ids, rng)
            started = time.perf_counter()
            if grown:
                ids = grow_catalogue(args.products, args.kits, rng)
                grow_orders(args.orders, ids, rng)
            if db.engine.dialect.name == "postgresql":
                # A live shop's autovacuum gathers statistics as the tables grow; a bulk load
                # this fast leaves none, and the planner would guess from empty tables.
                db.session.execute(text("ANALYZE"))
                db.session.commit()
            built = Built(
                products=db.session.execute(select(db.func.count(Product.id))).scalar_one(),
                orders=db.session.execute(select(db.func.count(Order.id))).scalar_one(),
                seconds=time.perf_counter() - started,
            )
            db.session.commit()
            pipe.send(built)
            while (asked := pipe.recv()) is not None:
                path, repeat, cold = asked
                client = staff if path.startswith("/staff") else public
                pipe.send(measure(client, path, repeat, cold))
            # The pages ran inside this app context, so its session still holds a transaction
            # (and PostgreSQL's table locks) that DROP TABLE would wait on.
            db.session.remove()
            db.drop_all()
    except BaseException:
        pipe.send(traceback.format_exc())
        raise


class Shop:
    """The parent's handle on one shop's process: ask it to measure a page, wait for it."""

    def __init__(self, url: str, grown: bool, args: argparse.Namespace) -> None:
        self.pipe, child = multiprocessing.Pipe()
        # "spawn": a fresh interpreter, so nothing of the parent's (or the other shop's)
        # imports, caches or connections is inherited.
        self.process = multiprocessing.get_context("spawn").Process(
            target=shop_process, args=(url, grown, args, child), daemon=True
        )
        self.process.start()
        child.close()

    def answer(self):
        """Return the shop's next answer, failing loudly with its traceback if it broke."""
        try:
            answer = self.pipe.recv()
        except EOFError:
            raise SystemExit(
                f"the shop's process ended (exit code {self.process.exitcode})"
            ) from None
        if isinstance(answer, str):
            raise SystemExit(f"the shop's process failed:\n{answer}")
        return answer

    def measure(self, path: str, repeat: int, cold: bool) -> tuple[int, float]:
        """Return (statements per request, median milliseconds) for `path` on this shop."""
        self.pipe.send((path, repeat, cold))
        return self.answer()

    def close(self) -> None:
        """Let the shop drop its tables and end."""
        self.pipe.send(None)
        self.process.join(timeout=300)


def measure_both(small: Shop, large: Shop, pages: list[str], repeat: int):
    """Measure every page warm and cold on both shops, alternating them, in rounds."""
    runs: dict[Shop, dict[str, list]] = {
        small: {p: [] for p in pages},
        large: {p: [] for p in pages},
    }
    rounds = 5
    each = max(1, repeat // rounds)
    for number in range(rounds):
        for path in pages:
            # Which shop goes first alternates, so neither always follows the other's work.
            order = (small, large) if number % 2 == 0 else (large, small)
            for shop in order:
                runs[shop][path].append(
                    (shop.measure(path, each, cold=False), shop.measure(path, each, cold=True))
                )
    return tuple(
        {
            path: Figures(
                statements=measured[0][0][0],
                ms=statistics.median(warm[1] for warm, _ in measured),
                cold_statements=measured[0][1][0],
                cold_ms=statistics.median(cold[1] for _, cold in measured),
            )
            for path, measured in runs[shop].items()
        }
        for shop in (small, large)
    )


@contextmanager
def sibling_database(url: str) -> Iterator[str]:
    """Yield an empty database `<name>_small` beside PostgreSQL `url`; drop it afterwards."""
    parsed = make_url(url)
    name = sql.Identifier(f"{parsed.database}_small")
    where = {"host": parsed.host, "port": parsed.port, "user": parsed.username}

    def admin(statement: sql.Composed) -> None:
        with psycopg.connect(
            dbname="postgres", autocommit=True, password=parsed.password, **where
        ) as connection:
            connection.execute(statement)

    admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
    admin(sql.SQL("CREATE DATABASE {}").format(name))
    try:
        yield parsed.set(database=f"{parsed.database}_small").render_as_string(hide_password=False)
    finally:
        admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))


def main() -> int:
    """Build the small and the grown shop, measure both alternately, print table and targets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=5000)
    parser.add_argument("--kits", type=int, default=200)
    parser.add_argument("--orders", type=int, default=50000)
    parser.add_argument("--small-orders", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--small-database-url", default="")
    args = parser.parse_args()
    today = date.today().isoformat()
    pages = [*STOREFRONT, PLAN_API.format(today=today), *STAFF]
    with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
        large_url = args.database_url or f"sqlite:///{folder}/large.sqlite3"
        small_url = args.small_database_url or f"sqlite:///{folder}/small.sqlite3"
        if args.database_url and not args.small_database_url:
            small_url = stack.enter_context(sibling_database(args.database_url))
        small, large = Shop(small_url, False, args), Shop(large_url, True, args)
        small_built, large_built = small.answer(), large.answer()
        small_figures, large_figures = measure_both(small, large, pages, args.repeat)
        small.close()
        large.close()
    return report(args, large_url, pages, small_built, large_built, small_figures, large_figures)


def report(args, url, pages, small_built, large_built, small, large) -> int:
    """Print the table and the targets; return 0 when every target is met."""
    print(
        f"Built {args.products} products, {args.kits} kits and {args.orders} orders "
        f"in {large_built.seconds:.0f} s on {url.split(':', 1)[0]}."
    )
    print(
        f"| page | statements ({small_built.products} products, {small_built.orders} orders) "
        f"| statements ({large_built.products} products, {large_built.orders} orders) "
        "| median ms (small) | median ms (large) | ratio | target "
        "| cold statements | cold ms (small) | cold ms (large) | cold ratio |"
    )
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    missed = 0
    for path in pages:
        one, two = small[path], large[path]
        ratio = two.ms / one.ms if one.ms else float("inf")
        met = ratio <= RATIO_TARGET and two.statements <= one.statements
        if path.startswith("/api/"):
            met = met and two.ms < PLAN_API_TARGET_MS
        missed += not met
        cold = two.cold_ms / one.cold_ms if one.cold_ms else float("inf")
        print(
            f"| `{path}` | {one.statements} | {two.statements} | {one.ms:.1f} | {two.ms:.1f} "
            f"| {ratio:.2f} | {'met' if met else 'MISSED'} "
            f"| {one.cold_statements} → {two.cold_statements} | {one.cold_ms:.1f} "
            f"| {two.cold_ms:.1f} | {cold:.2f} |"
        )
    print(
        f"Targets: within {RATIO_TARGET}x of the small shop, same statement count, plan API "
        f"under {PLAN_API_TARGET_MS:.0f} ms. {len(pages) - missed} of {len(pages)} met."
    )
    print(
        "Cold: the first request after a change to the catalogue or stock, with that shop's "
        "shared cache empty; figures, not targets."
    )
    return 0 if missed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
