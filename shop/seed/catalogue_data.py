"""Load and validate the demo catalogue data file (products, kits, stock lots) for `flask seed`."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from shop.aftercare.vocabulary import (
    ACTIVES,
    CATEGORIES,
    CONCERNS,
    FITZPATRICK_TYPES,
    SKIN_TYPES,
    TREATMENTS,
    UV_FILTERS,
)

DEFAULT_PATH = Path(__file__).parent / "data" / "demo_catalogue.toml"
SCHEMA_VERSION = 1
# The same limits staff meet in the catalogue admin, so a seeded row is one they could save.
SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
MAX_KIT_ITEMS = 12
KIT_PRICE_RULES = ("fixed", "percent_off")

_PRODUCT_TEXT = ("name", "brand", "summary", "description", "how_to_use", "size_label")
_PRODUCT_FLAGS = (
    "tinted",
    "fragrance_free",
    "non_comedogenic",
    "occlusive",
    "alcohol_free",
    "pregnancy_safe",
)
PRODUCT_KEYS = frozenset(
    {
        "sku",
        "slug",
        "category",
        "price_pence",
        "vat_rate_bp",
        "spf",
        "uv_filter",
        "actives",
        "skin_types",
        "days_per_unit",
        "spf_test_on_file",
        "low_stock_threshold",
        "image",
        *_PRODUCT_TEXT,
        *_PRODUCT_FLAGS,
    }
)
KIT_KEYS = frozenset(
    {
        "slug",
        "name",
        "summary",
        "description",
        "treatments",
        "fitzpatrick_min",
        "fitzpatrick_max",
        "concerns",
        "cover_days",
        "price_rule",
        "fixed_price_pence",
        "percent_off",
        "items",
        "is_featured",
        "position",
    }
)
KIT_ITEM_KEYS = frozenset({"sku", "quantity", "purpose"})
LOT_KEYS = frozenset({"sku", "lot_number", "expires_in_days", "quantity", "unit_cost_pence"})
_FILE_KEYS = {"schema_version", "products", "kits", "lots"}
_MISSING = object()


class DemoCatalogueError(ValueError):
    """The demo catalogue data is invalid; the message names the file, the entry and the field."""


@dataclass(frozen=True)
class DemoCatalogue:
    """The validated demo products, kits and lots, as the dicts the seeding service takes."""

    products: list[dict[str, Any]]
    kits: list[dict[str, Any]]
    lots: list[dict[str, Any]]


class _Entry:
    """Reads typed fields out of one raw table, failing with the file, entry and field."""

    def __init__(self, source: str, label: str, raw: Any, path: str = "") -> None:
        self.source = source
        self.label = label
        self.path = path
        if not isinstance(raw, dict):
            self.fail("must be a table")
        self.raw: dict[str, Any] = raw

    def fail(self, problem: str, key: str | None = None) -> None:
        """Raise a DemoCatalogueError naming the file, the entry and the field."""
        field = ".".join(part for part in (self.path, key) if part)
        where = ", ".join(part for part in (self.label, field) if part)
        raise DemoCatalogueError(f"{self.source}: {where + ': ' if where else ''}{problem}")

    def child(self, raw: Any, path: str) -> _Entry:
        """Return a reader for a table nested in this entry (a kit's item)."""
        return _Entry(self.source, self.label, raw, path)

    def only(self, allowed: frozenset[str] | set[str]) -> None:
        """Reject keys the file format does not know, which are usually typos."""
        for key in sorted(self.raw):
            if key not in allowed:
                self.fail(f"unknown key '{key}'")

    def value(self, key: str, kind: type, default: Any = _MISSING) -> Any:
        """Return a field of the given type, or the default when it is optional and left out."""
        if key not in self.raw:
            if default is _MISSING:
                self.fail("missing required field", key)
            return default
        found = self.raw[key]
        # bool is an int in Python, but `quantity = true` is a mistake, not a 1.
        if not isinstance(found, kind) or (kind is int and isinstance(found, bool)):
            names = {str: "a string", int: "an integer", bool: "true or false", list: "a list"}
            self.fail(f"must be {names.get(kind, 'a table')}", key)
        return found

    def text(self, key: str, default: Any = _MISSING) -> Any:
        """Return a non-empty string field."""
        found = self.value(key, str, default)
        if isinstance(found, str) and not found.strip():
            self.fail("must not be empty", key)
        return found

    def slug(self, key: str) -> str:
        """Return a URL slug: lower-case letters, digits and single dashes."""
        found = self.text(key)
        if not SLUG_PATTERN.match(found):
            self.fail(f"must be lower-case letters, digits and single dashes (got '{found}')", key)
        return found

    def flag(self, key: str) -> bool:
        """Return a required true or false field."""
        return self.value(key, bool)

    def integer(
        self,
        key: str,
        minimum: int | None = None,
        maximum: int | None = None,
        optional: bool = False,
    ) -> Any:
        """Return an integer field within bounds; None when optional and left out."""
        found = self.value(key, int, None if optional else _MISSING)
        if found is None:
            return None
        if minimum is not None and found < minimum:
            self.fail(f"must be at least {minimum} (got {found})", key)
        if maximum is not None and found > maximum:
            self.fail(f"must be at most {maximum} (got {found})", key)
        return found

    def choice(self, key: str, allowed: tuple[Any, ...], noun: str, optional: bool = False) -> Any:
        """Return a field whose value must come from a vocabulary; None when optional and out."""
        kind = int if allowed and isinstance(allowed[0], int) else str
        found = self.value(key, kind, None if optional else _MISSING)
        if found is not None and found not in allowed:
            self.fail(f"unknown {noun} {found!r}", key)
        return found

    def choices(self, key: str, allowed: tuple[str, ...], noun: str) -> list[str]:
        """Return a list field whose items all come from a vocabulary, each at most once."""
        found = self.value(key, list)
        for item in found:
            if not isinstance(item, str) or item not in allowed:
                self.fail(f"unknown {noun} {item!r}", key)
        if len(set(found)) != len(found):
            self.fail("lists an item twice", key)
        return list(found)

    def tables(self, key: str) -> list[Any]:
        """Return a required array of tables, raw."""
        found = self.value(key, list)
        for index, item in enumerate(found):
            if not isinstance(item, dict):
                self.fail("must be a table", f"{key}[{index}]")
        return found


def _entry(source: str, noun: str, section: str, index: int, raw: Any, name_key: str) -> _Entry:
    """Return a reader labelled by the entry's name, or by its position when that is unusable."""
    name = raw.get(name_key) if isinstance(raw, dict) else None
    if isinstance(name, str) and name.strip():
        return _Entry(source, f"{noun} '{name}'", raw)
    return _Entry(source, f"{section}[{index}]", raw)


def _read_product(entry: _Entry) -> dict[str, Any]:
    """Validate one [[products]] table and return it with every optional key filled in."""
    entry.only(PRODUCT_KEYS)
    product: dict[str, Any] = {"sku": entry.text("sku"), "slug": entry.slug("slug")}
    product["name"] = entry.text("name")
    product["brand"] = entry.text("brand")
    product["category"] = entry.choice("category", CATEGORIES, "category")
    for key in ("summary", "description", "how_to_use", "size_label"):
        product[key] = entry.text(key)
    product["price_pence"] = entry.integer("price_pence", minimum=1)
    product["vat_rate_bp"] = entry.integer("vat_rate_bp", minimum=0, maximum=10_000)
    product["spf"] = entry.integer("spf", minimum=1, maximum=100, optional=True)
    product["uv_filter"] = entry.choice("uv_filter", UV_FILTERS, "UV filter", optional=True)
    for key in _PRODUCT_FLAGS:
        product[key] = entry.flag(key)
    product["actives"] = entry.choices("actives", ACTIVES, "active")
    product["skin_types"] = entry.choices("skin_types", SKIN_TYPES, "skin type")
    product["days_per_unit"] = entry.integer("days_per_unit", minimum=1, optional=True)
    product["spf_test_on_file"] = entry.flag("spf_test_on_file")
    product["low_stock_threshold"] = entry.integer("low_stock_threshold", minimum=0)
    product["image"] = entry.text("image", None)
    # The same consistency the catalogue admin asks of staff, so the engine never sees less.
    if product["category"] == "sunscreen" and product["spf"] is None:
        entry.fail("a sunscreen needs its SPF", "spf")
    if product["uv_filter"] is not None and product["spf"] is None:
        entry.fail("only products with an SPF have a UV filter", "uv_filter")
    if product["spf_test_on_file"] and product["category"] != "sunscreen":
        entry.fail("only sunscreens carry SPF test data", "spf_test_on_file")
    return product


def _read_kit_item(entry: _Entry, skus: set[str]) -> dict[str, Any]:
    """Validate one item of a kit: a known product, a positive quantity and its purpose."""
    entry.only(KIT_ITEM_KEYS)
    sku = entry.text("sku")
    if sku not in skus:
        entry.fail(f"unknown product sku '{sku}'", "sku")
    return {
        "sku": sku,
        "quantity": entry.integer("quantity", minimum=1),
        "purpose": entry.text("purpose"),
    }


def _read_kit(entry: _Entry, skus: set[str]) -> dict[str, Any]:
    """Validate one [[kits]] table and return it with both price keys present."""
    entry.only(KIT_KEYS)
    kit: dict[str, Any] = {"slug": entry.slug("slug")}
    for key in ("name", "summary", "description"):
        kit[key] = entry.text(key)
    kit["treatments"] = entry.choices("treatments", TREATMENTS, "treatment")
    if not kit["treatments"]:
        entry.fail("a kit needs at least one treatment", "treatments")
    kit["fitzpatrick_min"] = entry.choice("fitzpatrick_min", FITZPATRICK_TYPES, "Fitzpatrick type")
    kit["fitzpatrick_max"] = entry.choice("fitzpatrick_max", FITZPATRICK_TYPES, "Fitzpatrick type")
    if kit["fitzpatrick_max"] < kit["fitzpatrick_min"]:
        entry.fail("must not be below fitzpatrick_min", "fitzpatrick_max")
    kit["concerns"] = entry.choices("concerns", CONCERNS, "concern")
    kit["cover_days"] = entry.integer("cover_days", minimum=1)
    kit["price_rule"] = entry.choice("price_rule", KIT_PRICE_RULES, "price rule")
    kit["fixed_price_pence"] = entry.integer("fixed_price_pence", minimum=1, optional=True)
    kit["percent_off"] = entry.integer("percent_off", minimum=1, maximum=99, optional=True)
    # A kit is priced one way; the other key would be silently ignored, so it is refused.
    used, unused = "fixed_price_pence", "percent_off"
    if kit["price_rule"] == "percent_off":
        used, unused = unused, used
    if kit[used] is None:
        entry.fail(f"missing required field (price_rule is '{kit['price_rule']}')", used)
    if kit[unused] is not None:
        entry.fail(f"not used when price_rule is '{kit['price_rule']}'", unused)
    raw_items = entry.tables("items")
    if not 1 <= len(raw_items) <= MAX_KIT_ITEMS:
        entry.fail(f"a kit holds 1 to {MAX_KIT_ITEMS} products (got {len(raw_items)})", "items")
    items = [
        _read_kit_item(entry.child(raw, f"items[{index}]"), skus)
        for index, raw in enumerate(raw_items)
    ]
    seen: set[str] = set()
    for index, item in enumerate(items):
        if item["sku"] in seen:
            problem = f"lists sku '{item['sku']}' twice; raise its quantity instead"
            entry.fail(problem, f"items[{index}].sku")
        seen.add(item["sku"])
    kit["items"] = items
    kit["is_featured"] = entry.flag("is_featured")
    kit["position"] = entry.integer("position", minimum=0)
    return kit


def _read_lot(entry: _Entry, skus: set[str]) -> dict[str, Any]:
    """Validate one [[lots]] table: a known product, a positive quantity and its cost."""
    entry.only(LOT_KEYS)
    sku = entry.text("sku")
    if sku not in skus:
        entry.fail(f"unknown product sku '{sku}'", "sku")
    return {
        "sku": sku,
        "lot_number": entry.text("lot_number"),
        # Negative is allowed: the demo keeps one lot that has already expired.
        "expires_in_days": entry.integer("expires_in_days"),
        "quantity": entry.integer("quantity", minimum=1),
        "unit_cost_pence": entry.integer("unit_cost_pence", minimum=0),
    }


def _check_unique(entry: _Entry, key: str, value: str, seen: set[str], noun: str) -> None:
    """Fail on a value seen before, ignoring case as the catalogue admin does for skus and slugs."""
    if value.lower() in seen:
        entry.fail(f"duplicate {noun} '{value}'", key)
    seen.add(value.lower())


def catalogue_from_data(data: Any, source: str = "demo_catalogue.toml") -> DemoCatalogue:
    """Validate a parsed demo catalogue file and return its products, kits and lots in order."""
    root = _Entry(source, "", data)
    root.only(_FILE_KEYS)
    if root.value("schema_version", int) != SCHEMA_VERSION:
        root.fail(f"unsupported schema version (expected {SCHEMA_VERSION})", "schema_version")
    products, skus, slugs = [], set(), set()
    for index, raw in enumerate(root.tables("products")):
        entry = _entry(source, "product", "products", index, raw, "slug")
        product = _read_product(entry)
        _check_unique(entry, "sku", product["sku"], skus, "product sku")
        _check_unique(entry, "slug", product["slug"], slugs, "product slug")
        products.append(product)
    known = {product["sku"] for product in products}
    kits, kit_slugs = [], set()
    for index, raw in enumerate(root.tables("kits")):
        entry = _entry(source, "kit", "kits", index, raw, "slug")
        kit = _read_kit(entry, known)
        _check_unique(entry, "slug", kit["slug"], kit_slugs, "kit slug")
        kits.append(kit)
    lots, lot_numbers = [], {}
    for index, raw in enumerate(root.tables("lots")):
        entry = _entry(source, "lot", "lots", index, raw, "lot_number")
        lot = _read_lot(entry, known)
        # Lot numbers are the supplier's, so only one product's lots must differ.
        seen = lot_numbers.setdefault(lot["sku"], set())
        _check_unique(entry, "lot_number", lot["lot_number"], seen, f"lot number of {lot['sku']}")
        lots.append(lot)
    return DemoCatalogue(products=products, kits=kits, lots=lots)


def load_demo_catalogue(path: str | Path | None = None) -> DemoCatalogue:
    """Read and validate the demo catalogue TOML file (the shipped one by default)."""
    file_path = Path(path) if path is not None else DEFAULT_PATH
    try:
        with file_path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise DemoCatalogueError(f"{file_path.name}: not valid TOML: {error}") from error
    except OSError as error:
        raise DemoCatalogueError(f"{file_path.name}: cannot be read: {error}") from error
    return catalogue_from_data(data, source=file_path.name)
