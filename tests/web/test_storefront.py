"""Storefront pages: catalogue filters, product and kit pages, availability and prices."""

import re
from datetime import date

import pytest

from models import Product, db
from shop.services import shared_cache
from shop.services.catalogue import kit_price
from shop.services.inventory import kit_availabilities
from tests.factories import make_kit, make_lot, make_product, make_treatment


def test_home_page_shows_treatments_and_featured_kits(client):
    make_treatment("microneedling", "Micro-needling")
    balm = make_product(name="Calm Balm", category="balm")
    make_lot(balm, 10)
    make_kit([(balm, 1)], name="Needling Starter", is_featured=True)
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Micro-needling" in html
    assert "Needling Starter" in html


def test_product_list_shows_only_active_products(client):
    make_product(name="Visible Cream")
    make_product(name="Retired Cream", is_active=False)
    html = client.get("/products").get_data(as_text=True)
    assert "Visible Cream" in html
    assert "Retired Cream" not in html


def test_products_filter_by_category_spf_fragrance_and_skin_type(client):
    make_product(
        name="Mineral Fluid SPF50",
        category="sunscreen",
        spf=50,
        uv_filter="mineral",
        skin_types=["sensitive"],
    )
    make_product(
        name="Daily Cream SPF30",
        category="sunscreen",
        spf=30,
        uv_filter="chemical",
        skin_types=["oily"],
    )
    make_product(name="Scented Cream", fragrance_free=False, skin_types=["dry"])
    make_product(name="Plain Cleanser", category="cleanser", skin_types=["sensitive", "dry"])

    def names(query):
        html = client.get("/products" + query).get_data(as_text=True)
        return {
            n
            for n in ("Mineral Fluid SPF50", "Daily Cream SPF30", "Scented Cream", "Plain Cleanser")
            if n in html
        }

    assert names("?category=sunscreen") == {"Mineral Fluid SPF50", "Daily Cream SPF30"}
    assert names("?spf=50") == {"Mineral Fluid SPF50"}
    assert names("?spf=30") == {"Mineral Fluid SPF50", "Daily Cream SPF30"}
    assert names("?fragrance_free=y") == {
        "Mineral Fluid SPF50",
        "Daily Cream SPF30",
        "Plain Cleanser",
    }
    assert names("?skin_type=sensitive") == {"Mineral Fluid SPF50", "Plain Cleanser"}
    assert names("?skin_type=dry&category=cleanser") == {"Plain Cleanser"}


def test_products_sort_by_price(client):
    make_product(name="Middle", price_pence=1500)
    make_product(name="Cheapest", price_pence=500)
    make_product(name="Dearest", price_pence=3000)
    html = client.get("/products?sort=price-asc").get_data(as_text=True)
    assert html.index("Cheapest") < html.index("Middle") < html.index("Dearest")
    html = client.get("/products?sort=price-desc").get_data(as_text=True)
    assert html.index("Dearest") < html.index("Middle") < html.index("Cheapest")


def test_products_paginate(client, app_ctx):
    app_ctx.config["PRODUCTS_PER_PAGE"] = 4
    for number in range(10):
        make_product(name=f"Cream {number:02d}")
    first = client.get("/products").get_data(as_text=True)
    third = client.get("/products?page=3").get_data(as_text=True)
    assert "Cream 00" in first and "Cream 04" not in first
    assert "page 1 of 3" in first
    assert "Cream 08" in third and "Cream 09" in third and "Cream 07" not in third
    app_ctx.config["PRODUCTS_PER_PAGE"] = 12


def test_page_links_stay_few_however_many_pages(client, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "PRODUCTS_PER_PAGE", 1)
    for number in range(30):
        make_product(name=f"Cream {number:02d}")
    html = client.get("/products?page=15").get_data(as_text=True)
    linked = {int(n) for n in re.findall(r"page=(\d+)\">\d+</a>", html)}
    assert linked == {1, 13, 14, 16, 17, 30}
    assert html.count("…") == 2 and 'aria-current="page">15<' in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?page=abc", "Page"),
        ("?page=0", "Page must be 1 or more"),
        ("?page=-4", "Page must be 1 or more"),
        ("?category=weapons", "Category"),
        ("?spf=15", "Sun protection"),
        ("?skin_type=green", "Skin type"),
        ("?sort=random", "Sort by"),
    ],
)
def test_bad_filter_values_are_ignored_with_a_message(client, query, message):
    make_product(name="Still Listed")
    page = client.get("/products" + query)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert message in html
    assert "We ignored that value" in html
    assert "Still Listed" in html


