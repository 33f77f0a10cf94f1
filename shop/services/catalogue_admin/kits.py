"""Kits in the back office: contents, price rule, applicability and protocol warnings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import Kit, KitItem, Product, Treatment, db
from models.vocabulary import CONCERNS
from shop.aftercare import ProtocolError, rules
from shop.services import shared_cache
from shop.services.audit import record
from shop.services.catalogue import KitPrice, kit_price
from shop.services.catalogue_admin.common import (
    KIT_ATTRIBUTES,
    MAX_KIT_ITEMS,
    SLUG_PATTERN,
    CatalogueError,
    snapshot,
)
from shop.services.inventory import Availability, kit_availabilities
from shop.services.pagination import Page, paginate
from shop.services.plans import engine_product
from shop.services.protocols import current_protocol
from shop.services.unit_of_work import unit_of_work


@dataclass(frozen=True)
class KitItemInput:
    """One product line of a kit as staff entered it."""

    product_id: int
    quantity: int
    purpose: str = ""


def _check_kit(
    values: dict[str, Any], items: list[KitItemInput], treatment_ids: list[int], kit_id: int | None
) -> list[Treatment]:
    """Refuse an inconsistent kit with a message naming the field; return its treatments."""
    if not SLUG_PATTERN.match(values["slug"] or ""):
        raise CatalogueError("Use lower-case letters, digits and single dashes.", "slug")
    clash = db.session.execute(
        select(Kit.id).where(
            func.lower(Kit.slug) == values["slug"].lower(), Kit.id != (kit_id or 0)
        )
    ).first()
    if clash:
        raise CatalogueError("Another kit already uses this slug.", "slug")
    if values["price_rule"] == "fixed":
        if values["fixed_price_pence"] is None:
            raise CatalogueError("Enter the kit's fixed price.", "fixed_price")
        values["percent_off"] = None
    elif values["price_rule"] == "percent_off":
        if values["percent_off"] is None or not 1 <= values["percent_off"] <= 99:
            raise CatalogueError("Enter a discount from 1 to 99 percent.", "percent_off")
        values["fixed_price_pence"] = None
    else:
        raise CatalogueError("Choose how the kit is priced.", "price_rule")
    if not 1 <= values["fitzpatrick_min"] <= values["fitzpatrick_max"] <= 6:
        raise CatalogueError(
            "The lowest Fitzpatrick type must not be above the highest.", "fitzpatrick_max"
        )
    if set(values["concerns"]) - set(CONCERNS):
        raise CatalogueError("Choose concerns from the list.", "concerns")
    if not items:
        raise CatalogueError("A kit needs at least one product.", "items")
    if len(items) > MAX_KIT_ITEMS:
        raise CatalogueError(f"A kit can hold at most {MAX_KIT_ITEMS} products.", "items")
    ids = [item.product_id for item in items]
    if len(set(ids)) != len(ids):
        raise CatalogueError("Each product may appear once; raise its quantity instead.", "items")
    known = set(db.session.execute(select(Product.id).where(Product.id.in_(ids))).scalars())
    if set(ids) - known:
        raise CatalogueError("Choose products the shop sells.", "items")
    if any(not 1 <= item.quantity <= 20 for item in items):
        raise CatalogueError("Each quantity must be from 1 to 20.", "items")
    treatments = list(
        db.session.execute(select(Treatment).where(Treatment.id.in_(treatment_ids))).scalars()
    )
    if len(treatments) != len(set(treatment_ids)):
        raise CatalogueError("Choose treatments from the list.", "treatments")
    return treatments


def _kit_audit(kit: Kit) -> dict[str, Any]:
    return snapshot(kit, KIT_ATTRIBUTES) | {
        "items": [
            {"product_id": item.product_id, "quantity": item.quantity, "purpose": item.purpose}
            for item in kit.items
        ],
        "treatments": [treatment.slug for treatment in kit.treatments],
    }


def _apply_kit(
    kit: Kit, values: dict[str, Any], items: list[KitItemInput], treatments: list[Treatment]
) -> None:
    for name in KIT_ATTRIBUTES:
        setattr(kit, name, values[name])
    current = {item.product_id: item for item in kit.items}
    new_items = []
    for position, entry in enumerate(items):
        item = current.get(entry.product_id) or KitItem(product_id=entry.product_id)
        item.quantity = entry.quantity
        item.purpose = entry.purpose
        item.position = position
        new_items.append(item)
    kit.items = new_items
    kit.treatments = sorted(treatments, key=lambda t: (t.position, t.name))


def create_kit(
    values: dict[str, Any],
    items: list[KitItemInput],
    treatment_ids: list[int],
    user_id: int | None,
) -> Kit:
    """Create a kit with its items, price rule and applicability; commits."""
    treatments = _check_kit(values, items, treatment_ids, None)
    kit = Kit()
    with unit_of_work():
        _apply_kit(kit, values, items, treatments)
        db.session.add(kit)
        db.session.flush()
        record(user_id, "kit.create", "kit", kit.id, None, _kit_audit(kit))
    return kit


def update_kit(
    kit_id: int,
    values: dict[str, Any],
    items: list[KitItemInput],
    treatment_ids: list[int],
    user_id: int | None,
) -> Kit:
    """Change a kit's items, price rule or applicability; commits."""
    kit = get_kit(kit_id)
    if kit is None:
        raise CatalogueError("That kit does not exist.")
    treatments = _check_kit(values, items, treatment_ids, kit.id)
    before = _kit_audit(kit)
    with unit_of_work():
        _apply_kit(kit, values, items, treatments)
        db.session.flush()
        after = _kit_audit(kit)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        record(user_id, "kit.update", "kit", kit.id, {k: before[k] for k in changed}, changed)
    return kit


