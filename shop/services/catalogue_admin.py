"""Back-office catalogue use cases: products with every attribute, images, and kits."""

from __future__ import annotations

import io
import re
import secrets
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import Kit, KitItem, Product, ProductSkinType, Treatment, db
from models.vocabulary import ACTIVES, CATEGORIES, CONCERNS, SKIN_TYPES, UV_FILTERS
from shop.aftercare import Protocol, ProtocolError, protocol_from_dict, rules
from shop.services.audit import record
from shop.services.catalogue import KitPrice, kit_price
from shop.services.inventory import Availability, kit_availabilities, sellable_by_product
from shop.services.pagination import Page, clamp_page
from shop.services.plans import engine_product
from shop.services.unit_of_work import unit_of_work

PRODUCT_ATTRIBUTES = (
    "sku",
    "slug",
    "name",
    "brand",
    "category",
    "summary",
    "description",
    "how_to_use",
    "size_label",
    "price_pence",
    "vat_rate_bp",
    "spf",
    "uv_filter",
    "tinted",
    "fragrance_free",
    "non_comedogenic",
    "occlusive",
    "alcohol_free",
    "pregnancy_safe",
    "actives",
    "days_per_unit",
    "spf_test_on_file",
    "low_stock_threshold",
    "is_active",
)
KIT_ATTRIBUTES = (
    "slug",
    "name",
    "summary",
    "description",
    "price_rule",
    "fixed_price_pence",
    "percent_off",
    "fitzpatrick_min",
    "fitzpatrick_max",
    "concerns",
    "cover_days",
    "is_active",
    "is_featured",
    "position",
)

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
IMAGE_FORMATS = {"JPEG", "PNG", "WEBP"}
IMAGE_MAX_SIDE = 800
IMAGE_MAX_PIXELS = 40_000_000
IMAGE_FILENAME = re.compile(r"^[a-z0-9-]{1,150}\.webp$")
MAX_KIT_ITEMS = 12


class CatalogueError(ValueError):
    """A catalogue change the shop refuses; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


class ImageError(CatalogueError):
    """An uploaded image the shop refuses (wrong type, too large, unreadable)."""


# --- products ----------------------------------------------------------------------------


def _snapshot(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Return the audit view of a row: the named attributes, JSON-ready."""
    return {name: getattr(obj, name) for name in names}


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
    return _snapshot(product, PRODUCT_ATTRIBUTES) | {"skin_types": product.skin_types}


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
    total = db.session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    page = clamp_page(page, total, per_page)
    products = list(
        db.session.execute(
            query.order_by(Product.name, Product.id).limit(per_page).offset((page - 1) * per_page)
        )
        .scalars()
        .all()
    )
    sellable = sellable_by_product((p.id for p in products), today)
    return Page(
        items=[ProductAdminRow(p, sellable[p.id]) for p in products],
        page=page,
        per_page=per_page,
        total=total,
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


# --- images ------------------------------------------------------------------------------


def _products_folder(upload_folder: str) -> Path:
    folder = Path(upload_folder) / "products"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def image_path(upload_folder: str, filename: str) -> Path | None:
    """Return where a product image lives, or None for a name the shop never writes."""
    if not IMAGE_FILENAME.match(filename):
        return None
    path = Path(upload_folder) / "products" / filename
    return path if path.is_file() else None


def _resized_webp(data: bytes) -> bytes:
    """Check an upload is really a JPEG, PNG or WebP image and return it resized as WebP."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in IMAGE_FORMATS:
                raise ImageError("Upload a JPEG, PNG or WebP image.", "image")
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise ImageError("That image has too many pixels; use a smaller one.", "image")
            image.load()
            picture = ImageOps.exif_transpose(image)
            picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
            picture.thumbnail((IMAGE_MAX_SIDE, IMAGE_MAX_SIDE))
            output = io.BytesIO()
            picture.save(output, format="WEBP", quality=85, method=4)
            return output.getvalue()
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise ImageError(
            "That file is not a JPEG, PNG or WebP image we can read.", "image"
        ) from error


def store_product_image(
    product_id: int,
    data: bytes,
    *,
    upload_folder: str,
    max_bytes: int,
    user_id: int | None,
) -> str:
    """Check, resize and save a product's photo, then point the product at it; commits."""
    product = get_product(product_id)
    if product is None:
        raise CatalogueError("That product does not exist.")
    if not data:
        raise ImageError("Choose an image file to upload.", "image")
    if len(data) > max_bytes:
        raise ImageError(
            f"The image is larger than {max_bytes // (1024 * 1024)} MB; use a smaller one.",
            "image",
        )
    webp = _resized_webp(data)
    folder = _products_folder(upload_folder)
    filename = f"{product.slug[:120]}-{secrets.token_hex(6)}.webp"
    path = folder / filename
    path.write_bytes(webp)
    old = product.image_filename
    try:
        with unit_of_work():
            product.image_filename = filename
            record(
                user_id,
                "product.image",
                "product",
                product.id,
                {"image_filename": old},
                {"image_filename": filename},
            )
    except Exception:
        # The new file must not outlive a change that was not stored.
        path.unlink(missing_ok=True)
        raise
    if old:
        old_path = image_path(upload_folder, old)
        if old_path is not None:
            old_path.unlink(missing_ok=True)
    return filename


# --- kits --------------------------------------------------------------------------------


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
    return _snapshot(kit, KIT_ATTRIBUTES) | {
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


def kit_protocol_warnings(
    kit: Kit, protocols: dict[int, Protocol | None] | None = None
) -> list[str]:
    """Return where a kit breaks its treatments' protocol rules, in words staff can act on.

    The aftercare rule checker decides, for every Fitzpatrick type in the kit's range and each
    concern it targets, exactly as it decides for a patient. `protocols` caches parsed
    protocols by treatment id across kits.
    """
    protocols = {} if protocols is None else protocols
    warnings: list[str] = []
    items = [(engine_product(item.product), item.purpose) for item in kit.items]
    for treatment in kit.treatments:
        if treatment.id not in protocols:
            try:
                protocols[treatment.id] = (
                    protocol_from_dict(treatment.protocol) if treatment.protocol else None
                )
            except ProtocolError:
                warnings.append(f"The {treatment.name} protocol data is invalid; ask an admin.")
                continue
        protocol = protocols[treatment.id]
        if protocol is None:
            warnings.append(f"{treatment.name} has no protocol data, so the kit cannot be checked.")
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


def list_kits(today: date) -> list[KitAdmin]:
    """Return every kit (active or not) with price, availability and warnings (few queries)."""
    kits = list(
        db.session.execute(
            select(Kit)
            .order_by(Kit.position, Kit.name)
            .options(
                selectinload(Kit.items)
                .selectinload(KitItem.product)
                .selectinload(Product.skin_type_rows),
                selectinload(Kit.treatments),
            )
        )
        .scalars()
        .all()
    )
    availability = kit_availabilities(kits, today)
    protocols: dict[int, Protocol | None] = {}
    return [
        KitAdmin(kit, kit_price(kit), availability[kit.id], kit_protocol_warnings(kit, protocols))
        for kit in kits
    ]
