"""Emails written in the same transaction as the change that causes them, sent later."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, DateTime, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import db, sql_in, utcnow
from models.vocabulary import EMAIL_STATUSES


class OutboxEmail(db.Model):
    """One email waiting to be sent, sent, or given up on after many tries."""

    __tablename__ = "outbox_email"
    __table_args__ = (
        CheckConstraint(sql_in("status", EMAIL_STATUSES), name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        Index("ix_outbox_email_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    # Extra message headers by name (List-Unsubscribe on reminders); most emails have none.
    headers: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    # What the email is about, for tests and support ("order_confirmation", ...).
    kind: Mapped[str] = mapped_column(String(60), default="")
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
