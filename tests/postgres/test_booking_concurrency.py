"""Real concurrency on PostgreSQL: twenty patients book one clinician's slot at the same moment.

Each has its own application context, test client, client address and email, so each has its
own database connection and rate-limit budget; a barrier lines them up. The unique index on
(clinician, start) lets exactly one booking in; every other patient is told at once (409) that
the time was just taken, and nobody sees a server error.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import Booking, ClinicianHours, ConsultationRequest, OutboxEmail, db
from shop import clock
from shop.services.bookings import booking as booking_service
from tests.factories import make_user
from tests.postgres.conftest import second_app

PATIENTS = 20

pytestmark = pytest.mark.postgres


@pytest.fixture
def race_app(postgres_url, app_ctx):
    """A second app on the same database with a connection for every patient."""
    with second_app(postgres_url, PATIENTS + 4, WTF_CSRF_ENABLED=False) as application:
        yield application


def test_twenty_patients_booking_one_slot_at_once_leave_exactly_one_booking(app, race_app):
    clinician = make_user(role="clinician", name="Dr Race")
    for weekday in range(7):
        db.session.add(
            ClinicianHours(
                clinician_id=clinician.id, weekday=weekday, starts_minute=0, ends_minute=1440
            )
        )
    db.session.commit()
    listing = booking_service.slot_listing(clinician.id, None, 1, clock.utc_now())
    slot = listing.days[0].slots[0][0]
    barrier = threading.Barrier(PATIENTS)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def patient(n: int) -> None:
        with race_app.app_context():
            client = race_app.test_client()
            data = {
                "slot": slot.key,
                "name": f"Patient {n}",
                "email": f"race{n}@example.com",
                "phone": "07700 900123",
                "treatment": "",
                "consent": "y",
            }
            barrier.wait()
            try:
                response = client.post(
                    "/consultation", data=data, environ_base={"REMOTE_ADDR": f"10.20.0.{n}"}
                )
                statuses.append(response.status_code)
                if response.status_code == 409:
                    assert "just taken" in response.get_data(as_text=True)
            except BaseException as error:  # collected and asserted on below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=patient, args=(n,)) for n in range(PATIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(statuses) == [303] + [409] * (PATIENTS - 1)
    db.session.expire_all()
    assert db.session.execute(select(func.count(Booking.id))).scalar_one() == 1
    assert db.session.execute(select(func.count(ConsultationRequest.id))).scalar_one() == 1
    # Only the winner was emailed: a loser's email rolled back with its booking.
    assert db.session.execute(select(func.count(OutboxEmail.id))).scalar_one() == 1


def test_overlapping_reminder_runs_queue_each_booking_reminder_once(app, race_app):
    clinician = make_user(role="clinician", name="Dr Remind")
    tomorrow = clock.today() + timedelta(days=1)
    start = clock.day_starts(tomorrow) + timedelta(hours=9)
    for n in range(10):
        request = ConsultationRequest(name=f"P{n}", email=f"remind{n}@example.com")
        db.session.add(
            Booking(
                consultation=request,
                clinician_id=clinician.id,
                starts_at=start + timedelta(minutes=30 * n),
                ends_at=start + timedelta(minutes=30 * n + 20),
                status="booked",
            )
        )
    db.session.commit()
    runs = 4
    barrier = threading.Barrier(runs)
    results, errors = [], []

    def run() -> None:
        with race_app.app_context():
            barrier.wait()
            try:
                results.append(booking_service.queue_day_before_reminders())
            except BaseException as error:  # collected and asserted on below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(queued for queued, _ in results) == 10
    emails = db.session.execute(
        select(OutboxEmail.to_address).where(OutboxEmail.kind == "booking_reminder")
    ).scalars()
    assert sorted(emails) == sorted(f"remind{n}@example.com" for n in range(10))
