"""Pages and the engine's catalogue are shared between visitors, and follow every change at once.

Each change goes through the shop's own forms or checkout, as staff and shoppers make it; the
next request must show it. Personal parts (basket, account menu, messages, form tokens) are
never part of what is shared.
"""

from __future__ import annotations

import re
import socket
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from models import Kit, Order, Product, StockLot, current_versions, db
from shop.services import plans, shared_cache
from tests.checkout_helpers import add
from tests.conftest import log_in
from tests.factories import make_kit, make_lot, make_product, make_user
from tests.staff_helpers import place_order
from tests.web.test_staff_catalogue import GOOD_PRODUCT, kit_data


def _staff(app_ctx):
    """A second browser, signed in as staff, making the changes."""
    browser = app_ctx.test_client()
    log_in(browser, make_user(role="staff"))
    return browser


def _product_form(product: Product, **changes) -> dict:
    return {
        **GOOD_PRODUCT,
        "name": product.name,
        "slug": product.slug,
        "sku": product.sku,
        "price": f"{product.price_pence / 100:.2f}",
        **changes,
    }


def test_a_price_change_shows_on_the_next_request(client, app_ctx):
    cream = make_product(name="Barrier Cream", price_pence=1000)
    make_lot(cream, 10)
    kit = make_kit([(cream, 2)], name="Cream Kit", percent_off=10)
    assert "£10.00" in client.get("/products").get_data(as_text=True)
    assert "£18.00" in client.get(f"/kits/{kit.slug}").get_data(as_text=True)
    staff = _staff(app_ctx)
    response = staff.post(f"/staff/products/{cream.id}", data=_product_form(cream, price="12.50"))
    assert response.status_code == 302
    listing = client.get("/products").get_data(as_text=True)
    assert "£12.50" in listing and "£10.00" not in listing
    # The kit is priced from its items, so its page follows the product's price too.
    assert "£22.50" in client.get(f"/kits/{kit.slug}").get_data(as_text=True)


def test_a_sale_that_leaves_one_unit_shows_only_one_left_next(client, app_ctx):
    serum = make_product(name="Calm Serum")
    make_lot(serum, 10)
    assert "In stock" in client.get(f"/products/{serum.slug}").get_data(as_text=True)
    place_order(app_ctx, [(serum.slug, 9, "product")])
    assert "Only 1 left" in client.get(f"/products/{serum.slug}").get_data(as_text=True)


def test_a_kit_change_shows_on_the_kit_list(client, app_ctx):
    cream = make_product()
    make_lot(cream, 5)
    kit = make_kit([(cream, 1)], name="First Name Kit")
    assert "First Name Kit" in client.get("/kits").get_data(as_text=True)
    staff = _staff(app_ctx)
    edit = kit_data([(cream, 1)], name="Renamed Kit", slug=kit.slug)
    assert staff.post(f"/staff/kits/{kit.id}", data=edit).status_code == 302
    html = client.get("/kits").get_data(as_text=True)
    assert "Renamed Kit" in html and "First Name Kit" not in html


def test_a_new_product_is_listed_and_offered_by_the_engine(client, app_ctx):
    make_product(name="Old Favourite")
    today = date.today()
    assert "Old Favourite" in client.get("/products").get_data(as_text=True)
    slugs_before = set(plans.engine_catalogue(today).products)
    staff = _staff(app_ctx)
    new = {**GOOD_PRODUCT, "name": "Brand New Balm", "slug": "brand-new-balm", "sku": "NEW-1"}
    assert staff.post("/staff/products/new", data={**new, "price": "9.00"}).status_code == 302
    assert "Brand New Balm" in client.get("/products").get_data(as_text=True)
    assert set(plans.engine_catalogue(today).products) - slugs_before == {"brand-new-balm"}


def test_the_plan_api_follows_a_price_change_of_its_kit(client, runner, app_ctx):
    assert runner.invoke(args=["seed"]).exit_code == 0
    query = {"treatment": "microneedling", "treated_on": date.today().isoformat()}
    kit = client.get("/api/v1/aftercare-plan", query_string={**query, "fitzpatrick": "2"})
    before = kit.get_json()["kit"]
    first = db.session.execute(
        select(Product).where(Product.slug == before["items"][0]["slug"])
    ).scalar_one()
    first.price_pence += 500  # as the staff form saves it: through the models
    db.session.commit()
    after = client.get("/api/v1/aftercare-plan", query_string={**query, "fitzpatrick": "2"})
    assert after.get_json()["kit"]["price_pence"] > before["price_pence"]


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/products",
        "/products/umbra-sheer-mineral-fluid-spf50",
        "/kits",
        "/kits/microneedling-recovery-kit",
        "/treatments",
        "/treatments/microneedling",
        "/kit-finder",
    ],
)
def test_a_page_seen_again_is_served_from_the_shared_render(client, runner, count_queries, path):
    assert runner.invoke(args=["seed"]).exit_code == 0
    assert client.get(path).status_code == 200
    with count_queries() as again:
        assert client.get(path).status_code == 200
    # Only the tokens are read: the catalogue, its stock and the markup come from the cache.
    assert len(again.statements) == 1 and "FROM catalogue_version" in again.statements[0]


