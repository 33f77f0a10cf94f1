"""Catalogue use cases: browse and filter products, read products, kits and their prices."""

from __future__ import annotations

import hashlib
from array import array
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, case, select
from sqlalchemy.orm import selectinload

from models import Kit, KitItem, Product, ProductSkinType, Treatment, db
from shop.aftercare.vocabulary import CATEGORIES
from shop.money import percent_of
from shop.services import shared_cache
from shop.services.inventory import (
    Availability,
    kit_availabilities,
    product_availability,
    sellable_by_product,
)
from shop.services.pagination import Page, clamp_page, paginate
from shop.services.product_search import Search, matching

# The shelf order of the default sort: what a patient needs in the days after a treatment
# first (sun protection, then a gentle cleanser, a moisturiser and a barrier balm, which most
# protocols ask for), then what helps with particular recoveries, and make-up and accessories,
# which are for later, last. Best sellers would put whatever sold most last month first, which
# on a clinic's shop is often make-up; this order is the clinic's advice and needs no sales data.
# The vocabulary already lists categories in that order; only make-up moves behind accessories.
AFTERCARE_SHELF = (*(name for name in CATEGORIES if name != "makeup"), "makeup")
_SHELF_POSITION = case(
    {category: position for position, category in enumerate(AFTERCARE_SHELF)},
    value=Product.category,
    else_=len(AFTERCARE_SHELF),
)
RECOMMENDED_SORT = "recommended"
PRODUCT_SORTS = {
    RECOMMENDED_SORT: (_SHELF_POSITION.asc(), Product.name.asc(), Product.id.asc()),
    "name": (Product.name.asc(), Product.id.asc()),
    "price-asc": (Product.price_pence.asc(), Product.name.asc(), Product.id.asc()),
    "price-desc": (Product.price_pence.desc(), Product.name.asc(), Product.id.asc()),
}


@dataclass(frozen=True)
class ProductFilters:
    """What a shopper narrowed the catalogue to; None means no restriction."""

    category: str | None = None
    min_spf: int | None = None
    fragrance_free: bool = False
    skin_type: str | None = None
    sort: str = RECOMMENDED_SORT
    # Words the products must match; with the recommended sort, the best match comes first.
    search: Search | None = None


@dataclass(frozen=True)
class ProductCard:
    """A product with its current availability, as lists and pages show it."""

    product: Product
    availability: Availability


@dataclass(frozen=True)
class KitPrice:
    """A kit's price against buying its items one by one, all in pence."""

    items_total_pence: int
    price_pence: int

    @property
    def saving_pence(self) -> int:
        """Return how much the kit saves over buying the items separately."""
        return max(self.items_total_pence - self.price_pence, 0)


@dataclass(frozen=True)
class KitCard:
    """A kit with its price and current availability."""

    kit: Kit
    price: KitPrice
    availability: Availability


def kit_price(kit: Kit) -> KitPrice:
    """Price a kit by its rule: a fixed amount, or a percentage off the sum of its items."""
    items_total = sum(item.product.price_pence * item.quantity for item in kit.items)
    return price_by_rule(kit.price_rule, kit.fixed_price_pence, kit.percent_off, items_total)


def price_by_rule(
    rule: str, fixed_price_pence: int | None, percent_off: int | None, items_total_pence: int
) -> KitPrice:
    """Price a kit from its rule's columns and the sum of its items' prices."""
    if rule == "fixed":
        price = fixed_price_pence or 0
    else:
        price = items_total_pence - percent_of(items_total_pence, percent_off or 0)
    return KitPrice(items_total_pence=items_total_pence, price_pence=price)


def _filtered_products(filters: ProductFilters) -> Select:
    """Build the query of active products matching `filters`."""
    query = select(Product).where(Product.is_active.is_(True))
    if filters.category:
        query = query.where(Product.category == filters.category)
    if filters.min_spf:
        query = query.where(Product.spf >= filters.min_spf)
    if filters.fragrance_free:
        query = query.where(Product.fragrance_free.is_(True))
    if filters.skin_type:
        query = query.where(
            Product.id.in_(
                select(ProductSkinType.product_id).where(
                    ProductSkinType.skin_type == filters.skin_type
                )
            )
        )
    return query


def list_products(filters: ProductFilters, page: int, per_page: int, today: date) -> Page:
    """Return one page of active products matching `filters`, with availability.

    Three queries whatever the page size: the count, the page, and the stock of its products.
    A search is ranked once per catalogue version (see `_search_ranking`), then costs two: the
    page's products and their stock.
    """
    if filters.search is not None:
        ranked = _search_ranking(filters, filters.search)
        page = clamp_page(page, len(ranked), per_page)
        chosen = ranked[(page - 1) * per_page : page * per_page].tolist()
        found = {
            product.id: product
            for product in db.session.execute(select(Product).where(Product.id.in_(chosen)))
            .scalars()
            .all()
        }
        products = [found[product_id] for product_id in chosen if product_id in found]
        return Page(_cards(products, today), page=page, per_page=per_page, total=len(ranked))
    order = PRODUCT_SORTS.get(filters.sort, PRODUCT_SORTS[RECOMMENDED_SORT])
    query = _filtered_products(filters).order_by(*order)
    return paginate(query, page, per_page, lambda rows: _cards(rows, today), scalars=True)


