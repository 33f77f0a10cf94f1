"""Products in the back office: create, edit, put on or take off sale, list."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import Product, ProductSkinType, db
from models.vocabulary import ACTIVES, CATEGORIES, SKIN_TYPES, UV_FILTERS
from shop.services.audit import record
from shop.services.catalogue_admin.common import (
    PRODUCT_ATTRIBUTES,
    SLUG_PATTERN,
    CatalogueError,
    snapshot,
)
from shop.services.inventory import sellable_by_product
from shop.services.pagination import Page, paginate
from shop.services.unit_of_work import unit_of_work


def _check_product(values: dict[str, Any], product_id: int | None) -> None:
    """Refuse inconsistent product attributes with a message naming the field."""
    if not SLUG_PATTERN.match(values["slug"] or ""):
        raise CatalogueError("Use lower-case letters, digits and single dashes.", "slug")
    if values["category"] not in CATEGORIES:
        raise CatalogueError("Choose a category.", "category")
    if values["uv_filter"] is not None and values["uv_filter"] not in UV_FILTERS:
        raise CatalogueError("Choose mineral or chemical.", "uv_filter")
    unknown = set(values["actives"]) - set(ACTIVES)
    if unknown:
        raise CatalogueError("Choose actives from the list.", "actives")
    if values["category"] == "sunscreen" and not values["spf"]:
        raise CatalogueError("A sunscreen needs its SPF.", "spf")
    if values["uv_filter"] and not values["spf"]:
        raise CatalogueError("Only products with an SPF have a UV filter.", "uv_filter")
    if values["spf_test_on_file"] and values["category"] != "sunscreen":
        raise CatalogueError("Only sunscreens carry SPF test data.", "spf_test_on_file")
    for name in ("sku", "slug"):
        clash = db.session.execute(
            select(Product.id).where(
                func.lower(getattr(Product, name)) == values[name].lower(),
                Product.id != (product_id or 0),
            )
        ).first()
        if clash:
            raise CatalogueError(f"Another product already uses this {name}.", name)


def _apply_product(product: Product, values: dict[str, Any], skin_types: list[str]) -> None:
    for name in PRODUCT_ATTRIBUTES:
        setattr(product, name, values[name])
    unknown = set(skin_types) - set(SKIN_TYPES)
    if unknown:
        raise CatalogueError("Choose skin types from the list.", "skin_types")
    current = {row.skin_type: row for row in product.skin_type_rows}
    product.skin_type_rows = [
        current.get(skin_type) or ProductSkinType(skin_type=skin_type)
        for skin_type in SKIN_TYPES
        if skin_type in skin_types
    ]


def _product_audit(product: Product) -> dict[str, Any]:
    return snapshot(product, PRODUCT_ATTRIBUTES) | {"skin_types": product.skin_types}


def create_product(values: dict[str, Any], skin_types: list[str], user_id: int | None) -> Product:
    """Create a product from every attribute the aftercare rules read; commits."""
    _check_product(values, None)
    product = Product()
    with unit_of_work():
        _apply_product(product, values, skin_types)
        db.session.add(product)
        db.session.flush()
        record(user_id, "product.create", "product", product.id, None, _product_audit(product))
    return product


def update_product(
    product_id: int, values: dict[str, Any], skin_types: list[str], user_id: int | None
) -> Product:
    """Change a product's attributes; commits. The audit keeps the values before and after."""
    product = get_product(product_id)
    if product is None:
        raise CatalogueError("That product does not exist.")
    _check_product(values, product.id)
    before = _product_audit(product)
    with unit_of_work():
        _apply_product(product, values, skin_types)
        after = _product_audit(product)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        record(
            user_id,
            "product.update",
            "product",
            product.id,
            {k: before[k] for k in changed},
            changed,
        )
    return product


def set_product_active(product_id: int, active: bool, user_id: int | None) -> Product:
    """Take a product off sale (or back on); it stays on past orders and in the ledger."""
    product = get_product(product_id)
    if product is None:
        raise CatalogueError("That product does not exist.")
    with unit_of_work():
        before = {"is_active": product.is_active}
        product.is_active = active
        record(
            user_id,
            "product.activate" if active else "product.deactivate",
            "product",
            product.id,
            before,
            {"is_active": active},
        )
    return product


def get_product(product_id: int) -> Product | None:
    """Return a product (active or not) with its skin types."""
    return db.session.execute(
        select(Product)
        .where(Product.id == product_id)
        .options(selectinload(Product.skin_type_rows))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class ProductAdminRow:
    """A product in the back-office list with its sellable stock."""

    product: Product
    sellable: int


def list_products(
    today: date, *, page: int = 1, per_page: int = 50, search: str = "", status: str = ""
) -> Page:
    """Return one page of products, active and inactive (three queries whatever the size)."""
    query = select(Product)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            func.lower(Product.name).like(pattern)
            | func.lower(Product.sku).like(pattern)
            | func.lower(Product.brand).like(pattern)
        )
    if status == "active":
        query = query.where(Product.is_active.is_(True))
    elif status == "inactive":
        query = query.where(Product.is_active.is_(False))

    def rows_with_stock(products: list[Product]) -> list[ProductAdminRow]:
        sellable = sellable_by_product((p.id for p in products), today)
        return [ProductAdminRow(p, sellable[p.id]) for p in products]

    return paginate(
        query.order_by(Product.name, Product.id), page, per_page, rows_with_stock, scalars=True
    )


def product_choices() -> list[tuple[int, str]]:
    """Return (id, label) for every product, active first, for the staff forms' selects."""
    rows = db.session.execute(
        select(Product.id, Product.name, Product.sku, Product.is_active).order_by(
            Product.is_active.desc(), Product.name
        )
    ).all()
    return [
        (pid, f"{name} ({sku})" + ("" if active else " - inactive"))
        for pid, name, sku, active in rows
    ]
