"""The clinic's side of bookings: availability at /clinic/schedule, the day, attendance,
recommendations from a booking, the booking report, and the patient's data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from booking_support import (
    MONDAY_8AM,
    book,
    bookings,
    emails,
    give_hours,
    key,
    manage_token,
    pin_clock,
)
from clinic_support import clinic_catalogue, recommendation_form
from factories import DEFAULT_PASSWORD, make_user
from sqlalchemy import func, select

from models import (
    BookingSettings,
    ClinicianDayOff,
    ClinicianHours,
    ConsultationRequest,
    Order,
    Recommendation,
    User,
    db,
)

TUESDAY_10 = datetime(2026, 12, 8, 10, 0, tzinfo=UTC)


@pytest.fixture
def clinic(client, monkeypatch):
    """The clinic catalogue, a clinician with hours every day and the clock at Monday 08:00."""
    pin_clock(monkeypatch, MONDAY_8AM)
    clinic_catalogue()
    clinician = make_user(role="clinician", name="Dr Rowe")
    give_hours(clinician)
    return clinician


def week(**days) -> dict[str, str]:
    """Return schedule form data: d<weekday>_<part> = HH:MM for the given days."""
    return dict(days)


def hours_rows(clinician) -> dict[int, tuple]:
    db.session.expire_all()
    return {
        row.weekday: (row.starts_minute, row.ends_minute, row.break_starts_minute)
        for row in db.session.execute(
            select(ClinicianHours).where(ClinicianHours.clinician_id == clinician.id)
        ).scalars()
    }


# --- access --------------------------------------------------------------------------------------


def test_the_schedule_is_for_clinicians_and_admins(client, login, clinic):
    assert client.get("/clinic/schedule").status_code == 302  # anonymous: sign in
    for role in ("customer", "staff"):
        login(make_user(role=role))
        assert client.get("/clinic/schedule").status_code == 403
        assert client.post("/clinic/schedule", data=week(d0_starts="09:00")).status_code == 403
    login(clinic)
    page = client.get("/clinic/schedule")
    assert page.status_code == 200 and "Weekly hours: Dr Rowe" in page.get_data(as_text=True)
    assert "Save settings" not in page.get_data(as_text=True)


def test_a_clinician_keeps_only_their_own_schedule_and_an_admin_anyones(client, login, clinic):
    colleague = make_user(role="clinician", name="Dr Colleague")
    login(colleague)
    assert client.get(f"/clinic/schedule?clinician={clinic.id}").status_code == 403
    assert client.post(f"/clinic/schedule?clinician={clinic.id}", data={}).status_code == 403
    assert client.post("/clinic/schedule/settings", data={}).status_code == 403
    assert client.get("/clinic/schedule?clinician=abc").status_code == 400
    login(make_user(role="admin", name="Ada Admin"))
    page = client.get(f"/clinic/schedule?clinician={clinic.id}")
    assert page.status_code == 200 and "Weekly hours: Dr Rowe" in page.get_data(as_text=True)
    assert "Save settings" in page.get_data(as_text=True)
    assert client.get("/clinic/schedule?clinician=987654").status_code == 404
    customer = make_user(role="customer")
    assert client.get(f"/clinic/schedule?clinician={customer.id}").status_code == 404


# --- availability --------------------------------------------------------------------------------


def test_a_clinician_sets_weekly_hours_with_a_break_and_patients_see_them(client, login, clinic):
    login(clinic)
    response = client.post(
        "/clinic/schedule",
        data=week(
            d0_starts="14:00", d0_ends="16:00", d0_break_starts="15:00", d0_break_ends="15:30"
        ),
    )
    assert response.status_code == 303
    assert hours_rows(clinic) == {0: (14 * 60, 16 * 60, 15 * 60)}
    html = client.get("/consultation").get_data(as_text=True)
    times = [
        key(clinic, MONDAY_8AM.replace(hour=h, minute=m)) for h, m in ((14, 0), (14, 30), (15, 30))
    ]
    assert all(t in html for t in times)
    assert key(clinic, MONDAY_8AM.replace(hour=15, minute=0)) not in html  # the break
    assert key(clinic, TUESDAY_10) not in html  # Tuesday is closed now
    # The form shows what is saved.
    assert 'value="14:00"' in client.get("/clinic/schedule").get_data(as_text=True)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (week(d0_starts="25:00", d0_ends="26:00"), "hours and minutes, like 09:30"),
        (week(d0_starts="9am", d0_ends="12:00"), "hours and minutes, like 09:30"),
        (week(d0_starts="12:00", d0_ends="09:00"), "Monday: the start must be before the end."),
        (week(d1_starts="09:00"), "Tuesday: give both the opening and the closing time."),
        (week(d2_break_starts="10:00", d2_break_ends="10:30"), "Wednesday: give the opening"),
        (
            week(
                d0_starts="09:00", d0_ends="12:00", d0_break_starts="11:30", d0_break_ends="13:00"
            ),
            "Monday: the break must start before it ends, within the hours.",
        ),
        (
            week(d0_starts="09:00", d0_ends="12:00", d0_break_starts="10:00"),
            "Monday: give both the start and the end of the break",
        ),
    ],
)
def test_bad_hours_are_refused_and_nothing_changes(client, login, clinic, data, message):
    login(clinic)
    before = hours_rows(clinic)
    response = client.post("/clinic/schedule", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert hours_rows(clinic) == before


def test_days_off_are_added_refused_when_wrong_and_removed(client, login, clinic):
    login(clinic)
    assert client.post("/clinic/schedule/days-off", data={"day": "2026-12-08"}).status_code == 303
    assert key(clinic, TUESDAY_10) not in client.get("/consultation").get_data(as_text=True)
    for bad, message in (
        ({"day": "2026-12-08"}, "already a day off"),
        ({"day": "2026-12-01"}, "today or later"),
        ({"day": "08/12/2026"}, "Not a valid date value"),
        ({}, "Please give the date of the day off."),
        ({"day": "2026-12-09", "note": "x" * 121}, "under 120 characters"),
    ):
        response = client.post("/clinic/schedule/days-off", data=bad)
        assert response.status_code == 422 and message in response.get_data(as_text=True)
    (day_off,) = db.session.execute(select(ClinicianDayOff)).scalars()
    colleague = make_user(role="clinician")
    login(colleague)
    assert client.post(f"/clinic/schedule/days-off/{day_off.id}/remove").status_code == 404
    login(clinic)
    assert client.post(f"/clinic/schedule/days-off/{day_off.id}/remove").status_code == 303
    assert db.session.execute(select(func.count(ClinicianDayOff.id))).scalar_one() == 0


def test_admins_change_the_booking_settings_and_the_slots_follow(client, login, clinic):
    login(make_user(role="admin"))
    settings = {
        "consultation_minutes": "45",
        "gap_minutes": "15",
        "horizon_days": "3",
        "notice_minutes": "0",
    }
    assert client.post("/clinic/schedule/settings", data=settings).status_code == 303
    row = db.session.get(BookingSettings, 1)
    assert (row.consultation_minutes, row.gap_minutes, row.horizon_days) == (45, 15, 3)
    html = client.get("/consultation").get_data(as_text=True)
    assert key(clinic, MONDAY_8AM.replace(hour=9)) in html  # no notice now
    assert key(clinic, MONDAY_8AM.replace(hour=10)) in html  # 09:00 + 45 + 15
    assert key(clinic, MONDAY_8AM.replace(hour=9, minute=30)) not in html
    # Past the three-day horizon nothing is offered, and nothing can be booked.
    friday = datetime(2026, 12, 11, 10, 0, tzinfo=UTC)
    assert key(clinic, friday) not in html
    assert book(client, clinic, friday).status_code == 422


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("consultation_minutes", "0", "must be from 5 to 240"),
        ("gap_minutes", "abc", "Not a valid integer value"),
        ("horizon_days", "", "is needed"),
        ("notice_minutes", "-5", "must be from 0 to 10080"),
    ],
)
def test_bad_settings_are_refused(client, login, clinic, field, value, message):
    login(make_user(role="admin"))
    data = {"consultation_minutes": "20", "gap_minutes": "10", "horizon_days": "56"}
    data["notice_minutes"] = "120"
    data[field] = value
    response = client.post("/clinic/schedule/settings", data=data)
    assert response.status_code == 422 and message in response.get_data(as_text=True)
    assert db.session.get(BookingSettings, 1) is None


def test_hours_that_strand_a_booking_list_it_for_the_clinic_to_move(client, login, clinic):
    assert book(client, clinic, TUESDAY_10).status_code == 303
    login(clinic)
    # Tuesday closed: the booking stays booked, and the clinic is told to move it.
    response = client.post(
        "/clinic/schedule", data=week(d0_starts="09:00", d0_ends="12:00"), follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "1 booked consultation is now outside the hours" in html
    assert "Bookings outside the hours" in html and "Ada Patient" in html
    assert bookings()[0].status == "booked"
    assert "Outside the hours: move it" in client.get("/clinic/").get_data(as_text=True)
    # A day off strands it in the same way.
    client.post("/clinic/schedule", data=week(d1_starts="09:00", d1_ends="12:00"))
    response = client.post("/clinic/schedule/days-off", data={"day": "2026-12-08"})
    assert response.status_code == 303
    assert "Ada Patient" in client.get("/clinic/schedule").get_data(as_text=True)


# --- the clinic's day ----------------------------------------------------------------------------


def test_the_dashboard_shows_bookings_per_clinician_with_a_recommendation_prefilled(
    client, login, clinic
):
    assert book(client, clinic, TUESDAY_10).status_code == 303
    request = db.session.execute(select(ConsultationRequest)).scalar_one()
    login(clinic)
    html = client.get("/clinic/").get_data(as_text=True)
    assert "Dr Rowe" in html and "Tue 8 Dec, 10:00" in html
    assert "How long is the redness?" in html and "Micro-needling" in html
    link = f"/clinic/recommendations/new?consultation={request.id}"
    assert link in html.replace("&amp;", "&")
    form = client.get(link).get_data(as_text=True)
    assert 'value="Ada Patient"' in form and 'value="ada@example.com"' in form
    response = client.post(
        "/clinic/recommendations/new",
        data=recommendation_form(consultation_id=str(request.id), treated_on="2026-12-08"),
    )
    assert response.status_code == 302
    rec = db.session.execute(select(Recommendation)).scalar_one()
    assert rec.consultation_id == request.id
    html = client.get("/clinic/").get_data(as_text=True)
    assert f"/clinic/recommendations/{rec.id}" in html and "Open the recommendation" in html


def test_attendance_is_marked_once_the_time_has_come_by_its_clinician_or_an_admin(
    client, login, clinic, monkeypatch
):
    book(client, clinic, TUESDAY_10)
    (booking,) = bookings()
    login(clinic)
    url = f"/clinic/bookings/{booking.id}/attendance"
    assert client.post(url, data={"status": "attended"}).status_code == 409  # still to come
    pin_clock(monkeypatch, TUESDAY_10 + timedelta(minutes=5))
    assert client.post(url, data={"status": "maybe"}).status_code == 400
    assert client.post(url, data={}).status_code == 400
    assert (
        client.post("/clinic/bookings/987654/attendance", data={"status": "attended"}).status_code
        == 404
    )
    login(make_user(role="clinician"))
    assert client.post(url, data={"status": "attended"}).status_code == 404
    assert bookings()[0].status == "booked"
    login(clinic)
    assert "Did not attend" in client.get("/clinic/").get_data(as_text=True)
    assert client.post(url, data={"status": "no_show"}).status_code == 303
    assert bookings()[0].status == "no_show"
    login(make_user(role="admin"))
    assert client.post(url, data={"status": "attended"}).status_code == 303
    assert bookings()[0].status == "attended"


def test_the_report_follows_bookings_to_attended_recommended_and_bought(client, login, clinic):
    book(client, clinic, TUESDAY_10)
    book(client, clinic, TUESDAY_10 + timedelta(hours=1), email="bo@example.com", name="Bo")
    first, second = bookings()
    first.status = "attended"
    second.status = "no_show"
    db.session.commit()
    login(clinic)
    client.post(
        "/clinic/recommendations/new",
        data=recommendation_form(
            consultation_id=str(first.consultation_id), treated_on="2026-12-08"
        ),
    )
    rec = db.session.execute(select(Recommendation)).scalar_one()
    db.session.add(
        Order(
            reference="LS-BOOKED1",
            email="ada@example.com",
            name="Ada Patient",
            fulfilment="collect",
            status="paid",
            payment_method="clinic",
            subtotal_pence=1000,
            total_pence=1000,
            recommendation_id=rec.id,
        )
    )
    db.session.commit()
    html = client.get("/clinic/reports?date_from=2026-12-01&date_to=2026-12-31").get_data(
        as_text=True
    )
    assert "Booked consultations" in html
    row = html.split("Booked consultations per clinician")[1]
    cells = [cell.split("</td>")[0] for cell in row.split("<td>")[1:5]]
    assert cells == ["2", "1", "1", "1"]


# --- personal data -------------------------------------------------------------------------------


def test_export_has_the_booking_and_erasure_cancels_it_and_closes_its_link(client, login, clinic):
    patient = make_user(email="ada@example.com", name="Ada Patient")
    patient.email_confirmed_at = MONDAY_8AM
    db.session.commit()
    book(client, clinic, TUESDAY_10)
    token = manage_token(emails("booking_confirmation")[0])
    login(patient)
    data = client.get("/account/data/export").get_json()
    (request,) = data["consultation_requests"]
    assert request["booking"]["starts_at"].startswith("2026-12-08T10:00")
    assert request["booking"]["status"] == "booked" and request["phone"] == "07700 900123"
    response = client.post(
        "/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"}
    )
    assert response.status_code == 302
    (booking,) = bookings()
    assert booking.status == "cancelled" and booking.manage_token_hash is None
    assert booking.consultation.name != "Ada Patient" and booking.consultation.phone == ""
    assert client.get(f"/consultation/{token}").status_code == 404
    assert db.session.execute(select(func.count(User.id))).scalar_one() == 1
    assert key(clinic, TUESDAY_10) in client.get("/consultation").get_data(as_text=True)


def test_an_inactive_clinician_offers_no_times(client, clinic):
    clinic.active = False
    db.session.commit()
    html = client.get("/consultation").get_data(as_text=True)
    assert 'name="slot"' not in html and "Preferred days and times" in html


def test_the_clinic_moves_a_stranded_booking_and_the_patients_link_keeps_working(
    client, login, clinic
):
    book(client, clinic, TUESDAY_10)
    token = manage_token(emails("booking_confirmation")[0])
    (booking,) = bookings()
    login(clinic)
    client.post("/clinic/schedule", data=week(d0_starts="09:00", d0_ends="12:00"))
    url = f"/clinic/bookings/{booking.id}/move"
    page = client.get(url).get_data(as_text=True)
    assert "outside Dr Rowe's hours now" in page
    # Inside the shortest notice: offered to the clinic, which agreed it with the patient.
    soon = MONDAY_8AM.replace(hour=9)
    assert key(clinic, soon) in page
    for bad, status in (
        ({}, 422),
        ({"slot": "nonsense"}, 422),
        ({"slot": key(clinic, TUESDAY_10)}, 422),
    ):
        assert client.post(url, data=bad).status_code == status
    assert client.get(f"{url}?from=later").status_code == 400
    response = client.post(url, data={"slot": key(clinic, soon)})
    assert response.status_code == 303
    (moved,) = bookings()
    assert moved.starts_at.replace(tzinfo=UTC) == soon and moved.status == "booked"
    (email,) = emails("booking_moved")
    assert (
        "as agreed with the clinic" in email.body_text and "/consultation/" not in email.body_text
    )
    assert "Monday 7 December 2026 at 09:00" in client.get(f"/consultation/{token}").get_data(
        as_text=True
    )
    assert "Bookings outside the hours" not in client.get("/clinic/schedule").get_data(as_text=True)


def test_the_clinic_cancels_a_booking_its_clinician_or_an_admin_only(client, login, clinic):
    book(client, clinic, TUESDAY_10)
    (booking,) = bookings()
    login(make_user(role="clinician"))
    assert client.get(f"/clinic/bookings/{booking.id}/move").status_code == 404
    assert client.post(f"/clinic/bookings/{booking.id}/cancel").status_code == 404
    assert client.post("/clinic/bookings/987654/cancel").status_code == 404
    login(make_user(role="admin"))
    assert client.post(f"/clinic/bookings/{booking.id}/cancel").status_code == 303
    assert bookings()[0].status == "cancelled"
    assert "cancelled by the clinic" in emails("booking_cancelled")[0].body_text
    assert client.post(f"/clinic/bookings/{booking.id}/cancel").status_code == 409
    assert (
        client.post(
            f"/clinic/bookings/{booking.id}/move", data={"slot": key(clinic, TUESDAY_10)}
        ).status_code
        == 422
    )


def test_the_dashboard_queries_do_not_grow_with_the_bookings(client, login, clinic, count_queries):
    login(clinic)

    def dashboard_queries() -> int:
        with count_queries() as counter:
            assert client.get("/clinic/").status_code == 200
        return len(counter.statements)

    book(client, clinic, TUESDAY_10)
    few = dashboard_queries()
    for n in range(1, 5):
        book(client, clinic, TUESDAY_10 + timedelta(days=n), email=f"p{n}@example.com")
    assert dashboard_queries() == few