def test_refused_filter_values_never_push_shared_pages_out(
    client, app_ctx, count_queries, monkeypatch
):
    monkeypatch.setitem(app_ctx.config, "SHARED_CACHE_LOCAL_ENTRIES", 3)
    make_product(name="Kept Cream")
    client.get("/products")
    for number in range(10):
        page = client.get(f"/products?category=junk-{number}").get_data(as_text=True)
        assert "We ignored that value" in page
    with count_queries() as again:
        assert "Kept Cream" in client.get("/products").get_data(as_text=True)
    assert again.count == 1


def test_every_write_to_the_catalogue_stock_or_sales_replaces_its_token(app_ctx):
    cream = make_product()
    lot = make_lot(cream, 4)
    catalogue, stock, sales = current_versions(db.session)
    # A bulk UPDATE never passes through a flush; it still counts.
    db.session.execute(update(StockLot).where(StockLot.id == lot.id).values(quantity_reserved=1))
    db.session.commit()
    assert current_versions(db.session) == (catalogue, current_versions(db.session)[1], sales)
    assert current_versions(db.session)[1] != stock
    db.session.execute(update(Kit).values(name="Nothing to rename"))
    cream.price_pence = 1100
    db.session.commit()
    assert current_versions(db.session)[0] != catalogue
    catalogue, stock, sales = current_versions(db.session)
    db.session.execute(update(Order).values(status="completed"))
    db.session.commit()
    assert current_versions(db.session)[:2] == (catalogue, stock)
    assert current_versions(db.session)[2] != sales
    # A change that is rolled back leaves the tokens as they were.
    tokens = current_versions(db.session)
    cream.price_pence = 1200
    db.session.flush()
    db.session.rollback()
    assert current_versions(db.session) == tokens


def test_personal_parts_are_never_shared_between_two_visitors(client, app_ctx, login):
    cream = make_product(name="Shared Cream")
    make_lot(cream, 5)
    kit = make_kit([(cream, 1)], name="Shared Kit")
    shopper = make_user(name="Pat Example", email="pat@example.com")
    login(shopper)
    add(client, kit.slug, 2, "kit")
    theirs = client.get(f"/kits/{kit.slug}").get_data(as_text=True)
    assert "Sign out" in theirs and ">2<span" in theirs
    stranger = app_ctx.test_client()
    page = stranger.get(f"/kits/{kit.slug}").get_data(as_text=True)
    assert "Sign out" not in page and "Sign in" in page
    assert ">2<span" not in page and "Pat Example" not in page
    # Each visitor's form carries a token of their own session, never the other's.
    token_of = re.compile(r'name="csrf_token" value="([^"]+)"')
    assert set(token_of.findall(page)).isdisjoint(token_of.findall(theirs))
    assert "<!--personal:" not in page and "<!--personal:" not in theirs
    # A guest's own basket shows in their badge, on the same shared page.
    add(stranger, cream.slug, 3)
    assert ">3<span" in stranger.get(f"/kits/{kit.slug}").get_data(as_text=True)
    assert ">3<span" not in app_ctx.test_client().get(f"/kits/{kit.slug}").get_data(as_text=True)
    # A message meant for one visitor is shown to that visitor only.
    client.get("/kits?treatment=unknown-thing")
    assert "We do not know that treatment" not in stranger.get("/kits").get_data(as_text=True)


def test_a_signed_out_visitor_browsing_on_is_not_sent_the_session_again(client, app_ctx):
    cream = make_product(name="Browsing Cream")
    make_lot(cream, 5)
    first = client.get(f"/products/{cream.slug}")
    assert any(h.startswith("session=") for h in first.headers.getlist("Set-Cookie"))
    # The form token is in the session now; nothing about the visitor changes after that.
    for path in (f"/products/{cream.slug}", "/products", "/kit-finder"):
        assert client.get(path).headers.getlist("Set-Cookie") == [], path


