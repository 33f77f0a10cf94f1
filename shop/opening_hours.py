"""The clinic's opening hours: read from their setting, written out for people, and the last
moment the clinic is open before a deadline (so a collection hold ends while someone is there).

Pure Python: no Flask. The setting reads like "Mon-Fri 09:00-18:00; Sat 10:00-14:00": days
(one, a range, or a comma list) then the opening and closing time; days not named are closed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_ENTRY = re.compile(
    r"^(?P<days>[A-Za-z]{3}(?:\s*[-,]\s*[A-Za-z]{3})*)\s+"
    r"(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})$"
)


class OpeningHoursError(ValueError):
    """The opening hours setting cannot be read."""


@dataclass(frozen=True)
class Opening:
    """One day's opening: the weekday (0 is Monday) and the opening and closing times."""

    weekday: int
    opens: time
    closes: time


def _day(word: str) -> int:
    try:
        return DAYS.index(word.strip().title())
    except ValueError as error:
        raise OpeningHoursError(f"{word.strip()!r} is not a day (use Mon, Tue ... Sun)") from error


def _time(text: str) -> time:
    hours, minutes = (int(part) for part in text.split(":"))
    if not (0 <= hours <= 23 and 0 <= minutes <= 59):
        raise OpeningHoursError(f"{text!r} is not a time of day")
    return time(hours, minutes)


def parse_opening_hours(text: str) -> tuple[Opening, ...]:
    """Read the setting into one Opening per open day, Monday first; raise on anything else."""
    openings: dict[int, Opening] = {}
    for entry in (part.strip() for part in text.split(";")):
        if not entry:
            continue
        found = _ENTRY.match(entry)
        if not found:
            raise OpeningHoursError(f"{entry!r} should look like 'Mon-Fri 09:00-18:00'")
        opens, closes = _time(found["open"]), _time(found["close"])
        if closes <= opens:
            raise OpeningHoursError(f"{entry!r} closes before it opens")
        days: list[int] = []
        for group in found["days"].split(","):
            first, _, last = group.partition("-")
            start, end = _day(first), _day(last) if last else _day(first)
            if end < start:
                raise OpeningHoursError(f"{group.strip()!r} runs backwards")
            days += range(start, end + 1)
        for weekday in days:
            if weekday in openings:
                raise OpeningHoursError(f"{DAY_NAMES[weekday]} is given twice")
            openings[weekday] = Opening(weekday, opens, closes)
    if not openings:
        raise OpeningHoursError("name at least one day the clinic is open")
    return tuple(openings[day] for day in sorted(openings))


def describe(openings: tuple[Opening, ...]) -> list[str]:
    """Return the hours as lines for people, runs of days with the same hours together.

    E.g. ["Monday to Friday: 09:00 to 18:00", "Saturday: 10:00 to 14:00", "Sunday: closed"].
    """
    by_day = {opening.weekday: opening for opening in openings}
    runs: list[tuple[int, int, tuple[time, time] | None]] = []
    for weekday in range(7):
        hours = (by_day[weekday].opens, by_day[weekday].closes) if weekday in by_day else None
        if runs and runs[-1][2] == hours:
            runs[-1] = (runs[-1][0], weekday, hours)
        else:
            runs.append((weekday, weekday, hours))
    lines = []
    for first, last, hours in runs:
        days = DAY_NAMES[first] if first == last else f"{DAY_NAMES[first]} to {DAY_NAMES[last]}"
        when = f"{hours[0]:%H:%M} to {hours[1]:%H:%M}" if hours else "closed"
        lines.append(f"{days}: {when}")
    return lines


def last_closing_by(
    deadline: datetime, after: datetime, openings: tuple[Opening, ...], zone: ZoneInfo
) -> datetime:
    """Return the latest closing time that is after `after` and no later than `deadline`.

    So a hold that would end at night or on a closed day ends when the clinic last closes
    before it; `deadline` itself when the clinic does not open in between. Both are aware
    datetimes; the answer is in `zone`.
    """
    by_day = {opening.weekday: opening for opening in openings}
    local_deadline = deadline.astimezone(zone)
    for back in range(8):
        day = local_deadline.date() - timedelta(days=back)
        opening = by_day.get(day.weekday())
        if opening is None:
            continue
        closing = datetime.combine(day, opening.closes, tzinfo=zone)
        if closing <= local_deadline:
            return closing if closing > after else local_deadline
    return local_deadline
