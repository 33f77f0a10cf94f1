"""Product search: the words each product is found by, and the database's full-text match.

Every flush that adds or changes a product or its skin types rewrites that product's row of
`product_search` in the same transaction, whoever made the change (staff forms, the seed, a
test), so the index can never lag behind the catalogue. The match itself is the database's
own: FTS5 with bm25 ranking on SQLite, a GIN-indexed tsvector with ts_rank on PostgreSQL.
What a shopper types is never handed to either query language as it is: it is cut into words
and numbers, and each becomes a quoted prefix term, so quotes, operators and SQL are just text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    bindparam,
    column,
    delete,
    event,
    func,
    insert,
    literal_column,
    select,
    table,
)
from sqlalchemy.orm import Session

from models import Product, ProductSearch, ProductSkinType
from models.catalogue import SQLITE_SEARCH_TABLE, search_config, stored_search_vector
from shop.labels import ACTIVE_LABELS, CATEGORY_LABELS, SKIN_TYPE_LABELS

# Longer than any product name and its attributes together: past it, a search is refused.
MAX_SEARCH_LENGTH = 100
# Words of one search that count; a longer list only narrows to nothing.
MAX_SEARCH_WORDS = 8
# bm25 weights of the FTS5 columns, in SEARCH_COLUMNS order (PostgreSQL's are A-D).
_SQLITE_WEIGHTS = (10.0, 5.0, 3.0, 1.0)
_WORD = re.compile(r"[^\W_]+")
# The product columns the words come from, named one by one: the migration that builds the
# index runs this too, on a schema that may lack columns added later.
_READ = (
    Product.id,
    Product.name,
    Product.brand,
    Product.category,
    Product.spf,
    Product.uv_filter,
    Product.tinted,
    Product.fragrance_free,
    Product.non_comedogenic,
    Product.alcohol_free,
    Product.pregnancy_safe,
    Product.occlusive,
    Product.actives,
)


class UnusableSearch(ValueError):
    """A search the shop refuses, with the sentence that tells the shopper why."""


@dataclass(frozen=True)
class Search:
    """A shopper's search as the words the index is asked for."""

    text: str
    words: tuple[str, ...]


def read_search(text: str) -> Search | None:
    """Return the search in `text`, None for a blank one; raise UnusableSearch if refused."""
    text = text.strip()
    if not text:
        return None
    if len(text) > MAX_SEARCH_LENGTH:
        raise UnusableSearch(
            f"Please search with at most {MAX_SEARCH_LENGTH} characters, such as a product"
            " name or a few words like “mineral SPF50”."
        )
    words = tuple(dict.fromkeys(_WORD.findall(text.casefold())))[:MAX_SEARCH_WORDS]
    if not words:
        raise UnusableSearch(
            "Please search for a word or a number, such as “sunscreen” or “SPF50”:"
            " punctuation on its own matches nothing."
        )
    return Search(text=text, words=words)


def search_text(product: Any, skin_types: Iterable[str]) -> dict[str, str]:
    """Return the words a product (a row with its columns) is found by, per search column."""
    attributes: list[str] = []
    if product.spf:
        attributes += [f"SPF{product.spf}", f"SPF {product.spf}", "sun protection"]
    if product.uv_filter:
        attributes.append(f"{product.uv_filter} filter")
    flags = (
        (product.tinted, "tinted"),
        (product.fragrance_free, "fragrance-free unscented"),
        (product.non_comedogenic, "non-comedogenic"),
        (product.alcohol_free, "alcohol-free"),
        (product.pregnancy_safe, "pregnancy-safe"),
        (product.occlusive, "occlusive"),
    )
    attributes += [words for present, words in flags if present]
    attributes += [f"{SKIN_TYPE_LABELS.get(s, s)} skin" for s in skin_types]
    attributes += [ACTIVE_LABELS.get(active, active) for active in product.actives or ()]
    category = product.category or ""
    return {
        "name": product.name or "",
        "brand": product.brand or "",
        "category": f"{CATEGORY_LABELS.get(category, category)} {category.replace('-', ' ')}",
        "attributes": " ".join(attributes),
    }


