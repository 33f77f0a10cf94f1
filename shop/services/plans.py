"""Aftercare plans: feed the pure engine the treatment's protocol and the live catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Kit, KitItem, Product, Treatment, db
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
    protocol_from_dict,
    rules,
)
from shop.aftercare import KitItem as EngineKitItem
from shop.services.catalogue import kit_price
from shop.services.inventory import kit_availabilities, sellable_by_product


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
    """The engine's plan with the rows the pages need to link and price it."""

    treatment: Treatment
    protocol: Protocol
    plan: Plan
    products: dict[str, Product]
    kit: Kit | None


def treatment_with_protocol(slug: str) -> tuple[Treatment, Protocol]:
    """Return a treatment and its validated protocol, or raise UnknownTreatment."""
    treatment = db.session.execute(
        select(Treatment).where(Treatment.slug == slug)
    ).scalar_one_or_none()
    if treatment is None or not treatment.protocol:
        raise UnknownTreatment(slug)
    return treatment, protocol_from_dict(treatment.protocol)


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


def engine_catalogue(today: date) -> tuple[Catalogue, dict[str, Product], dict[str, Kit]]:
    """Describe every active product and kit to the engine, with what can be sold today.

    Four queries whatever the catalogue size: products, their skin types, kits with items
    and treatments, and stock.
    """
    products = (
        db.session.execute(
            select(Product)
            .where(Product.is_active.is_(True))
            .options(selectinload(Product.skin_type_rows))
            .order_by(Product.slug)
        )
        .scalars()
        .all()
    )
    kits = (
        db.session.execute(
            select(Kit)
            .where(Kit.is_active.is_(True))
            .options(
                selectinload(Kit.items).selectinload(KitItem.product),
                selectinload(Kit.treatments),
            )
            .order_by(Kit.slug)
        )
        .scalars()
        .all()
    )
    product_ids = {p.id for p in products} | {i.product_id for k in kits for i in k.items}
    sellable = sellable_by_product(product_ids, today)
    availability = kit_availabilities(kits, today, sellable=sellable)
    engine_products = [engine_product(p, sellable.get(p.id, 0)) for p in products]
    # Kits whose items include an inactive product cannot be sold, so the engine never sees them.
    sellable_kits = [k for k in kits if all(i.product.is_active for i in k.items) and k.items]
    engine_kits = [
        CatalogueKit(
            slug=k.slug,
            name=k.name,
            price_pence=kit_price(k).price_pence,
            treatments=frozenset(t.slug for t in k.treatments),
            fitzpatrick_min=k.fitzpatrick_min,
            fitzpatrick_max=k.fitzpatrick_max,
            concerns=frozenset(k.concerns or ()),
            items=tuple((i.product.slug, i.quantity) for i in k.items),
            available=availability[k.id].units,
            purposes={i.product.slug: i.purpose for i in k.items},
        )
        for k in sellable_kits
    ]
    return (
        Catalogue.of(engine_products, engine_kits),
        {p.slug: p for p in products},
        {k.slug: k for k in sellable_kits},
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


def build_plan(request: PlanRequest, today: date) -> PlanResult:
    """Work out a patient's plan and kit from their treatment, skin and screening answers.

    Raises UnknownTreatment for an unknown slug and ValueError for an invalid profile.
    """
    treatment, protocol = treatment_with_protocol(request.treatment)
    profile = Profile(fitzpatrick=request.fitzpatrick, concerns=frozenset(request.concerns))
    catalogue, products, kits = engine_catalogue(today)
    result = plan(protocol, profile, request.screening, request.treated_on, today, catalogue)
    kit = kits.get(result.kit.slug) if result.kit and result.kit.slug else None
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
        protocol = protocol_from_dict(treatment.protocol)
        found.append(TreatmentWindows(treatment, rules.kit_item_windows(protocol, profile, items)))
    return found
