"""Caches of what every visitor shares, keyed by the catalogue and stock tokens.

Only catalogue data goes in here: prices, stock levels, rendered product and kit fragments, the
aftercare engine's catalogue. Nothing from a basket, an account, a plan or a form token is ever
stored, so nothing one visitor sees can reach another. Each process keeps recent entries as
they are (no copying); with Redis configured, entries are also shared between workers.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Session

from models import current_versions, db
from shop.extensions import shared_cache

T = TypeVar("T")

_local: OrderedDict[str, object] = OrderedDict()
_lock = threading.Lock()


_TOKENS = "shared_cache_tokens"


def tokens() -> tuple[str, str] | None:
    """Return the current (catalogue, stock) tokens, or None when none was ever recorded.

    Read once per unit of work: kept in the session, which lives for one request, and read
    again after any commit, so a change made in this request is never answered from older
    entries.
    """
    info = db.session.info
    if _TOKENS not in info:
        info[_TOKENS] = current_versions(db.session)
    return info[_TOKENS]


@event.listens_for(Session, "after_commit")
def _forget_tokens(session: Session) -> None:
    """Make the next question read the tokens a commit may have replaced."""
    session.info.pop(_TOKENS, None)


def forget_request_tokens(_error: BaseException | None = None) -> None:
    """Drop the tokens kept for this request (the app registers it as a teardown)."""
    db.session.info.pop(_TOKENS, None)


@dataclass(frozen=True)
class Uncached(Generic[T]):
    """A build's result for the one caller that asked: returned, never kept."""

    value: T


def remember(
    name: str,
    parts: tuple,
    build: Callable[[], T | Uncached[T]],
    *,
    stock: bool = True,
) -> T:
    """Return the cached value of `build()` for `name` and `parts` under the current tokens.

    `stock=False` for values that do not depend on stock levels, so a sale keeps them. With
    no tokens recorded yet, nothing is cached; neither is a None result, nor one `build`
    wraps in Uncached.
    """
    current = tokens()
    if current is None:
        value = build()
        return value.value if isinstance(value, Uncached) else value
    catalogue, stock_token = current
    key = ":".join((name, catalogue, stock_token if stock else "-", *map(str, parts)))
    with _lock:
        if key in _local:
            _local.move_to_end(key)
            return _local[key]  # type: ignore[return-value]
    value = shared_cache.get(key)
    if value is None:
        value = build()
        if isinstance(value, Uncached):
            return value.value
        if value is None:
            return None  # nothing to keep
        shared_cache.set(key, value)
    _keep(key, value)
    return value


def _keep(key: str, value: object) -> None:
    limit = current_app.config["SHARED_CACHE_LOCAL_ENTRIES"]
    with _lock:
        _local[key] = value
        _local.move_to_end(key)
        while len(_local) > limit:
            _local.popitem(last=False)


def forget_local() -> None:
    """Empty this process's entries (the shared layer expires on its own)."""
    with _lock:
        _local.clear()
