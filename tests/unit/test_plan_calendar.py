"""The calendar file of a plan's key days, read back with the same library that wrote it."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar

from shop.aftercare import Profile, Screening, load_protocols, plan
from shop.services.plan_calendar import describe_change, event_uid, plan_calendar
from tests.unit.aftercare_fixtures import catalogue

TREATED = date(2026, 3, 2)
LINK = "https://shop.example/plans/abc123secret"
NOW = datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
PHONE = "01225 000 000"


def _plan():
    protocol = load_protocols()["microneedling"]
    return plan(protocol, Profile(2), Screening(), TREATED, TREATED, catalogue())


def _events(body: bytes):
    return Calendar.from_ical(body).walk("VEVENT")


def test_one_all_day_event_for_each_change_of_the_plan():
    result = _plan()
    events = _events(plan_calendar(result, LINK, PHONE, NOW))
    changes = result.changes()
    assert len(events) == len(changes)
    for event, change in zip(events, changes, strict=True):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        # Plain dates, not datetimes: an all-day event in every calendar program.
        assert type(start) is date and type(end) is date
        assert start == change.date and end == change.date + timedelta(days=1)
        assert event.decoded("dtstamp") == NOW


def test_events_read_in_plain_words_and_link_back_to_the_plan():
    result = _plan()
    events = _events(plan_calendar(result, LINK, PHONE, NOW))
    first, last = events[0], events[-1]
    assert str(first["summary"]) == "Aftercare starts: day 0"
    assert "From today, avoid:" in str(first["description"])
    assert "Make-up" in str(first["description"])
    assert str(last["summary"]) == "Aftercare plan complete"
    assert "Keep protecting your skin from the sun" in str(last["description"])
    assert PHONE in str(last["description"])
    for event in events:
        assert str(event["url"]) == LINK
        assert f"Your plan: {LINK}" in str(event["description"])
        assert "D0" not in str(event["summary"]) + str(event["description"])


def test_uids_are_stable_per_plan_and_day_and_show_no_token():
    result = _plan()
    first = _events(plan_calendar(result, LINK, PHONE, NOW))
    again = _events(plan_calendar(result, LINK, PHONE, NOW + timedelta(days=2)))
    uids = [str(e["uid"]) for e in first]
    assert uids == [str(e["uid"]) for e in again]
    assert len(set(uids)) == len(uids)
    assert all("abc123secret" not in uid for uid in uids)
    other = _events(plan_calendar(result, LINK + "x", PHONE, NOW))
    assert not set(uids) & {str(e["uid"]) for e in other}
    assert uids[0] == event_uid(LINK, 0)


def test_the_calendar_declares_itself():
    calendar = Calendar.from_ical(plan_calendar(_plan(), LINK, PHONE, NOW))
    assert str(calendar["version"]) == "2.0"
    assert str(calendar["prodid"]).startswith("-//")


def test_an_ending_rule_is_never_called_safe():
    for change in _plan().changes():
        text = describe_change(change, PHONE).as_text().lower()
        assert "safe" not in text
        if change.fine_again and not change.plan_over:
            assert "no longer on your avoid list from today:" in text