def _cards(products: list[Product], today: date) -> list[ProductCard]:
    """Attach each product's current availability (one query for them all)."""
    sellable = sellable_by_product((product.id for product in products), today)
    return [ProductCard(p, product_availability(sellable[p.id])) for p in products]


def _search_ranking(filters: ProductFilters, search: Search) -> array:
    """Return the ids of the active products a search and its filters find, in the order shown.

    Ranking a search orders every match (a thousand of a large catalogue's products for
    "mineral spf50"), so the ranked ids are kept, shared, until the catalogue changes; stock
    decides neither a match nor its place, so a sale keeps them, and each page still reads its
    products' stock afresh. The key is a digest, so what shoppers type is not kept readable.
    """
    sort = filters.sort if filters.sort in PRODUCT_SORTS else RECOMMENDED_SORT
    asked = (search.words, filters.category, filters.min_spf, filters.fragrance_free)
    asked += (filters.skin_type, sort)
    digest = hashlib.blake2b(repr(asked).encode(), digest_size=16).hexdigest()

    def rank() -> array:
        query = _filtered_products(filters).with_only_columns(Product.id)
        query, best_first = matching(query, search, db.session.get_bind().dialect.name)
        order = PRODUCT_SORTS[sort]
        if sort == RECOMMENDED_SORT:
            order = (best_first, *order)
        query = query.order_by(*order)
        # Four bytes an id: the kept rankings of many searches stay small.
        return array("i", db.session.execute(query).scalars())

    return shared_cache.remember("product-search", (digest,), rank, stock=False)


def get_product(slug: str, today: date) -> tuple[ProductCard, list[KitCard]] | None:
    """Return an active product with its availability and the active kits it belongs to."""
    product = db.session.execute(
        select(Product)
        .where(Product.slug == slug, Product.is_active.is_(True))
        .options(selectinload(Product.skin_type_rows))
    ).scalar_one_or_none()
    if product is None:
        return None
    sellable = sellable_by_product([product.id], today)
    kits = _load_kits(
        select(Kit)
        .where(
            Kit.is_active.is_(True),
            Kit.id.in_(select(KitItem.kit_id).where(KitItem.product_id == product.id)),
        )
        .order_by(Kit.position, Kit.name)
    )
    return ProductCard(product, product_availability(sellable[product.id])), _kit_cards(kits, today)


def _with_kit_contents(query: Select) -> Select:
    """Have a kit query load items, products and treatments up front (no N+1)."""
    return query.options(
        # Skin types too: the kit page places each item on its treatments' needs.
        selectinload(Kit.items).selectinload(KitItem.product).selectinload(Product.skin_type_rows),
        selectinload(Kit.treatments),
    )


def _load_kits(query: Select) -> list[Kit]:
    """Run a kit query with items, products and treatments loaded up front (no N+1)."""
    return list(db.session.execute(_with_kit_contents(query)).scalars().all())


def _kit_cards(kits: list[Kit], today: date) -> list[KitCard]:
    """Price kits and attach their availability."""
    availability = kit_availabilities(kits, today)
    return [KitCard(kit, kit_price(kit), availability[kit.id]) for kit in kits]


def _active_kits(treatment_slug: str | None = None, featured_only: bool = False) -> Select:
    """Build the query of active kits in display order, for one treatment or only featured."""
    query = select(Kit).where(Kit.is_active.is_(True)).order_by(Kit.position, Kit.name, Kit.id)
    if treatment_slug:
        query = query.where(Kit.treatments.any(Treatment.slug == treatment_slug))
    if featured_only:
        query = query.where(Kit.is_featured.is_(True))
    return query


def list_kits(
    today: date,
    treatment_slug: str | None = None,
    featured_only: bool = False,
    limit: int | None = None,
) -> list[KitCard]:
    """Return active kits in display order (at most `limit`), for one treatment or featured."""
    return _kit_cards(_load_kits(_active_kits(treatment_slug, featured_only).limit(limit)), today)


def page_kits(today: date, page: int, per_page: int, treatment_slug: str | None = None) -> Page:
    """Return one page of active kits with prices and availability, optionally for a treatment.

    A fixed number of queries whatever the number of kits: the count, the page, its items,
    products, skin types and treatments, and their stock.
    """
    return paginate(
        _with_kit_contents(_active_kits(treatment_slug)),
        page,
        per_page,
        lambda kits: _kit_cards(kits, today),
        scalars=True,
    )


def get_kit(slug: str, today: date) -> KitCard | None:
    """Return one active kit with its price and availability."""
    kits = _load_kits(select(Kit).where(Kit.slug == slug, Kit.is_active.is_(True)))
    return _kit_cards(kits, today)[0] if kits else None


def treatment_slugs() -> frozenset[str]:
    """Return the slugs of the clinic's treatments (shared, until the catalogue changes)."""
    return shared_cache.remember(
        "treatment-slugs",
        (),
        lambda: frozenset(db.session.execute(select(Treatment.slug)).scalars()),
        stock=False,
    )


def list_treatments() -> list[Treatment]:
    """Return the treatments in display order."""
    return list(
        db.session.execute(select(Treatment).order_by(Treatment.position, Treatment.name))
        .scalars()
        .all()
    )
