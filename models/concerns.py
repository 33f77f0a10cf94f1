"""Concerns patients report during their recovery, and how the clinic followed them up."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, sql_in, utcnow
from models.catalogue import Treatment
from models.vocabulary import CONCERN_SOURCES, CONCERN_STATUSES


class PatientConcern(db.Model):
    """Something a patient is worried about after a treatment: health data, kept with consent."""

    __tablename__ = "patient_concern"
    __table_args__ = (
        CheckConstraint(sql_in("status", CONCERN_STATUSES), name="status_known"),
        CheckConstraint(sql_in("source", CONCERN_SOURCES), name="source_known"),
        # The clinic's queue: open ones, urgent first, then oldest first.
        Index("ix_patient_concern_queue", "status", "urgent", "created_at"),
        Index("ix_patient_concern_user_id", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source: Mapped[str] = mapped_column(String(20))
    # Set for a saved plan's concern: export and erasure find it by the account.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    saved_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_plan.id", ondelete="SET NULL")
    )
    recommendation_id: Mapped[int | None] = mapped_column(
        ForeignKey("recommendation.id", ondelete="SET NULL")
    )
    treatment_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment.id", ondelete="SET NULL")
    )
    treated_on: Mapped[date | None] = mapped_column(Date)
    # Symptom codes from the vocabulary's concern checklist; `urgent` is derived from them.
    symptoms: Mapped[list[str]] = mapped_column(JSON, default=list)
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    started_on: Mapped[date] = mapped_column(Date)
    details: Mapped[str] = mapped_column(Text, default="")
    # A random name under CONCERN_PHOTO_FOLDER, outside static/: only clinicians see it.
    photo_filename: Mapped[str | None] = mapped_column(String(80))
    name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str] = mapped_column(String(40), default="")
    health_consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(20), default="new")
    clinic_note: Mapped[str] = mapped_column(Text, default="")
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    treatment: Mapped[Treatment | None] = relationship()
