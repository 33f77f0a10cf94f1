"""Demo data: the catalogue, kits, stock lots and one user per role, created idempotently."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from werkzeug.security import generate_password_hash

from models import (
    ClinicianHours,
    Kit,
    KitItem,
    Product,
    ProductSkinType,
    StockLot,
    StockMovement,
    Treatment,
    User,
    db,
)
from shop.aftercare import Protocol
from shop.services.catalogue_admin import KIT_ATTRIBUTES, PRODUCT_ATTRIBUTES
from shop.services.protocols import store_protocol
from shop.services.unit_of_work import unit_of_work

# The demo clinician's weekly hours, Monday to Friday, in minutes after midnight.
DEMO_CLINICIAN_HOURS = {
    "starts_minute": 9 * 60,
    "ends_minute": 17 * 60,
    "break_starts_minute": 13 * 60,
    "break_ends_minute": 14 * 60,
}
DEMO_USERS = (
    ("admin@clinic.example", "Alex Admin", "admin"),
    ("staff@clinic.example", "Sam Stockroom", "staff"),
    ("clinician@clinic.example", "Dr Jo Clinician", "clinician"),
    ("patient@clinic.example", "Pat Patient", "customer"),
)

# Demo rows carry the same attributes staff edit, apart from being on sale (always, here).
PRODUCT_FIELDS = tuple(name for name in PRODUCT_ATTRIBUTES if name != "is_active")
KIT_FIELDS = tuple(
    name for name in KIT_ATTRIBUTES if name not in {"is_active", "fixed_price_pence", "percent_off"}
)


@dataclass
class SeedReport:
    """What a seeding run created, so the command can say so."""

    treatments: int = 0
    protocols_updated: int = 0
    products: int = 0
    kits: int = 0
    lots: int = 0
    users: list[tuple[str, str, str]] = field(default_factory=list)


def catalogue_is_empty() -> bool:
    """Tell whether the shop has no products yet (a fresh install)."""
    return db.session.execute(select(Product.id).limit(1)).first() is None


def seed_treatments(protocols: Iterable[Protocol], report: SeedReport) -> None:
    """Create the treatments and keep each protocol version; a newer version becomes current."""
    existing = {t.slug: t for t in db.session.execute(select(Treatment)).scalars()}
    for position, protocol in enumerate(protocols):
        treatment = existing.get(protocol.slug)
        if treatment is None:
            treatment = Treatment(slug=protocol.slug, name=protocol.name)
            db.session.add(treatment)
            report.treatments += 1
        treatment.position = position
        if store_protocol(treatment, protocol):
            report.protocols_updated += 1
        # Name and summary follow the current protocol, never an older file's.
        treatment.name = treatment.protocol["name"]
        treatment.summary = treatment.protocol["summary"]


def refresh_protocols(protocols: Iterable[Protocol]) -> SeedReport:
    """Bring the treatments' protocols up to the shipped versions (one unit of work)."""
    report = SeedReport()
    with unit_of_work():
        seed_treatments(protocols, report)
    return report


def seed_products(products: list[dict[str, Any]], report: SeedReport) -> dict[str, Product]:
    """Create the demo products that do not exist yet; leave edited ones alone."""
    by_sku = {p.sku: p for p in db.session.execute(select(Product)).scalars()}
    for data in products:
        if data["sku"] in by_sku:
            continue
        product = Product(**{name: data[name] for name in PRODUCT_FIELDS})
        product.skin_type_rows = [ProductSkinType(skin_type=s) for s in data["skin_types"]]
        db.session.add(product)
        by_sku[product.sku] = product
        report.products += 1
    db.session.flush()
    return by_sku


def seed_kits(kits: list[dict[str, Any]], by_sku: dict[str, Product], report: SeedReport) -> None:
    """Create the demo kits that do not exist yet, linked to their treatments."""
    existing = {slug for (slug,) in db.session.execute(select(Kit.slug))}
    treatments = {t.slug: t for t in db.session.execute(select(Treatment)).scalars()}
    for data in kits:
        if data["slug"] in existing:
            continue
        kit = Kit(**{name: data[name] for name in KIT_FIELDS})
        kit.fixed_price_pence = data.get("fixed_price_pence")
        kit.percent_off = data.get("percent_off")
        kit.items = [
            KitItem(
                product=by_sku[item["sku"]],
                quantity=item["quantity"],
                purpose=item["purpose"],
                position=position,
            )
            for position, item in enumerate(data["items"])
        ]
        kit.treatments = [treatments[slug] for slug in data["treatments"] if slug in treatments]
        db.session.add(kit)
        report.kits += 1


def seed_lots(
    lots: list[dict[str, Any]], by_sku: dict[str, Product], today: date, report: SeedReport
) -> None:
    """Receive the demo stock lots that do not exist yet, each with its receipt movement."""
    existing = {
        (product_id, lot_number)
        for product_id, lot_number in db.session.execute(
            select(StockLot.product_id, StockLot.lot_number)
        )
    }
    for data in lots:
        product = by_sku[data["sku"]]
        if (product.id, data["lot_number"]) in existing:
            continue
        lot = StockLot(
            product=product,
            lot_number=data["lot_number"],
            expiry_date=today + timedelta(days=data["expires_in_days"]),
            quantity_on_hand=data["quantity"],
            quantity_reserved=0,
            unit_cost_pence=data["unit_cost_pence"],
        )
        db.session.add(lot)
        db.session.flush()
        db.session.add(
            StockMovement(
                lot_id=lot.id,
                product_id=product.id,
                kind="receipt",
                quantity=data["quantity"],
                reason="Opening stock (demo data)",
            )
        )
        report.lots += 1


def seed_users(password: str | None, report: SeedReport) -> None:
    """Create one demo account per role; the password is given or generated once."""
    existing = {email for (email,) in db.session.execute(select(User.email))}
    for email, name, role in DEMO_USERS:
        if email in existing:
            continue
        secret = password or secrets.token_urlsafe(12)
        user = User(email=email, name=name, role=role, password_hash=generate_password_hash(secret))
        db.session.add(user)
        if role == "clinician":
            # Consultations are bookable in the demo from the start; /clinic/schedule changes it.
            db.session.flush()  # for the new user's id
            db.session.add_all(
                ClinicianHours(clinician_id=user.id, weekday=weekday, **DEMO_CLINICIAN_HOURS)
                for weekday in range(5)
            )
        report.users.append((email, role, secret))


def seed_demo(
    *,
    protocols: Iterable[Protocol],
    products: list[dict[str, Any]],
    kits: list[dict[str, Any]],
    lots: list[dict[str, Any]],
    today: date,
    with_users: bool,
    password: str | None = None,
) -> SeedReport:
    """Seed everything in one transaction; running it again creates nothing new."""
    report = SeedReport()
    with unit_of_work():
        seed_treatments(protocols, report)
        db.session.flush()
        by_sku = seed_products(products, report)
        seed_kits(kits, by_sku, report)
        seed_lots(lots, by_sku, today, report)
        if with_users:
            seed_users(password, report)
    return report
