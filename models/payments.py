"""Payments through a gateway, refunds, and the webhook events already processed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
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
from models.orders import Order
from models.vocabulary import DESK_PAYMENT_METHODS, PAYMENT_STATUSES, REFUND_STATUSES


class Payment(db.Model):
    """One attempt to take payment for an order (a Stripe Checkout Session or the clinic desk)."""

    __tablename__ = "payment"
    __table_args__ = (
        CheckConstraint(sql_in("provider", ("stripe", "clinic")), name="provider_known"),
        CheckConstraint(sql_in("status", PAYMENT_STATUSES), name="status_known"),
        CheckConstraint("amount_pence >= 0", name="amount_not_negative"),
        CheckConstraint(
            "desk_method IS NULL OR " + sql_in("desk_method", DESK_PAYMENT_METHODS),
            name="desk_method_known",
        ),
        UniqueConstraint("provider", "provider_reference"),
        Index("ix_payment_order_id", "order_id"),
        Index("ix_payment_intent", "payment_intent_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    provider: Mapped[str] = mapped_column(String(20))
    # The Checkout Session id for Stripe; empty for payments taken at the desk.
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    payment_intent_id: Mapped[str | None] = mapped_column(String(255))
    checkout_url: Mapped[str | None] = mapped_column(Text)
    # Card at the desk or cash, for a pay-at-clinic payment once taken; None otherwise.
    desk_method: Mapped[str | None] = mapped_column(String(10))
    amount_pence: Mapped[int] = mapped_column(Integer)
    currency: Mapped[str] = mapped_column(String(3), default="GBP")
    status: Mapped[str] = mapped_column(String(30), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    order: Mapped[Order] = relationship()


class Refund(db.Model):
    """Money given back for some or all of an order, with the lines it covers."""

    __tablename__ = "refund"
    __table_args__ = (
        CheckConstraint(sql_in("status", REFUND_STATUSES), name="status_known"),
        CheckConstraint("amount_pence > 0", name="amount_positive"),
        UniqueConstraint("idempotency_key"),
        Index("ix_refund_order_id", "order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("order.id", ondelete="CASCADE"))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payment.id", ondelete="SET NULL"))
    amount_pence: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    provider_reference: Mapped[str | None] = mapped_column(String(255))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    # [{"order_line_id": .., "quantity": .., "restock": bool}]
    lines: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class ProcessedEvent(db.Model):
    """A webhook event already handled; the UNIQUE key makes handling happen once."""

    __tablename__ = "processed_event"
    __table_args__ = (UniqueConstraint("provider", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(20))
    event_id: Mapped[str] = mapped_column(String(255))
    event_type: Mapped[str] = mapped_column(String(120))
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
