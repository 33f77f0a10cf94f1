"""A page of rows from a longer listing, with the arithmetic the pagination macro needs."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Page:
    """One page of a listing: its rows, where it is, and how many rows there are in all."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        """Return how many pages the listing has (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))


def clamp_page(page: int, total: int, per_page: int) -> int:
    """Return `page` kept within 1 and the last page."""
    last = max(1, math.ceil(total / per_page))
    return min(max(page, 1), last)
