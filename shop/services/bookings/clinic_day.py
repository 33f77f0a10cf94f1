"""The clinic's side of bookings: today's and upcoming per clinician, attendance, the report."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import Booking, ConsultationRequest, Order, Recommendation, User, db
from shop import clock
from shop.services import audit
from shop.services.bookings import schedule
from shop.services.recommendations.reporting import NOT_PURCHASED_STATUSES
from shop.services.unit_of_work import unit_of_work

ATTENDANCE_STATUSES = ("attended", "no_show")


class AttendanceError(ValueError):
    """An attendance mark that cannot be saved; the message is for the clinician."""


@dataclass
class ClinicianDay:
    """One clinician's bookings in the listed days, soonest first."""

    clinician_id: int
    name: str
    bookings: list[Booking] = field(default_factory=list)


@dataclass(frozen=True)
class ClinicBookings:
    """Bookings from today to a few days ahead, per clinician, with recommendations made."""

    today: date
    last_day: date
    by_clinician: list[ClinicianDay]
    # Recommendation ids by consultation request id: "Open the recommendation" links.
    recommendations: dict[int, int]
    stranded_ids: frozenset[int]


def clinic_bookings(today: date, days: int = 7, now: datetime | None = None) -> ClinicBookings:
    """Return the bookings (not cancelled) from today for `days` days, grouped by clinician.

    A fixed number of queries whatever the count: bookings with their requests, treatments
    and clinicians, the recommendations made from them, and the availability check.
    """
    last_day = today + timedelta(days=days - 1)
    bookings = list(
        db.session.execute(
            select(Booking)
            .where(
                Booking.status != "cancelled",
                Booking.starts_at >= clock.day_starts(today),
                Booking.starts_at < clock.day_starts(last_day + timedelta(days=1)),
            )
            .options(
                selectinload(Booking.consultation).selectinload(ConsultationRequest.treatment),
                selectinload(Booking.clinician),
            )
            .order_by(Booking.starts_at, Booking.clinician_id)
        ).scalars()
    )
    groups: dict[int, ClinicianDay] = {}
    for booking in bookings:
        group = groups.get(booking.clinician_id)
        if group is None:
            group = groups[booking.clinician_id] = ClinicianDay(
                booking.clinician_id, schedule.display_name(booking.clinician)
            )
        group.bookings.append(booking)
    made = {}
    if bookings:
        made = dict(
            db.session.execute(
                select(Recommendation.consultation_id, func.max(Recommendation.id))
                .where(Recommendation.consultation_id.in_([b.consultation_id for b in bookings]))
                .group_by(Recommendation.consultation_id)
            ).all()
        )
    stranded = frozenset(b.id for b in schedule.stranded_bookings(now=now))
    return ClinicBookings(
        today=today,
        last_day=last_day,
        by_clinician=sorted(groups.values(), key=lambda g: g.name.lower()),
        recommendations=made,
        stranded_ids=stranded,
    )


def mark_attendance(
    booking_id: int, status: str, user_id: int, is_admin: bool, now: datetime | None = None
) -> Booking:
    """Mark a booking attended or no-show (its clinician, or an admin); commits.

    LookupError when there is no such booking for this clinician.
    """
    if status not in ATTENDANCE_STATUSES:
        raise AttendanceError("Choose attended or did not attend.")
    booking = db.session.get(Booking, booking_id)
    if booking is None or (not is_admin and booking.clinician_id != user_id):
        raise LookupError(booking_id)
    if booking.status == "cancelled":
        raise AttendanceError("That consultation was cancelled.")
    moment = now or clock.utc_now()
    if clock.aware_utc(booking.starts_at) > moment:
        raise AttendanceError("A consultation can be marked once its time has come.")
    before = booking.status
    with unit_of_work():
        booking.status = status
        booking.updated_at = moment
        audit.record(
            user_id,
            "booking.attendance",
            "booking",
            booking.id,
            {"status": before},
            {"status": status},
        )
    return booking


@dataclass(frozen=True)
class BookingReportRow:
    """One clinician's bookings in a range and how far they went."""

    label: str
    bookings: int
    attended: int
    recommended: int
    bought: int


def booking_report(
    date_from: date, date_to: date, user_id: int, is_admin: bool
) -> list[BookingReportRow]:
    """Count bookings (not cancelled) in the range per clinician: attended, recommended (a
    recommendation was made from the booking), bought (an order through that recommendation
    that was not cancelled, expired or refunded). One grouped query; a clinician sees their
    own row, an admin everyone's."""
    recommended = (
        select(Recommendation.consultation_id.label("consultation_id"))
        .where(Recommendation.consultation_id.is_not(None))
        .distinct()
        .subquery()
    )
    bought = (
        select(Recommendation.consultation_id.label("consultation_id"))
        .join(Order, Order.recommendation_id == Recommendation.id)
        .where(
            Recommendation.consultation_id.is_not(None),
            Order.status.not_in(NOT_PURCHASED_STATUSES),
        )
        .distinct()
        .subquery()
    )
    conditions = [
        Booking.status != "cancelled",
        Booking.starts_at >= clock.day_starts(date_from),
        Booking.starts_at < clock.day_starts(date_to + timedelta(days=1)),
    ]
    if not is_admin:
        conditions.append(Booking.clinician_id == user_id)
    rows = db.session.execute(
        select(
            User.name,
            User.email,
            func.count(Booking.id),
            func.count(Booking.id).filter(Booking.status == "attended"),
            func.count(recommended.c.consultation_id),
            func.count(bought.c.consultation_id),
        )
        .select_from(Booking)
        .join(User, User.id == Booking.clinician_id)
        .outerjoin(recommended, recommended.c.consultation_id == Booking.consultation_id)
        .outerjoin(bought, bought.c.consultation_id == Booking.consultation_id)
        .where(*conditions)
        .group_by(Booking.clinician_id, User.name, User.email)
        .order_by(User.name)
    ).all()
    return [BookingReportRow(name or email, *counts) for name, email, *counts in rows]
