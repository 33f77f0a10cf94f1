"""Money in integer minor units (pence), formatted with Babel; never floats."""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from babel.numbers import format_currency

# Distinct amounts formatted per process before the least used are forgotten.
FORMATTED_AMOUNTS_KEPT = 4096


def format_pence(pence: int | None, currency: str = "GBP", locale: str = "en_GB") -> str:
    """Format an amount in minor units as a price, e.g. 1999 -> '£19.99'."""
    if pence is None:
        return ""
    return _formatted_price(pence, currency, locale)


@lru_cache(maxsize=FORMATTED_AMOUNTS_KEPT)
def _formatted_price(pence: int, currency: str, locale: str) -> str:
    # Babel parses the locale and pattern on every call (about 15 microseconds, 30+ prices a
    # page), while a shop shows the same few hundred amounts over and over: remember them.
    return format_currency(Decimal(pence) / 100, currency, locale=locale)


def plain_pounds(pence: int | None) -> str:
    """Write pence as a bare pounds amount for CSV files and charts, e.g. -1250 -> '-12.50'."""
    if pence is None:
        return ""
    sign = "-" if pence < 0 else ""
    pence = abs(pence)
    return f"{sign}{pence // 100}.{pence % 100:02d}"


# Up to 999,999.99: pounds as staff type them, without a sign or a currency symbol.
POUNDS_PATTERN = re.compile(r"\d{1,6}(\.\d{1,2})?")


def parse_pounds(text: str) -> int:
    """Read a pounds amount such as '4.50' or '4' into pence; ValueError when it is not one."""
    if not POUNDS_PATTERN.fullmatch(text):
        raise ValueError(text)
    return int(Decimal(text) * 100)


def percent_of(pence: int, percent: int) -> int:
    """Return `percent`% of an amount in pence, rounded half up to a whole penny."""
    return (pence * percent + 50) // 100


def vat_included(gross_pence: int, vat_rate_bp: int) -> int:
    """Return the VAT inside a VAT-inclusive price, rounded half up to a whole penny."""
    if vat_rate_bp <= 0:
        return 0
    # gross = net * (1 + r) so vat = gross * r / (1 + r), with r in basis points.
    numerator = gross_pence * vat_rate_bp
    denominator = 10000 + vat_rate_bp
    return (2 * numerator + denominator) // (2 * denominator)