def test_forms_on_shared_pages_carry_each_visitors_own_working_token(
    app, app_ctx, runner, monkeypatch
):
    assert runner.invoke(args=["seed"]).exit_code == 0
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    token_of = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
    first, second = app.test_client(), app.test_client()
    for path in ("/kit-finder", "/kits/microneedling-recovery-kit"):
        mine = token_of.findall(first.get(path).get_data(as_text=True))
        theirs = token_of.findall(second.get(path).get_data(as_text=True))
        assert mine and theirs and set(mine).isdisjoint(theirs), path
    from tests.web.test_kitfinder import _answers

    # The second visitor's token from the shared kit finder works for them...
    token = token_of.findall(second.get("/kit-finder").get_data(as_text=True))[0]
    answered = second.post("/kit-finder", data={**_answers(), "csrf_token": token})
    assert answered.status_code == 303
    # ...and for nobody else.
    assert first.post("/kit-finder", data={**_answers(), "csrf_token": token}).status_code == 400


def test_a_staff_only_notice_is_not_shown_to_patients(client, app_ctx, login, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    login(make_user(role="clinician"))
    assert "For staff:" in client.get("/treatments/microneedling").get_data(as_text=True)
    patient = app_ctx.test_client()
    assert "For staff:" not in patient.get("/treatments/microneedling").get_data(as_text=True)


def test_lots_that_expire_overnight_leave_the_shelf_without_any_write(client, app_ctx, monkeypatch):
    from datetime import timedelta

    from shop import clock

    cream = make_product(name="Short Dated Cream")
    make_lot(cream, 10, expires_in_days=1)
    assert "In stock" in client.get(f"/products/{cream.slug}").get_data(as_text=True)
    tomorrow = clock.now() + timedelta(days=1)
    monkeypatch.setattr(clock, "_system_now", lambda: tomorrow)
    assert "Out of stock" in client.get(f"/products/{cream.slug}").get_data(as_text=True)


@pytest.fixture
def redis_url():
    """A Redis database of its own for the shared layer, or a skip saying why."""
    import redis

    url = "redis://127.0.0.1:6379/11"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=0.5).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not answering on 127.0.0.1:6379: the shared layer is not tested")
    yield url
    redis.Redis.from_url(url).flushdb()


def test_with_redis_one_worker_serves_what_another_built(app, app_ctx, redis_url, monkeypatch):
    from flask_caching import Cache

    from shop import extensions

    cream = make_product(name="Redis Cream")
    make_lot(cream, 5)
    cache = Cache()
    app.config.update(CACHE_TYPE="RedisCache", CACHE_REDIS_URL=redis_url)
    cache.init_app(app)
    monkeypatch.setattr(extensions, "shared_cache", cache)
    monkeypatch.setattr(shared_cache, "shared_cache", cache)
    visitor = app.test_client()
    assert "Redis Cream" in visitor.get("/products").get_data(as_text=True)
    # Another worker has nothing of its own yet; it reads the page from Redis, not the database.
    shared_cache.forget_local()
    monkeypatch.setattr(
        "shop.services.catalogue.list_products", lambda *a, **k: pytest.fail("not shared")
    )
    assert "Redis Cream" in visitor.get("/products").get_data(as_text=True)


@pytest.fixture
def mirror(app, redis_url, monkeypatch):
    """The token mirror in its own Redis database, as REDIS_URL would set it up."""
    import redis

    token_mirror = shared_cache.TokenMirror(
        redis.Redis.from_url(redis_url), "test-mirror:", app.config["SHARED_CACHE_TOKEN_SECONDS"]
    )
    monkeypatch.setitem(app.extensions, "shop_token_mirror", token_mirror)
    return token_mirror


def test_with_the_mirror_a_shared_page_asks_nothing_of_the_database(
    client, app_ctx, mirror, count_queries
):
    cream = make_product(name="Mirror Cream", price_pence=1000)
    make_lot(cream, 5)
    assert "£10.00" in client.get("/products").get_data(as_text=True)
    with count_queries() as again:
        assert "£10.00" in client.get("/products").get_data(as_text=True)
    assert again.statements == []
    # A change committed by any worker is seen by the next request all the same.
    response = _staff(app_ctx).post(
        f"/staff/products/{cream.id}", data=_product_form(cream, price="12.50")
    )
    assert response.status_code == 302
    assert "£12.50" in client.get("/products").get_data(as_text=True)


def test_a_mirror_connection_that_breaks_is_replaced_and_the_read_still_answers(
    app_ctx, mirror, caplog
):
    current = ("c-now", "s-now", "o-now")
    assert mirror.read(lambda: current) == current
    _pid, connection = mirror.kept
    connection._sock.shutdown(socket.SHUT_RDWR)  # cut underneath, as a restarted Redis would
    assert mirror.read(lambda: current) == current  # from the database this once
    assert "token mirror unavailable" in caplog.text
    assert mirror.read(lambda: pytest.fail("read from the database")) == current
    assert mirror.kept[1] is not connection


