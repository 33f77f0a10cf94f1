"""Responses are compressed: Brotli when the browser takes it, else gzip; text types only."""

from __future__ import annotations

import gzip

import brotli
import pytest
from flask import Response

from app import create_app
from shop.config import ConfigError, load_config

BROWSER = "gzip, deflate, br, zstd"  # what Chromium sends


def test_a_page_is_sent_with_brotli_to_a_browser_that_takes_it(client):
    plain = client.get("/products")
    response = client.get("/products", headers={"Accept-Encoding": BROWSER})
    assert response.headers["Content-Encoding"] == "br"
    assert "Accept-Encoding" in response.headers["Vary"]
    html = brotli.decompress(response.data).decode()
    assert html.startswith("<!doctype html>") and "</html>" in html
    assert len(response.data) < len(plain.data) / 3


def test_gzip_is_the_fallback_and_nothing_is_compressed_unasked(client):
    response = client.get("/products", headers={"Accept-Encoding": "gzip, deflate"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(response.data).decode().startswith("<!doctype html>")
    plain = client.get("/products")
    assert "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in plain.headers["Vary"]
    refused = client.get("/products", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in refused.headers


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


@pytest.mark.parametrize(
    ("name", "value"),
    [("COMPRESS_BR_LEVEL", "12"), ("COMPRESS_BR_LEVEL", "-1"), ("COMPRESS_GZIP_LEVEL", "0")],
)
def test_a_compression_level_out_of_range_stops_the_shop(monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match=name):
        load_config({"TESTING": True})
