"""Catalogue: treatments, products with their aftercare attributes, and kits."""

from __future__ import annotations

from datetime import date, datetime
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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

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
