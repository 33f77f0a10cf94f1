"""The shop's one clock: "now" and "today" in the clinic's time zone (SHOP_TIMEZONE).

Servers usually run on UTC, but a clinic's day starts at its own midnight: at 00:30 in a
British summer it is already tomorrow in the clinic and still today in UTC. Everything that
asks what day it is (lot expiry, report days, the dashboard's sales today) asks here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app


def _system_now() -> datetime:
    """Return the machine's current time in UTC (tests pin the clock by replacing this)."""
    return datetime.now(UTC)


def zone() -> ZoneInfo:
    """Return the clinic's time zone from the SHOP_TIMEZONE setting."""
    return ZoneInfo(current_app.config["SHOP_TIMEZONE"])


def utc_now() -> datetime:
    """Return the current moment as an aware UTC datetime (what the database stores)."""
    return _system_now()


def now() -> datetime:
    """Return the current moment in the clinic's time zone."""
    return _system_now().astimezone(zone())


def today() -> date:
    """Return the clinic's date today."""
    return now().date()


def local(moment: datetime | None) -> datetime | None:
    """Return a stored moment in the clinic's time zone (naive values, from SQLite, are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone())


def aware_utc(moment: datetime | None) -> datetime | None:
    """Return a stored moment as an aware UTC datetime (naive values, from SQLite, are UTC)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def day_starts(day: date) -> datetime:
    """Return the UTC moment the clinic's `day` begins (its local midnight)."""
    return datetime.combine(day, time.min, tzinfo=zone()).astimezone(UTC)
