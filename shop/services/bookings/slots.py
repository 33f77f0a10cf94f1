"""Consultation slots as a pure function of the rules: weekly hours, days off, settings, now.

No Flask, no database: the rules come in as data and the slots go out as data, so every rule
(hours, breaks, days off, shortest notice, booking horizon, the clock changes) is unit-tested
on its own. Hours are the clinic's wall-clock times; each slot is worked out on the local date
with zoneinfo and kept as a UTC instant, so a 09:00 consultation is 09:00 in the clinic in
summer and winter alike, and a wall-clock time the clocks skip never becomes a slot.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

KEY_FORMAT = "%Y%m%dT%H%MZ"


@dataclass(frozen=True)
class WeeklyHours:
    """One clinician's hours on one weekday (0 = Monday), in minutes after local midnight."""

    clinician_id: int
    weekday: int
    starts_minute: int
    ends_minute: int
    break_starts_minute: int | None = None
    break_ends_minute: int | None = None


@dataclass(frozen=True)
class SlotRules:
    """How long a consultation is, the gap after it, how far ahead and how soon one is booked."""

    consultation_minutes: int
    gap_minutes: int
    horizon_days: int
    notice_minutes: int


@dataclass(frozen=True)
class Slot:
    """A bookable time with one clinician: UTC instants, and the start on the clinic's clock."""

    clinician_id: int
    starts_at: datetime
    ends_at: datetime
    local_start: datetime

    @property
    def key(self) -> str:
        """Return the slot as the booking form sends it: clinician and UTC start."""
        return slot_key(self.clinician_id, self.starts_at)


def slot_key(clinician_id: int, starts_at: datetime) -> str:
    """Return the form value naming one clinician's slot starting at `starts_at` (UTC)."""
    return f"{clinician_id}-{starts_at.astimezone(UTC).strftime(KEY_FORMAT)}"


def parse_slot_key(key: str) -> tuple[int, datetime]:
    """Return (clinician id, UTC start) from a slot's form value; ValueError if malformed."""
    clinician, _, moment = (key or "").strip().partition("-")
    if not clinician.isdigit() or len(clinician) > 9 or len(moment) != 14:
        raise ValueError("not a slot")
    starts_at = datetime.strptime(moment, KEY_FORMAT).replace(tzinfo=UTC)
    return int(clinician), starts_at


def _local(day: date, minute: int, zone: ZoneInfo) -> datetime | None:
    """Return the wall-clock time `minute` on `day` in `zone`, or None if the clocks skip it."""
    moment = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone)
    back = moment.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != moment.replace(tzinfo=None):
        return None
    return moment


def day_slots(hours: WeeklyHours, day: date, rules: SlotRules, zone: ZoneInfo) -> list[Slot]:
    """Return every slot of `hours` on `day` (its weekday must match), ignoring bookings.

    Slots start at the opening time and follow each other every length + gap minutes; one
    that would run into the break starts again when the break ends; the last must end by the
    closing time.
    """
    if day.weekday() != hours.weekday:
        return []
    length = rules.consultation_minutes
    step = length + rules.gap_minutes
    slots = []
    minute = hours.starts_minute
    while minute + length <= hours.ends_minute:
        if (
            hours.break_starts_minute is not None
            and hours.break_ends_minute is not None
            and minute < hours.break_ends_minute
            and minute + length > hours.break_starts_minute
        ):
            minute = hours.break_ends_minute
            continue
        local_start = _local(day, minute, zone)
        if local_start is not None:
            starts_at = local_start.astimezone(UTC)
            slots.append(
                Slot(
                    hours.clinician_id,
                    starts_at,
                    starts_at + timedelta(minutes=length),
                    local_start,
                )
            )
        minute += step
    return slots


def bookable_days(now: datetime, rules: SlotRules, zone: ZoneInfo) -> tuple[date, date]:
    """Return the first and last clinic dates a booking may fall on (today to the horizon)."""
    today = now.astimezone(zone).date()
    return today, today + timedelta(days=rules.horizon_days)


def free_slots(
    hours: Iterable[WeeklyHours],
    days_off: Iterable[tuple[int, date]],
    booked: Iterable[tuple[int, datetime]],
    rules: SlotRules,
    now: datetime,
    zone: ZoneInfo,
    first_day: date | None = None,
    last_day: date | None = None,
) -> list[Slot]:
    """Return the free slots from `first_day` to `last_day` (clinic dates), earliest first.

    A slot is free when it lies in its clinician's hours, not on a day off, not already
    booked (`booked` holds (clinician id, UTC start)), starts at least the shortest notice
    after `now` and falls within the booking horizon.
    """
    earliest_day, horizon_day = bookable_days(now, rules, zone)
    start_day = max(first_day or earliest_day, earliest_day)
    end_day = min(last_day or horizon_day, horizon_day)
    by_weekday: dict[int, list[WeeklyHours]] = {}
    for row in hours:
        by_weekday.setdefault(row.weekday, []).append(row)
    off = set(days_off)
    taken = {(clinician, moment.astimezone(UTC)) for clinician, moment in booked}
    soonest = now.astimezone(UTC) + timedelta(minutes=rules.notice_minutes)
    found = []
    day = start_day
    while day <= end_day:
        for row in by_weekday.get(day.weekday(), ()):
            if (row.clinician_id, day) in off:
                continue
            for slot in day_slots(row, day, rules, zone):
                if slot.starts_at >= soonest and (slot.clinician_id, slot.starts_at) not in taken:
                    found.append(slot)
        day += timedelta(days=1)
    found.sort(key=lambda slot: (slot.starts_at, slot.clinician_id))
    return found


def within_hours(
    hours: WeeklyHours | None,
    days_off: Iterable[tuple[int, date]],
    clinician_id: int,
    starts_at: datetime,
    ends_at: datetime,
    zone: ZoneInfo,
) -> bool:
    """Tell whether a booked time still lies inside the clinician's hours for its weekday,
    outside the break and not on a day off (`hours` is that weekday's row, or None)."""
    local_start = starts_at.astimezone(zone)
    day = local_start.date()
    if hours is None or hours.clinician_id != clinician_id or hours.weekday != day.weekday():
        return False
    if (clinician_id, day) in set(days_off):
        return False
    start = local_start.hour * 60 + local_start.minute
    end = start + int((ends_at - starts_at).total_seconds() // 60)
    if start < hours.starts_minute or end > hours.ends_minute:
        return False
    has_break = hours.break_starts_minute is not None and hours.break_ends_minute is not None
    return not (has_break and start < hours.break_ends_minute and end > hours.break_starts_minute)
