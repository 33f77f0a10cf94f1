"""Plain helpers that create catalogue rows for tests, with sensible defaults."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

from werkzeug.security import generate_password_hash

from models import (
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
from shop.aftercare import Protocol, load_protocols
from shop.aftercare.vocabulary import SCREENING_QUESTIONS
from shop.services.protocols import store_protocol

_sequence = itertools.count(1)


def make_product(**fields) -> Product:
    """Create an active, fragrance-free moisturiser unless told otherwise."""
    number = next(_sequence)
    skin_types = fields.pop("skin_types", ["normal"])
    values = {
        "sku": f"SKU-{number:04d}",
        "slug": f"product-{number}",
        "name": f"Product {number}",
        "brand": "Test Brand",
        "category": "moisturiser",
        "price_pence": 1000,
        "vat_rate_bp": 2000,
        "actives": [],
        "days_per_unit": 14,
    }
    values.update(fields)
    product = Product(**values)
    product.skin_type_rows = [ProductSkinType(skin_type=s) for s in skin_types]
    db.session.add(product)
    db.session.commit()
    return product


def make_lot(
    product: Product,
    quantity: int,
    expires_in_days: int = 365,
    lot_number: str | None = None,
    reserved: int = 0,
) -> StockLot:
    """Receive a lot of `product` with its receipt movement."""
    lot = StockLot(
        product_id=product.id,
        lot_number=lot_number or f"LOT-{next(_sequence):05d}",
        expiry_date=date.today() + timedelta(days=expires_in_days),
        quantity_on_hand=quantity,
        quantity_reserved=reserved,
        unit_cost_pence=product.price_pence // 2,
    )
    db.session.add(lot)
    db.session.flush()
    if quantity:
        db.session.add(
            StockMovement(lot_id=lot.id, product_id=product.id, kind="receipt", quantity=quantity)
        )
    db.session.commit()
    return lot


def make_treatment(slug: str = "microneedling", name: str = "Micro-needling") -> Treatment:
    """Create a treatment row (without protocol data)."""
    treatment = Treatment(slug=slug, name=name, summary=f"About {name}")
    db.session.add(treatment)
    db.session.commit()
    return treatment


def screening_form_data(**answers: str) -> dict[str, str]:
    """Return every screening field answered "no" (isotretinoin: "never"), then `answers`."""
    data = {f"screening_{key}": "no" for key in SCREENING_QUESTIONS}
    data["screening_isotretinoin_recent"] = "never"
    data.update({f"screening_{key}": value for key, value in answers.items()})
    return data


def make_treatment_with_protocol(
    slug: str = "microneedling", protocol: Protocol | None = None
) -> Treatment:
    """Create a treatment with its protocol (the shipped one unless given), as the seed does."""
    protocol = protocol or load_protocols()[slug]
    treatment = Treatment(slug=slug, name=protocol.name, summary=protocol.summary)
    db.session.add(treatment)
    store_protocol(treatment, protocol)
    db.session.commit()
    return treatment


def make_kit(items: list[tuple[Product, int]], **fields) -> Kit:
    """Create an active kit of `items` (product, quantity), 10% off unless told otherwise."""
    number = next(_sequence)
    treatments = fields.pop("treatments", [])
    values = {
        "slug": f"kit-{number}",
        "name": f"Kit {number}",
        "price_rule": "percent_off",
        "percent_off": 10,
        "concerns": [],
    }
    values.update(fields)
    kit = Kit(**values)
    kit.items = [
        KitItem(product=product, quantity=quantity, purpose=f"Use {product.name}", position=i)
        for i, (product, quantity) in enumerate(items)
    ]
    kit.treatments = treatments
    db.session.add(kit)
    db.session.commit()
    return kit


DEFAULT_PASSWORD = "Calm-skin-2026!"


def make_user(role: str = "customer", email: str | None = None, **fields) -> User:
    """Create an active user with DEFAULT_PASSWORD unless told otherwise."""
    password = fields.pop("password", DEFAULT_PASSWORD)
    user = User(
        email=(email or f"{role}{next(_sequence)}@example.com").lower(),
        name=fields.pop("name", f"Test {role.title()}"),
        role=role,
        password_hash=generate_password_hash(password),
        **fields,
    )
    db.session.add(user)
    db.session.commit()
    return user