def set_kit_active(kit_id: int, active: bool, user_id: int | None) -> Kit:
    """Take a kit off sale (or back on); commits."""
    kit = get_kit(kit_id)
    if kit is None:
        raise CatalogueError("That kit does not exist.")
    with unit_of_work():
        before = {"is_active": kit.is_active}
        kit.is_active = active
        record(
            user_id,
            "kit.activate" if active else "kit.deactivate",
            "kit",
            kit.id,
            before,
            {"is_active": active},
        )
    return kit


def get_kit(kit_id: int) -> Kit | None:
    """Return a kit (active or not) with its items, products and treatments."""
    return db.session.execute(
        select(Kit)
        .where(Kit.id == kit_id)
        .options(
            selectinload(Kit.items)
            .selectinload(KitItem.product)
            .selectinload(Product.skin_type_rows),
            selectinload(Kit.treatments),
        )
    ).scalar_one_or_none()


def treatment_choices() -> list[tuple[int, str]]:
    """Return (id, name) of every treatment in display order."""
    rows = db.session.execute(
        select(Treatment.id, Treatment.name).order_by(Treatment.position, Treatment.name)
    ).all()
    return [(tid, name) for tid, name in rows]


def kit_protocol_warnings(kit: Kit) -> list[str]:
    """Return where a kit breaks its treatments' protocol rules, in words staff can act on.

    The aftercare rule checker decides, for every Fitzpatrick type in the kit's range and each
    concern it targets, exactly as it decides for a patient (protocols read once each, see
    current_protocol).
    """
    warnings: list[str] = []
    items = [(engine_product(item.product), item.purpose) for item in kit.items]
    for treatment in kit.treatments:
        if not (treatment.protocol_hash or treatment.protocol):
            warnings.append(f"{treatment.name} has no protocol data, so the kit cannot be checked.")
            continue
        try:
            protocol = current_protocol(treatment)
        except ProtocolError:
            warnings.append(f"The {treatment.name} protocol data is invalid; ask an admin.")
            continue
        warnings += rules.kit_warnings(
            protocol, items, kit.fitzpatrick_min, kit.fitzpatrick_max, kit.concerns or ()
        )
    return list(dict.fromkeys(warnings))


@dataclass(frozen=True)
class KitAdmin:
    """A kit as staff see it: price, availability now and protocol warnings."""

    kit: Kit
    price: KitPrice
    availability: Availability
    warnings: list[str]


def kit_overview(kit_id: int, today: date) -> KitAdmin | None:
    """Return a kit with its price, current availability and protocol warnings."""
    kit = get_kit(kit_id)
    if kit is None:
        return None
    availability = kit_availabilities([kit], today)[kit.id]
    return KitAdmin(kit, kit_price(kit), availability, kit_protocol_warnings(kit))


@dataclass(frozen=True)
class KitRow:
    """One kit's line in the staff kit list: plain values, so a page of them can be cached."""

    kit_id: int
    name: str
    is_active: bool
    treatments: str
    fitzpatrick_min: int
    fitzpatrick_max: int
    items: int
    price_pence: int
    availability: Availability
    warnings: list[str]


def list_kits(today: date, page: int = 1, per_page: int = 15) -> Page:
    """Return one page of kits (active or not) as KitRows: price, availability and warnings.

    Built with a fixed number of queries whatever the catalogue's size (the count, the page's
    kits, their items, products, skin types and treatments, and their stock), then kept until
    the catalogue or stock changes, so a page seen again reads only the tokens.
    """

    def overviews(kits: list[Kit]) -> list[KitRow]:
        availability = kit_availabilities(kits, today)
        # Checking a kit against its protocols runs the rule checker for every skin type and
        # concern it covers (most of the build); the answer depends on the catalogue alone
        # (kits, products, treatments), so a sale, which rebuilds the page, keeps it.
        return [
            KitRow(
                kit_id=kit.id,
                name=kit.name,
                is_active=kit.is_active,
                treatments=", ".join(treatment.name for treatment in kit.treatments),
                fitzpatrick_min=kit.fitzpatrick_min,
                fitzpatrick_max=kit.fitzpatrick_max,
                items=len(kit.items),
                price_pence=kit_price(kit).price_pence,
                availability=availability[kit.id],
                warnings=shared_cache.remember(
                    "kit-warnings",
                    (kit.id,),
                    lambda kit=kit: kit_protocol_warnings(kit),
                    stock=False,
                ),
            )
            for kit in kits
        ]

    query = (
        select(Kit)
        .order_by(Kit.position, Kit.name, Kit.id)
        .options(
            selectinload(Kit.items)
            .selectinload(KitItem.product)
            .selectinload(Product.skin_type_rows),
            selectinload(Kit.treatments),
        )
    )

    def build() -> Page | shared_cache.Uncached[Page]:
        listing = paginate(query, page, per_page, overviews, scalars=True)
        # A page number past the end shows the last page: not worth an entry of its own.
        return listing if listing.page == page else shared_cache.Uncached(listing)

    return shared_cache.remember("staff-kits", (today.isoformat(), page, per_page), build)
