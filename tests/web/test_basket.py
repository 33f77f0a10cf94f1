"""The basket: adding products and kits, quantities, VAT, stock checks, guests and customers."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from models import BasketItem, db
from shop.services import basket as basket_service
from tests.checkout_helpers import add
from tests.factories import make_kit, make_lot, make_product, make_user


def basket_session(client):
    with client.session_transaction() as session:
        return dict(session.get("basket", {}))


def test_adding_a_product_shows_it_with_price_and_vat(client):
    cream = make_product(name="Calm Cream", price_pence=1200, vat_rate_bp=2000)
    make_lot(cream, 10)
    response = add(client, cream.slug, 2)
    assert response.status_code == 303
    html = client.get("/basket").get_data(as_text=True)
    assert "Calm Cream" in html
    assert "£24.00" in html  # line total
    assert "£4.00" in html  # VAT inside £24.00 at 20%
    assert basket_session(client) == {f"product:{cream.id}": 2}


def test_zero_rated_product_has_no_vat(client):
    compress = make_product(name="Cold Compress", price_pence=600, vat_rate_bp=0)
    make_lot(compress, 5)
    priced = basket_service.price_basket({f"product:{compress.id}": 1}, date.today())
    assert priced.vat_pence == 0
    assert priced.subtotal_pence == 600


def test_kit_is_one_line_at_the_kit_price_with_vat_apportioned(client):
    taxed = make_product(name="Taxed Balm", price_pence=1000, vat_rate_bp=2000)
    untaxed = make_product(name="Untaxed Pad", price_pence=1000, vat_rate_bp=0)
    make_lot(taxed, 10)
    make_lot(untaxed, 10)
    kit = make_kit([(taxed, 1), (untaxed, 1)], name="Recovery Kit", percent_off=10)
    response = add(client, kit.slug, 1, kind="kit")
    assert response.status_code == 303
    html = client.get("/basket").get_data(as_text=True)
    assert "Recovery Kit" in html and "£18.00" in html
    # £18.00 shared equally: £9.00 taxed at 20% holds £1.50 VAT; the zero-rated half none.
    assert "£1.50" in html
    assert basket_session(client) == {f"kit:{kit.id}": 1}


def test_adding_the_same_product_again_adds_up(client):
    cream = make_product()
    make_lot(cream, 10)
    add(client, cream.slug, 2)
    add(client, cream.slug, 3)
    assert basket_session(client) == {f"product:{cream.id}": 5}


def test_cannot_add_more_than_the_stock_and_the_message_names_the_item(client):
    cream = make_product(name="Scarce Serum")
    make_lot(cream, 3)
    add(client, cream.slug, 2)
    response = add(client, cream.slug, 2)
    assert response.status_code == 409
    assert "only 3 of Scarce Serum left" in response.get_data(as_text=True)
    assert basket_session(client) == {f"product:{cream.id}": 2}


def test_sold_out_product_cannot_be_added(client):
    cream = make_product(name="Gone Gel")
    make_lot(cream, 2, reserved=2)
    response = add(client, cream.slug)
    assert response.status_code == 409
    assert "Gone Gel is sold out" in response.get_data(as_text=True)
    assert basket_session(client) == {}


def test_expired_lots_do_not_count_as_stock(client):
    cream = make_product(name="Old Stock")
    make_lot(cream, 5, expires_in_days=0)
    response = add(client, cream.slug)
    assert response.status_code == 409


def test_kit_sharing_a_component_with_a_product_line_is_checked_on_the_whole_basket(client):
    balm = make_product(name="Shared Balm")
    other = make_product(name="Other")
    make_lot(balm, 3)
    make_lot(other, 10)
    kit = make_kit([(balm, 2), (other, 1)], name="Balm Kit")
    add(client, balm.slug, 2)
    response = add(client, kit.slug, 1, kind="kit")
    assert response.status_code == 409
    assert "Balm Kit" in response.get_data(as_text=True)


def test_kit_with_a_sold_out_component_names_it(client):
    balm = make_product(name="Missing Balm")
    other = make_product(name="Other")
    make_lot(other, 10)
    kit = make_kit([(balm, 1), (other, 1)], name="Half Kit")
    response = add(client, kit.slug, kind="kit")
    assert response.status_code == 409
    assert "Half Kit is sold out (Missing Balm has run out)" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "data",
    [
        {"kind": "product", "slug": "", "quantity": 1},
        {"kind": "product", "slug": "NOT a slug!", "quantity": 1},
        {"kind": "gift", "slug": "x", "quantity": 1},
        {"kind": "product", "slug": "x", "quantity": 0},
        {"kind": "product", "slug": "x", "quantity": 11},
        {"kind": "product", "slug": "x", "quantity": "two"},
        {"kind": "product", "slug": "x"},
    ],
)
def test_bad_add_requests_are_refused_and_change_nothing(client, data):
    make_product(slug="x")
    response = client.post("/basket/add", data=data)
    assert response.status_code == 400
    assert basket_session(client) == {}


def test_unknown_or_retired_items_cannot_be_added(client):
    make_product(slug="retired", is_active=False)
    for slug in ("nothing-here", "retired"):
        response = add(client, slug)
        assert response.status_code == 409
        assert "could not find that item" in response.get_data(as_text=True)
    assert basket_session(client) == {}


def test_more_than_ten_of_one_item_is_refused(client):
    cream = make_product(name="Bulk Cream")
    make_lot(cream, 50)
    add(client, cream.slug, 8)
    response = add(client, cream.slug, 3)
    assert response.status_code == 409
    assert "up to 10 of Bulk Cream" in response.get_data(as_text=True)


def test_update_and_remove_lines(client):
    cream = make_product(name="Cream")
    make_lot(cream, 10)
    add(client, cream.slug, 2)
    key = f"product:{cream.id}"
    assert client.post("/basket/update", data={"key": key, "quantity": 4}).status_code == 303
    assert basket_session(client) == {key: 4}
    too_many = client.post("/basket/update", data={"key": key, "quantity": 11})
    assert too_many.status_code == 400
    assert client.post("/basket/update", data={"key": key, "quantity": 0}).status_code == 303
    assert basket_session(client) == {}
    add(client, cream.slug, 1)
    assert client.post("/basket/remove", data={"key": key}).status_code == 303
    assert basket_session(client) == {}


def test_raising_a_quantity_beyond_stock_is_refused(client):
    cream = make_product(name="Few Left")
    make_lot(cream, 3)
    add(client, cream.slug, 1)
    response = client.post("/basket/update", data={"key": f"product:{cream.id}", "quantity": 5})
    assert response.status_code == 409
    assert "only 3 of Few Left left" in response.get_data(as_text=True)
    assert basket_session(client) == {f"product:{cream.id}": 1}


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/basket/update", {"key": "product:999", "quantity": 1}),
        ("/basket/update", {"key": "bogus", "quantity": 1}),
        ("/basket/update", {"key": "product:1", "quantity": -1}),
        ("/basket/update", {"key": "product:1"}),
        ("/basket/remove", {"key": "kit:999"}),
        ("/basket/remove", {"key": ""}),
    ],
)
def test_bad_line_changes_are_refused(client, url, data):
    response = client.post(url, data=data)
    assert response.status_code == 400


def test_tampered_session_basket_is_ignored(client):
    cream = make_product(name="Real Cream")
    make_lot(cream, 5)
    with client.session_transaction() as session:
        session["basket"] = {
            f"product:{cream.id}": 1,
            "product:abc": 2,
            "kit:5": "lots",
            "price": 1,
            f"product:{cream.id + 100}": 1,
        }
    page = client.get("/basket")
    assert page.status_code == 200
    assert "Real Cream" in page.get_data(as_text=True)


def test_kit_finder_adds_several_products_at_once(client):
    spf = make_product(name="Finder SPF", slug="finder-spf")
    balm = make_product(name="Finder Balm", slug="finder-balm")
    make_lot(spf, 5)
    make_lot(balm, 5)
    response = client.post(
        "/basket/add-items",
        data={
            "items-0-product": "finder-spf",
            "items-0-quantity": "1",
            "items-1-product": "finder-balm",
            "items-1-quantity": "2",
        },
    )
    assert response.status_code == 303
    assert basket_session(client) == {f"product:{spf.id}": 1, f"product:{balm.id}": 2}


def test_kit_finder_add_is_all_or_nothing(client):
    spf = make_product(name="Finder SPF", slug="finder-spf")
    balm = make_product(name="Short Balm", slug="short-balm")
    make_lot(spf, 5)
    make_lot(balm, 1)
    response = client.post(
        "/basket/add-items",
        data={
            "items-0-product": "finder-spf",
            "items-0-quantity": "1",
            "items-1-product": "short-balm",
            "items-1-quantity": "2",
        },
    )
    assert response.status_code == 409
    assert "only 1 of Short Balm left" in response.get_data(as_text=True)
    assert basket_session(client) == {}


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"items-0-product": "", "items-0-quantity": "1"},
        {"items-0-product": "finder-spf", "items-0-quantity": "0"},
        {"items-0-product": "finder-spf", "items-0-quantity": "x"},
    ],
)
def test_kit_finder_bad_input_is_refused(client, data):
    make_lot(make_product(slug="finder-spf"), 5)
    response = client.post("/basket/add-items", data=data)
    assert response.status_code == 400
    assert basket_session(client) == {}


def test_kit_finder_unknown_product_is_refused(client):
    response = client.post(
        "/basket/add-items", data={"items-0-product": "no-such", "items-0-quantity": "1"}
    )
    assert response.status_code == 409
    assert basket_session(client) == {}


def test_signed_in_customer_basket_is_saved_in_the_database(client, login):
    user = make_user()
    cream = make_product()
    make_lot(cream, 5)
    login(user)
    add(client, cream.slug, 2)
    rows = db.session.execute(select(BasketItem).where(BasketItem.user_id == user.id)).scalars()
    assert [(row.item_key, row.quantity) for row in rows] == [(f"product:{cream.id}", 2)]
    assert basket_session(client) == {}
    client.post("/basket/remove", data={"key": f"product:{cream.id}"})
    assert db.session.execute(select(BasketItem)).first() is None


def test_guest_basket_merges_into_the_customer_basket_on_login(app_ctx):
    from shop.basket.session import absorb_guest_basket

    user = make_user()
    cream = make_product()
    balm = make_product()
    make_lot(cream, 20)
    make_lot(balm, 20)
    kit = make_kit([(cream, 1), (balm, 1)])
    basket_service.UserBasket(user.id).save({f"product:{cream.id}": 9, f"kit:{kit.id}": 1})
    with app_ctx.test_request_context():
        from flask import session

        session["basket"] = {f"product:{cream.id}": 3, f"product:{balm.id}": 1, "junk": 4}
        absorb_guest_basket(user)
        assert "basket" not in session
    assert basket_service.UserBasket(user.id).load() == {
        f"product:{cream.id}": 10,  # 9 + 3, capped at the per-line maximum
        f"kit:{kit.id}": 1,
        f"product:{balm.id}": 1,
    }


def test_basket_count_is_given_to_every_page(client, app_ctx):
    from flask import render_template_string, session

    cream = make_product()
    with app_ctx.test_request_context():
        session["basket"] = {f"product:{cream.id}": 3, f"product:{cream.id + 1}": 2}
        assert render_template_string("{{ basket_count() }}") == "5"


def test_basket_count_of_a_signed_in_customer_comes_from_the_saved_basket(app_ctx):
    from flask import render_template_string
    from flask_login import login_user

    user = make_user()
    cream = make_product()
    basket_service.UserBasket(user.id).save({f"product:{cream.id}": 4})
    with app_ctx.test_request_context():
        login_user(user)
        assert render_template_string("{{ basket_count() }}") == "4"


def test_empty_basket_page(client):
    page = client.get("/basket")
    assert page.status_code == 200
    assert "Your basket is empty" in page.get_data(as_text=True)


def test_product_and_kit_pages_have_add_to_basket_forms(client):
    cream = make_product(name="Form Cream")
    make_lot(cream, 5)
    kit = make_kit([(cream, 1)], name="Form Kit")
    product_page = client.get(f"/products/{cream.slug}").get_data(as_text=True)
    assert 'action="/basket/add"' in product_page and f'value="{cream.slug}"' in product_page
    kit_page = client.get(f"/kits/{kit.slug}").get_data(as_text=True)
    assert 'action="/basket/add"' in kit_page and 'value="kit"' in kit_page


def test_basket_page_queries_stay_constant_as_lines_grow(client, count_queries):
    def fill(n):
        for _ in range(n):
            product = make_product()
            make_lot(product, 5)
            add(client, product.slug)
            other = make_product()
            make_lot(other, 5)
            kit = make_kit([(product, 1), (other, 1)])
            add(client, kit.slug, kind="kit")

    fill(1)
    with count_queries() as few:
        assert client.get("/basket").status_code == 200
    fill(5)
    with count_queries() as many:
        assert client.get("/basket").status_code == 200
    assert many.count == few.count
    assert many.count <= 8


def _form_fields(html: str) -> dict[str, str]:
    import re

    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', html))


def test_kit_finder_plan_offers_a_working_add_to_basket_for_an_assembled_kit(client, app_ctx):
    from types import SimpleNamespace

    from flask import render_template

    spf = make_product(name="Plan SPF", slug="plan-spf")
    balm = make_product(name="Plan Balm", slug="plan-balm")
    make_lot(spf, 5)
    make_lot(balm, 5)
    items = (
        SimpleNamespace(slug="plan-spf", quantity=1),
        SimpleNamespace(slug="plan-balm", quantity=2),
    )
    plan = SimpleNamespace(kit=SimpleNamespace(slug=None, name="Your kit", items=items))
    with app_ctx.test_request_context():
        html = render_template("kitfinder/_kit_actions.html", plan=plan)
    assert 'action="/basket/add-items"' in html
    fields = {k: v for k, v in _form_fields(html).items() if k != "csrf_token"}
    assert client.post("/basket/add-items", data=fields).status_code == 303
    assert basket_session(client) == {f"product:{spf.id}": 1, f"product:{balm.id}": 2}


def test_kit_finder_plan_offers_a_curated_kit_by_its_slug(client, app_ctx):
    from types import SimpleNamespace

    from flask import render_template

    cream = make_product()
    make_lot(cream, 5)
    kit = make_kit([(cream, 1)], name="Curated")
    plan = SimpleNamespace(
        kit=SimpleNamespace(slug=kit.slug, name=kit.name, items=(SimpleNamespace(slug="x"),))
    )
    with app_ctx.test_request_context():
        html = render_template("kitfinder/_kit_actions.html", plan=plan)
    fields = {k: v for k, v in _form_fields(html).items() if k != "csrf_token"}
    assert fields == {"kind": "kit", "slug": kit.slug, "quantity": "1"}
    assert client.post("/basket/add", data=fields).status_code == 303
    assert basket_session(client) == {f"kit:{kit.id}": 1}


def test_basket_mentions_delivery_only_when_it_is_offered(client, app_ctx, monkeypatch):
    cream = make_product(name="Calm Cream")
    make_lot(cream, 5)
    add(client, cream.slug, 1)
    html = client.get("/basket").get_data(as_text=True)
    assert "UK delivery" not in html
    assert "Collect free at the clinic and pay when you collect" in html
    monkeypatch.setitem(app_ctx.config, "STRIPE_SECRET_KEY", "sk_test_basket")
    monkeypatch.setitem(app_ctx.config, "STRIPE_WEBHOOK_SECRET", "whsec_basket")
    html = client.get("/basket").get_data(as_text=True)
    assert "UK delivery for £3.95" in html
