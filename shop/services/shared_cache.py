"""Caches of what every visitor shares, keyed by the catalogue, stock and sales tokens.

Only catalogue data goes in here: prices, stock levels, rendered product and kit fragments, the
aftercare engine's catalogue, and the staff's sales figures (totals per day and per product,
never an order or a customer). Nothing from a basket, an account, a plan or a form token is ever
stored, so nothing one visitor sees can reach another. Each process keeps recent entries as
they are (no copying); with Redis configured, entries are also shared between workers, and so
are the tokens themselves (see TokenMirror), so a page served from the caches asks nothing of
the database.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

import redis
from flask import Flask, current_app, has_app_context
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models import current_versions, db
from models.versions import REPLACED
from shop.extensions import shared_cache

log = logging.getLogger(__name__)

T = TypeVar("T")

_local: OrderedDict[str, object] = OrderedDict()
_lock = threading.Lock()


_TOKENS = "shared_cache_tokens"
Tokens = tuple[str, ...]
_MIRROR = "shop_token_mirror"


class TokenMirror:
    """The tokens mirrored in Redis, so reading them costs no database trip.

    Every commit that replaced tokens increments a generation counter once it has committed.
    The mirrored tokens are stored with the generation that was current before they were read
    from the database, and are used only while that generation is still current: tokens read before
    a change was made visible can therefore never be taken for those after it, whatever
    order workers write in. A worker that dies between its commit and its increment leaves
    the old tokens in use for at most SHARED_CACHE_TOKEN_SECONDS, their lifetime in Redis.
    If Redis fails, the tokens are read from the database, as without it.
    """

    def __init__(self, client: redis.Redis, prefix: str, seconds: int) -> None:
        self.client = client
        self.generation_key = f"{prefix}tokens:generation"
        self.tokens_key = f"{prefix}tokens:current"
        self.seconds = seconds
        self.kept: tuple[int, redis.Connection] | None = None

    def _mirrored(self) -> list[bytes | None]:
        """Ask Redis for the generation and the mirrored tokens: one round trip."""
        if threading.current_thread() is not threading.main_thread():
            return self.client.mget(self.generation_key, self.tokens_key)
        # Asked on every page, so a process's main thread (a sync worker's only one) keeps a
        # connection of its own and speaks to it directly: the client's pool and retry
        # layers cost about a third of the round trip. A forked child makes its own.
        if self.kept is None or self.kept[0] != os.getpid():
            self.kept = (os.getpid(), self.client.connection_pool.make_connection())
        connection = self.kept[1]
        try:
            connection.send_command("MGET", self.generation_key, self.tokens_key)
            return connection.read_response()
        except redis.RedisError:
            self.kept = None
            connection.disconnect()
            raise

    def read(self, load: Callable[[], Tokens | None]) -> Tokens | None:
        """Return the current tokens: the mirrored ones if still current, else `load()`'s."""
        try:
            generation, mirrored = self._mirrored()
        except redis.RedisError as error:
            log.warning("token mirror unavailable, reading the database: %s", error)
            return load()
        generation = generation or b"0"
        if mirrored:
            seen, *mirrored_tokens = mirrored.decode().split(" ")
            if seen.encode() == generation:
                return tuple(mirrored_tokens)
        current = load()
        if current is not None:
            try:
                value = b" ".join((generation, *(token.encode() for token in current)))
                self.client.set(self.tokens_key, value, ex=self.seconds)
            except redis.RedisError as error:
                log.warning("token mirror not updated: %s", error)
        return current

    def changed(self) -> None:
        """Record that a commit replaced tokens, so no reader trusts the mirrored tokens."""
        try:
            self.client.incr(self.generation_key)
        except redis.RedisError as error:
            # The commit stands; the old tokens expire after SHARED_CACHE_TOKEN_SECONDS.
            log.warning("token mirror not told of a change: %s", error)


