"""A page of rows from a longer listing, with the arithmetic the pagination macro needs."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from models import db


@dataclass(frozen=True)
class Page:
    """One page of a listing: its rows, where it is, and how many rows there are in all."""

    items: list[Any]
    page: int
    per_page: int
    total: int
    # True when counting stopped early: there are more rows than `total` says.
    more: bool = False

    @property
    def pages(self) -> int:
        """Return how many pages the listing has (at least one)."""
        return max(1, math.ceil(self.total / self.per_page))


def clamp_page(page: int, total: int, per_page: int) -> int:
    """Return `page` kept within 1 and the last page."""
    last = max(1, math.ceil(total / per_page))
    return min(max(page, 1), last)


def _page_counting_in_rows(query: Select, page: int, per_page: int):
    """Return (rows, total) of a page in one statement, or None when the page is empty."""
    page = max(page, 1)
    counted = query.add_columns(func.count().over()).limit(per_page).offset((page - 1) * per_page)
    rows = db.session.execute(counted).all()
    if not rows:
        # Page 1 empty means no rows at all; a later page may just be past the end.
        return ([], 0) if page == 1 else None
    return [row[:-1] for row in rows], rows[0][-1]


def paginate(
    query: Select,
    page: int,
    per_page: int,
    make_items: Callable[[list[Any]], list[Any]] = list,
    *,
    scalars: bool = False,
    count_ahead: int | None = None,
    count_in_page: bool = False,
) -> Page:
    """Run one page of an ordered query: a count, then that page's rows, made into items.

    `make_items` gets the page's rows all at once, so it can look up what they need in one
    more query; with `scalars` the rows are the objects of the query's first column. With
    `count_ahead`, rows are counted only up to that many pages past the one asked for, so
    the first pages of a listing that keeps growing (orders) cost the same whatever its
    length; `Page.more` then says the listing goes on past `total`. With `count_in_page`
    the total comes with the page's rows (a window count), so a grouped query is grouped
    once, not twice; the separate count runs only for a page past the end.
    """
    if count_in_page:
        page_with_total = _page_counting_in_rows(query, page, per_page)
        if page_with_total is not None:
            rows, total = page_with_total
            return Page(
                items=list(make_items(rows)), page=max(page, 1), per_page=per_page, total=total
            )
    counted = query.order_by(None)
    limit = None
    if count_ahead is not None:
        limit = (max(page, 1) + count_ahead) * per_page + 1
        counted = counted.limit(limit)
    total = db.session.execute(select(func.count()).select_from(counted.subquery())).scalar_one()
    more = limit is not None and total >= limit
    if more:
        total = limit - 1
    page = clamp_page(page, total, per_page)
    result = db.session.execute(query.limit(per_page).offset((page - 1) * per_page))
    rows = list(result.scalars() if scalars else result.all())
    return Page(items=list(make_items(rows)), page=page, per_page=per_page, total=total, more=more)
