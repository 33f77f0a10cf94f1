"""Catalogue, stock and sales tokens: fresh ones whenever products, stock or orders change.

Anything shared by every visitor (rendered catalogue fragments, the aftercare engine's
catalogue) or by every staff member (sales figures) is cached under these tokens. Every
transaction that writes a catalogue, stock or sales table replaces the matching token in the
same transaction, so a cache entry can never outlive the data it was built from, whichever
process or worker made the change.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Integer, String, event, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Session, mapped_column

from models.base import db

# Tables whose rows decide what the shop offers and at what price (catalogue), and how many
# units can be sold (stock). The association table of kits and treatments is listed because
# bulk inserts write it directly.
CATALOGUE_TABLES = frozenset(
    {
        "product",
        "product_skin_type",
        "kit",
        "kit_item",
        "kit_treatment",
        "treatment",
        "protocol_version",
    }
)
STOCK_TABLES = frozenset({"stock_lot", "stock_allocation"})
# What the sales reports add up: orders, their lines, payments, refunds and the
# recommendations that tie orders to treatments.
SALES_TABLES = frozenset({"order", "order_line", "payment", "refund", "recommendation"})
KINDS = ("catalogue", "stock", "sales")
_PENDING = "shop_versions_pending"
# Set in session.info when a commit is about to replace tokens, for after-commit listeners.
REPLACED = "shop_versions_replaced"


class CatalogueVersion(db.Model):
    """The one row holding the current catalogue, stock and sales tokens."""

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Random, never a counter: a database emptied and refilled (tests, a restore) must not
    # reuse a token an earlier state was cached under.
    catalogue: Mapped[str] = mapped_column(String(32))
    stock: Mapped[str] = mapped_column(String(32))
    sales: Mapped[str] = mapped_column(String(32))


_CURRENT = select(CatalogueVersion.catalogue, CatalogueVersion.stock, CatalogueVersion.sales).where(
    CatalogueVersion.id == 1
)


def _kinds_for(table_names) -> set[str]:
    kinds = set()
    for name in table_names:
        if name in CATALOGUE_TABLES:
            kinds.add("catalogue")
        if name in STOCK_TABLES:
            kinds.add("stock")
        if name in SALES_TABLES:
            kinds.add("sales")
    return kinds


def _mark(session: Session, kinds: set[str]) -> None:
    if kinds:
        session.info.setdefault(_PENDING, set()).update(kinds)


@event.listens_for(Session, "after_flush")
def _note_flushed_changes(session: Session, _context) -> None:
    """Remember which kinds of data this transaction's flush wrote."""
    objects = [*session.new, *session.dirty, *session.deleted]
    _mark(session, _kinds_for(getattr(obj, "__tablename__", "") for obj in objects))


@event.listens_for(Session, "do_orm_execute")
def _note_bulk_changes(state) -> None:
    """Remember bulk INSERT, UPDATE and DELETE statements, which never pass through a flush."""
    if state.is_insert or state.is_update or state.is_delete:
        table = getattr(state.statement, "table", None)
        _mark(state.session, _kinds_for([getattr(table, "name", "")]))


@event.listens_for(Session, "before_commit")
def _replace_tokens(session: Session) -> None:
    """Write fresh tokens for what changed, as the transaction's last statement."""
    session.flush()  # surface pending objects so the flush hook sees them
    kinds = session.info.pop(_PENDING, set())
    if not kinds:
        return
    # Taken last, the row lock is held only for the commit itself, after every other lock.
    values = {kind: secrets.token_hex(16) for kind in KINDS}
    changed = {kind: values[kind] for kind in kinds}
    session.info[REPLACED] = True
    connection = session.connection()
    insert = postgresql_insert if connection.dialect.name == "postgresql" else sqlite_insert
    connection.execute(
        insert(CatalogueVersion.__table__)
        .values(id=1, **values)
        .on_conflict_do_update(index_elements=["id"], set_=changed)
    )


@event.listens_for(Session, "after_rollback")
def _forget_pending(session: Session) -> None:
    """Drop the marks of a transaction that did not happen."""
    session.info.pop(_PENDING, None)
    session.info.pop(REPLACED, None)


def current_versions(bind: Session | Connection) -> tuple[str, str, str] | None:
    """Return the (catalogue, stock, sales) tokens, or None before anything was ever recorded.

    Asked on nearly every page, so it runs as a plain Core statement, on the session's
    connection or on the connection given: the ORM's result handling would cost more than
    the query.
    """
    connection = bind.connection() if isinstance(bind, Session) else bind
    row = connection.execute(_CURRENT).first()
    return tuple(row) if row else None
