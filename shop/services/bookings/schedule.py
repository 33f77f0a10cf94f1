"""Clinicians' availability and the clinic's booking settings, as the slot rules read them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Booking, BookingSettings, ClinicianDayOff, ClinicianHours, User, db
from shop import clock
from shop.services import audit
from shop.services.bookings.slots import SlotRules, WeeklyHours, within_hours
from shop.services.unit_of_work import unit_of_work

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CLINIC_ROLES = ("clinician", "admin")
# Limits on the settings an admin may save, so no setting makes the slot list absurd.
SETTING_LIMITS = {
    "consultation_minutes": (5, 240),
    "gap_minutes": (0, 120),
    "horizon_days": (1, 365),
    "notice_minutes": (0, 7 * 24 * 60),
}


class ScheduleError(ValueError):
    """Hours, a day off or a setting that cannot be saved; the message is for the person."""


@dataclass(frozen=True)
class DayHours:
    """What the schedule form says for one weekday: closed (None) or open with a break."""

    starts_minute: int
    ends_minute: int
    break_starts_minute: int | None = None
    break_ends_minute: int | None = None


def default_rules() -> SlotRules:
    """Return the booking settings configured for the shop (shop/config.py)."""
    config = current_app.config
    return SlotRules(
        consultation_minutes=config["BOOKING_CONSULTATION_MINUTES"],
        gap_minutes=config["BOOKING_GAP_MINUTES"],
        horizon_days=config["BOOKING_HORIZON_DAYS"],
        notice_minutes=config["BOOKING_NOTICE_MINUTES"],
    )


def current_rules() -> SlotRules:
    """Return the clinic's saved booking settings, or the configured defaults."""
    row = db.session.get(BookingSettings, 1)
    if row is None:
        return default_rules()
    return SlotRules(
        consultation_minutes=row.consultation_minutes,
        gap_minutes=row.gap_minutes,
        horizon_days=row.horizon_days,
        notice_minutes=row.notice_minutes,
    )


def save_rules(rules: SlotRules, user_id: int) -> SlotRules:
    """Save the clinic's booking settings (admins); commits."""
    for name, (low, high) in SETTING_LIMITS.items():
        value = getattr(rules, name)
        if not low <= value <= high:
            raise ScheduleError(f"{name.replace('_', ' ').capitalize()} must be {low} to {high}.")
    before = current_rules()
    with unit_of_work():
        row = db.session.get(BookingSettings, 1)
        if row is None:
            row = BookingSettings(id=1)
            db.session.add(row)
        for name in SETTING_LIMITS:
            setattr(row, name, getattr(rules, name))
        audit.record(
            user_id,
            "booking.settings",
            "booking_settings",
            1,
            before=before.__dict__,
            after=rules.__dict__,
        )
    return rules


def clinicians() -> list[User]:
    """Return the active accounts that can see patients (clinicians and admins), by name."""
    return list(
        db.session.execute(
            select(User)
            .where(User.role.in_(CLINIC_ROLES), User.active.is_(True))
            .order_by(User.name, User.email)
        ).scalars()
    )


def get_clinician(user_id: int) -> User | None:
    """Return an active clinician or admin by id, or None."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or user.role not in CLINIC_ROLES:
        return None
    return user


def display_name(user: User) -> str:
    """Return how a clinician is named to patients."""
    return user.name or user.email


def bookable_clinicians() -> list[tuple[int, str]]:
    """Return (id, name) of every active clinician with weekly hours set, by name."""
    rows = db.session.execute(
        select(User.id, User.name, User.email)
        .where(
            User.role.in_(CLINIC_ROLES),
            User.active.is_(True),
            User.id.in_(select(ClinicianHours.clinician_id)),
        )
        .order_by(User.name, User.email)
    ).all()
    return [(user_id, name or email) for user_id, name, email in rows]


def booking_open() -> bool:
    """Tell whether patients can pick a time: some active clinician has hours set."""
    return bool(bookable_clinicians())


def weekly_hours(clinician_ids: list[int] | None = None) -> list[WeeklyHours]:
    """Return the weekly hours of the given clinicians (all active ones when None) as data."""
    query = (
        select(ClinicianHours)
        .join(User, User.id == ClinicianHours.clinician_id)
        .where(User.active.is_(True), User.role.in_(CLINIC_ROLES))
    )
    if clinician_ids is not None:
        query = query.where(ClinicianHours.clinician_id.in_(clinician_ids))
    return [
        WeeklyHours(
            row.clinician_id,
            row.weekday,
            row.starts_minute,
            row.ends_minute,
            row.break_starts_minute,
            row.break_ends_minute,
        )
        for row in db.session.execute(query).scalars()
    ]


def days_off_between(first: date, last: date) -> set[tuple[int, date]]:
    """Return (clinician id, day) of every day off from `first` to `last`."""
    rows = db.session.execute(
        select(ClinicianDayOff.clinician_id, ClinicianDayOff.day).where(
            ClinicianDayOff.day >= first, ClinicianDayOff.day <= last
        )
    ).all()
    return {(clinician_id, day) for clinician_id, day in rows}


def hours_by_weekday(clinician_id: int) -> dict[int, ClinicianHours]:
    """Return a clinician's hours rows keyed by weekday."""
    return {
        row.weekday: row
        for row in db.session.execute(
            select(ClinicianHours).where(ClinicianHours.clinician_id == clinician_id)
        ).scalars()
    }