class TokenReader:
    """Reads the tokens on an autocommit connection of their own, outside any transaction.

    A request that has asked nothing of the database yet needs no transaction for one row:
    through the session, PostgreSQL would cost a pre-ping, BEGIN, the SELECT and ROLLBACK,
    and SQLite the session's set-up and teardown. Tokens read before the page's own queries
    are never newer than what those queries see, so a page kept under them is never older
    than its tokens say. A process's main thread (a sync worker's only one) keeps its
    connection; other threads take one from a small pool and give it back. A database that
    lives in one connection (SQLite in memory) has no second connection to read from, and is
    read through the session.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = (
            None
            if engine.url.get_backend_name() == "sqlite"
            and engine.url.database in (None, "", ":memory:")
            else create_engine(
                engine.url,
                isolation_level="AUTOCOMMIT",
                # Nothing to roll back in autocommit; a dropped connection is noticed by
                # the read itself, which then asks through the session (pre-pinged).
                pool_reset_on_return=None,
                pool_size=1,
                max_overflow=4,
            )
        )
        self.pid = os.getpid()
        self.kept: Connection | None = None

    def read(self) -> Tokens | None:
        """Return the current tokens, read outside the session when it has no transaction."""
        # A request already inside a transaction reads there, as it reads everything else;
        # its session is made on first use, so none yet means no transaction yet.
        if self.engine is None or (db.session.registry.has() and db.session().in_transaction()):
            return current_versions(db.session)
        try:
            if threading.current_thread() is not threading.main_thread():
                # A connection that fails here is closed (and, if it was cut, invalidated
                # with the pool's older connections) by SQLAlchemy on the way out.
                with self.engine.connect() as connection:
                    return current_versions(connection)
            if self.kept is None:
                self.kept = self.engine.connect()
            try:
                return current_versions(self.kept)
            except DBAPIError:
                # Only the main thread uses the kept connection: drop it, so the next read
                # opens a new one; other threads' pooled connections are left alone.
                kept, self.kept = self.kept, None
                kept.invalidate()
                kept.close()
                raise
        except DBAPIError as error:
            log.warning("token read failed, asking through the session: %s", error)
            return current_versions(db.session)


_READER = "shop_token_reader"


def init_app(app: Flask) -> None:
    """Read the tokens afresh for each request, and mirror them in Redis when REDIS_URL is set."""
    # Tests keep one app context across requests; each request must read the tokens afresh.
    app.teardown_request(forget_request_tokens)
    url = app.config["REDIS_URL"]
    app.extensions[_MIRROR] = (
        TokenMirror(
            redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1),
            app.config["CACHE_KEY_PREFIX"],
            app.config["SHARED_CACHE_TOKEN_SECONDS"],
        )
        if url
        else None
    )


def tokens() -> Tokens | None:
    """Return the current (catalogue, stock, sales) tokens, or None when none was ever recorded.

    Read once per unit of work: kept in the session, which lives for one request, and read
    again after any commit, so a change made in this request is never answered from older
    entries.
    """
    info = db.session.info
    if _TOKENS not in info:
        mirror = current_app.extensions.get(_MIRROR)
        load = _token_reader().read
        info[_TOKENS] = mirror.read(load) if mirror else load()
    return info[_TOKENS]


def _token_reader() -> TokenReader:
    # Made on first use, in the process that serves (after a server forks its workers).
    extensions = current_app.extensions
    reader = extensions.get(_READER)
    if reader is None or reader.pid != os.getpid():
        # A forked child must not use (or close) its parent's connections: it makes its own.
        reader = extensions[_READER] = TokenReader(db.engine)
    return reader


@event.listens_for(Session, "after_commit")
def _forget_tokens(session: Session) -> None:
    """Make the next question read the tokens a commit may have replaced, here and elsewhere."""
    session.info.pop(_TOKENS, None)
    if session.info.pop(REPLACED, None) and has_app_context():
        mirror = current_app.extensions.get(_MIRROR)
        if mirror:
            mirror.changed()


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
    sales: bool = False,
) -> T:
    """Return the cached value of `build()` for `name` and `parts` under the current tokens.

    `stock=False` for values that do not depend on stock levels, so a sale keeps them;
    `sales=True` for values that add up orders, payments or refunds. With
    no tokens recorded yet, nothing is cached; neither is a None result, nor one `build`
    wraps in Uncached.
    """
    current = tokens()
    if current is None:
        value = build()
        return value.value if isinstance(value, Uncached) else value
    catalogue, stock_token, sales_token = current
    key = ":".join(
        (
            name,
            catalogue,
            stock_token if stock else "-",
            sales_token if sales else "-",
            *map(str, parts),
        )
    )
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
