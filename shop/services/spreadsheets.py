"""What every CSV the shop writes needs: cells a spreadsheet will not run as formulas."""

from __future__ import annotations


def csv_safe(text: str) -> str:
    """Stop a spreadsheet from running a cell as a formula (CSV injection)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