def test_page_past_the_end_shows_the_last_page(client):
    make_product(name="Only One")
    page = client.get("/products?page=999")
    assert page.status_code == 200
    assert "Only One" in page.get_data(as_text=True)


def test_product_page_shows_details_and_availability(client):
    product = make_product(
        name="Veil Fluid SPF50", category="sunscreen", spf=50, uv_filter="mineral", price_pence=2450
    )
    make_lot(product, 3)
    html = client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert "Veil Fluid SPF50" in html
    assert "£24.50" in html
    assert "Only 3 left" in html


@pytest.mark.parametrize("path", ["/products/no-such-thing", "/kits/no-such-kit"])
def test_unknown_slugs_are_404_in_the_shop_look(client, path):
    page = client.get(path)
    assert page.status_code == 404
    assert "We could not find that page" in page.get_data(as_text=True)


def test_inactive_product_and_kit_pages_are_404(client):
    product = make_product(is_active=False)
    kit = make_kit([(make_product(), 1)], is_active=False)
    assert client.get(f"/products/{product.slug}").status_code == 404
    assert client.get(f"/kits/{kit.slug}").status_code == 404


def test_kit_page_shows_items_price_saving_and_availability(client):
    cleanser = make_product(name="Soft Cleanser", price_pence=1200, category="cleanser")
    spf = make_product(name="Veil SPF50", price_pence=2400, category="sunscreen", spf=50)
    make_lot(cleanser, 20)
    make_lot(spf, 20)
    kit = make_kit([(cleanser, 1), (spf, 2)], name="Recovery Kit", percent_off=10)
    html = client.get(f"/kits/{kit.slug}").get_data(as_text=True)
    # 1200 + 2 * 2400 = 6000; 10% off = 5400; saving 600.
    assert "£54.00" in html
    assert "You save £6.00" in html
    assert "£60.00 if bought separately" in html
    assert "Soft Cleanser" in html and "× 2" in html
    assert "In stock" in html


def test_kit_price_rules_in_pence(app_ctx):
    a = make_product(price_pence=999)
    b = make_product(price_pence=1501)
    percent = make_kit([(a, 1), (b, 1)], percent_off=15)
    fixed = make_kit([(a, 2), (b, 1)], price_rule="fixed", percent_off=None, fixed_price_pence=2999)
    assert kit_price(percent).items_total_pence == 2500
    assert kit_price(percent).price_pence == 2125
    assert kit_price(percent).saving_pence == 375
    assert kit_price(fixed).items_total_pence == 3499
    assert kit_price(fixed).price_pence == 2999
    assert kit_price(fixed).saving_pence == 500


def test_kit_with_one_short_component_is_out_of_stock_naming_it(client):
    plenty = make_product(name="Plenty Cream")
    scarce = make_product(name="Scarce Balm")
    make_lot(plenty, 50)
    make_lot(scarce, 1)
    kit = make_kit([(plenty, 1), (scarce, 2)])
    availability = kit_availabilities([kit], date.today())[kit.id]
    assert availability.units == 0
    assert availability.missing == ("Scarce Balm",)
    html = client.get(f"/kits/{kit.slug}").get_data(as_text=True)
    assert "Out of stock: Scarce Balm unavailable" in html


def test_kit_availability_is_the_scarcest_component(app_ctx):
    a = make_product()
    b = make_product()
    make_lot(a, 9)
    make_lot(b, 7, lot_number="B-1")
    make_lot(b, 4, lot_number="B-2")
    kit = make_kit([(a, 1), (b, 2)])
    # a allows 9 kits; b has 11 units, 2 per kit, so 5 kits.
    assert kit_availabilities([kit], date.today())[kit.id].units == 5


def test_expired_and_reserved_units_are_not_sellable(app_ctx):
    product = make_product()
    make_lot(product, 10, expires_in_days=-1, lot_number="OLD")
    make_lot(product, 5, expires_in_days=0, lot_number="TODAY")
    make_lot(product, 6, expires_in_days=30, lot_number="GOOD", reserved=4)
    kit = make_kit([(product, 1)])
    assert kit_availabilities([kit], date.today())[kit.id].units == 2


