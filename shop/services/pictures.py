"""Product pictures for the storefront: a product's drawing, read once per catalogue version."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from models import Product, db
from shop.services import shared_cache
from shop.services.product_drawings import DrawingFacts, draw_product, drawing_digest


@dataclass(frozen=True)
class Drawing:
    """A product's drawn picture and the digest its address carries."""

    svg: str
    digest: str


def product_drawing(slug: str) -> Drawing | None:
    """Return the drawing of the product at `slug` (on sale or not), or None if there is none.

    Shared by every visitor until the catalogue changes: one query per catalogue version (and
    one per request for a slug that names no product).
    """

    def build() -> Drawing | shared_cache.Uncached[None]:
        product = db.session.execute(
            select(Product).where(Product.slug == slug)
        ).scalar_one_or_none()
        if product is None:
            # Not kept: addresses made up by the thousand must not push real pages out.
            return shared_cache.Uncached(None)
        facts = DrawingFacts.of(product)
        return Drawing(draw_product(facts), drawing_digest(facts))

    return shared_cache.remember("product-drawing", (slug,), build, stock=False)
