"""Aftercare plans: feed the pure engine the treatment's protocol and the live catalogue."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import defer

from models import Kit, KitItem, Product, ProductSkinType, Treatment, db, kit_treatments
from shop.aftercare import (
    Catalogue,
    CatalogueKit,
    CatalogueProduct,
    Plan,
    PlanKit,
    Profile,
    Protocol,
    Screening,
    plan,
    rules,
)
from shop.aftercare import KitItem as EngineKitItem
from shop.services import shared_cache
from shop.services.catalogue import price_by_rule
from shop.services.inventory import sellable_by_product
from shop.services.protocols import current_protocol


class UnknownTreatment(LookupError):
    """No treatment with that slug, or it has no protocol yet."""


@dataclass(frozen=True)
class PlanRequest:
    """What a patient (or clinician) tells the kit finder; health data, never logged or stored."""

    treatment: str
    treated_on: date
    fitzpatrick: int
    concerns: frozenset[str]
    screening: Screening


@dataclass(frozen=True)
class PlanResult:
    """The engine's plan with the rows the pages need to link and price it.

    `products` holds the kit's products only, by slug; `kit` is the curated kit chosen, if any.
    """

    treatment: Treatment
    protocol: Protocol
    plan: Plan
    products: dict[str, Product]
    kit: Kit | None


def treatment_with_protocol(slug: str) -> tuple[Treatment, Protocol]:
    """Return a treatment and its validated protocol, or raise UnknownTreatment."""
    # The protocol itself (a large JSON document) is read only when it is not cached; a stored
    # protocol always has its content hash.
    treatment = db.session.execute(
        select(Treatment).where(Treatment.slug == slug).options(defer(Treatment.protocol))
    ).scalar_one_or_none()
    if treatment is None or (treatment.protocol_hash is None and not treatment.protocol):
        raise UnknownTreatment(slug)
    return treatment, current_protocol(treatment)


def engine_product(product: Product, sellable: int = 0) -> CatalogueProduct:
    """Describe a product to the engine: the attributes its rules read and the units on sale."""
    return CatalogueProduct(
        slug=product.slug,
        name=product.name,
        category=product.category,
        price_pence=product.price_pence,
        spf=product.spf,
        uv_filter=product.uv_filter,
        tinted=product.tinted,
        fragrance_free=product.fragrance_free,
        non_comedogenic=product.non_comedogenic,
        occlusive=product.occlusive,
        alcohol_free=product.alcohol_free,
        pregnancy_safe=product.pregnancy_safe,
        actives=frozenset(product.actives or ()),
        skin_types=frozenset(product.skin_types),
        days_per_unit=product.days_per_unit,
        sellable=sellable,
    )


def engine_catalogue(today: date) -> Catalogue:
    """Describe every active product and kit to the engine, with what can be sold today.

    Shared by every visitor and rebuilt only when the catalogue or stock token changes (or the
    day does, as lots expire): the catalogue part survives a sale, the stock part is re-read.
    """

    def with_stock() -> Catalogue:
        products, kits = shared_cache.remember(
            "engine-catalogue", (), _catalogue_without_stock, stock=False
        )
        return _with_stock(products, kits, today)

    return shared_cache.remember("engine-stock", (today.isoformat(),), with_stock)


@dataclass(frozen=True)
class _EngineKit:
    """A kit as the engine sees it, before stock, with its items' product ids."""

    kit: CatalogueKit
    items: tuple[tuple[int, int], ...]  # (product id, quantity per kit)


