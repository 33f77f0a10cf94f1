"""On PostgreSQL: sales and price changes racing each other all replace the shared tokens.

Every transaction that writes stock or the catalogue takes the one tokens row last; racing
buyers and a staff price change must neither deadlock nor leave a page cached under tokens
older than the data it shows.
"""

from __future__ import annotations

from collections import Counter

import pytest

from models import Product, current_versions, db
from tests.factories import make_lot, make_product
from tests.postgres.test_checkout_concurrency import buy, race_app, run_together

__all__ = ["race_app"]  # the fixture, shared with the checkout races

pytestmark = pytest.mark.postgres

BUYERS = 12


def change_price(product_id: int, pence: int):
    """Return a job that reprices a product through the models, as the staff form does."""

    def job():
        product = db.session.get(Product, product_id)
        product.price_pence = pence
        db.session.commit()
        return pence

    return job


def test_racing_sales_and_a_price_change_show_on_the_next_request(app_ctx, race_app):
    cream = make_product(name="Racing Cream", price_pence=1000)
    make_lot(cream, BUYERS + 1)
    client = app_ctx.test_client()
    assert "£10.00" in client.get(f"/products/{cream.slug}").get_data(as_text=True)
    before = current_versions(db.session)
    jobs = [buy({f"product:{cream.id}": 1})] * BUYERS + [change_price(cream.id, 1450)]
    results = run_together(race_app, jobs)
    assert Counter(kind for kind, _ in results) == {"ok": BUYERS + 1}, results
    db.session.rollback()
    after = current_versions(db.session)
    assert after[0] != before[0] and after[1] != before[1]
    page = client.get(f"/products/{cream.slug}").get_data(as_text=True)
    assert "Only 1 left" in page and "£14.50" in page
