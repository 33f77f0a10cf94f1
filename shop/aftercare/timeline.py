"""Build the day-by-day aftercare timeline from day windows of things to use and to avoid."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any


def overlaps(a_from: int, a_until: int, b_from: int, b_until: int) -> bool:
    """Tell whether two day windows (both ends included) share at least one day."""
    return a_from <= b_until and b_from <= a_until


@dataclass(frozen=True)
class Window:
    """A line of text that applies from one day to another, both included."""

    text: str
    from_day: int
    until_day: int


@dataclass(frozen=True)
class TimelineDay:
    """What to use and what to avoid on one day after treatment."""

    day: int
    date: date
    use: tuple[str, ...]
    avoid: tuple[str, ...]
    is_today: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Return the API JSON shape of this day."""
        return {
            "day": self.day,
            "date": self.date.isoformat(),
            "use": list(self.use),
            "avoid": list(self.avoid),
            "is_today": self.is_today,
        }


def day_number(treated_on: date, on: date) -> int:
    """Return the aftercare day of a date: 0 on the treatment day, negative before it."""
    return (on - treated_on).days


def today_in_timeline(treated_on: date, today: date, last_day: int) -> int | None:
    """Return today's day number when it falls inside the timeline, else None."""
    day = day_number(treated_on, today)
    return day if 0 <= day <= last_day else None


def _texts_by_day(windows: Sequence[Window], last_day: int) -> list[tuple[str, ...]]:
    """Return, for each day from D0 to last_day, the texts of the windows covering it."""
    # One pass over the windows, not one over every window for each day. Dicts drop repeats
    # while keeping the caller's (deterministic) order.
    days: list[dict[str, None]] = [{} for _ in range(last_day + 1)]
    for window in windows:
        for day in range(max(window.from_day, 0), min(window.until_day, last_day) + 1):
            days[day][window.text] = None
    return [tuple(texts) for texts in days]


def build_timeline(
    treated_on: date,
    today: date,
    last_day: int,
    uses: Sequence[Window],
    avoids: Sequence[Window],
) -> tuple[TimelineDay, ...]:
    """Return one TimelineDay for each day from D0 to last_day, in order."""
    current = today_in_timeline(treated_on, today, last_day)
    use, avoid = _texts_by_day(uses, last_day), _texts_by_day(avoids, last_day)
    return tuple(
        TimelineDay(
            day=day,
            date=treated_on + timedelta(days=day),
            use=use[day],
            avoid=avoid[day],
            is_today=day == current,
        )
        for day in range(last_day + 1)
    )


@dataclass(frozen=True)
class Phase:
    """A run of consecutive days with exactly the same things to use and to avoid."""

    first: TimelineDay
    last: TimelineDay
    use: tuple[str, ...]
    avoid: tuple[str, ...]
    today: TimelineDay | None

    @property
    def is_single_day(self) -> bool:
        """Tell whether the phase is one day long."""
        return self.first.day == self.last.day


@dataclass(frozen=True)
class Change:
    """What is different on one day from the day before: the days worth a reminder.

    The day after the last day of the plan is a change too: whatever was still used or avoided
    on the last day ends then.
    """

    day: int
    date: date
    start_using: tuple[str, ...]
    stop_using: tuple[str, ...]
    start_avoiding: tuple[str, ...]
    fine_again: tuple[str, ...]
    # True for the day after the plan's last day.
    plan_over: bool = False


def _added(before: tuple[str, ...], after: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(text for text in after if text not in before)


def changes(days: Sequence[TimelineDay]) -> tuple[Change, ...]:
    """Return, in order, every day on which something starts or stops (the first day included)."""
    found: list[Change] = []
    previous: TimelineDay | None = None
    for day in days:
        before_use = previous.use if previous else ()
        before_avoid = previous.avoid if previous else ()
        change = Change(
            day=day.day,
            date=day.date,
            start_using=_added(before_use, day.use),
            stop_using=_added(day.use, before_use),
            start_avoiding=_added(before_avoid, day.avoid),
            fine_again=_added(day.avoid, before_avoid),
        )
        if previous is None or any(
            (change.start_using, change.stop_using, change.start_avoiding, change.fine_again)
        ):
            found.append(change)
        previous = day
    if previous is not None:
        found.append(
            Change(
                day=previous.day + 1,
                date=previous.date + timedelta(days=1),
                start_using=(),
                stop_using=previous.use,
                start_avoiding=(),
                fine_again=previous.avoid,
                plan_over=True,
            )
        )
    return tuple(found)


def group_into_phases(days: Sequence[TimelineDay]) -> tuple[Phase, ...]:
    """Merge consecutive days whose use and avoid lists are identical, keeping 'today'."""
    phases: list[Phase] = []
    for day in days:
        previous = phases[-1] if phases else None
        if previous and previous.use == day.use and previous.avoid == day.avoid:
            phases[-1] = Phase(
                first=previous.first,
                last=day,
                use=previous.use,
                avoid=previous.avoid,
                today=day if day.is_today else previous.today,
            )
        else:
            phases.append(
                Phase(
                    first=day,
                    last=day,
                    use=day.use,
                    avoid=day.avoid,
                    today=day if day.is_today else None,
                )
            )
    return tuple(phases)
