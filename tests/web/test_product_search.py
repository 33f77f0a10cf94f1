"""Product search on /products: the database's full-text index, ranked, with the filters.

Runs on SQLite (FTS5) and, with TEST_DATABASE_URL, on PostgreSQL (tsvector with a GIN index).
"""

from __future__ import annotations

import random
import re
import string

import pytest
from sqlalchemy import func, select

from models import Product, ProductSearch, db
from shop.services import shared_cache
from shop.services.product_search import MAX_SEARCH_LENGTH
from tests.conftest import log_in
from tests.factories import make_kit, make_lot, make_product, make_user
from tests.staff_helpers import place_order
from tests.web.test_staff_catalogue import GOOD_PRODUCT
from tests.web.test_storefront import _grow_catalogue


def _names(client, query: str, status: int = 200) -> list[str]:
    """Return the product names a search lists, in the order shown."""
    page = client.get("/products", query_string=query)
    assert page.status_code == status, page.status_code
    html = page.get_data(as_text=True)
    return re.findall(r'class="stretched-link" href="/products/[^"]+">([^<]+)</a>', html)


@pytest.fixture
def shelf(app_ctx):
    """A small catalogue whose products differ in name, brand, category and attributes."""
    products = {
        "shield": make_product(
            name="Mineral Shield SPF50",
            brand="Umbra",
            category="sunscreen",
            spf=50,
            uv_filter="mineral",
            skin_types=["sensitive"],
            price_pence=2600,
        ),
        "fluid": make_product(
            name="Daily Fluid",
            brand="Umbra",
            category="sunscreen",
            spf=50,
            uv_filter="mineral",
            price_pence=1900,
        ),
        "spf30": make_product(
            name="Light Day Cream SPF30",
            brand="Harlow",
            category="sunscreen",
            spf=30,
            uv_filter="chemical",
        ),
        "scented": make_product(
            name="Rose Night Cream", brand="Harlow", category="moisturiser", fragrance_free=False
        ),
        "balm": make_product(
            name="Cica Repair", brand="Harlow", category="balm", actives=["panthenol"]
        ),
        "cleanser": make_product(name="Gentle Cream Wash", brand="Calma", category="cleanser"),
        "powder": make_product(name="Cover Powder", brand="Cloakwell", category="makeup"),
    }
    for product in products.values():
        make_lot(product, 5)
    return products


def test_search_finds_name_brand_category_and_key_attributes(client, shelf):
    assert _names(client, "q=cloakwell") == ["Cover Powder"]
    # Category words, in the label's plural or the code's singular, and stemmed.
    assert _names(client, "q=barrier balms") == ["Cica Repair"]
    assert _names(client, "q=balm") == ["Cica Repair"]
    assert set(_names(client, "q=SPF 50")) == {"Mineral Shield SPF50", "Daily Fluid"}
    assert set(_names(client, "q=spf50")) == {"Mineral Shield SPF50", "Daily Fluid"}
    assert "Rose Night Cream" not in _names(client, "q=fragrance-free")
    assert "Cica Repair" in _names(client, "q=fragrance free")
    assert _names(client, "q=panthenol") == ["Cica Repair"]
    assert _names(client, "q=sensitive skin") == ["Mineral Shield SPF50"]
    # A word's beginning is enough, and upper case does not matter.
    assert set(_names(client, "q=MINER")) == {"Mineral Shield SPF50", "Daily Fluid", "Cover Powder"}


def test_the_best_match_comes_first(client, shelf):
    # A word in the name counts most, then one in the category ("Mineral make-up"), then an
    # attribute (the fluid's mineral filter).
    assert _names(client, "q=mineral") == ["Mineral Shield SPF50", "Cover Powder", "Daily Fluid"]
    # "cream" is in three names; the cleanser's own word "wash" ranks it first for both words.
    assert _names(client, "q=cream wash")[0] == "Gentle Cream Wash"


def test_search_combines_with_the_filters_sort_and_pages(client, shelf, app_ctx, monkeypatch):
    assert _names(client, "q=cream&category=cleanser") == ["Gentle Cream Wash"]
    assert _names(client, "q=umbra&skin_type=sensitive") == ["Mineral Shield SPF50"]
    assert set(_names(client, "q=cream&fragrance_free=y")) == {
        "Light Day Cream SPF30",
        "Gentle Cream Wash",
    }
    assert _names(client, "q=umbra&sort=price-asc") == ["Daily Fluid", "Mineral Shield SPF50"]
    assert _names(client, "q=sunscreen&spf=50&sort=price-desc") == [
        "Mineral Shield SPF50",
        "Daily Fluid",
    ]
    monkeypatch.setitem(app_ctx.config, "PRODUCTS_PER_PAGE", 1)
    html = client.get("/products?q=umbra").get_data(as_text=True)
    assert "2 products matching “umbra”, page 1 of 2" in html
    assert 'href="/products?q=umbra&amp;page=2"' in html
    assert len(_names(client, "q=umbra&page=2")) == 1


