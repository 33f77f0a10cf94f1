"""The clinic: consultation requests and clinicians' personal recommendations."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, sql_in, utcnow
from models.catalogue import Kit, Product, Treatment
from models.vocabulary import CONSULTATION_STATUSES, RECOMMENDATION_STATUSES


class ConsultationRequest(db.Model):
    """Someone asking for a free consultation, and how the clinic followed it up."""

    __tablename__ = "consultation_request"
    __table_args__ = (
        CheckConstraint(sql_in("status", CONSULTATION_STATUSES), name="status_known"),
        Index("ix_consultation_request_status", "status", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    treatment_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment.id", ondelete="SET NULL")
    )
    preferred_times: Mapped[str] = mapped_column(Text, default="")
    question: Mapped[str] = mapped_column(Text, default="")
    contact_consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="open")
    staff_note: Mapped[str] = mapped_column(Text, default="")
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    treatment: Mapped[Treatment | None] = relationship()


class Recommendation(db.Model):
    """A clinician's personal aftercare recommendation, opened by the patient through a link."""

    __tablename__ = "recommendation"
    __table_args__ = (
        CheckConstraint(sql_in("status", RECOMMENDATION_STATUSES), name="status_known"),
        CheckConstraint("fitzpatrick >= 1 AND fitzpatrick <= 6", name="fitzpatrick_range"),
        Index("ix_recommendation_clinician", "clinician_id", "created_at"),
        Index("ix_recommendation_treatment", "treatment_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Only a hash of the link's token is stored, so a database leak exposes no working link.
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    clinician_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    consultation_id: Mapped[int | None] = mapped_column(
        ForeignKey("consultation_request.id", ondelete="SET NULL")
    )
    patient_name: Mapped[str] = mapped_column(String(120))
    patient_email: Mapped[str] = mapped_column(String(254))
    treatment_id: Mapped[int] = mapped_column(ForeignKey("treatment.id", ondelete="RESTRICT"))
    treated_on: Mapped[date] = mapped_column(Date)
    fitzpatrick: Mapped[int] = mapped_column(Integer)
    concerns: Mapped[list[str]] = mapped_column(JSON, default=list)
    screening: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    notes: Mapped[str] = mapped_column(Text, default="")
    suitable: Mapped[bool] = mapped_column(Boolean, default=True)
    # The protocol the advice was made with; it renders against that version, not the newest.
    protocol_version: Mapped[str | None] = mapped_column(String(40))
    protocol_hash: Mapped[str | None] = mapped_column(String(64))
    # Set when the lines are exactly a curated kit, so the kit price applies.
    kit_id: Mapped[int | None] = mapped_column(ForeignKey("kit.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="draft")
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    opened_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Purchases are the orders pointing here (Order.recommendation_id), never stored twice.
    acknowledged_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    treatment: Mapped[Treatment] = relationship()
    kit: Mapped[Kit | None] = relationship()
    items: Mapped[list[RecommendationItem]] = relationship(
        back_populates="recommendation",
        cascade="all, delete-orphan",
        order_by="RecommendationItem.position",
    )


class RecommendationItem(db.Model):
    """A product the clinician recommends, how many, why, and on which days to use it."""

    __tablename__ = "recommendation_item"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("use_until_day >= use_from_day", name="window_ordered"),
        Index("ix_recommendation_item_recommendation_id", "recommendation_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recommendation_id: Mapped[int] = mapped_column(
        ForeignKey("recommendation.id", ondelete="CASCADE")
    )
    product_id: Mapped[int] = mapped_column(ForeignKey("product.id", ondelete="RESTRICT"))
    quantity: Mapped[int] = mapped_column(Integer, default=1)
    reason: Mapped[str] = mapped_column(Text, default="")
    need_id: Mapped[str] = mapped_column(String(60), default="")
    use_from_day: Mapped[int] = mapped_column(Integer, default=0)
    use_until_day: Mapped[int] = mapped_column(Integer, default=0)
    optional: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(Integer, default=0)

    recommendation: Mapped[Recommendation] = relationship(back_populates="items")
    product: Mapped[Product] = relationship()
