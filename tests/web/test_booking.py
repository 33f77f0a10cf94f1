"""Booking a free consultation in a real slot, and moving or cancelling it by the private link."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from booking_support import (
    BOOKING,
    MONDAY_8AM,
    book,
    bookings,
    emails,
    give_hours,
    key,
    manage_token,
    pin_clock,
)
from factories import make_treatment_with_protocol, make_user
from sqlalchemy import func, select

from models import Booking, ClinicianDayOff, ConsultationRequest, OutboxEmail, db
from shop.security import AccessLogQueryFilter
from shop.services.bookings import booking as booking_service

TEN = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # Monday 10:00, the first slot after the notice
TUESDAY = TEN + timedelta(days=1)  # far enough ahead to move or cancel


@pytest.fixture
def clinic(client, monkeypatch):
    """A treatment and a clinician with hours 09:00-12:00 every day; the clock at Monday 08:00."""
    pin_clock(monkeypatch, MONDAY_8AM)
    make_treatment_with_protocol()
    clinician = make_user(role="clinician", name="Dr Rowe")
    give_hours(clinician)
    return clinician


def _counts() -> tuple[int, int, int]:
    return tuple(
        db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Booking, ConsultationRequest, OutboxEmail)
    )


def test_without_hours_set_the_request_form_stays(client):
    make_user(role="clinician")
    html = client.get("/consultation").get_data(as_text=True)
    assert "Preferred days and times" in html and 'name="slot"' not in html


def test_the_booking_page_lists_free_times_by_day_from_the_shortest_notice(client, clinic):
    page = client.get("/consultation?treatment=microneedling")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Monday 7 December" in html and "Tuesday 8 December" in html
    # Two hours' notice from 08:00: 09:00 and 09:30 today are not offered.
    assert key(clinic, TEN) in html
    assert key(clinic, TEN - timedelta(minutes=30)) not in html
    assert "Consultations are with Dr Rowe." in html and 'class="slot-with"' not in html
    assert 'value="microneedling" selected' in html or 'selected value="microneedling"' in html
    assert 'name="from" ' not in html and "Later dates" in html  # five days a page
    later = client.get("/consultation?from=2026-12-20").get_data(as_text=True)
    assert "Sunday 20 December" in later and "Monday 7 December" not in later


def test_booking_a_slot_confirms_it_by_page_and_email_with_a_calendar_invitation(client, clinic):
    response = book(client, clinic, TEN)
    assert response.status_code == 303 and response.headers["Location"].endswith("/booked")
    (booking,) = bookings()
    assert booking.clinician_id == clinic.id and booking.status == "booked"
    assert booking.consultation.status == "booked" and booking.consultation.name == "Ada Patient"
    assert booking.consultation.treatment.slug == "microneedling"
    page = client.get("/consultation/booked").get_data(as_text=True)
    assert "Your consultation is booked" in page and "Monday 7 December 2026 at 10:00" in page
    (email,) = emails("booking_confirmation")
    assert email.to_address == "ada@example.com"
    assert "Monday 7 December 2026 at 10:00" in email.body_text and "Dr Rowe" in email.body_text
    token = manage_token(email)
    assert booking.manage_token_hash != token and token not in str(booking.__dict__)
    calendar = client.get(f"/consultation/{token}.ics")
    assert calendar.status_code == 200 and calendar.mimetype == "text/calendar"
    ics = calendar.get_data(as_text=True)
    assert "DTSTART:20261207T100000Z" in ics and "DTEND:20261207T102000Z" in ics
    assert "STATUS:CONFIRMED" in ics and "Ada" not in ics
    # The slot is gone from the list for the next patient.
    assert key(clinic, TEN) not in client.get("/consultation").get_data(as_text=True)


def test_a_slot_already_taken_is_refused_at_once_with_the_next_free_times(client, clinic):
    assert book(client, clinic, TEN).status_code == 303
    before = _counts()
    response = book(client, clinic, TEN, email="bo@example.com")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "that time was just taken" in html and "The next free times" in html
    assert "Monday 7 December, 10:30" in html
    assert _counts() == before


@pytest.mark.parametrize(
    ("slot", "message"),
    [
        ("", "Please choose one of the times listed."),
        ("garbage", "Please choose one of the times listed."),
        ("1-20261307T1000Z", "Please choose one of the times listed."),  # month 13
        ("{clinician}-20261207T1005Z", "That time is not one we offer"),  # off the grid
        ("{clinician}-20261207T1300Z", "That time is not one we offer"),  # after closing
        ("{clinician}-20261207T0700Z", "That time has already passed"),
        ("{clinician}-20261207T0930Z", "too soon to book online"),  # inside the notice
        ("{clinician}-20270301T1000Z", "That time is not one we offer"),  # past the horizon
        ("99999-20261208T1000Z", "That time is not one we offer"),  # no such clinician
    ],
)
def test_a_slot_that_does_not_exist_is_refused_and_nothing_is_saved(client, clinic, slot, message):
    response = book(client, clinic, TEN, slot=slot.format(clinician=clinic.id))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _counts() == (0, 0, 0)


def test_a_day_off_takes_its_slots_away_and_refuses_them(client, clinic):
    db.session.add(ClinicianDayOff(clinician_id=clinic.id, day=TEN.date() + timedelta(days=1)))
    db.session.commit()
    tuesday = TEN + timedelta(days=1)
    assert key(clinic, tuesday) not in client.get("/consultation").get_data(as_text=True)
    response = book(client, clinic, tuesday)
    assert response.status_code == 422 and "not one we offer" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("name", "", "Please tell us your name."),
        ("email", "not-an-email", "Please enter a valid email address"),
        ("phone", "", "Please give a phone number"),
        ("phone", "call me", "digits, spaces and + ( ) - only"),
        ("treatment", "tattoo-removal", "Not a valid choice"),
        ("consent", None, "Please agree to us contacting you"),
    ],
)
def test_bad_details_are_refused_with_a_clear_message(client, clinic, field, value, message):
    response = book(client, clinic, TEN, **{field: value})
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _counts() == (0, 0, 0)


@pytest.mark.parametrize(
    "query", ["clinician=abc", "clinician=99999", "from=2026-13-01", "from=yesterday"]
)
def test_bad_filters_get_400(client, clinic, query):
    assert client.get(f"/consultation?{query}").status_code == 400


def test_choosing_a_clinician_shows_only_their_times(client, clinic):
    other = make_user(role="clinician", name="Dr Other")
    give_hours(other, weekdays=[0])
    both = client.get("/consultation").get_data(as_text=True)
    assert key(other, TEN) in both and key(clinic, TEN) in both
    assert '<span class="slot-with">with Dr Other</span>' in both  # each time says with whom
    only = client.get(f"/consultation?clinician={other.id}").get_data(as_text=True)
    assert key(other, TEN) in only and key(clinic, TEN) not in only


def _booked_token(client, clinic, moment=TUESDAY) -> str:
    assert book(client, clinic, moment).status_code == 303
    return manage_token(emails("booking_confirmation")[-1])


def test_the_manage_link_moves_the_booking_and_frees_the_old_time(client, clinic):
    token = _booked_token(client, clinic)
    page = client.get(f"/consultation/{token}")
    assert page.status_code == 200 and "Move to another time" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    later = TEN + timedelta(days=2)
    response = client.post(f"/consultation/{token}/move", data={"slot": key(clinic, later)})
    assert response.status_code == 303
    (booking,) = bookings()
    assert booking.starts_at.replace(tzinfo=UTC) == later
    assert "Wednesday 9 December 2026 at 10:00" in booking.consultation.preferred_times
    (moved,) = emails("booking_moved")
    assert "Wednesday 9 December 2026 at 10:00" in moved.body_text and token in moved.body_text
    assert key(clinic, TUESDAY) in client.get("/consultation").get_data(as_text=True)


def test_moving_to_a_taken_or_made_up_time_is_refused_and_changes_nothing(client, clinic):
    token = _booked_token(client, clinic)
    book(client, clinic, TUESDAY + timedelta(hours=1), email="bo@example.com")
    taken = client.post(
        f"/consultation/{token}/move", data={"slot": key(clinic, TUESDAY + timedelta(hours=1))}
    )
    assert taken.status_code == 409 and "just taken" in taken.get_data(as_text=True)
    made_up = client.post(f"/consultation/{token}/move", data={"slot": "1-20261207T1007Z"})
    assert made_up.status_code == 422
    empty = client.post(f"/consultation/{token}/move", data={})
    assert empty.status_code == 422
    assert bookings()[0].starts_at.replace(tzinfo=UTC) == TUESDAY
    assert emails("booking_moved") == []


def test_cancelling_frees_the_time_and_the_link_then_shows_it_cancelled(client, clinic):
    token = _booked_token(client, clinic)
    response = client.post(f"/consultation/{token}/cancel")
    assert response.status_code == 303
    (booking,) = bookings()
    assert booking.status == "cancelled" and booking.consultation.status == "closed"
    assert len(emails("booking_cancelled")) == 1
    page = client.get(f"/consultation/{token}").get_data(as_text=True)
    assert "This consultation is cancelled" in page and "Move to another time" not in page
    assert client.post(f"/consultation/{token}/cancel").status_code == 409
    assert "STATUS:CANCELLED" in client.get(f"/consultation/{token}.ics").get_data(as_text=True)
    # The freed time can be booked again (the unique index only holds live bookings).
    assert book(client, clinic, TUESDAY, email="bo@example.com").status_code == 303


def test_inside_the_shortest_notice_the_link_no_longer_moves_or_cancels(
    client, clinic, monkeypatch
):
    token = _booked_token(client, clinic)
    pin_clock(monkeypatch, TUESDAY - timedelta(minutes=119))
    page = client.get(f"/consultation/{token}").get_data(as_text=True)
    assert "too close to your consultation" in page and "Cancel my consultation" not in page
    assert client.post(f"/consultation/{token}/cancel").status_code == 409
    moved = client.post(
        f"/consultation/{token}/move", data={"slot": key(clinic, TUESDAY + timedelta(days=1))}
    )
    assert moved.status_code == 422 and "too close" in moved.get_data(as_text=True)
    assert bookings()[0].status == "booked"


def test_forged_and_expired_links_are_refused(client, clinic, monkeypatch):
    token = _booked_token(client, clinic)
    for forged in ("x" * 43, token[:-1] + ("A" if token[-1] != "A" else "B"), "short"):
        assert client.get(f"/consultation/{forged}").status_code == 404
        assert client.post(f"/consultation/{forged}/cancel").status_code == 404
        assert client.get(f"/consultation/{forged}.ics").status_code == 404
    pin_clock(monkeypatch, TUESDAY + timedelta(minutes=21))
    expired = client.get(f"/consultation/{token}")
    assert expired.status_code == 410 and "has passed" in expired.get_data(as_text=True)
    assert client.post(f"/consultation/{token}/move", data={"slot": "x"}).status_code == 410


def test_the_day_before_reminder_is_queued_once_however_often_the_command_runs(
    client, clinic, runner, monkeypatch
):
    _booked_token(client, clinic, TUESDAY)
    book(client, clinic, TEN + timedelta(days=2), email="later@example.com")
    first = runner.invoke(args=["bookings", "remind"])
    assert first.exit_code == 0 and "Queued 1 consultation reminder " in first.output
    again = runner.invoke(args=["bookings", "remind"])
    assert "Queued 0 consultation reminders (1 already queued)" in again.output
    (reminder,) = emails("booking_reminder")
    assert reminder.to_address == "ada@example.com" and "is tomorrow" in reminder.body_text
    # The reminder's own link opens the booking too.
    assert client.get(f"/consultation/{manage_token(reminder)}").status_code == 200


def test_the_booking_form_is_rate_limited_per_address_and_per_email(client, clinic, monkeypatch):
    monkeypatch.setitem(client.application.config, "CONSULTATION_RATE_LIMIT", "2 per minute")
    for n in range(2):
        response = book(client, clinic, TEN + timedelta(minutes=30 * n), email=f"p{n}@example.com")
        assert response.status_code == 303
    assert book(client, clinic, TEN + timedelta(hours=1)).status_code == 429
    # One email from many addresses is limited too.
    for n in range(2):
        client.post(
            "/consultation",
            data=dict(BOOKING, slot="", email="same@example.com"),
            environ_base={"REMOTE_ADDR": f"10.1.0.{n}"},
        )
    blocked = client.post(
        "/consultation",
        data=dict(BOOKING, slot="", email="same@example.com"),
        environ_base={"REMOTE_ADDR": "10.1.0.9"},
    )
    assert blocked.status_code == 429


def test_personal_details_never_reach_the_logs(client, clinic, caplog):
    caplog.set_level("DEBUG")
    token = _booked_token(client, clinic)
    client.post(f"/consultation/{token}/cancel")
    for secret in (BOOKING["email"], BOOKING["phone"], BOOKING["question"], token):
        assert secret not in caplog.text
    # The access log never holds a working manage link.
    for path in (
        f"/consultation/{token}",
        f"/consultation/{token}/move",
        f"/consultation/{token}.ics",
    ):
        assert token not in AccessLogQueryFilter.redact(f"GET {path} HTTP/1.1")


def test_the_slot_listing_takes_a_fixed_number_of_queries(clinic, count_queries):
    other = make_user(role="clinician", name="Dr Other")
    give_hours(other)
    with count_queries() as counter:
        listing = booking_service.slot_listing(None, None, 5, MONDAY_8AM)
    assert len(listing.days) == 5 and len(listing.days[0].slots) == 2 * 4
    assert len(counter.statements) <= 6


def test_the_manage_page_lists_other_clinicians_on_request_and_refuses_bad_dates(client, clinic):
    other = make_user(role="clinician", name="Dr Other")
    give_hours(other, weekdays=[2])
    token = _booked_token(client, clinic)
    own = client.get(f"/consultation/{token}").get_data(as_text=True)
    assert key(other, TEN + timedelta(days=2)) not in own and "Show every clinician" in own
    every = client.get(f"/consultation/{token}?clinician=any").get_data(as_text=True)
    assert key(other, TEN + timedelta(days=2)) in every
    assert client.get(f"/consultation/{token}?from=soon").status_code == 400


@pytest.mark.parametrize(
    ("now", "sunday", "saturday_utc_hour", "utc_hour"),
    [
        # Clocks go forward on Sunday 29 March 2026: 09:00 is 09:00 UTC on the Saturday and
        # 08:00 UTC on the Sunday.
        (datetime(2026, 3, 27, 12, 0, tzinfo=UTC), "Sunday 29 March", 9, 8),
        # Clocks go back on Sunday 25 October 2026: 09:00 is 08:00 UTC on the Saturday and
        # 09:00 UTC on the Sunday.
        (datetime(2026, 10, 23, 12, 0, tzinfo=UTC), "Sunday 25 October", 8, 9),
    ],
)
def test_a_clock_change_weekend_offers_and_books_nine_oclock_clinic_time(
    client, monkeypatch, now, sunday, saturday_utc_hour, utc_hour
):
    pin_clock(monkeypatch, now)
    make_treatment_with_protocol()
    clinician = make_user(role="clinician", name="Dr Rowe")
    give_hours(clinician, weekdays=[5, 6])
    saturday_nine = datetime(now.year, now.month, now.day + 1, saturday_utc_hour, 0, tzinfo=UTC)
    sunday_nine = datetime(now.year, now.month, now.day + 2, utc_hour, 0, tzinfo=UTC)
    html = client.get("/consultation").get_data(as_text=True)
    assert sunday in html
    assert key(clinician, sunday_nine) in html and key(clinician, saturday_nine) in html
    # The hour the clocks moved is not offered twice nor lost: 09:00 is the first time each day.
    assert key(clinician, sunday_nine - timedelta(hours=1)) not in html
    assert book(client, clinician, sunday_nine).status_code == 303
    (booking,) = bookings()
    assert booking.starts_at.replace(tzinfo=UTC) == sunday_nine
    email = emails("booking_confirmation")[0].body_text
    assert f"{sunday} 2026 at 09:00" in email
    ics = client.get(f"/consultation/{manage_token(emails('booking_confirmation')[0])}.ics")
    assert f"DTSTART:{sunday_nine:%Y%m%dT%H%M%S}Z" in ics.get_data(as_text=True)
