"""Money in integer minor units (pence), formatted with Babel; never floats."""

from __future__ import annotations

from decimal import Decimal

from babel.numbers import format_currency


def format_pence(pence: int | None, currency: str = "GBP", locale: str = "en_GB") -> str:
    """Format an amount in minor units as a price, e.g. 1999 -> '£19.99'."""
    if pence is None:
        return ""
    return format_currency(Decimal(pence) / 100, currency, locale=locale)


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