def _catalogue_without_stock() -> tuple[dict[int, tuple], tuple[_EngineKit, ...]]:
    """Read active products and sellable kits as plain values: four queries, no ORM objects."""
    columns = (
        Product.id,
        Product.slug,
        Product.name,
        Product.category,
        Product.price_pence,
        Product.spf,
        Product.uv_filter,
        Product.tinted,
        Product.fragrance_free,
        Product.non_comedogenic,
        Product.occlusive,
        Product.alcohol_free,
        Product.pregnancy_safe,
        Product.actives,
        Product.days_per_unit,
    )
    skin_types: dict[int, set[str]] = {}
    for product_id, skin_type in db.session.execute(
        select(ProductSkinType.product_id, ProductSkinType.skin_type)
        .join(Product)
        .where(Product.is_active.is_(True))
    ):
        skin_types.setdefault(product_id, set()).add(skin_type)
    # Plain tuples in CatalogueProduct's field order, less `sellable`, which comes last: the
    # stock part then builds each product in one call.
    products = {
        row.id: (
            row.slug,
            row.name,
            row.category,
            row.price_pence,
            row.spf,
            row.uv_filter,
            row.tinted,
            row.fragrance_free,
            row.non_comedogenic,
            row.occlusive,
            row.alcohol_free,
            row.pregnancy_safe,
            frozenset(row.actives or ()),
            frozenset(skin_types.get(row.id, ())),
            row.days_per_unit,
        )
        for row in db.session.execute(
            select(*columns).where(Product.is_active.is_(True)).order_by(Product.slug)
        )
    }
    # Kits with their items in one query: a kit with no items cannot be sold, so none is lost.
    items: dict[int, list] = {}
    for row in db.session.execute(
        select(
            Kit.id.label("kit_id"),
            Kit.slug.label("kit_slug"),
            Kit.name.label("kit_name"),
            Kit.price_rule,
            Kit.fixed_price_pence,
            Kit.percent_off,
            Kit.fitzpatrick_min,
            Kit.fitzpatrick_max,
            Kit.concerns,
            KitItem.product_id,
            KitItem.quantity,
            KitItem.purpose,
            Product.slug,
            Product.price_pence,
            Product.is_active,
        )
        .join(KitItem, KitItem.kit_id == Kit.id)
        .join(Product, KitItem.product_id == Product.id)
        .where(Kit.is_active.is_(True))
        .order_by(Kit.slug, KitItem.position, KitItem.id)
    ):
        items.setdefault(row.kit_id, []).append(row)
    treatments: dict[int, set[str]] = {}
    for kit_id, slug in db.session.execute(
        select(kit_treatments.c.kit_id, Treatment.slug).join(
            Treatment, kit_treatments.c.treatment_id == Treatment.id
        )
    ):
        treatments.setdefault(kit_id, set()).add(slug)
    kits = []
    for kit_id, rows in items.items():
        kit = rows[0]
        # A kit with an inactive product cannot be sold, so the engine never sees it.
        if not all(row.is_active for row in rows):
            continue
        total = sum(row.price_pence * row.quantity for row in rows)
        price = price_by_rule(kit.price_rule, kit.fixed_price_pence, kit.percent_off, total)
        engine_kit = CatalogueKit(
            slug=kit.kit_slug,
            name=kit.kit_name,
            price_pence=price.price_pence,
            treatments=frozenset(treatments.get(kit_id, ())),
            fitzpatrick_min=kit.fitzpatrick_min,
            fitzpatrick_max=kit.fitzpatrick_max,
            concerns=frozenset(kit.concerns or ()),
            items=tuple((row.slug, row.quantity) for row in rows),
            available=0,
            purposes={row.slug: row.purpose for row in rows},
        )
        kits.append(_EngineKit(engine_kit, tuple((row.product_id, row.quantity) for row in rows)))
    return products, tuple(kits)


