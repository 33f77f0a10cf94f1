"""Real concurrency on PostgreSQL: overlapping `reminders send` runs queue each email once."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import OutboxEmail, ReminderMilestone, ReminderSent, ReminderSubscription, db
from shop.services import reminders
from tests.postgres.conftest import second_app

SUBSCRIBERS = 25
RUNS = 4

pytestmark = pytest.mark.postgres


@pytest.fixture
def race_app(postgres_url, app_ctx):
    """A second app on the same database with a connection for every thread."""
    with second_app(postgres_url, RUNS + 2) as application:
        yield application


def _confirmed_subscription(n: int, day: date) -> None:
    now = datetime.now(UTC) - timedelta(days=1)
    db.session.add(
        ReminderSubscription(
            status="confirmed",
            email=f"race{n}@example.com",
            plan_path=f"/plans/race-{n}",
            confirm_token_hash=f"{n:064d}",
            consent_at=now,
            created_at=now,
            confirmed_at=now,
            milestones=[
                ReminderMilestone(
                    day=3,
                    falls_on=day,
                    details={"fine_again": ["Make-up"], "plan_over": False},
                )
            ],
        )
    )


def test_overlapping_send_runs_queue_each_reminder_exactly_once(app, race_app):
    day = date.today()
    for n in range(SUBSCRIBERS):
        _confirmed_subscription(n, day)
    db.session.commit()
    barrier = threading.Barrier(RUNS)
    reports, errors = [], []

    def run() -> None:
        with race_app.app_context():
            barrier.wait()
            try:
                reports.append(reminders.queue_reminders(day))
            except BaseException as error:  # collected and asserted on below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(RUNS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(r.queued for r in reports) == SUBSCRIBERS
    db.session.expire_all()
    per_address = db.session.execute(
        select(OutboxEmail.to_address, func.count())
        .where(OutboxEmail.kind == "reminder")
        .group_by(OutboxEmail.to_address)
    ).all()
    assert len(per_address) == SUBSCRIBERS
    assert {count for _, count in per_address} == {1}
    assert db.session.execute(select(func.count()).select_from(ReminderSent)).scalar_one() == (
        SUBSCRIBERS
    )
