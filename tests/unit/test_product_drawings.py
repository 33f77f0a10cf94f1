"""The drawn product pictures: each product its own colour, shape and label, as valid SVG."""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from shop.aftercare.vocabulary import CATEGORIES
from shop.services.product_drawings import (
    _SHAPE_OF_CATEGORY,
    DrawingFacts,
    colour_of,
    draw_product,
    drawing_digest,
    label_lines,
)

DEMO = Path(__file__).resolve().parents[2] / "shop/seed/data/demo_catalogue.toml"


def _demo_products() -> list[DrawingFacts]:
    data = tomllib.loads(DEMO.read_text(encoding="utf-8"))
    return [
        DrawingFacts(
            sku=p["sku"],
            name=p["name"],
            brand=p["brand"],
            category=p["category"],
            spf=p.get("spf"),
            tinted=p["tinted"],
        )
        for p in data["products"]
    ]


def _facts(**changes) -> DrawingFacts:
    values = {
        "sku": "X-1",
        "name": "Cloakwell Mineral Cover Powder (Light to Medium)",
        "brand": "Cloakwell",
        "category": "makeup",
        "spf": None,
        "tinted": True,
    }
    return DrawingFacts(**{**values, **changes})


def test_the_three_make_up_items_look_different():
    make_up = [p for p in _demo_products() if p.category == "makeup"]
    assert len(make_up) == 3
    assert len({colour_of(p) for p in make_up}) == 3
    assert len({label_lines(p) for p in make_up}) == 3


def test_every_demo_product_has_a_drawing_of_its_own():
    products = _demo_products()
    drawings = {draw_product(p) for p in products}
    assert len(drawings) == len(products)
    for drawing in drawings:
        assert ET.fromstring(drawing).tag == "{http://www.w3.org/2000/svg}svg"


def test_the_label_names_the_shade_or_the_spf():
    assert label_lines(_facts()) == ("Mineral", "Light–Medium")
    sunscreen = _facts(name="Umbra Featherlight Fluid SPF50+", brand="Umbra", spf=50)
    assert label_lines(sunscreen) == ("Featherlight", "SPF50")
    assert label_lines(_facts(name="Cloakwell Green Colour Corrector")) == ("Green", "Corrector")


def test_a_shade_word_picks_its_colour_and_other_names_their_sku():
    assert colour_of(_facts(name="Cloakwell Green Colour Corrector")) == "#6f9e6a"
    plain = _facts(name="Cloakwell Cover Stick", sku="A")
    assert colour_of(plain) == colour_of(_facts(name="Cloakwell Cover Stick", sku="A"))


def test_text_in_a_name_is_escaped():
    drawing = draw_product(_facts(name='Cloakwell <script>&"Pot" (A&B)'))
    assert "<script>" not in drawing
    ET.fromstring(drawing)  # still well-formed


def test_the_digest_follows_what_the_drawing_shows():
    assert drawing_digest(_facts()) == drawing_digest(_facts())
    assert drawing_digest(_facts()) != drawing_digest(_facts(name="Cloakwell Other Powder"))
    assert drawing_digest(_facts()) != drawing_digest(_facts(spf=30))


@pytest.mark.parametrize("category", CATEGORIES)
def test_every_category_has_a_pack_shape(category):
    assert category in _SHAPE_OF_CATEGORY
    ET.fromstring(draw_product(_facts(category=category)))
