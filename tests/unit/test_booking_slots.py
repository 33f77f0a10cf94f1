"""Consultation slots from the rules: hours and breaks, clock changes, days off, notice, horizon."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from shop.services.bookings.slots import (
    SlotRules,
    WeeklyHours,
    day_slots,
    free_slots,
    parse_slot_key,
    slot_key,
    within_hours,
)

LONDON = ZoneInfo("Europe/London")
RULES = SlotRules(consultation_minutes=20, gap_minutes=10, horizon_days=56, notice_minutes=120)
MORNING = 9 * 60, 12 * 60


def hours(weekday: int, starts=MORNING[0], ends=MORNING[1], break_at=None, clinician=1):
    """Return weekly hours, 09:00 to 12:00 unless told otherwise."""
    return WeeklyHours(clinician, weekday, starts, ends, *(break_at or (None, None)))


def local_times(slots) -> list[str]:
    return [slot.local_start.strftime("%H:%M") for slot in slots]


def test_slots_follow_each_other_by_length_and_gap_and_end_by_closing():
    day = date(2026, 12, 7)  # a Monday
    assert local_times(day_slots(hours(0), day, RULES, LONDON)) == [
        "09:00",
        "09:30",
        "10:00",
        "10:30",
        "11:00",
        "11:30",
    ]


def test_a_slot_that_would_run_into_the_break_starts_when_it_ends():
    day = date(2026, 12, 7)
    slots = day_slots(hours(0, break_at=(10 * 60 + 15, 10 * 60 + 45)), day, RULES, LONDON)
    assert local_times(slots) == ["09:00", "09:30", "10:45", "11:15"]


def test_a_weekday_without_hours_has_no_slots():
    assert day_slots(hours(1), date(2026, 12, 7), RULES, LONDON) == []


@pytest.mark.parametrize(
    ("saturday", "sunday", "saturday_utc", "sunday_utc"),
    [
        # Clocks go forward at 01:00 on Sunday 29 March 2026: 09:00 is 09:00Z, then 08:00Z.
        (date(2026, 3, 28), date(2026, 3, 29), 9, 8),
        # Clocks go back at 02:00 on Sunday 25 October 2026: 09:00 is 08:00Z, then 09:00Z.
        (date(2026, 10, 24), date(2026, 10, 25), 8, 9),
    ],
)
def test_nine_oclock_is_nine_in_the_clinic_either_side_of_a_clock_change(
    saturday, sunday, saturday_utc, sunday_utc
):
    rules = [hours(5), hours(6)]
    now = datetime.combine(saturday - timedelta(days=7), datetime.min.time(), tzinfo=UTC)
    slots = free_slots(rules, (), (), RULES, now, LONDON, saturday, sunday)
    firsts = {}
    for slot in slots:
        firsts.setdefault(slot.local_start.date(), slot)
    assert firsts[saturday].local_start.strftime("%H:%M") == "09:00"
    assert firsts[sunday].local_start.strftime("%H:%M") == "09:00"
    assert firsts[saturday].starts_at.hour == saturday_utc
    assert firsts[sunday].starts_at.hour == sunday_utc
    # A consultation lasts its length in real time, whatever the clocks did that night.
    assert all(slot.ends_at - slot.starts_at == timedelta(minutes=20) for slot in slots)


def test_wall_clock_times_the_clocks_skip_are_no_slots():
    night = SlotRules(30, 0, 56, 0)
    slots = day_slots(hours(6, 30, 3 * 60), date(2026, 3, 29), night, LONDON)
    assert local_times(slots) == ["00:30", "02:00", "02:30"]
    assert [slot.starts_at.strftime("%H:%M") for slot in slots] == ["00:30", "01:00", "01:30"]


def test_wall_clock_times_the_clocks_repeat_are_one_slot_each():
    night = SlotRules(30, 0, 56, 0)
    slots = day_slots(hours(6, 30, 3 * 60), date(2026, 10, 25), night, LONDON)
    assert local_times(slots) == ["00:30", "01:00", "01:30", "02:00", "02:30"]
    assert len({slot.starts_at for slot in slots}) == 5


def test_days_off_bookings_notice_and_horizon_take_slots_away():
    monday = date(2026, 12, 7)
    now = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)  # 08:00 in the clinic (winter)
    every_day = [hours(weekday) for weekday in range(7)]
    slots = free_slots(every_day, {(1, monday + timedelta(days=1))}, (), RULES, now, LONDON)
    days = {slot.local_start.date() for slot in slots}
    # Two hours' notice: nothing before 10:00 today.
    assert local_times(s for s in slots if s.local_start.date() == monday)[0] == "10:00"
    assert monday + timedelta(days=1) not in days  # the day off
    assert max(days) == monday + timedelta(days=56)  # the horizon, inclusive
    taken = next(s for s in slots if s.local_start.date() == monday)
    again = free_slots(every_day, (), {(1, taken.starts_at)}, RULES, now, LONDON, monday, monday)
    assert taken.key not in {slot.key for slot in again}


def test_two_clinicians_give_two_slots_at_the_same_time_in_order():
    monday = date(2026, 12, 7)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    slots = free_slots(
        [hours(0, clinician=2), hours(0)], (), (), RULES, now, LONDON, monday, monday
    )
    assert [(s.clinician_id, s.local_start.strftime("%H:%M")) for s in slots[:2]] == [
        (1, "09:00"),
        (2, "09:00"),
    ]


def test_a_slot_key_round_trips_and_malformed_keys_are_refused():
    moment = datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert parse_slot_key(slot_key(7, moment)) == (7, moment)
    for bad in (
        "",
        "7",
        "x-20260329T0800Z",
        "7-20260329T0860Z",
        "7-2026-03-29T08:00",
        "7-" + "9" * 14,
    ):
        with pytest.raises(ValueError):
            parse_slot_key(bad)


def test_within_hours_tells_whether_a_booked_time_still_fits():
    start = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # Monday 09:00 in the clinic
    end = start + timedelta(minutes=20)
    assert within_hours(hours(0), (), 1, start, end, LONDON)
    assert not within_hours(hours(0, starts=10 * 60), (), 1, start, end, LONDON)
    assert not within_hours(hours(0, break_at=(9 * 60, 10 * 60)), (), 1, start, end, LONDON)
    assert not within_hours(hours(0), {(1, date(2026, 12, 7))}, 1, start, end, LONDON)
    assert not within_hours(None, (), 1, start, end, LONDON)