def test_kits_list_filters_by_treatment(client):
    needling = make_treatment("microneedling", "Micro-needling")
    ipl = make_treatment("ipl", "IPL photofacial")
    product = make_product()
    make_kit([(product, 1)], name="Needling Kit", treatments=[needling])
    make_kit([(product, 1)], name="IPL Kit", treatments=[ipl])
    html = client.get("/kits?treatment=ipl").get_data(as_text=True)
    assert "IPL Kit" in html and "Needling Kit" not in html
    html = client.get("/kits?treatment=bogus").get_data(as_text=True)
    assert "We do not know that treatment" in html
    assert "IPL Kit" in html and "Needling Kit" in html


def _grow_catalogue(total: int) -> None:
    """Add products, lots and kits until the catalogue holds `total` products."""
    existing = db.session.query(Product).count()
    for number in range(existing, total):
        product = make_product(name=f"Grown {number:03d}", category="sunscreen", spf=50)
        make_lot(product, 5)
        if number % 5 == 0:
            make_kit([(product, 1)], name=f"Grown Kit {number:03d}")


@pytest.mark.parametrize("path", ["/", "/products", "/products?category=sunscreen&spf=50", "/kits"])
def test_catalogue_pages_run_a_constant_number_of_queries(client, count_queries, path):
    """Counted as the first visitor after a change sees them: nothing cached yet."""
    make_treatment()
    _grow_catalogue(10)
    client.get(path)
    shared_cache.forget_local()
    with count_queries() as small:
        assert client.get(path).status_code == 200
    _grow_catalogue(500)
    with count_queries() as large:
        assert client.get(path).status_code == 200
    assert large.count == small.count, large.statements


def test_product_and_kit_pages_run_a_constant_number_of_queries(client, count_queries):
    items = [make_product() for _ in range(2)]
    for product in items:
        make_lot(product, 5)
    small_kit = make_kit([(p, 1) for p in items])
    more = [make_product() for _ in range(20)]
    for product in more:
        make_lot(product, 5)
    large_kit = make_kit([(p, 1) for p in more])
    with count_queries() as small:
        client.get(f"/kits/{small_kit.slug}")
    with count_queries() as large:
        client.get(f"/kits/{large_kit.slug}")
    assert small.count == large.count
    make_kit([(items[0], 1)])
    with count_queries() as one:
        client.get(f"/products/{items[0].slug}")
    for _ in range(5):
        make_kit([(items[0], 1), (make_product(), 1)])
    with count_queries() as many:
        client.get(f"/products/{items[0].slug}")
    assert one.count == many.count


def test_kits_list_pages_keeping_the_treatment_filter(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "KITS_PER_PAGE", 2)
    needling = make_treatment("microneedling", "Micro-needling")
    product = make_product()
    make_lot(product, 5)
    for number in range(5):
        make_kit([(product, 1)], name=f"Needling Kit {number}", treatments=[needling])
    make_kit([(product, 1)], name="Other Kit")
    first = client.get("/kits?treatment=microneedling").get_data(as_text=True)
    assert "Needling Kit 0" in first and "Needling Kit 2" not in first
    assert "5 kits, page 1 of 3" in first
    assert 'href="/kits?treatment=microneedling&amp;page=2"' in first
    second = client.get("/kits?treatment=microneedling&page=2").get_data(as_text=True)
    assert "Needling Kit 2" in second and "Needling Kit 0" not in second
    assert "Other Kit" not in second


@pytest.mark.parametrize(
    ("page", "shown"),
    [
        ("99", "page 2 of 2"),
        ("0", "page 1 of 2"),
        ("x", "page 1 of 2"),
        ("²", "page 1 of 2"),
        ("-1", "page 1 of 2"),
    ],
)
def test_kits_page_out_of_range_or_not_a_number_shows_a_real_page(
    client, app, page, shown, monkeypatch
):
    monkeypatch.setitem(app.config, "KITS_PER_PAGE", 2)
    product = make_product()
    for number in range(3):
        make_kit([(product, 1)], name=f"Kit {number}")
    response = client.get("/kits", query_string={"page": page})
    assert response.status_code == 200 and shown in response.get_data(as_text=True)


def test_home_page_shows_at_most_the_featured_kits_setting(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "FEATURED_KITS", 2)
    product = make_product()
    for number in range(4):
        make_kit([(product, 1)], name=f"Featured {number}", is_featured=True)
    html = client.get("/").get_data(as_text=True)
    assert sum(f"Featured {number}" in html for number in range(4)) == 2
