"""Measure SQL statements and time per page on the demo shop, and again with a larger catalogue.

Run: .venv/bin/python bench/page_queries.py [--extra-products 500] [--repeat 20]
It uses a throw-away SQLite file, so it never touches instance/.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, event

from app import create_app
from models import Product, ProductSkinType, StockLot, StockMovement, db

PAGES = (
    "/",
    "/products",
    "/products?category=sunscreen&spf=50&sort=price-asc",
    "/kits",
    "/kits/microneedling-recovery-kit",
    "/products/umbra-sheer-mineral-fluid-spf50",
    "/treatments/microneedling",
    "/api/v1/aftercare-plan?treatment=microneedling&treated_on={today}&fitzpatrick=5",
)


def add_products(count: int) -> None:
    """Add `count` in-stock sunscreens, each with one lot and its receipt."""
    for number in range(count):
        product = Product(
            sku=f"BENCH-{number:05d}",
            slug=f"bench-spf-{number:05d}",
            name=f"Bench Fluid SPF50 {number:05d}",
            brand="Bench",
            category="sunscreen",
            price_pence=1500 + number,
            spf=50,
            uv_filter="mineral",
            actives=[],
            days_per_unit=16,
        )
        product.skin_type_rows = [ProductSkinType(skin_type="normal")]
        db.session.add(product)
        db.session.flush()
        lot = StockLot(
            product_id=product.id,
            lot_number=f"B{number:05d}",
            expiry_date=date.today() + timedelta(days=400),
            quantity_on_hand=10,
            quantity_reserved=0,
        )
        db.session.add(lot)
        db.session.flush()
        db.session.add(
            StockMovement(lot_id=lot.id, product_id=product.id, kind="receipt", quantity=10)
        )
    db.session.commit()


def measure(client, path: str, repeat: int) -> tuple[int, float]:
    """Return (statements per request, median milliseconds) for one page."""
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    client.get(path)  # warm caches and templates
    event.listen(Engine, "before_cursor_execute", count)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = client.get(path)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    event.remove(Engine, "before_cursor_execute", count)
    return len(statements) // repeat, statistics.median(timings)


def main() -> None:
    """Seed, measure, grow the catalogue, measure again, print a table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--extra-products", type=int, default=500)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder}/bench.sqlite3",
                "RATELIMIT_ENABLED": False,
                "DEMO_PASSWORD": "Bench-pass-2026",
            }
        )
        with app.app_context():
            db.create_all()
            app.test_cli_runner().invoke(args=["seed"])
            client = app.test_client()
            pages = [p.format(today=date.today().isoformat()) for p in PAGES]
            before = {path: measure(client, path, args.repeat) for path in pages}
            add_products(args.extra_products)
            after = {path: measure(client, path, args.repeat) for path in pages}
    total = 30 + args.extra_products
    print(
        f"| page | queries (30 products) | queries ({total}) "
        f"| median ms (30) | median ms ({total}) |"
    )
    print("|---|---|---|---|---|")
    for path in pages:
        (q1, t1), (q2, t2) = before[path], after[path]
        print(f"| `{path}` | {q1} | {q2} | {t1:.1f} | {t2:.1f} |")


if __name__ == "__main__":
    main()
