"""Responses are compressed: Brotli when the browser takes it, else gzip; text types only.

Pages shared by every visitor are the exception: their text was deflated once when they were
cached, so they are sent as gzip stitched around each visitor's own parts.
"""

from __future__ import annotations

import gzip
import re

import brotli
import pytest
from flask import Response

from app import create_app
from shop.config import ConfigError, load_config
from tests.checkout_helpers import add
from tests.conftest import log_in
from tests.factories import make_lot, make_product, make_user

BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends
# A page rendered for each request (a search), compressed as it goes out.
OWN_PAGE = "/products?q=cream"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
BADGE = 'basket-count">1<'


def test_a_page_is_sent_with_brotli_to_a_browser_that_takes_it(client):
    plain = client.get(OWN_PAGE)
    response = client.get(OWN_PAGE, headers={"Accept-Encoding": BROWSER})
    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]
    html = brotli.decompress(response.data).decode()
    assert html.startswith("<!doctype html>") and "</html>" in html
    assert len(response.data) < len(plain.data) / 3


def test_gzip_is_the_fallback_and_nothing_is_compressed_unasked(client):
    response = client.get(OWN_PAGE, headers={"Accept-Encoding": "gzip, deflate"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data).decode().startswith("<!doctype html>")
    plain = client.get(OWN_PAGE)
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    refused = client.get(OWN_PAGE, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in refused.headers


@pytest.fixture
def shelf(app_ctx):
    """A product in stock, so the catalogue page has forms (and so form tokens)."""
    cream = make_product(name="Barrier Cream")
    make_lot(cream, 5)
    return cream


def test_a_shared_page_is_gzip_stitched_around_each_visitors_own_parts(client, shelf):
    plain = client.get("/products").get_data(as_text=True)
    first = client.get("/products", headers={"Accept-Encoding": BROWSER})
    second = client.get("/products", headers={"Accept-Encoding": BROWSER})
    assert first.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in first.headers["Vary"]
    assert int(first.headers["Content-Length"]) == len(first.data)
    assert len(first.data) < len(plain.encode()) / 3
    pages = [gzip.decompress(response.data).decode() for response in (first, second)]
    # The same page as sent plain, but for the form tokens, masked afresh for each response.
    tokens = [TOKEN.findall(page) for page in pages]
    assert tokens[0] and len(set(tokens[0])) == len(set(tokens[1])) == 1
    assert tokens[0][0] != tokens[1][0]
    assert TOKEN.sub("", pages[0]) == TOKEN.sub("", pages[1]) == TOKEN.sub("", plain)
    # Tokens are never compressed: each is sent as it is, beside nothing (BREACH).
    assert all(token.encode() in first.data for token in tokens[0])


def test_a_shared_page_in_gzip_carries_only_the_visitors_own_account_and_basket(
    client, app_ctx, shelf
):
    buyer = app_ctx.test_client()
    log_in(buyer, make_user(email="gzip-buyer@example.com"))
    add(buyer, shelf.slug)
    pages = {}
    for name, browser in (("buyer", buyer), ("newcomer", client)):
        response = browser.get("/products", headers={"Accept-Encoding": "gzip"})
        assert response.headers["Content-Encoding"] == "gzip"
        pages[name] = gzip.decompress(response.data).decode()
    assert "Sign out" in pages["buyer"] and BADGE in pages["buyer"]
    assert "Sign out" not in pages["newcomer"] and BADGE not in pages["newcomer"]


def test_tokens_of_another_width_get_the_page_compressed_whole(client, shelf, monkeypatch):
    """Pieces may refer back across tokens of the width they were cached for, and no other."""
    from shop import csrf

    client.get("/products")  # cached with this app's token width
    monkeypatch.setattr(csrf, "mask_token", lambda token: "x" + token)
    response = client.get("/products", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    tokens = TOKEN.findall(gzip.decompress(response.data).decode())
    assert tokens and all(token.startswith("x") for token in tokens)
    assert not any(token.encode() in response.data for token in tokens)


@pytest.mark.parametrize(
    ("accepted", "encoding"), [("br", "br"), ("gzip;q=0, br", "br"), ("identity", None)]
)
def test_a_shared_page_is_compressed_as_any_page_without_gzip(client, shelf, accepted, encoding):
    response = client.get("/products", headers={"Accept-Encoding": accepted})
    assert response.headers.get("Content-Encoding") == encoding


@pytest.mark.parametrize(
    "path", ["/static/css/aftercare.css", "/bootstrap/static/js/bootstrap.min.js"]
)
def test_static_styles_and_scripts_are_compressed(client, path):
    plain = client.get(path).data
    response = client.get(path, headers={"Accept-Encoding": BROWSER})
    assert response.headers["Content-Encoding"] == "br"
    assert brotli.decompress(response.get_data()) == plain


@pytest.fixture
def fresh_app(database_url):
    """A separate app, so a test can add routes before its first request."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})


@pytest.mark.parametrize(
    ("mimetype", "compressed"),
    [("image/svg+xml", True), ("application/json", True), ("image/png", False)],
)
def test_svg_and_json_are_compressed_but_not_images_already_packed(fresh_app, mimetype, compressed):
    body = b'{"x": "' + b"aftercare " * 300 + b'"}'
    fresh_app.add_url_rule("/__body", "body", lambda: Response(body, mimetype=mimetype))
    response = fresh_app.test_client().get("/__body", headers={"Accept-Encoding": BROWSER})
    assert ("Content-Encoding" in response.headers) is compressed


def test_a_tiny_response_is_left_alone(fresh_app):
    fresh_app.add_url_rule("/__tiny", "tiny", lambda: Response("ok", mimetype="text/html"))
    response = fresh_app.test_client().get("/__tiny", headers={"Accept-Encoding": BROWSER})
    assert "Content-Encoding" not in response.headers


def test_compression_can_be_left_to_a_proxy_in_front(database_url, monkeypatch):
    monkeypatch.setenv("COMPRESS_RESPONSES", "off")
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})
    app.add_url_rule("/__big", "big", lambda: Response("x" * 5000, mimetype="text/html"))
    response = app.test_client().get("/__big", headers={"Accept-Encoding": BROWSER})
    assert "Content-Encoding" not in response.headers
    # Nor is a shared page, whose text was deflated when it was cached.
    response = app.test_client().get("/", headers={"Accept-Encoding": BROWSER})
    assert response.status_code == 200 and "Content-Encoding" not in response.headers


@pytest.mark.parametrize(
    ("name", "value"),
    [("COMPRESS_BR_LEVEL", "12"), ("COMPRESS_BR_LEVEL", "-1"), ("COMPRESS_GZIP_LEVEL", "0")],
)
def test_a_compression_level_out_of_range_stops_the_shop(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_config({"TESTING": True})
