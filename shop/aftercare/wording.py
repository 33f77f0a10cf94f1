"""Plain words for aftercare days and windows: dated when the treatment date is known.

Every customer page says a window the same way, through `window_words`: the end is always
included ("up to and including Thursday 3 December"), and no page shows day numbers such as
"D0" to patients.
"""

from __future__ import annotations

from datetime import date, timedelta


def ordinal(number: int) -> str:
    """Return 1st, 2nd, 3rd, 4th, 11th, 21st ... for a positive whole number."""
    if 10 <= number % 100 <= 20:
        suffix = "th"
    else:
        suffix = {1: "st", 2: "nd", 3: "rd"}.get(number % 10, "th")
    return f"{number}{suffix}"


def long_date(day: date, reference: date | None = None) -> str:
    """Return a date as patients read it: 'Thursday 3 December'.

    The year is added when it differs from the reference date's (a plan's rules can run on
    into the next year), so a date is never read as the wrong year.
    """
    text = f"{day:%A} {day.day} {day:%B}"
    if reference is not None and day.year != reference.year:
        text += f" {day.year}"
    return text


def day_words(day: int, treated_on: date | None = None) -> str:
    """Name an aftercare day: its date when the treatment date is known, else plain words."""
    if treated_on is not None:
        return long_date(treated_on + timedelta(days=day), reference=treated_on)
    if day <= 0:
        return "the day of treatment"
    if day == 1:
        return "the day after treatment"
    return f"the {ordinal(day)} day after treatment"


def window_words(from_day: int | None, until_day: int, treated_on: date | None = None) -> str:
    """Say when a window applies, its last day included.

    A from_day of None leaves the start unsaid (something avoided from the day of treatment):
    "up to and including Thursday 3 December". Otherwise: "from ... up to and including ...",
    or "on ... only" for a single day.
    """
    end = day_words(until_day, treated_on)
    if from_day is None:
        return f"up to and including {end}"
    if from_day == until_day:
        return f"on {end} only"
    return f"from {day_words(from_day, treated_on)} up to and including {end}"


def plan_day_label(day: int, last_day: int) -> str:
    """Count the plan's days from 1 for patients ("Day 1 of 15" on the day of treatment)."""
    return f"Day {day + 1} of {last_day + 1}"


def sentence_start(text: str) -> str:
    """Capitalise only the first letter, so dates and names inside keep their capitals."""
    return text[:1].upper() + text[1:]
