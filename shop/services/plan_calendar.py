"""A plan's key days in plain words, and as an iCalendar file of all-day events.

The days come from `Plan.changes()`, so the calendar file, the reminder emails and the plan
page name the same days. The wording is cautious: a rule that ends is "no longer on your avoid
list", never "safe", and the last event keeps the sun advice and the clinic's phone.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit

from icalendar import Calendar, Event

from shop.aftercare import Change, Plan

PRODUCT_ID = "-//Lumen Skin Clinic//Aftercare plan//EN"


@dataclass(frozen=True)
class ChangeWords:
    """One key day told in plain words: a short title and the lines that explain it."""

    title: str
    sections: tuple[tuple[str, tuple[str, ...]], ...]
    closing: str

    def as_text(self) -> str:
        """Return the sections and closing line as plain text, one item a line."""
        parts = []
        for heading, items in self.sections:
            parts.append(heading + "\n" + "\n".join(f"- {item}" for item in items))
        if self.closing:
            parts.append(self.closing)
        return "\n\n".join(parts)


def long_date(day: date) -> str:
    """Return a date as the shop writes it for patients ("Thursday 3 December 2026")."""
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


def describe_change(change: Change, clinic_phone: str) -> ChangeWords:
    """Say what changes on one key day, as a title and sections of plain sentences."""
    if change.plan_over:
        sections = []
        if change.stop_using:
            sections.append(("Your plan no longer lists:", change.stop_using))
        if change.fine_again:
            sections.append(("No longer on your avoid list:", change.fine_again))
        return ChangeWords(
            title="Aftercare plan complete",
            sections=tuple(sections),
            closing=(
                f"Day {change.day - 1} was the last day of your aftercare plan. Keep protecting "
                "your skin from the sun, and call the clinic on "
                f"{clinic_phone} if anything worries you."
            ),
        )
    sections = []
    if change.start_using:
        sections.append(("From today, use:", change.start_using))
    if change.start_avoiding:
        sections.append(("From today, avoid:", change.start_avoiding))
    if change.stop_using:
        sections.append(("You can stop:", change.stop_using))
    if change.fine_again:
        sections.append(("No longer on your avoid list from today:", change.fine_again))
    if change.day == 0:
        title = "Aftercare starts: day 0"
    else:
        title = f"Aftercare day {change.day}: what changes today"
    return ChangeWords(
        title=title,
        sections=tuple(sections),
        closing=f"Questions or concerns? Call the clinic on {clinic_phone}.",
    )


def event_uid(link_url: str, day: int) -> str:
    """Return an event's UID: the same for a plan's day in every download, and opaque.

    The link is hashed, so the UID says nothing of the plan and shows no part of its token.
    """
    digest = hashlib.sha256(link_url.encode("utf-8")).hexdigest()[:32]
    host = urlsplit(link_url).hostname or "localhost"
    return f"plan-{digest}-day-{day}@{host}"


def plan_calendar(plan: Plan, link_url: str, clinic_phone: str, now: datetime) -> bytes:
    """Return the plan's key days as an iCalendar file: one all-day event for each change.

    `link_url` is the absolute address of the plan (a private plan link or a saved plan); it
    goes into each event and keys its UID. `now` (UTC) is the events' DTSTAMP.
    """
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "Aftercare plan")
    for change in plan.changes():
        words = describe_change(change, clinic_phone)
        event = Event()
        event.add("uid", event_uid(link_url, change.day))
        event.add("dtstamp", now)
        event.add("dtstart", change.date)
        event.add("dtend", change.date + timedelta(days=1))
        event.add("summary", words.title)
        event.add("description", f"{words.as_text()}\n\nYour plan: {link_url}")
        event.add("url", link_url)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    return calendar.to_ical()
