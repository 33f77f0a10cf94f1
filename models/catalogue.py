"""Catalogue: treatments, products with their aftercare attributes, and kits."""

from __future__ import annotations

from datetime import date, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    cast,
    event,
    func,
    literal,
    literal_column,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import REGCONFIG, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.schema import DDL

from models.base import db, sql_in, utcnow
from models.vocabulary import CATEGORIES, KIT_PRICE_RULES, SKIN_TYPES, UV_FILTERS

kit_treatments = Table(
    "kit_treatment",
    db.metadata,
    Column("kit_id", ForeignKey("kit.id", ondelete="CASCADE"), primary_key=True),
    Column("treatment_id", ForeignKey("treatment.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_kit_treatment_treatment_id", "treatment_id"),
)


class Treatment(db.Model):
    """A clinic treatment and the aftercare protocol seeded from the versioned protocol data."""

    __tablename__ = "treatment"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    position: Mapped[int] = mapped_column(Integer, default=0)
    summary: Mapped[str] = mapped_column(Text, default="")
    # The current protocol (a copy of its newest ProtocolVersion, for the pages that show it).
    protocol: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    protocol_version: Mapped[str | None] = mapped_column(String(40))
    protocol_hash: Mapped[str | None] = mapped_column(String(64))
    reviewed_by_clinician: Mapped[bool] = mapped_column(Boolean, default=False)
    reviewed_on: Mapped[date | None] = mapped_column(Date)

    kits: Mapped[list[Kit]] = relationship(
        secondary=kit_treatments, back_populates="treatments", order_by="Kit.position"
    )

    def __repr__(self) -> str:
        return f"<Treatment {self.slug}>"


class ProtocolVersion(db.Model):
    """One version of a treatment's protocol, kept for good: advice renders against it."""

    __tablename__ = "protocol_version"
    __table_args__ = (
        UniqueConstraint("treatment_id", "version", name="uq_protocol_version_treatment_version"),
        Index("ix_protocol_version_treatment_hash", "treatment_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    treatment_id: Mapped[int] = mapped_column(ForeignKey("treatment.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    def __repr__(self) -> str:
        return f"<ProtocolVersion {self.treatment_id} {self.version}>"


class Product(db.Model):
    """A product on sale, with every attribute the aftercare rules read."""

    __tablename__ = "product"
    __table_args__ = (
        CheckConstraint(sql_in("category", CATEGORIES), name="category_known"),
        CheckConstraint("price_pence >= 0", name="price_not_negative"),
        CheckConstraint("vat_rate_bp >= 0 AND vat_rate_bp <= 10000", name="vat_rate_range"),
        CheckConstraint("spf IS NULL OR (spf >= 1 AND spf <= 100)", name="spf_range"),
        CheckConstraint(
            "uv_filter IS NULL OR " + sql_in("uv_filter", UV_FILTERS), name="uv_filter_known"
        ),
        CheckConstraint("days_per_unit IS NULL OR days_per_unit > 0", name="days_positive"),
        CheckConstraint("low_stock_threshold >= 0", name="threshold_not_negative"),
        Index("ix_product_active_category", "is_active", "category"),
        # Staff lists read products by name, a page at a time.
        Index("ix_product_name", "name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    sku: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    brand: Mapped[str] = mapped_column(String(80))
    category: Mapped[str] = mapped_column(String(30))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    how_to_use: Mapped[str] = mapped_column(Text, default="")
    size_label: Mapped[str] = mapped_column(String(40), default="")
    price_pence: Mapped[int] = mapped_column(Integer)
    # VAT in basis points: 2000 is the UK standard 20%; prices already include it.
    vat_rate_bp: Mapped[int] = mapped_column(Integer, default=2000)
    spf: Mapped[int | None] = mapped_column(Integer)
    uv_filter: Mapped[str | None] = mapped_column(String(20))
    tinted: Mapped[bool] = mapped_column(Boolean, default=False)
    fragrance_free: Mapped[bool] = mapped_column(Boolean, default=True)
    non_comedogenic: Mapped[bool] = mapped_column(Boolean, default=False)
    occlusive: Mapped[bool] = mapped_column(Boolean, default=False)
    alcohol_free: Mapped[bool] = mapped_column(Boolean, default=True)
    pregnancy_safe: Mapped[bool] = mapped_column(Boolean, default=True)
    actives: Mapped[list[str]] = mapped_column(JSON, default=list)
    days_per_unit: Mapped[int | None] = mapped_column(Integer)
    # Sunscreens only: whether independent SPF/UVA test data is on file for this product.
    spf_test_on_file: Mapped[bool] = mapped_column(Boolean, default=False)
    low_stock_threshold: Mapped[int] = mapped_column(Integer, default=5)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    image_filename: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    skin_type_rows: Mapped[list[ProductSkinType]] = relationship(
        back_populates="product", cascade="all, delete-orphan", order_by="ProductSkinType.skin_type"
    )

    @property
    def skin_types(self) -> list[str]:
        """Return the skin types this product suits, in vocabulary order."""
        present = {row.skin_type for row in self.skin_type_rows}
        return [skin_type for skin_type in SKIN_TYPES if skin_type in present]

    @property
    def is_sunscreen(self) -> bool:
        """Tell whether the product is a sunscreen."""
        return self.category == "sunscreen"

    def __repr__(self) -> str:
        return f"<Product {self.slug}>"


class ProductSkinType(db.Model):
    """One skin type a product suits; a table so the catalogue can filter on it with an index."""

    __tablename__ = "product_skin_type"
    __table_args__ = (
        CheckConstraint(sql_in("skin_type", SKIN_TYPES), name="skin_type_known"),
        Index("ix_product_skin_type_skin_type", "skin_type", "product_id"),
    )

    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), primary_key=True
    )
    skin_type: Mapped[str] = mapped_column(String(20), primary_key=True)

    product: Mapped[Product] = relationship(back_populates="skin_type_rows")


class Kit(db.Model):
    """A curated aftercare bundle, priced as a fixed amount or a percentage off its items."""

    __tablename__ = "kit"
    __table_args__ = (
        CheckConstraint(sql_in("price_rule", KIT_PRICE_RULES), name="price_rule_known"),
        CheckConstraint(
            "(price_rule = 'fixed' AND fixed_price_pence IS NOT NULL AND fixed_price_pence >= 0"
            " AND percent_off IS NULL) OR (price_rule = 'percent_off' AND percent_off IS NOT NULL"
            " AND percent_off > 0 AND percent_off < 100 AND fixed_price_pence IS NULL)",
            name="price_rule_consistent",
        ),
        CheckConstraint(
            "fitzpatrick_min >= 1 AND fitzpatrick_max <= 6 AND fitzpatrick_min <= fitzpatrick_max",
            name="fitzpatrick_range",
        ),
        CheckConstraint("cover_days > 0", name="cover_days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    price_rule: Mapped[str] = mapped_column(String(20), default="percent_off")
    fixed_price_pence: Mapped[int | None] = mapped_column(Integer)
    percent_off: Mapped[int | None] = mapped_column(Integer)
    fitzpatrick_min: Mapped[int] = mapped_column(Integer, default=1)
    fitzpatrick_max: Mapped[int] = mapped_column(Integer, default=6)
    # Concerns the kit is made for; an empty list means it suits any.
    concerns: Mapped[list[str]] = mapped_column(JSON, default=list)
    # How many days of aftercare the quantities in the kit cover.
    cover_days: Mapped[int] = mapped_column(Integer, default=14)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    is_featured: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    items: Mapped[list[KitItem]] = relationship(
        back_populates="kit", cascade="all, delete-orphan", order_by="KitItem.position"
    )
    treatments: Mapped[list[Treatment]] = relationship(
        secondary=kit_treatments, back_populates="kits", order_by="Treatment.position"
    )

    def __repr__(self) -> str:
        return f"<Kit {self.slug}>"


class KitItem(db.Model):
    """A product and its quantity in a kit, with what it is there for."""

    __tablename__ = "kit_item"
    __table_args__ = (
        UniqueConstraint("kit_id", "product_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_kit_item_product_id", "product_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_id: Mapped[int] = mapped_column(ForeignKey("kit.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    purpose: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(Integer, default=0)

    kit: Mapped[Kit] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()


class ProductSearch(db.Model):
    """The words a product is found by: its name, brand, category and key attributes.

    One row per product, written with the product (shop/services/product_search.py). The
    database indexes it with its own full-text search: on PostgreSQL a GIN index over the
    weighted tsvector of the four columns, on SQLite the FTS5 table below, which triggers keep
    in step with this table.
    """

    __tablename__ = "product_search"

    product_id: Mapped[int] = mapped_column(
        ForeignKey("product.id", ondelete="CASCADE"), primary_key=True
    )
    name: Mapped[str] = mapped_column(Text, default="")
    brand: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(Text, default="")
    attributes: Mapped[str] = mapped_column(Text, default="")


# The columns in order of weight: a word in the name counts most, one in the attributes least.
SEARCH_COLUMNS = ("name", "brand", "category", "attributes")
SEARCH_WEIGHTS = ("A", "B", "C", "D")


def search_config():
    """Return PostgreSQL's text search configuration of the shop: English, with stemming."""
    return cast(literal("english", literal_execute=True), REGCONFIG)


def product_search_vector(table=None):
    """Return PostgreSQL's weighted tsvector of a product's search row (see search_vector)."""
    table = ProductSearch.__table__ if table is None else table
    # Constants written into the SQL, not sent as parameters: a prepared statement's generic
    # plan can only use the index when its expression has the index's very constants.
    english = search_config()
    vector = None
    for column, weight in zip(SEARCH_COLUMNS, SEARCH_WEIGHTS, strict=True):
        part = func.setweight(
            func.to_tsvector(english, table.c[column]),
            literal(weight, literal_execute=True),
        )
        vector = part if vector is None else vector.op("||")(part)
    return vector


def _search_vector_sql() -> str:
    """Return product_search_vector() as PostgreSQL SQL over the row's own columns."""
    own_columns = SimpleNamespace(c={name: literal_column(name) for name in SEARCH_COLUMNS})
    return str(
        product_search_vector(own_columns).compile(
            dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
        )
    )


# PostgreSQL keeps each row's weighted tsvector in a stored generated column, indexed with GIN:
# ranking the matches reads it, instead of parsing the four columns again for every match
# (35 ms against 5,000 products in bench/scale.py). No model maps it, as SQLite has no such
# type; create_all and the migration run these statements.
POSTGRES_SEARCH_VECTOR = "search_vector"
POSTGRES_SEARCH_INDEX = "ix_product_search_vector"
POSTGRES_SEARCH_DDL = (
    f"ALTER TABLE product_search ADD COLUMN {POSTGRES_SEARCH_VECTOR} tsvector "
    f"GENERATED ALWAYS AS ({_search_vector_sql()}) STORED",
    f"CREATE INDEX {POSTGRES_SEARCH_INDEX} ON product_search USING gin ({POSTGRES_SEARCH_VECTOR})",
)
for _statement in POSTGRES_SEARCH_DDL:
    event.listen(
        ProductSearch.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql")
    )


def stored_search_vector():
    """Return PostgreSQL's stored tsvector column of product_search, for matching and ranking."""
    return literal_column(f"product_search.{POSTGRES_SEARCH_VECTOR}", type_=TSVECTOR)


# SQLite's full-text index of product_search: an FTS5 table reading its text from that table
# (external content), so the words are stored once; porter stemming lets "moisturisers" find
# "moisturiser". FTS5 keeps shadow tables named after it, so the schema check skips every table
# whose name starts with SQLITE_SEARCH_TABLE.
SQLITE_SEARCH_TABLE = "product_search_fts"
_FTS_COLUMNS = ", ".join(SEARCH_COLUMNS)
_NEW = ", ".join(f"new.{column}" for column in SEARCH_COLUMNS)
_OLD = ", ".join(f"old.{column}" for column in SEARCH_COLUMNS)
_FORGET_OLD = (
    f"INSERT INTO {SQLITE_SEARCH_TABLE}({SQLITE_SEARCH_TABLE}, rowid, {_FTS_COLUMNS}) "
    f"VALUES ('delete', old.product_id, {_OLD});"
)
_ADD_NEW = (
    f"INSERT INTO {SQLITE_SEARCH_TABLE}(rowid, {_FTS_COLUMNS}) VALUES (new.product_id, {_NEW});"
)
SQLITE_SEARCH_DDL = (
    f"CREATE VIRTUAL TABLE IF NOT EXISTS {SQLITE_SEARCH_TABLE} USING fts5({_FTS_COLUMNS}, "
    "content='product_search', content_rowid='product_id', "
    "tokenize='porter unicode61 remove_diacritics 2')",
    "CREATE TRIGGER IF NOT EXISTS product_search_added AFTER INSERT ON product_search "
    f"BEGIN {_ADD_NEW} END",
    "CREATE TRIGGER IF NOT EXISTS product_search_removed AFTER DELETE ON product_search "
    f"BEGIN {_FORGET_OLD} END",
    "CREATE TRIGGER IF NOT EXISTS product_search_changed AFTER UPDATE ON product_search "
    f"BEGIN {_FORGET_OLD} {_ADD_NEW} END",
)
SQLITE_SEARCH_DROP = f"DROP TABLE IF EXISTS {SQLITE_SEARCH_TABLE}"


def described_by_models(name: str | None, type_: str, _parents: dict) -> bool:
    """Alembic's include_name: skip what no model maps (SQLite's FTS5 tables, PostgreSQL's
    stored search vector and its index)."""
    if type_ == "table":
        return not (name or "").startswith(SQLITE_SEARCH_TABLE)
    return not (
        (type_ == "column" and name == POSTGRES_SEARCH_VECTOR)
        or (type_ == "index" and name == POSTGRES_SEARCH_INDEX)
    )


# create_all and drop_all (tests, the browser tests' shop) build and remove it with the table;
# the migration runs the same statements.
for _statement in SQLITE_SEARCH_DDL:
    event.listen(
        ProductSearch.__table__, "after_create", DDL(_statement).execute_if(dialect="sqlite")
    )
event.listen(
    ProductSearch.__table__, "before_drop", DDL(SQLITE_SEARCH_DROP).execute_if(dialect="sqlite")
)
