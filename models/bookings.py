"""Booked consultations: clinicians' weekly hours and days off, the clinic's booking settings,
and the bookings themselves (one clinician's slot is booked once, by a unique index)."""

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
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import db, sql_in, utcnow
from models.clinic import ConsultationRequest
from models.people import User

# booked: the slot is held; attended / no_show: the clinic marked it afterwards;
# cancelled: the slot is free again.
BOOKING_STATUSES = ("booked", "attended", "no_show", "cancelled")
# The statuses that hold a slot: the unique index covers exactly these.
HOLDING_STATUSES = ("booked", "attended", "no_show")


class ClinicianHours(db.Model):
    """A clinician's hours on one weekday (0 = Monday), in minutes after local midnight,
    with at most one break inside them."""

    __tablename__ = "clinician_hours"
    __table_args__ = (
        UniqueConstraint("clinician_id", "weekday"),
        CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday_range"),
        CheckConstraint(
            "starts_minute >= 0 AND ends_minute <= 1440 AND starts_minute < ends_minute",
            name="hours_ordered",
        ),
        CheckConstraint(
            "(break_starts_minute IS NULL AND break_ends_minute IS NULL) OR "
            "(break_starts_minute >= starts_minute AND break_ends_minute <= ends_minute "
            "AND break_starts_minute < break_ends_minute)",
            name="break_inside_hours",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    starts_minute: Mapped[int] = mapped_column(Integer)
    ends_minute: Mapped[int] = mapped_column(Integer)
    break_starts_minute: Mapped[int | None] = mapped_column(Integer)
    break_ends_minute: Mapped[int | None] = mapped_column(Integer)


class ClinicianDayOff(db.Model):
    """A day (the clinic's date) a clinician takes no bookings."""

    __tablename__ = "clinician_day_off"
    __table_args__ = (UniqueConstraint("clinician_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    clinician_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    day: Mapped[date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(String(120), default="")


class BookingSettings(db.Model):
    """The clinic's booking settings, changed by admins; one row, absent until first saved
    (the shop's configured defaults apply until then)."""

    __tablename__ = "booking_settings"
    __table_args__ = (
        CheckConstraint("id = 1", name="single_row"),
        CheckConstraint("consultation_minutes > 0", name="length_positive"),
        CheckConstraint("gap_minutes >= 0", name="gap_not_negative"),
        CheckConstraint("horizon_days > 0", name="horizon_positive"),
        CheckConstraint("notice_minutes >= 0", name="notice_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=1)
    consultation_minutes: Mapped[int] = mapped_column(Integer)
    gap_minutes: Mapped[int] = mapped_column(Integer)
    horizon_days: Mapped[int] = mapped_column(Integer)
    notice_minutes: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Booking(db.Model):
    """A consultation booked in a clinician's slot.

    The person's name, contact details and question live in the consultation request it
    belongs to (so the clinic's follow-up, a recommendation made from it, data export and
    erasure all find them there); the booking holds the time, the clinician and its state.
    """

    __tablename__ = "booking"
    __table_args__ = (
        CheckConstraint(sql_in("status", BOOKING_STATUSES), name="status_known"),
        CheckConstraint("starts_at < ends_at", name="times_ordered"),
        # One clinician's slot is booked once: a second insert (or move) into it fails here,
        # whatever the application checked before.
        Index(
            "uq_booking_clinician_slot",
            "clinician_id",
            "starts_at",
            unique=True,
            sqlite_where=text("status != 'cancelled'"),
            postgresql_where=text("status != 'cancelled'"),
        ),
        Index("ix_booking_starts_at", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultation_request.id", ondelete="CASCADE"), unique=True
    )
    clinician_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"))
    starts_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ends_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    status: Mapped[str] = mapped_column(String(20), default="booked")
    # Only a hash of the manage link's token is kept; erasure clears it.
    manage_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    # The reminder email carries a link of its own (the first token exists only in the
    # confirmation email); either opens the booking.
    reminder_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    reminder_queued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )

    consultation: Mapped[ConsultationRequest] = relationship()
    clinician: Mapped[User] = relationship()