def _with_stock(products: dict[int, tuple], kits: tuple[_EngineKit, ...], today: date) -> Catalogue:
    """Add what can be sold today to the stock-free catalogue (one query)."""
    sellable = sellable_by_product(None, today)
    return Catalogue.of(
        (CatalogueProduct(*values, sellable.get(pid, 0)) for pid, values in products.items()),
        (
            replace(kit.kit, available=min(sellable.get(pid, 0) // qty for pid, qty in kit.items))
            for kit in kits
        ),
    )


def stored_kit(slug: str | None, name: str, price_pence: int, rows) -> PlanKit:
    """Describe kept kit lines (a recommendation's or a saved plan's rows) as the engine's kit.

    Each row has the product, quantity, days, reason, need id and optional flag it was kept with.
    """
    return PlanKit(
        slug=slug,
        name=name,
        price_pence=price_pence,
        items=tuple(
            EngineKitItem(
                slug=row.product.slug,
                name=row.product.name,
                quantity=row.quantity,
                use_from_day=row.use_from_day,
                use_until_day=row.use_until_day,
                reason=row.reason,
                need_id=row.need_id,
                optional=row.optional,
            )
            for row in rows
        ),
    )


def treatment_protocol(slug: str) -> Protocol:
    """Return the current protocol of the treatment `slug`, or raise UnknownTreatment.

    Kept under the catalogue token (a treatment or protocol change replaces it), so a plan
    worked out from public inputs asks the database nothing once the cache is warm. Unknown
    slugs are never kept, so what anyone types cannot fill the cache.
    """

    def load() -> Protocol | None:
        try:
            return treatment_with_protocol(slug)[1]
        except UnknownTreatment:
            return None

    protocol = shared_cache.remember("treatment-protocol", (slug,), load, stock=False)
    if protocol is None:
        raise UnknownTreatment(slug)
    return protocol


def product_skus() -> dict[str, str]:
    """Return each active product's SKU by slug, kept under the catalogue token."""

    def load() -> dict[str, str]:
        rows = db.session.execute(
            select(Product.slug, Product.sku).where(Product.is_active.is_(True))
        )
        return dict(rows.all())

    return shared_cache.remember("product-skus", (), load, stock=False)


def plan_for(request: PlanRequest, today: date, protocol: Protocol | None = None) -> Plan:
    """Work out the engine's plan for `request` from the shared, cached catalogue.

    Reads no ORM object; `protocol` is the treatment's, when the caller has it already.
    Raises UnknownTreatment for an unknown slug and ValueError for an invalid profile.
    """
    if protocol is None:
        protocol = treatment_protocol(request.treatment)
    profile = Profile(fitzpatrick=request.fitzpatrick, concerns=frozenset(request.concerns))
    return plan(
        protocol, profile, request.screening, request.treated_on, today, engine_catalogue(today)
    )


def build_plan(request: PlanRequest, today: date) -> PlanResult:
    """Work out a patient's plan and kit, with the treatment, kit and product rows to keep.

    Raises UnknownTreatment for an unknown slug and ValueError for an invalid profile.
    """
    treatment, protocol = treatment_with_protocol(request.treatment)
    result = plan_for(request, today, protocol)
    slugs = [item.slug for item in result.kit.items] if result.kit else []
    products = (
        {
            product.slug: product
            for product in db.session.execute(
                select(Product).where(Product.slug.in_(slugs))
            ).scalars()
        }
        if slugs
        else {}
    )
    kit = None
    if result.kit and result.kit.slug:
        kit = db.session.execute(
            select(Kit).where(Kit.slug == result.kit.slug)
        ).scalar_one_or_none()
    return PlanResult(
        treatment=treatment, protocol=protocol, plan=result, products=products, kit=kit
    )


@dataclass(frozen=True)
class TreatmentWindows:
    """The days each item of a kit is used for after one of the kit's treatments."""

    treatment: Treatment
    # Product slug -> (first day, last day), both counted from the day of treatment.
    windows: dict[str, tuple[int, int]]


def kit_windows(kit: Kit) -> list[TreatmentWindows]:
    """Return each kit item's days of use for every treatment the kit is for.

    The rule checker places the items on the protocol's needs exactly as a plan does, so the
    kit page and the plan give a product the same window.
    """
    items = [(engine_product(item.product), item.purpose) for item in kit.items]
    profile = Profile(fitzpatrick=kit.fitzpatrick_min, concerns=frozenset(kit.concerns or ()))
    found = []
    for treatment in kit.treatments:
        if not treatment.protocol:
            continue
        protocol = current_protocol(treatment)
        found.append(TreatmentWindows(treatment, rules.kit_item_windows(protocol, profile, items)))
    return found
