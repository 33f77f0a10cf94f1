"""Product pictures: each product's drawn pack, served with caching headers, on every card."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from itertools import pairwise

import pytest
from factories import make_kit, make_lot, make_product

from models import db
from shop.services.product_drawings import DrawingFacts, drawing_digest


def _drawing_url(html: str, slug: str) -> str:
    found = re.search(rf'src="(/media/drawings/{re.escape(slug)}\.svg\?v=[0-9a-f]+)"', html)
    assert found, f"no drawing of {slug} on the page"
    return found.group(1)


@pytest.fixture
def balm(app_ctx):
    product = make_product(name="Test Brand Calm Balm", category="balm", slug="calm-balm")
    make_lot(product, 10)
    return product


def test_a_product_page_shows_its_drawing_served_as_svg_for_a_year(client, balm):
    url = _drawing_url(client.get("/products/calm-balm").get_data(as_text=True), "calm-balm")
    response = client.get(url)
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in response.headers["Cache-Control"]
    assert "immutable" in response.headers["Cache-Control"]
    assert "public" in response.headers["Cache-Control"]
    svg = ET.fromstring(response.get_data(as_text=True))
    assert "Calm" in "".join(svg.itertext())  # its own label, from its name
    # The browser asks again with the tag: nothing is sent twice.
    again = client.get(url, headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("version", ["", "?v=0123456789ab", "?v=" + "f" * 400, "?v=%27--"])
def test_an_old_or_odd_version_gets_today_s_drawing_kept_briefly(client, balm, version):
    response = client.get(f"/media/drawings/calm-balm.svg{version}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"


def test_a_nul_in_the_address_is_refused(client, balm):
    assert client.get("/media/drawings/calm-balm.svg?v=%00").status_code == 400
    assert client.get("/media/drawings/calm%00balm.svg").status_code == 400


def test_a_changed_product_gets_a_new_address(client, balm):
    before = drawing_digest(DrawingFacts.of(balm))
    balm.name = "Test Brand Calm Balm Rich"
    db.session.commit()
    html = client.get("/products/calm-balm").get_data(as_text=True)
    assert before not in html
    assert drawing_digest(DrawingFacts.of(balm)) in _drawing_url(html, "calm-balm")


@pytest.mark.parametrize("slug", ["no-such-product", "..%2Fapp", "a" * 300])
def test_a_drawing_of_nothing_is_not_found(client, slug):
    response = client.get(f"/media/drawings/{slug}.svg")
    assert response.status_code == 404


def test_a_product_with_a_photo_shows_the_photo(client, app_ctx):
    product = make_product(slug="photographed", image_filename="a" * 32 + ".webp")
    make_lot(product, 3)
    html = client.get("/products/photographed").get_data(as_text=True)
    assert f'src="/media/products/{"a" * 32}.webp"' in html
    assert "/media/drawings/photographed.svg" not in html


def test_kit_cards_show_their_products_by_name(client, balm):
    cream = make_product(name="Test Brand Rich Cream", slug="rich-cream")
    make_lot(cream, 10)
    make_kit([(balm, 1), (cream, 1)], slug="calm-kit", name="Calm Kit")
    html = client.get("/kits").get_data(as_text=True)
    card = html[html.index('class="card kit-card') :]
    for product in (balm, cream):
        assert re.search(
            rf'src="/media/drawings/{product.slug}\.svg[^"]*"\s+alt="{product.name}"', card
        )


def test_basket_lines_show_pictures_next_to_their_names(client, balm):
    cream = make_product(name="Test Brand Rich Cream", slug="rich-cream")
    make_lot(cream, 10)
    make_kit([(balm, 1), (cream, 1)], slug="calm-kit", name="Calm Kit")
    client.post("/basket/add", data={"kind": "product", "slug": "calm-balm", "quantity": "1"})
    client.post("/basket/add", data={"kind": "kit", "slug": "calm-kit", "quantity": "1"})
    html = client.get("/basket").get_data(as_text=True)
    lines = html[html.index('class="basket-lines') :]
    # The names are beside the pictures, so the pictures are not read out again.
    assert len(re.findall(r'src="/media/drawings/calm-balm\.svg[^"]*"\s+alt=""', lines)) == 2
    assert re.search(r'src="/media/drawings/rich-cream\.svg[^"]*"\s+alt=""', lines)
    assert "Remove<span" in lines


def test_kit_cards_on_kits_are_headed_one_level_below_the_page(client, balm):
    make_kit([(balm, 1)], slug="calm-kit", name="Calm Kit")
    html = client.get("/kits").get_data(as_text=True)
    main = html[html.index("<main") :]
    levels = [int(level) for level in re.findall(r"<h([1-6])", main)]
    assert levels[0] == 1 and levels[1] == 2
    assert all(later - earlier <= 1 for earlier, later in pairwise(levels))


def test_drawings_of_nothing_are_not_kept(client, balm):
    from shop.services import shared_cache

    client.get("/products/calm-balm")  # the shop's own entries, made once
    before = len(shared_cache._local)
    for number in range(20):
        assert client.get(f"/media/drawings/made-up-{number}.svg").status_code == 404
    assert len(shared_cache._local) == before
