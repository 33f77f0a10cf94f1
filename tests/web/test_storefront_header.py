"""The header's basket and search, and the product cards' "Add to basket", on shared pages."""

from __future__ import annotations

import re

from tests.checkout_helpers import add
from tests.conftest import log_in
from tests.factories import make_lot, make_product, make_user

BASKET_LINK = re.compile(r'<a class="basket-link[^"]*"[^>]*href="/basket">(.*?)</a>', re.S)
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _basket_link(html: str) -> str:
    """Return the header basket link's content, checking it sits outside the folding menu."""
    found = BASKET_LINK.search(html)
    assert found, "no basket link in the header"
    assert found.start() < html.index('id="main-nav"'), "the basket folds away with the menu"
    return found.group(1)


def test_the_header_basket_shows_each_visitor_their_own_count(client, app_ctx, login):
    cream = make_product(name="Header Cream")
    make_lot(cream, 10)
    guest = app_ctx.test_client()
    add(guest, cream.slug, 1)
    shopper = make_user(name="Sam Shopper")
    login(shopper)
    add(client, cream.slug, 3)
    stranger = app_ctx.test_client()
    for path in ("/", "/products", f"/products/{cream.slug}", "/kits"):
        assert ">1<span" in _basket_link(guest.get(path).get_data(as_text=True))
        assert "> item</span>" in _basket_link(guest.get(path).get_data(as_text=True))
        mine = _basket_link(client.get(path).get_data(as_text=True))
        assert ">3<span" in mine and "> items</span>" in mine
        # Whoever saw the page before, a newcomer's basket shows no count at all.
        assert "badge" not in _basket_link(stranger.get(path).get_data(as_text=True))
    # Signed in elsewhere, the account's basket brings its count along.
    other_browser = app_ctx.test_client()
    log_in(other_browser, shopper)
    assert ">3<span" in _basket_link(other_browser.get("/").get_data(as_text=True))


def test_the_header_search_asks_the_product_list(client):
    html = client.get("/").get_data(as_text=True)
    form = re.search(r'<form class="site-search"[^>]*>(.*?)</form>', html, re.S)
    assert form and 'method="get" action="/products"' in form.group(0)
    assert 'name="q"' in form.group(1) and 'for="site-search-q"' in form.group(1)
    # The product list has its own search box next to the filters, so only one shows there.
    products = client.get("/products").get_data(as_text=True)
    assert '<form class="site-search"' not in products
    assert re.search(r'<input class="form-control" id="q" [^>]*name="q"', products)


def test_a_product_card_adds_one_to_the_basket_with_the_visitors_own_token(
    app, app_ctx, monkeypatch
):
    cream = make_product(name="Card Cream")
    make_lot(cream, 4)
    make_product(name="Gone Cream")
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    first, second = app.test_client(), app.test_client()
    mine = first.get("/products").get_data(as_text=True)
    theirs = second.get("/products").get_data(as_text=True)
    card = mine[mine.index("Card Cream") :]
    card = card[: card.index("</article>")]
    assert 'action="/basket/add"' in card and f'name="slug" value="{cream.slug}"' in card
    assert "Add to basket<span" in card
    gone = mine[mine.index("Gone Cream") :]
    assert "Add to basket" not in gone[: gone.index("</article>")]
    token = TOKEN.findall(card)[0]
    assert token not in theirs
    form = {"csrf_token": token, "kind": "product", "slug": cream.slug, "quantity": "1"}
    # Another visitor's token is refused; the visitor's own adds the product.
    assert second.post("/basket/add", data=form).status_code == 400
    added = first.post("/basket/add", data=form)
    assert added.status_code == 303 and added.headers["Location"].endswith("/basket")
    assert ">1<span" in _basket_link(first.get("/products").get_data(as_text=True))
    assert "badge" not in _basket_link(second.get("/products").get_data(as_text=True))
