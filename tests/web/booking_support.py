"""Helpers for the booking tests: a pinned clock, clinicians with hours, the booking form."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from sqlalchemy import select

from models import Booking, ClinicianHours, OutboxEmail, db
from shop import clock
from shop.services.bookings.slots import slot_key

# Monday 7 December 2026, 08:00 in the clinic (winter: UTC and UK time agree).
MONDAY_8AM = datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
# The manage link ends its line; the calendar link is the same with ".ics" after it.
MANAGE_LINK = re.compile(r"https?://\S+/consultation/([A-Za-z0-9_-]{20,100})$", re.MULTILINE)

BOOKING = {
    "name": "Ada Patient",
    "email": "ada@example.com",
    "phone": "07700 900123",
    "treatment": "microneedling",
    "question": "How long is the redness?",
    "consent": "y",
}


def pin_clock(monkeypatch, moment: datetime) -> None:
    """Stop the shop's clock at `moment` (UTC)."""
    monkeypatch.setattr(clock, "_system_now", lambda: moment)


def give_hours(clinician, weekdays=range(7), starts=9 * 60, ends=12 * 60, break_at=None) -> None:
    """Give a clinician the same hours on each of `weekdays` (09:00 to 12:00 by default)."""
    for weekday in weekdays:
        db.session.add(
            ClinicianHours(
                clinician_id=clinician.id,
                weekday=weekday,
                starts_minute=starts,
                ends_minute=ends,
                break_starts_minute=break_at[0] if break_at else None,
                break_ends_minute=break_at[1] if break_at else None,
            )
        )
    db.session.commit()


def key(clinician, moment: datetime) -> str:
    """Return the form value of a clinician's slot starting at `moment`."""
    return slot_key(clinician.id, moment)


def book(client, clinician, moment: datetime, **overrides):
    """Post the booking form for one slot."""
    data = dict(BOOKING, slot=key(clinician, moment))
    data.update(overrides)
    return client.post("/consultation", data={k: v for k, v in data.items() if v is not None})


def bookings() -> list[Booking]:
    """Return every booking, read fresh."""
    db.session.expire_all()
    return list(db.session.execute(select(Booking).order_by(Booking.id)).scalars())


def emails(kind: str) -> list[OutboxEmail]:
    """Return the outbox emails of one kind, oldest first."""
    return list(
        db.session.execute(
            select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)
        ).scalars()
    )


def manage_token(email: OutboxEmail) -> str:
    """Return the manage link's token written in an email."""
    match = MANAGE_LINK.search(email.body_text)
    assert match, email.body_text
    return match.group(1)