def test_inactive_products_are_never_found(client, shelf):
    shelf["balm"].is_active = False
    db.session.commit()
    assert _names(client, "q=cica") == []


def test_no_match_says_so_and_offers_a_way_on(client, shelf):
    make_kit([(shelf["balm"], 1)], name="Needling Recovery Kit", is_featured=True)
    html = client.get("/products?q=cica&category=sunscreen").get_data(as_text=True)
    assert "Nothing matched “cica” with these filters." in html
    # The way out keeps the words and drops the filters...
    assert 'href="/products?q=cica">Search all products for “cica”</a>' in html
    # ...and the clinic's featured kits stand in for the missing products.
    assert "Popular aftercare kits" in html and "Needling Recovery Kit" in html
    assert _names(client, "q=cica") == ["Cica Repair"]


def test_a_product_changed_by_staff_is_found_by_its_new_words_at_once(client, app_ctx):
    cream = make_product(name="Plain Cream", category="moisturiser", skin_types=["dry"])
    assert _names(client, "q=plain") == ["Plain Cream"]
    staff = app_ctx.test_client()
    log_in(staff, make_user(role="staff"))
    changed = {
        **GOOD_PRODUCT,
        "name": "Velvet Barrier Cream",
        "slug": cream.slug,
        "sku": cream.sku,
        "category": "balm",
        "spf": "",
        "uv_filter": "",
        "spf_test_on_file": "",
        "skin_types": ["oily"],
    }
    assert staff.post(f"/staff/products/{cream.id}", data=changed).status_code == 302
    assert _names(client, "q=plain") == []
    assert _names(client, "q=velvet balm oily skin") == ["Velvet Barrier Cream"]
    # Only the skin types change: the search row follows those too.
    changed["skin_types"] = ["combination"]
    assert staff.post(f"/staff/products/{cream.id}", data=changed).status_code == 302
    assert _names(client, "q=velvet oily") == []
    assert _names(client, "q=velvet combination") == ["Velvet Barrier Cream"]
    # One search row per product, whatever the number of edits.
    assert db.session.scalar(select(func.count()).select_from(ProductSearch)) == 1


@pytest.mark.parametrize("query", ["", "q=", "q=%20%20%20"])
def test_an_empty_search_lists_every_product(client, shelf, query):
    assert len(_names(client, query)) == len(shelf)


@pytest.mark.parametrize(
    "text",
    [
        '"mineral"',
        "mineral'",
        "'; DROP TABLE product; --",
        "1 OR 1=1",
        "mineral) OR (1",
        "NEAR(mineral shield)",
        "mineral AND NOT shield",
        "name:mineral",
        "^mineral*",
        "-mineral +shield",
        "mineral & !shield | fluid:*",
        "<script>alert(1)</script>",
        "Minéral ŝhield",
        "%%% mineral ___",
    ],
)
def test_quotes_operators_and_sql_are_only_words(client, shelf, text):
    page = client.get("/products", query_string={"q": text})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert db.session.scalar(select(func.count()).select_from(Product)) == len(shelf)


def test_whatever_is_typed_gets_a_page_never_an_error(client, shelf):
    """Random text from punctuation, operators and several scripts (a fixed seed)."""
    rng = random.Random(15)
    alphabet = string.printable + "éßŝ日本語العربية😀１２ǅ\u0301\u200b'\"*^:()&|!<>~"
    for _ in range(150):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 60)))
        status = client.get("/products", query_string={"q": text}).status_code
        assert status in (200, 400), (status, text)


def test_operator_words_are_searched_as_words(client, shelf):
    # FTS5 reads a bare NEAR (or AND, OR, NOT) as an operator; here it is a word like any other.
    assert _names(client, {"q": "shield NEAR"}) == []
    assert _names(client, {"q": '"shield" "mineral"'}) == ["Mineral Shield SPF50"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("m" * (MAX_SEARCH_LENGTH + 1), f"at most {MAX_SEARCH_LENGTH} characters"),
        ("sunscreen " * 500, f"at most {MAX_SEARCH_LENGTH} characters"),
        ('"', "Please search for a word or a number"),
        ("*** --- ()", "Please search for a word or a number"),
    ],
)
def test_an_unusable_search_is_refused_with_a_reason(client, shelf, text, message):
    page = client.get("/products", query_string={"q": text})
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert message in html
    # The page still offers the search box and the filters, and never echoes a long text.
    assert 'name="q"' in html and "Show products" in html
    assert "m" * (MAX_SEARCH_LENGTH + 1) not in html


