"""What the catalogue admin use cases share: editable attributes, limits and errors."""

from __future__ import annotations

import re
from typing import Any

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


def snapshot(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    """Return the audit view of a row: the named attributes, JSON-ready."""
    return {name: getattr(obj, name) for name in names}
