"""The rules every stock change obeys: unit limits, lot number shape, adjustment reasons."""

from __future__ import annotations

import re

# reason code -> (label, movement kind, required sign: -1 remove, +1 add, 0 either)
ADJUSTMENT_REASONS: dict[str, tuple[str, str, int]] = {
    "damaged": ("Damaged", "write_off", -1),
    "expired": ("Expired write-off", "write_off", -1),
    "found": ("Found", "adjustment", 1),
    "correction": ("Correction", "adjustment", 0),
}
MAX_UNITS_PER_LINE = 100_000
LOT_NUMBER_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,59}$")
LOT_NUMBER_RULE = "Lot numbers are 1 to 60 letters, digits, dots, dashes or slashes."


class StockError(ValueError):
    """A stock change the shop refuses; the message is written for staff to read."""