def refresh(connection: Connection, product_ids: Iterable[int]) -> None:
    """Rewrite the search rows of these products from their current columns, in 4 statements."""
    ids = sorted(set(product_ids))
    if not ids:
        return
    products = connection.execute(select(*_READ).where(Product.id.in_(ids))).all()
    skin_types: dict[int, list[str]] = {}
    for product_id, skin_type in connection.execute(
        select(ProductSkinType.product_id, ProductSkinType.skin_type)
        .where(ProductSkinType.product_id.in_(ids))
        .order_by(ProductSkinType.product_id, ProductSkinType.skin_type)
    ):
        skin_types.setdefault(product_id, []).append(skin_type)
    connection.execute(delete(ProductSearch.__table__).where(ProductSearch.product_id.in_(ids)))
    rows = [
        {"product_id": row.id, **search_text(row, skin_types.get(row.id, ()))} for row in products
    ]
    if rows:
        connection.execute(insert(ProductSearch.__table__), rows)


def refresh_all(connection: Connection) -> None:
    """Rebuild every product's search row (after a migration or a bulk load)."""
    refresh(connection, connection.execute(select(Product.id)).scalars())


@event.listens_for(Session, "after_flush")
def _refresh_flushed_products(session: Session, _context) -> None:
    """Rewrite the search rows of the products this flush added, changed or gave skin types."""
    changed: set[int] = set()
    gone: set[int] = set()
    for obj in (*session.new, *session.dirty):
        if isinstance(obj, Product):
            changed.add(obj.id)
        elif isinstance(obj, ProductSkinType):
            changed.add(obj.product_id)
    for obj in session.deleted:
        if isinstance(obj, Product):
            gone.add(obj.id)
        elif isinstance(obj, ProductSkinType):
            changed.add(obj.product_id)
    changed -= gone
    if not changed and not gone:
        return
    connection = session.connection()
    if gone:
        # SQLite enforces no foreign keys here, so a removed product's row goes by hand.
        connection.execute(
            delete(ProductSearch.__table__).where(ProductSearch.product_id.in_(gone))
        )
    refresh(connection, (product_id for product_id in changed if product_id is not None))


def matching(query: Select, search: Search, dialect: str) -> tuple[Select, ColumnElement]:
    """Narrow a product query to the products matching `search`; return it and its best-first order.

    Every word must match the start of a word of the product (so "moist" finds moisturisers).
    """
    if dialect == "sqlite":
        index = table(SQLITE_SEARCH_TABLE, column("rowid"))
        # Only letters and digits reach the quotes, so no word can close them or be an operator.
        terms = " ".join(f'"{word}"*' for word in search.words)
        fts = literal_column(SQLITE_SEARCH_TABLE)
        # The matches are worked out once, first. Joined directly, SQLite's planner may walk
        # the products and ask the full-text index again for each one: 0.45 s at 5,000
        # products, against 5 ms this way (bench/scale.py).
        hits = (
            select(
                index.c.rowid.label("product_id"),
                func.bm25(fts, *_SQLITE_WEIGHTS).label("rank"),
            )
            .where(fts.op("MATCH")(bindparam("search_terms", terms)))
            .cte("search_hits")
            .prefix_with("MATERIALIZED")
        )
        query = query.join(hits, hits.c.product_id == Product.id)
        return query, hits.c.rank.asc()
    terms = " & ".join(f"{word}:*" for word in search.words)
    asked = func.to_tsquery(search_config(), bindparam("search_terms", terms))
    vector = stored_search_vector()
    query = query.join(ProductSearch, ProductSearch.product_id == Product.id).where(
        vector.op("@@")(asked)
    )
    return query, func.ts_rank(vector, asked).desc()