def test_tokens_read_before_a_change_are_never_used_after_it(app_ctx, mirror):
    old, new = ("c-old", "s-old", "o-old"), ("c-new", "s-new", "o-new")
    loads = []

    def read_then_another_worker_commits():
        loads.append(old)
        mirror.changed()  # that worker's commit lands between this read and its mirroring
        return old

    assert mirror.read(read_then_another_worker_commits) == old
    assert mirror.read(lambda: loads.append(new) or new) == new
    assert loads == [old, new]
    # Nothing changed since: the pair is now taken from Redis.
    assert mirror.read(lambda: pytest.fail("read from the database")) == new
    # A worker that dies between its commit and telling the mirror is seen within the pair's
    # lifetime at most.
    assert 0 < mirror.client.ttl(mirror.tokens_key) <= mirror.seconds


def test_without_redis_answering_the_tokens_come_from_the_database(app_ctx, caplog):
    import redis

    # Made as init_app makes the shop's client (from a URL), so a refused connection is
    # not retried with back-off first.
    dead = shared_cache.TokenMirror(
        redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2),
        "test-mirror:",
        5,
    )
    assert dead.read(lambda: ("c", "s", "o")) == ("c", "s", "o")
    dead.changed()  # a commit that already happened is not turned into an error
    assert "token mirror" in caplog.text


def test_tokens_come_from_the_session_when_the_readers_connection_fails(
    app, app_ctx, monkeypatch, tmp_path, caplog
):
    from sqlalchemy import create_engine

    make_product(name="Reader Cream")
    expected = current_versions(db.session)
    db.session.rollback()
    shared_cache.forget_request_tokens()
    broken = shared_cache.TokenReader(create_engine(f"sqlite:///{tmp_path}/missing/x.sqlite3"))
    monkeypatch.setitem(app.extensions, "shop_token_reader", broken)
    assert shared_cache.tokens() == expected
    assert "token read failed" in caplog.text


def test_a_kept_connection_that_breaks_is_replaced_and_the_read_still_answers(app_ctx, caplog):
    reader = shared_cache._token_reader()
    if reader.engine is None:
        pytest.skip("a database in one connection is read through the session")
    make_product(name="Reader Cream")
    expected = current_versions(db.session)
    db.session.rollback()
    shared_cache.forget_request_tokens()
    assert shared_cache.tokens() == expected
    broken = reader.kept
    broken.connection.dbapi_connection.close()  # the server went away under the worker
    shared_cache.forget_request_tokens()
    assert shared_cache.tokens() == expected
    assert "token read failed" in caplog.text
    db.session.rollback()
    shared_cache.forget_request_tokens()
    caplog.clear()
    assert shared_cache.tokens() == expected
    assert reader.kept is not None and reader.kept is not broken
    assert "token read failed" not in caplog.text


def test_a_forked_worker_reads_the_tokens_on_connections_of_its_own(app, app_ctx, monkeypatch):
    import os

    shared_cache.tokens()
    parents = app.extensions["shop_token_reader"]
    shared_cache.forget_request_tokens()
    monkeypatch.setattr(os, "getpid", lambda: parents.pid + 1)
    shared_cache.tokens()
    assert app.extensions["shop_token_reader"] is not parents


def test_sales_reports_follow_each_sale_and_refund_and_are_shared_in_between(
    app, app_ctx, count_queries
):
    from shop.services import payments
    from shop.services.reports import build_report
    from tests.staff_helpers import paid_collect_order

    cream = make_product(name="Report Cream", price_pence=1000)
    make_lot(cream, 20)
    week = (date.today() - timedelta(days=6), date.today())
    paid_collect_order(app, [(cream.slug, 2, "product")])
    assert build_report(*week).revenue_pence == 2000
    shared_cache.forget_request_tokens()  # as the next request starts
    with count_queries() as again:
        assert build_report(*week).revenue_pence == 2000
    # Shared between staff until something changes: only the tokens are read.
    assert len(again.statements) == 1 and "FROM catalogue_version" in again.statements[0]
    order = paid_collect_order(app, [(cream.slug, 1, "product")])
    assert build_report(*week).revenue_pence == 3000
    payments.refund_order(order.id, {order.lines[0].id: 1}, restock=True)
    assert build_report(*week).revenue_pence == 2000


def test_a_sale_down_to_the_threshold_lists_the_product_as_low_next(app, app_ctx):
    from shop import clock
    from shop.services import inventory
    from tests.staff_helpers import paid_collect_order

    cream = make_product(name="Threshold Cream", low_stock_threshold=3)
    make_lot(cream, 4)
    assert inventory.low_stock(clock.today()) == []
    paid_collect_order(app, [(cream.slug, 1, "product")])
    assert [row.product.name for row in inventory.low_stock(clock.today())] == ["Threshold Cream"]