def test_a_nul_byte_in_a_search_is_refused(client, shelf):
    page = client.get("/products?q=mineral%00shield")
    assert page.status_code == 400
    assert "NUL character" in page.get_data(as_text=True)


def test_a_search_is_ranked_once_per_catalogue_and_never_kept_as_a_page(
    client, shelf, app_ctx, count_queries
):
    shared_cache.forget_local()
    client.get("/products")

    def kept_pages() -> set[str]:
        return {key for key in shared_cache._local if key.startswith("page:")}

    pages = kept_pages()
    for number in range(20):
        assert client.get(f"/products?q=junk{number}").status_code == 200
    assert client.get("/products?q=" + "x" * 500).status_code == 400
    assert kept_pages() == pages
    assert _names(client, "q=umbra&sort=price-asc") == ["Daily Fluid", "Mineral Shield SPF50"]
    # The same words again (in any case) reuse the ranking: only the page's products and
    # their stock are read. What was typed is kept only as a digest.
    with count_queries() as again:
        assert _names(client, "q=UMBRA&sort=price-asc") == ["Daily Fluid", "Mineral Shield SPF50"]
    assert not any("MATCH" in s or "ts_rank" in s for s in again.statements), again.statements
    assert not any("umbra" in key.casefold() for key in shared_cache._local)
    # A sale is shown on the next search; a price change re-sorts it.
    place_order(app_ctx, [(shelf["fluid"].slug, 4, "product")])
    assert "Only 1 left" in client.get("/products?q=umbra&sort=price-asc").get_data(as_text=True)
    shelf["fluid"].price_pence = 3000
    db.session.commit()
    assert _names(client, "q=umbra&sort=price-asc") == ["Mineral Shield SPF50", "Daily Fluid"]
    # A product added to the catalogue is found by a search asked before it existed.
    make_product(name="Umbra Tinted Veil", brand="Umbra", price_pence=100)
    assert _names(client, "q=umbra&sort=price-asc")[0] == "Umbra Tinted Veil"


def test_a_search_runs_a_constant_number_of_queries(client, count_queries):
    _grow_catalogue(10)
    with count_queries() as small:
        assert _names(client, "q=grown spf50")
    _grow_catalogue(200)
    with count_queries() as large:
        assert _names(client, "q=grown spf50")
    assert large.count == small.count, large.statements


def test_the_full_text_match_is_asked_once_before_any_product_is_read(app_ctx):
    """A plan that walks the products and asks the index for each grows with the catalogue."""
    from shop.services.product_search import matching, read_search

    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL's GIN plan depends on table statistics")
    query, best_first = matching(select(Product.id), read_search("grown spf50"), "sqlite")
    statement = query.order_by(best_first).compile(db.engine)
    values = tuple(statement.params[name] for name in statement.positiontup)
    plan = db.session.connection().exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", values)
    steps = [row[-1] for row in plan]
    assert steps[0] == "MATERIALIZE search_hits", steps
    assert any(step.startswith("SEARCH product USING INTEGER PRIMARY KEY") for step in steps)


def test_default_order_puts_aftercare_essentials_first_and_make_up_last(client, shelf):
    names = _names(client, "")
    assert names.index("Daily Fluid") < names.index("Gentle Cream Wash")
    assert names.index("Gentle Cream Wash") < names.index("Rose Night Cream")
    assert names.index("Rose Night Cream") < names.index("Cica Repair")
    assert names[-1] == "Cover Powder"
    # Explicit sorts still win.
    assert _names(client, "sort=name")[0] == "Cica Repair"


def test_filters_work_without_script_and_apply_on_change_with_it(client, shelf):
    html = client.get("/products").get_data(as_text=True)
    filters = html[html.index('<form class="filter-form') :]
    filters = filters[: filters.index("</form>")]
    assert "data-auto-submit" in filters
    assert '<button class="btn btn-primary w-100" type="submit" data-auto-submit-button>' in filters
    assert re.search(r'<script src="/static/js/filters\.js[^"]*" defer></script>', html)
    # A search carries the filters into the filter form, and the filters the search.
    html = client.get("/products?q=umbra&category=sunscreen").get_data(as_text=True)
    assert '<input type="hidden" name="q" value="umbra">' in html
    assert '<input type="hidden" name="category" value="sunscreen">' in html
