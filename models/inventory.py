"""Inventory: stock lots with expiry dates and the append-only ledger of stock movements."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, sql_in, utcnow
from models.catalogue import Product
from models.vocabulary import STOCK_MOVEMENT_KINDS


class StockLot(db.Model):
    """A delivered lot of one product: what is physically on the shelf and what orders hold."""

    __tablename__ = "stock_lot"
    __table_args__ = (
        UniqueConstraint("product_id", "lot_number"),
        CheckConstraint("quantity_on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint(
            "quantity_reserved >= 0 AND quantity_reserved <= quantity_on_hand",
            name="reserved_within_on_hand",
        ),
        CheckConstraint(
            "unit_cost_pence IS NULL OR unit_cost_pence >= 0", name="cost_not_negative"
        ),
        # Allocation walks a product's lots in expiry order (first expiry, first out); the
        # quantities make it covering, so low stock sums a product's lots from the index.
        Index(
            "ix_stock_lot_sellable",
            "product_id",
            "expiry_date",
            "quantity_on_hand",
            "quantity_reserved",
        ),
        # The dashboard looks for lots expired or expiring soon, across products.
        Index("ix_stock_lot_expiry_date", "expiry_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    lot_number: Mapped[str] = mapped_column(String(60))
    expiry_date: Mapped[date] = mapped_column(Date)
    quantity_on_hand: Mapped[int] = mapped_column(Integer, default=0)
    # Units promised to orders that have not left the shop yet; never more than on hand.
    quantity_reserved: Mapped[int] = mapped_column(Integer, default=0)
    unit_cost_pence: Mapped[int | None] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    product: Mapped[Product] = relationship()

    def is_expired(self, today: date) -> bool:
        """Tell whether the lot may no longer be sold on `today`."""
        return self.expiry_date <= today

    @property
    def quantity_free(self) -> int:
        """Return units on hand that no order holds."""
        return self.quantity_on_hand - self.quantity_reserved

    def __repr__(self) -> str:
        return f"<StockLot {self.lot_number} of product {self.product_id}>"


class StockMovement(db.Model):
    """One physical change to a lot's quantity; the ledger is only ever appended to."""

    __tablename__ = "stock_movement"
    __table_args__ = (
        CheckConstraint(sql_in("kind", STOCK_MOVEMENT_KINDS), name="kind_known"),
        CheckConstraint("quantity <> 0", name="quantity_not_zero"),
        Index("ix_stock_movement_lot_id", "lot_id", "id"),
        Index("ix_stock_movement_product_id", "product_id", "id"),
        Index("ix_stock_movement_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("stock_lot.id", ondelete="RESTRICT"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    kind: Mapped[str] = mapped_column(String(20))
    # Signed: receipts and returns add, sales and write-offs take away.
    quantity: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(String(200), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    order_id: Mapped[int | None] = mapped_column(ForeignKey("order.id", ondelete="SET NULL"))
    receipt_id: Mapped[int | None] = mapped_column(
        ForeignKey("stock_receipt.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    lot: Mapped[StockLot] = relationship()


class StockReceipt(db.Model):
    """One delivery booked in, covering one or more lots."""

    __tablename__ = "stock_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    supplier: Mapped[str] = mapped_column(String(120), default="")
    reference: Mapped[str] = mapped_column(String(80), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