def upcoming_days_off(clinician_id: int, today: date) -> list[ClinicianDayOff]:
    """Return a clinician's days off from today on, earliest first."""
    return list(
        db.session.execute(
            select(ClinicianDayOff)
            .where(ClinicianDayOff.clinician_id == clinician_id, ClinicianDayOff.day >= today)
            .order_by(ClinicianDayOff.day)
        ).scalars()
    )


def _check_day(weekday: int, hours: DayHours) -> None:
    name = WEEKDAYS[weekday]
    if not 0 <= hours.starts_minute < hours.ends_minute <= 24 * 60:
        raise ScheduleError(f"{name}: the start must be before the end.")
    breaks = (hours.break_starts_minute, hours.break_ends_minute)
    if (breaks[0] is None) != (breaks[1] is None):
        raise ScheduleError(f"{name}: give both the start and the end of the break, or neither.")
    if breaks[0] is not None and not (
        hours.starts_minute <= breaks[0] < breaks[1] <= hours.ends_minute
    ):
        raise ScheduleError(f"{name}: the break must start before it ends, within the hours.")


def save_week(clinician_id: int, week: dict[int, DayHours | None], user_id: int) -> int:
    """Replace a clinician's weekly hours (a weekday missing or None is closed); commits.

    Returns how many of their future bookings now lie outside their hours: those are listed
    for the clinic to move, never cancelled behind the patient's back.
    """
    if get_clinician(clinician_id) is None:
        raise LookupError(clinician_id)
    for weekday, hours in week.items():
        if not 0 <= weekday <= 6:
            raise ScheduleError("Unknown weekday.")
        if hours is not None:
            _check_day(weekday, hours)
    with unit_of_work():
        existing = hours_by_weekday(clinician_id)
        for weekday in range(7):
            hours = week.get(weekday)
            row = existing.get(weekday)
            if hours is None:
                if row is not None:
                    db.session.delete(row)
                continue
            if row is None:
                row = ClinicianHours(clinician_id=clinician_id, weekday=weekday)
                db.session.add(row)
            row.starts_minute = hours.starts_minute
            row.ends_minute = hours.ends_minute
            row.break_starts_minute = hours.break_starts_minute
            row.break_ends_minute = hours.break_ends_minute
        audit.record(user_id, "booking.hours", "user", clinician_id)
    return len(stranded_bookings(clinician_id))


def add_day_off(clinician_id: int, day: date, note: str, user_id: int, today: date) -> int:
    """Add a day off for a clinician; commits. Returns how many bookings it strands."""
    if get_clinician(clinician_id) is None:
        raise LookupError(clinician_id)
    if day < today:
        raise ScheduleError("A day off must be today or later.")
    exists = db.session.execute(
        select(ClinicianDayOff.id).where(
            ClinicianDayOff.clinician_id == clinician_id, ClinicianDayOff.day == day
        )
    ).first()
    if exists:
        raise ScheduleError("That day is already a day off.")
    with unit_of_work():
        db.session.add(ClinicianDayOff(clinician_id=clinician_id, day=day, note=note.strip()))
        audit.record(
            user_id, "booking.day_off", "user", clinician_id, after={"day": day.isoformat()}
        )
    return len(stranded_bookings(clinician_id))


def remove_day_off(clinician_id: int, day_off_id: int, user_id: int) -> None:
    """Take a day off away again; commits. LookupError if it is not that clinician's."""
    row = db.session.get(ClinicianDayOff, day_off_id)
    if row is None or row.clinician_id != clinician_id:
        raise LookupError(day_off_id)
    with unit_of_work():
        audit.record(
            user_id,
            "booking.day_off_removed",
            "user",
            clinician_id,
            before={"day": row.day.isoformat()},
        )
        db.session.delete(row)


def stranded_bookings(
    clinician_id: int | None = None, now: datetime | None = None
) -> list[Booking]:
    """Return the future bookings that no longer lie in their clinician's hours, soonest first.

    Three queries whatever the count: the bookings, the hours and the days off.
    """
    moment = now or clock.utc_now()
    query = (
        select(Booking)
        .where(Booking.status == "booked", Booking.starts_at >= moment)
        .options(selectinload(Booking.consultation), selectinload(Booking.clinician))
        .order_by(Booking.starts_at)
    )
    if clinician_id is not None:
        query = query.where(Booking.clinician_id == clinician_id)
    bookings = list(db.session.execute(query).scalars())
    if not bookings:
        return []
    ids = sorted({b.clinician_id for b in bookings})
    hours = {(row.clinician_id, row.weekday): row for row in weekly_hours(ids)}
    zone = clock.zone()
    local_days = [clock.local(b.starts_at).date() for b in bookings]
    off = days_off_between(min(local_days), max(local_days))
    stranded = []
    for booking, day in zip(bookings, local_days, strict=True):
        row = hours.get((booking.clinician_id, day.weekday()))
        starts_at, ends_at = clock.aware_utc(booking.starts_at), clock.aware_utc(booking.ends_at)
        if not within_hours(row, off, booking.clinician_id, starts_at, ends_at, zone):
            stranded.append(booking)
    return stranded
