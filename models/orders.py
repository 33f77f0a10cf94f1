"""Orders, their lines, the stock each line holds, and the history of every transition."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, sql_in, utcnow
from models.catalogue import Kit, Product
from models.inventory import StockLot
from models.vocabulary import (
    ALLOCATION_STATES,
    FULFILMENT_METHODS,
    ORDER_LINE_KINDS,
    ORDER_STATUSES,
    PAYMENT_METHODS,
)


class Order(db.Model):
    """A customer's order; its status changes only through conditional updates."""

    __tablename__ = "order"
    __table_args__ = (
        CheckConstraint(sql_in("status", ORDER_STATUSES), name="status_known"),
        CheckConstraint(sql_in("fulfilment", FULFILMENT_METHODS), name="fulfilment_known"),
        CheckConstraint(sql_in("payment_method", PAYMENT_METHODS), name="payment_method_known"),
        CheckConstraint(
            "subtotal_pence >= 0 AND delivery_pence >= 0 AND vat_pence >= 0",
            name="amounts_not_negative",
        ),
        CheckConstraint("total_pence = subtotal_pence + delivery_pence", name="total_adds_up"),
        CheckConstraint(
            "refunded_pence >= 0 AND refunded_pence <= total_pence", name="refund_range"
        ),
        Index("ix_order_status_placed_at", "status", "placed_at"),
        Index("ix_order_email", "email"),
        Index("ix_order_user_id", "user_id", "placed_at"),
        Index("ix_order_reserved_until", "status", "reserved_until"),
        Index("ix_order_recommendation_id", "recommendation_id"),
        # The staff order list reads newest first; id breaks ties in the same order.
        Index("ix_order_placed_at", "placed_at", "id"),
        # The dashboard's "to pack" list, oldest payment first. Partial (packed_at IS NULL),
        # as PostgreSQL reads no order from an index past an IS NULL column: it sorted
        # every paid order to find the first ten.
        Index(
            "ix_order_to_pack",
            "status",
            "paid_at",
            "id",
            sqlite_where=text("packed_at IS NULL"),
            postgresql_where=text("packed_at IS NULL"),
        ),
        # The click-and-collect queue, per status, by hold deadline.
        Index("ix_order_collect_queue", "status", "fulfilment", "reserved_until", "id"),
        # Sales reports pick orders by payment time, or placing time when never paid.
        Index("ix_order_paid_at_placed_at", "paid_at", "placed_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unguessable: it is the key of the public confirmation page.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(40), default="")
    fulfilment: Mapped[str] = mapped_column(String(20))
    address_line1: Mapped[str] = mapped_column(String(120), default="")
    address_line2: Mapped[str] = mapped_column(String(120), default="")
    town: Mapped[str] = mapped_column(String(80), default="")
    postcode: Mapped[str] = mapped_column(String(10), default="")
    status: Mapped[str] = mapped_column(String(30), default="pending_payment")
    payment_method: Mapped[str] = mapped_column(String(20))
    subtotal_pence: Mapped[int] = mapped_column(Integer)
    delivery_pence: Mapped[int] = mapped_column(Integer, default=0)
    total_pence: Mapped[int] = mapped_column(Integer)
    vat_pence: Mapped[int] = mapped_column(Integer, default=0)
    refunded_pence: Mapped[int] = mapped_column(Integer, default=0)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    # Until when the stock is held: the card session's expiry, or the collection deadline.
    reserved_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    tracking_reference: Mapped[str] = mapped_column(String(80), default="")
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendation.id", ondelete="SET NULL")
    )
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    # The private plan link the order was bought from (its token carries encrypted health
    # answers), kept only when the buyer asked for it in the confirmation email.
    plan_token: Mapped[str | None] = mapped_column(Text)
    plan_link_consent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    placed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    paid_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    packed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the customer was told a click-and-collect order waits at the clinic (a pay-at-clinic
    # order stays unpaid until then, so this cannot be its status).
    ready_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    shipped_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    lines: Mapped[list[OrderLine]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderLine.id"
    )
    events: Mapped[list[OrderEvent]] = relationship(
        back_populates="order", cascade="all, delete-orphan", order_by="OrderEvent.id"
    )

    def __repr__(self) -> str:
        return f"<Order {self.reference} {self.status}>"


class OrderLine(db.Model):
    """A product or a whole kit on an order, with the price charged frozen at ordering time."""

    __tablename__ = "order_line"
    __table_args__ = (
        CheckConstraint(sql_in("kind", ORDER_LINE_KINDS), name="kind_known"),
        CheckConstraint(
            "(kind = 'product' AND product_id IS NOT NULL AND kit_id IS NULL) OR "
            "(kind = 'kit' AND kit_id IS NOT NULL AND product_id IS NULL)",
            name="kind_matches_target",
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_pence >= 0", name="price_not_negative"),
        CheckConstraint("line_total_pence = unit_price_pence * quantity", name="total_adds_up"),
        CheckConstraint(
            "refunded_quantity >= 0 AND refunded_quantity <= quantity", name="refund_range"
        ),
        Index("ix_order_line_order_id", "order_id"),
        Index("ix_order_line_product_id", "product_id"),
        Index("ix_order_line_kit_id", "kit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("kit.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(160))
    quantity: Mapped[int] = mapped_column(Integer)
    unit_price_pence: Mapped[int] = mapped_column(Integer)
    line_total_pence: Mapped[int] = mapped_column(Integer)
    vat_pence: Mapped[int] = mapped_column(Integer, default=0)
    refunded_quantity: Mapped[int] = mapped_column(Integer, default=0)

    order: Mapped[Order] = relationship(back_populates="lines")
    product: Mapped[Product | None] = relationship()
    kit: Mapped[Kit | None] = relationship()
    allocations: Mapped[list[StockAllocation]] = relationship(
        back_populates="order_line", cascade="all, delete-orphan", order_by="StockAllocation.id"
    )


class StockAllocation(db.Model):
    """Units of one lot held for (then sold to) one order line; kits hold each component."""

    __tablename__ = "stock_allocation"
    __table_args__ = (
        CheckConstraint(sql_in("state", ALLOCATION_STATES), name="state_known"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        # One reservation per order line and lot: a retried allocation cannot double-book.
        UniqueConstraint("order_line_id", "lot_id"),
        Index("ix_stock_allocation_lot_id", "lot_id", "state"),
        Index("ix_stock_allocation_product_id", "product_id", "state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_line.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    lot_id: Mapped[int] = mapped_column(ForeignKey("stock_lot.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(20), default="held")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    order_line: Mapped[OrderLine] = relationship(back_populates="allocations")
    lot: Mapped[StockLot] = relationship()
    product: Mapped[Product] = relationship()


class OrderEvent(db.Model):
    """One step in an order's history: a transition, a payment, a note."""

    __tablename__ = "order_event"
    __table_args__ = (Index("ix_order_event_order_id", "order_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    from_status: Mapped[str | None] = mapped_column(String(30))
    to_status: Mapped[str | None] = mapped_column(String(30))
    note: Mapped[str] = mapped_column(Text, default="")
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    order: Mapped[Order] = relationship(back_populates="events")


class BasketItem(db.Model):
    """A line of a signed-in customer's saved basket (guests keep theirs in the session)."""

    __tablename__ = "basket_item"
    __table_args__ = (
        CheckConstraint(
            "(product_id IS NOT NULL AND kit_id IS NULL) OR "
            "(kit_id IS NOT NULL AND product_id IS NULL)",
            name="one_target",
        ),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        UniqueConstraint("user_id", "item_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # "product:<id>" or "kit:<id>": one row per thing in the basket.
    item_key: Mapped[str] = mapped_column(String(40))
    product_id: Mapped[int | None] = mapped_column(ForeignKey("product.id", ondelete="CASCADE"))
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("kit.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
