"""On PostgreSQL: sales and price changes racing each other all replace the shared tokens.

Every transaction that writes stock or the catalogue takes the one tokens row last; racing
buyers and a staff price change must neither deadlock nor leave a page cached under tokens
older than the data it shows, also when the tokens are mirrored in Redis and read by other
workers while the writes land.
"""

from __future__ import annotations

from collections import Counter

import pytest

from models import Product, current_versions, db
from shop.services import shared_cache
from tests.factories import make_lot, make_product
from tests.postgres.test_checkout_concurrency import buy, race_app, run_together

__all__ = ["race_app"]  # the fixture, shared with the checkout races

pytestmark = pytest.mark.postgres

BUYERS = 12
READERS = 4
MIRROR_URL = "redis://127.0.0.1:6379/12"


def change_price(product_id: int, pence: int):
    """Return a job that reprices a product through the models, as the staff form does."""

    def job():
        product = db.session.get(Product, product_id)
        product.price_pence = pence
        db.session.commit()
        return pence

    return job


def read_tokens_repeatedly():
    """Return a job that reads the tokens afresh many times, as requests in other workers do."""

    def job():
        for _ in range(200):
            shared_cache.forget_request_tokens()
            shared_cache.tokens()
        return "read"

    return job


@pytest.fixture(params=["database", "mirror"])
def token_source(request, app, race_app, monkeypatch):
    """Where both apps read the tokens: the database, or the Redis mirror (skipped without)."""
    if request.param == "database":
        yield request.param
        return
    import redis

    client = redis.Redis.from_url(MIRROR_URL, socket_connect_timeout=0.5)
    try:
        client.flushdb()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not answering on 127.0.0.1:6379: the mirrored race is not run")
    for application in (app, race_app):
        mirror = shared_cache.TokenMirror(client, "race:", 5)
        monkeypatch.setitem(application.extensions, "shop_token_mirror", mirror)
    yield request.param
    client.flushdb()


def test_racing_sales_and_a_price_change_show_on_the_next_request(app_ctx, race_app, token_source):
    cream = make_product(name="Racing Cream", price_pence=1000)
    make_lot(cream, BUYERS + 1)
    client = app_ctx.test_client()
    assert "£10.00" in client.get(f"/products/{cream.slug}").get_data(as_text=True)
    before = current_versions(db.session)
    jobs = [
        *[buy({f"product:{cream.id}": 1})] * BUYERS,
        change_price(cream.id, 1450),
        *[read_tokens_repeatedly()] * READERS,
    ]
    results = run_together(race_app, jobs)
    assert Counter(kind for kind, _ in results) == {"ok": BUYERS + 1 + READERS}, results
    db.session.rollback()
    after = current_versions(db.session)
    assert after[0] != before[0] and after[1] != before[1]
    page = client.get(f"/products/{cream.slug}").get_data(as_text=True)
    assert "Only 1 left" in page and "£14.50" in page
