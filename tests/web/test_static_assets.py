"""Static URLs carry the file's digest and are cached a year; the site CSS is inlined."""

from __future__ import annotations

import re

import pytest

from shop.assets import VERSIONED_CACHE_CONTROL, file_version

ASSET_URL = re.compile(r'(?:src|href)="(/(?:static|bootstrap/static)/[^"]+)"')


def test_every_static_url_on_a_page_carries_its_files_digest(client):
    html = client.get("/").get_data(as_text=True)
    urls = ASSET_URL.findall(html)
    assert any("print.css" in url for url in urls) and any(
        "bootstrap.min.js" in url for url in urls
    )
    for url in urls:
        assert re.search(r"\?v=[0-9a-f]{12}$", url), url


def test_a_versioned_file_is_cached_for_a_year_and_others_are_revalidated(client):
    html = client.get("/").get_data(as_text=True)
    (print_css,) = [url for url in ASSET_URL.findall(html) if "print.css" in url]
    assert client.get(print_css).headers["Cache-Control"] == VERSIONED_CACHE_CONTROL
    for stale in ("/static/css/print.css", "/static/css/print.css?v=000000000000"):
        response = client.get(stale)
        assert response.status_code == 200
        assert "immutable" not in response.headers.get("Cache-Control", ""), stale


def test_the_version_follows_the_content(app, tmp_path, monkeypatch):
    monkeypatch.setattr(app, "static_folder", str(tmp_path))
    sheet = tmp_path / "x.css"
    sheet.write_text("a{color:red}")
    first = file_version(app, "static", "x.css")
    sheet.write_text("a{color:blue}")
    assert file_version(app, "static", "x.css") != first
    assert file_version(app, "static", "missing.css") is None
    assert file_version(app, "static", "../x.css") is None


@pytest.mark.parametrize("path", ["/", "/products", "/kit-finder", "/account/login"])
def test_no_stylesheet_holds_up_the_first_paint(client, path):
    html = client.get(path).get_data(as_text=True)
    head = html.split("</head>")[0]
    assert "<style>" in head and not re.search(r'href="[^"]*bootstrap\.min\.css', html)
    blocking = re.findall(r'<link rel="stylesheet" href="([^"]+)"(?! media="print")', head)
    # Only a page's own small stylesheet may still be linked (the kit finder's).
    assert all("/static/css/" in href and "shop.css" not in href for href in blocking), blocking
    (script,) = re.findall(r"<script [^>]*bootstrap[^>]*>", html)
    assert " defer" in script
    assert "popper.min.js" not in html  # the collapsing menu does not need it
