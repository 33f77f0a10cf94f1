"""Reminder emails for the days a patient's aftercare routine changes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
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

# pending: waiting for the link sent to the address; confirmed: reminders go out;
# unsubscribed and finished: nothing more is sent and the address and schedule are gone.
REMINDER_STATUSES = ("pending", "confirmed", "unsubscribed", "finished")


class ReminderSubscription(db.Model):
    """One address asking to be reminded of one plan's key days, with its consent."""

    __tablename__ = "reminder_subscription"
    __table_args__ = (
        CheckConstraint(sql_in("status", REMINDER_STATUSES), name="status_known"),
        # While reminders may still go out, the address and the link back to the plan are kept.
        CheckConstraint(
            "status NOT IN ('pending', 'confirmed') "
            "OR (email IS NOT NULL AND plan_path IS NOT NULL)",
            name="live_has_address",
        ),
        Index("ix_reminder_subscription_status", "status"),
        Index("ix_reminder_subscription_saved_plan_id", "saved_plan_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    # Lower-cased, so data export and erasure find it by the account's address.
    email: Mapped[str | None] = mapped_column(String(254))
    # Path of the plan on this shop (the private plan link or a saved plan), for the emails.
    plan_path: Mapped[str | None] = mapped_column(Text)
    # The saved plan reminded of, if it is one: deleting the plan ends its reminders.
    saved_plan_id: Mapped[int | None] = mapped_column(
        ForeignKey("saved_plan.id", ondelete="CASCADE")
    )
    confirm_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    consent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    milestones: Mapped[list[ReminderMilestone]] = relationship(
        back_populates="subscription",
        cascade="all, delete-orphan",
        order_by="ReminderMilestone.day",
    )


class ReminderMilestone(db.Model):
    """One day of the frozen schedule: what starts and stops that day, as the plan said then."""

    __tablename__ = "reminder_milestone"
    __table_args__ = (
        UniqueConstraint("subscription_id", "day"),
        Index("ix_reminder_milestone_falls_on", "falls_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_subscription.id", ondelete="CASCADE")
    )
    day: Mapped[int] = mapped_column(Integer)
    falls_on: Mapped[date] = mapped_column(Date)
    # start_using, stop_using, start_avoiding, fine_again (lists of text) and plan_over.
    details: Mapped[dict[str, Any]] = mapped_column(JSON)

    subscription: Mapped[ReminderSubscription] = relationship(back_populates="milestones")


class ReminderSent(db.Model):
    """A reminder queued for one day of one subscription: at most one, by the unique key.

    Inserted in the same transaction as the outbox email, so two overlapping runs of the
    sender cannot both queue it. It holds the hash of that email's unsubscribe link.
    """

    __tablename__ = "reminder_sent"
    __table_args__ = (UniqueConstraint("subscription_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(
        ForeignKey("reminder_subscription.id", ondelete="CASCADE")
    )
    day: Mapped[int] = mapped_column(Integer)
    unsubscribe_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    queued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
