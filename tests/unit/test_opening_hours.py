"""The clinic's opening hours: read from the setting, written for people, and hold deadlines."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from shop.config import ConfigError, load_config
from shop.opening_hours import (
    OpeningHoursError,
    describe,
    last_closing_by,
    parse_opening_hours,
)

LONDON = ZoneInfo("Europe/London")
HOURS = parse_opening_hours("Mon-Fri 09:00-18:00; Sat 10:00-14:00")


def test_the_setting_reads_into_one_opening_per_day():
    assert [o.weekday for o in HOURS] == [0, 1, 2, 3, 4, 5]
    assert HOURS[5].opens == time(10) and HOURS[5].closes == time(14)
    assert [o.weekday for o in parse_opening_hours("tue, thu 9:30-17:00")] == [1, 3]


def test_the_hours_read_as_runs_of_days():
    assert describe(HOURS) == [
        "Monday to Friday: 09:00 to 18:00",
        "Saturday: 10:00 to 14:00",
        "Sunday: closed",
    ]


@pytest.mark.parametrize(
    "setting",
    [
        "",
        "Mon-Fri",
        "Funday 09:00-17:00",
        "Mon 18:00-09:00",
        "Mon 25:00-26:00",
        "Fri-Mon 09:00-17:00",
        "Mon 09:00-12:00; Mon 13:00-17:00",
        "Mon 09:00-17:00\x00",
    ],
)
def test_a_setting_that_cannot_be_read_is_refused(setting):
    with pytest.raises(OpeningHoursError):
        parse_opening_hours(setting)


def test_the_shop_refuses_to_start_with_unreadable_hours(monkeypatch):
    monkeypatch.setenv("CLINIC_OPENING_HOURS", "every day")
    with pytest.raises(ConfigError, match="CLINIC_OPENING_HOURS"):
        load_config({"TESTING": True})


def _at(*parts) -> datetime:
    return datetime(*parts, tzinfo=LONDON)


@pytest.mark.parametrize(
    ("deadline", "expected"),
    [
        # A weekday night: that day's closing.
        (_at(2026, 12, 8, 23, 30), _at(2026, 12, 8, 18, 0)),
        # Before opening: the day before's closing.
        (_at(2026, 12, 8, 7, 0), _at(2026, 12, 7, 18, 0)),
        # Sunday: Saturday's early closing.
        (_at(2026, 12, 13, 15, 0), _at(2026, 12, 12, 14, 0)),
        # Exactly at closing time: kept.
        (_at(2026, 12, 9, 18, 0), _at(2026, 12, 9, 18, 0)),
        # Summer time: still 18:00 on the clinic's clock.
        (_at(2026, 6, 10, 22, 0), _at(2026, 6, 10, 18, 0)),
    ],
)
def test_a_hold_ends_at_the_last_closing_before_its_deadline(deadline, expected):
    placed = deadline - timedelta(days=7)
    assert last_closing_by(deadline, placed, HOURS, LONDON) == expected


def test_a_hold_with_no_opening_before_it_keeps_its_deadline():
    placed = _at(2026, 12, 12, 15, 0)  # Saturday after closing
    deadline = _at(2026, 12, 13, 20, 0)  # Sunday night
    assert last_closing_by(deadline, placed, HOURS, LONDON) == deadline


@pytest.mark.parametrize(("port", "expected"), [(None, 5000), ("8123", 8123)])
def test_in_development_port_sets_the_public_address(monkeypatch, port, expected):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("SHOP_ENV", "development")
    if port is None:
        monkeypatch.delenv("PORT", raising=False)
    else:
        monkeypatch.setenv("PORT", port)
    assert load_config()["PUBLIC_BASE_URL"] == f"http://127.0.0.1:{expected}"


def test_a_set_public_address_wins_over_port(monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://shop.example/")
    assert load_config({"TESTING": True})["PUBLIC_BASE_URL"] == "https://shop.example"


def test_port_is_not_read_outside_development(monkeypatch):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.setenv("PORT", "8123")
    config = load_config({"SHOP_ENV": "production"})
    assert config["PUBLIC_BASE_URL"] == "http://127.0.0.1:5000"


@pytest.mark.parametrize("port", ["eighty", "0", "70000"])
def test_a_port_that_is_no_port_is_refused(monkeypatch, port):
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    monkeypatch.setenv("SHOP_ENV", "development")
    monkeypatch.setenv("PORT", port)
    with pytest.raises(ConfigError, match="PORT"):
        load_config()
