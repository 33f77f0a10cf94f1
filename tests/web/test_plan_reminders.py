"""The plan link's calendar file and reminder emails: consent, confirmation, queue, unsubscribe."""

from __future__ import annotations

import logging
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar
from sqlalchemy import func, select

from models import OutboxEmail, ReminderSent, ReminderSubscription, db
from shop import clock
from shop.security import AccessLogQueryFilter
from shop.services import outbox
from tests.factories import DEFAULT_PASSWORD, make_user, screening_form_data

TREATED_ON = date.today()
EMAIL = "Pat.Reminders@Example.com"
CLINIC = ZoneInfo("Europe/London")


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output


def _pin(monkeypatch, day: date, hour: int = 12, minute: int = 0) -> None:
    """Pin the shop's clock to `hour:minute` clinic time on `day`."""
    moment = datetime(day.year, day.month, day.day, hour, minute, tzinfo=CLINIC).astimezone(UTC)
    monkeypatch.setattr(clock, "_system_now", lambda: moment)


def _plan_path(client, **changes) -> str:
    answers = {
        "treatment": "microneedling",
        "treated_on": TREATED_ON.isoformat(),
        "fitzpatrick": "2",
        **screening_form_data(),
        "screening_pregnant_or_breastfeeding": "yes",
        **changes,
    }
    response = client.post("/kit-finder", data=answers)
    assert response.status_code == 303
    return response.headers["Location"]


@pytest.fixture
def plan_path(client, seeded):
    return _plan_path(client)


def _subscribe(client, path, email=EMAIL, consent="y"):
    data = {"email": email}
    if consent:
        data["consent"] = consent
    return client.post(path + "/reminders", data=data)


def _outbox(kind: str) -> list[OutboxEmail]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(OutboxEmail).where(OutboxEmail.kind == kind).order_by(OutboxEmail.id)
        ).scalars()
    )


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _link(body: str, prefix: str) -> str:
    found = re.search(rf"https?://[^\s/]+({re.escape(prefix)}[A-Za-z0-9_-]+)", body)
    assert found, body
    return found.group(1)


def _confirmed(client, path, email=EMAIL) -> None:
    assert _subscribe(client, path, email).status_code == 303
    confirm = _link(_outbox("reminder_confirmation")[-1].body_text, "/reminders/confirm/")
    assert client.post(confirm).status_code == 200


def _send(runner, *args):
    return runner.invoke(args=["reminders", "send", *args])


def _subscription() -> ReminderSubscription:
    db.session.expire_all()
    return db.session.execute(select(ReminderSubscription)).scalar_one()


# --- the plan page and the calendar file ----------------------------------------------------


def test_the_plan_page_offers_reminders_and_the_calendar_file(client, plan_path):
    html = client.get(plan_path).get_data(as_text=True)
    assert html.count('id="reminders"') == 1
    assert f'action="{plan_path}/reminders"' in html
    assert f'href="{plan_path}.ics"' in html and "Add to calendar" in html
    assert 'name="consent"' in html and 'type="email"' in html


def test_the_calendar_file_reads_back_with_one_all_day_event_per_key_day(client, plan_path):
    response = client.get(plan_path + ".ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    events = Calendar.from_ical(response.data).walk("VEVENT")
    assert len(events) >= 3
    starts = [event.decoded("dtstart") for event in events]
    assert starts[0] == TREATED_ON and starts == sorted(starts)
    assert all(type(start) is date for start in starts)
    plan_url = "http://127.0.0.1:5000" + plan_path
    assert all(str(event["url"]) == plan_url for event in events)
    assert all("dtstamp" in event for event in events)
    # The same plan downloaded again keeps its events' UIDs (a calendar updates, not doubles).
    again = Calendar.from_ical(client.get(plan_path + ".ics").data).walk("VEVENT")
    assert [str(e["uid"]) for e in again] == [str(e["uid"]) for e in events]
    assert all(plan_path.removeprefix("/plans/") not in str(e["uid"]) for e in events)


@pytest.mark.parametrize(
    "mangle",
    [lambda t: t[:-6], lambda t: secrets.token_urlsafe(len(t) * 3 // 4), lambda t: "nope"],
    ids=["truncated", "random", "words"],
)
def test_a_forged_calendar_link_is_404_with_no_data(client, plan_path, mangle):
    token = plan_path.removeprefix("/plans/")
    response = client.get(f"/plans/{mangle(token)}.ics")
    assert response.status_code == 404
    assert b"VCALENDAR" not in response.data
    assert response.headers["Cache-Control"] == "no-store"


def test_an_expired_calendar_link_is_410(app, client, plan_path, monkeypatch):
    _pin(monkeypatch, TREATED_ON + timedelta(days=app.config["PLAN_LINK_DAYS"] + 1))
    response = client.get(plan_path + ".ics")
    assert response.status_code == 410
    assert b"VCALENDAR" not in response.data
    assert response.headers["Cache-Control"] == "no-store"


def test_the_calendar_and_the_plan_share_one_rate_limit(app, client, plan_path, monkeypatch):
    monkeypatch.setitem(app.config, "PLAN_LINK_RATE_LIMIT", "3 per minute")
    codes = [client.get(f"/plans/{secrets.token_urlsafe(120)}.ics").status_code for _ in range(3)]
    assert codes == [404] * 3
    limited = client.get(plan_path)
    assert limited.status_code == 429
    assert limited.headers["Cache-Control"] == "no-store"


# --- subscribing ------------------------------------------------------------------------------


def test_subscribing_with_consent_sends_only_a_confirmation_without_health_detail(
    client, plan_path
):
    response = _subscribe(client, plan_path)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(plan_path)
    page = client.get(plan_path).get_data(as_text=True)
    assert "emailed you a link to confirm" in page
    subscription = _subscription()
    assert subscription.status == "pending" and subscription.email == EMAIL.lower()
    assert subscription.consent_at is not None and subscription.confirmed_at is None
    assert subscription.plan_path == plan_path
    assert subscription.milestones[0].falls_on == TREATED_ON
    (email,) = db.session.execute(select(OutboxEmail)).scalars().all()
    assert email.kind == "reminder_confirmation" and email.to_address == EMAIL.lower()
    # Whoever reads that mailbox is not known to be the patient yet.
    token = plan_path.removeprefix("/plans/")
    for secret in (token, "/plans/", "Micro-needling", "microneedling", "pregnan", "Make-up"):
        assert secret not in email.body_text


@pytest.mark.parametrize("consent", [None, "no", "0", "off"])
def test_subscribing_without_consent_is_refused_and_stores_nothing(client, plan_path, consent):
    response = _subscribe(client, plan_path, consent=consent)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Tick the box" in html
    assert EMAIL in html  # the address typed is kept in the form
    assert _count(ReminderSubscription) == 0 and _count(OutboxEmail) == 0


@pytest.mark.parametrize(
    ("email", "message"),
    [
        ("", "Enter the email address for your reminders."),
        ("not-an-email", "Please enter a valid email address"),
        ("pat@", "Please enter a valid email address"),
        ("a" * 250 + "@example.com", "That email address is too long."),
    ],
    ids=["empty", "no-at", "no-domain", "too-long"],
)
def test_a_bad_email_is_refused_with_a_clear_message_and_stores_nothing(
    client, plan_path, email, message
):
    response = _subscribe(client, plan_path, email=email)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _count(ReminderSubscription) == 0 and _count(OutboxEmail) == 0


def test_subscribing_to_a_forged_or_expired_plan_link_stores_nothing(
    app, client, plan_path, monkeypatch
):
    assert _subscribe(client, "/plans/" + secrets.token_urlsafe(120)).status_code == 404
    _pin(monkeypatch, TREATED_ON + timedelta(days=app.config["PLAN_LINK_DAYS"] + 1))
    assert _subscribe(client, plan_path).status_code == 410
    assert _count(ReminderSubscription) == 0 and _count(OutboxEmail) == 0


def test_subscribing_is_rate_limited_per_address(app, client, plan_path, monkeypatch):
    monkeypatch.setitem(app.config, "REMINDER_SUBSCRIBE_RATE_LIMIT", "2 per minute")
    codes = [_subscribe(client, plan_path, email=f"p{n}@example.com").status_code for n in (1, 2)]
    assert codes == [303, 303]
    assert _subscribe(client, plan_path, email="p3@example.com").status_code == 429
    assert _count(ReminderSubscription) == 2


# --- confirming -------------------------------------------------------------------------------


def test_the_confirmation_link_shows_a_button_and_only_the_post_confirms(client, plan_path):
    _subscribe(client, plan_path)
    confirm = _link(_outbox("reminder_confirmation")[0].body_text, "/reminders/confirm/")
    stranger = client.application.test_client()
    page = stranger.get(confirm)
    assert page.status_code == 200
    assert "Yes, send me the reminders" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert page.headers["Referrer-Policy"] == "no-referrer"
    assert _subscription().status == "pending"
    done = stranger.post(confirm)
    assert done.status_code == 200
    assert "Your reminders are on" in done.get_data(as_text=True)
    assert _subscription().status == "confirmed" and _subscription().confirmed_at is not None
    again = stranger.post(confirm)
    assert again.status_code == 200
    assert "already on" in again.get_data(as_text=True)


def test_a_forged_confirmation_link_is_404(client, plan_path):
    _subscribe(client, plan_path)
    for method in (client.get, client.post):
        assert method(f"/reminders/confirm/{secrets.token_urlsafe(32)}").status_code == 404
    assert _subscription().status == "pending"


def test_a_confirmation_link_too_old_is_410_and_the_address_is_then_deleted(
    app, client, runner, plan_path, monkeypatch
):
    _subscribe(client, plan_path)
    confirm = _link(_outbox("reminder_confirmation")[0].body_text, "/reminders/confirm/")
    hours = app.config["EMAIL_CONFIRMATION_MAX_AGE"] // 3600
    later = clock.now() + timedelta(hours=hours, minutes=1)
    monkeypatch.setattr(clock, "_system_now", lambda: later.astimezone(UTC))
    for method in (client.get, client.post):
        response = method(confirm)
        assert response.status_code == 410
        assert "expired" in response.get_data(as_text=True)
    assert _subscription().status == "pending"
    result = _send(runner)
    assert result.exit_code == 0, result.output
    assert "Ended 1 subscription." in result.output
    assert _count(ReminderSubscription) == 0
    assert client.get(confirm).status_code == 404


# --- queueing ---------------------------------------------------------------------------------


def test_nothing_but_the_confirmation_is_sent_before_the_address_is_confirmed(
    client, runner, plan_path, monkeypatch
):
    _subscribe(client, plan_path)
    for day in [m.falls_on for m in _subscription().milestones]:
        _pin(monkeypatch, day, 9)
        result = _send(runner)
        assert result.exit_code == 0, result.output
        assert "Queued 0 reminders" in result.output
    assert _outbox("reminder") == []
    assert _count(OutboxEmail) == 1


def test_before_eight_in_the_clinic_nothing_is_queued_and_from_eight_todays_is(
    client, runner, plan_path, monkeypatch
):
    _confirmed(client, plan_path)
    day_one = TREATED_ON + timedelta(days=1)
    _pin(monkeypatch, day_one, 7, 59)
    result = _send(runner)
    assert result.exit_code == 0, result.output
    assert "from 08:00 clinic time; nothing queued" in result.output
    assert _outbox("reminder") == []
    _pin(monkeypatch, day_one, 8, 0)
    result = _send(runner)
    assert "Queued 1 reminder for" in result.output
    (reminder,) = _outbox("reminder")
    assert "Aftercare day 1: what changes today" in reminder.subject
    assert "Make-up" in reminder.body_text
    # The cron runs every 15 minutes: later runs that day queue nothing more.
    _pin(monkeypatch, day_one, 8, 15)
    assert "Queued 0 reminders" in _send(runner).output
    assert len(_outbox("reminder")) == 1


def test_the_send_hour_follows_the_setting(app, client, runner, plan_path, monkeypatch):
    _confirmed(client, plan_path)
    monkeypatch.setitem(app.config, "REMINDER_SEND_FROM_HOUR", 10)
    _pin(monkeypatch, TREATED_ON + timedelta(days=1), 9, 30)
    assert "from 10:00 clinic time" in _send(runner).output
    assert _outbox("reminder") == []


def test_on_a_date_queues_what_was_due_that_day_whatever_the_time(
    client, runner, plan_path, monkeypatch
):
    _confirmed(client, plan_path)
    day_one = TREATED_ON + timedelta(days=1)
    _pin(monkeypatch, day_one + timedelta(days=1), 3, 0)  # the morning after an outage
    result = _send(runner, "--on", day_one.isoformat())
    assert result.exit_code == 0, result.output
    assert "Queued 1 reminder for" in result.output
    (reminder,) = _outbox("reminder")
    assert "Aftercare day 1" in reminder.subject
    assert "Queued 0 reminders" in _send(runner, "--on", day_one.isoformat()).output


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2026-13-01", "'2026-13-01' does not match the format"),
        ("tomorrow", "'tomorrow' does not match the format"),
        ("01/12/2026", "does not match the format"),
        ("", "does not match the format"),
    ],
)
def test_a_bad_on_value_is_a_clear_error_and_queues_nothing(
    client, runner, plan_path, value, message
):
    _confirmed(client, plan_path)
    result = _send(runner, "--on", value)
    assert result.exit_code == 2
    assert "Invalid value for '--on'" in result.output and message in result.output
    assert _outbox("reminder") == []


def test_on_a_future_date_is_refused(client, runner, plan_path):
    _confirmed(client, plan_path)
    result = _send(runner, "--on", (TREATED_ON + timedelta(days=1)).isoformat())
    assert result.exit_code == 2
    assert "reminders are never sent early" in result.output
    assert _outbox("reminder") == []


def test_a_queued_reminder_carries_the_plan_link_and_one_click_unsubscribe(
    app, client, runner, plan_path, monkeypatch
):
    monkeypatch.setitem(app.config, "PUBLIC_BASE_URL", "https://shop.example")
    _confirmed(client, plan_path)
    _send(runner, "--on", TREATED_ON.isoformat())
    (reminder,) = _outbox("reminder")
    assert reminder.to_address == EMAIL.lower()
    assert f"https://shop.example{plan_path}" in reminder.body_text
    unsubscribe = _link(reminder.body_text, "/reminders/unsubscribe/")
    assert reminder.headers == {
        "List-Unsubscribe": f"<https://shop.example{unsubscribe}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    message = outbox.build_message(reminder, "shop@clinic.example")
    assert message["List-Unsubscribe"] == f"<https://shop.example{unsubscribe}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["To"] == EMAIL.lower()
    # Only a hash of the unsubscribe token is kept beside the reminder.
    token = unsubscribe.removeprefix("/reminders/unsubscribe/")
    sent = db.session.execute(select(ReminderSent)).scalar_one()
    assert sent.unsubscribe_token_hash != token and token not in sent.unsubscribe_token_hash


def test_other_emails_keep_no_extra_headers(client, plan_path):
    _subscribe(client, plan_path)
    (confirmation,) = _outbox("reminder_confirmation")
    assert confirmation.headers == {}
    assert "List-Unsubscribe" not in outbox.build_message(confirmation, "shop@clinic.example")


# --- unsubscribing and the end ------------------------------------------------------------------


def _first_reminder_unsubscribe(client, runner, plan_path) -> str:
    _confirmed(client, plan_path)
    _send(runner, "--on", TREATED_ON.isoformat())
    return _link(_outbox("reminder")[0].body_text, "/reminders/unsubscribe/")


def test_unsubscribe_get_asks_and_changes_nothing(client, runner, plan_path):
    unsubscribe = _first_reminder_unsubscribe(client, runner, plan_path)
    page = client.application.test_client().get(unsubscribe)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Stop your aftercare reminders?" in html and ">Unsubscribe</button>" in html
    assert page.headers["Cache-Control"] == "no-store"
    assert _subscription().status == "confirmed"


def test_one_click_unsubscribe_needs_no_session_or_csrf_and_twice_is_fine(
    app, client, runner, plan_path, monkeypatch
):
    unsubscribe = _first_reminder_unsubscribe(client, runner, plan_path)
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    mail_program = app.test_client()
    response = mail_program.post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "You are unsubscribed" in response.get_data(as_text=True)
    subscription = _subscription()
    assert subscription.status == "unsubscribed" and subscription.ended_at is not None
    assert subscription.email is None and subscription.plan_path is None
    assert subscription.milestones == []
    again = mail_program.post(unsubscribe)
    assert again.status_code == 200
    assert "You were already unsubscribed" in again.get_data(as_text=True)
    assert "You are not subscribed" in mail_program.get(unsubscribe).get_data(as_text=True)
    # Only that route is exempt: the confirmation button still needs its CSRF token.
    assert mail_program.post("/reminders/confirm/" + secrets.token_urlsafe(32)).status_code == 400


def test_a_forged_unsubscribe_link_is_404_and_changes_nothing(client, runner, plan_path):
    _first_reminder_unsubscribe(client, runner, plan_path)
    forged = "/reminders/unsubscribe/" + secrets.token_urlsafe(32)
    assert client.get(forged).status_code == 404
    assert client.post(forged).status_code == 404
    assert _subscription().status == "confirmed"


def test_an_unsubscribed_address_gets_nothing_more(client, runner, plan_path, monkeypatch):
    unsubscribe = _first_reminder_unsubscribe(client, runner, plan_path)
    client.post(unsubscribe)
    _pin(monkeypatch, TREATED_ON + timedelta(days=20))
    for offset in range(1, 20):
        _send(runner, "--on", (TREATED_ON + timedelta(days=offset)).isoformat())
    assert len(_outbox("reminder")) == 1


def test_a_subscription_ends_by_itself_after_its_last_key_day(
    client, runner, plan_path, monkeypatch
):
    _confirmed(client, plan_path)
    last = _subscription().milestones[-1].falls_on
    _pin(monkeypatch, last, 9)
    assert "Queued 1 reminder" in _send(runner).output
    assert "plan complete" in _outbox("reminder")[-1].subject.lower()
    assert _subscription().status == "confirmed"
    _pin(monkeypatch, last + timedelta(days=1), 0, 15)
    result = _send(runner)
    assert "Ended 1 subscription." in result.output
    subscription = _subscription()
    assert subscription.status == "finished"
    assert subscription.email is None and subscription.plan_path is None
    assert subscription.milestones == []
    assert "Queued 0 reminders" in _send(runner, "--on", last.isoformat()).output


# --- privacy ----------------------------------------------------------------------------------


def test_export_and_erasure_include_reminders_to_the_confirmed_address(
    client, runner, plan_path, login
):
    _first_reminder_unsubscribe(client, runner, plan_path)
    user = make_user(email=EMAIL, email_confirmed_at=datetime.now(UTC))
    login(user)
    data = client.get("/account/data/export").get_json()
    (exported,) = data["reminder_subscriptions"]
    assert exported["email"] == EMAIL.lower() and exported["status"] == "confirmed"
    assert exported["plan_link"] == plan_path and exported["consent_at"]
    assert exported["key_days"][0]["date"] == TREATED_ON.isoformat()
    assert exported["reminders_queued_for_days"] == [0]
    response = client.post(
        "/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"}
    )
    assert response.status_code in (302, 303)
    assert _count(ReminderSubscription) == 0 and _count(ReminderSent) == 0


def test_an_unconfirmed_account_address_does_not_reach_reminders(client, plan_path, login):
    _subscribe(client, plan_path)
    login(make_user(email=EMAIL))
    assert client.get("/account/data/export").get_json()["reminder_subscriptions"] == []
    client.post("/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"})
    assert _count(ReminderSubscription) == 1


def test_no_address_token_or_health_answer_reaches_the_logs(app, client, runner, plan_path, caplog):
    caplog.set_level(logging.DEBUG)
    unsubscribe = _first_reminder_unsubscribe(client, runner, plan_path)
    client.get(plan_path + ".ics")
    client.post(unsubscribe)
    _subscribe(client, plan_path, email="not-an-email")
    text = caplog.text.lower()
    for secret in (EMAIL.lower(), "not-an-email", "pregnan", plan_path.removeprefix("/plans/")):
        assert secret.lower() not in text
    for path in (unsubscribe, "/reminders/confirm/abcdefghijklmnop"):
        redacted = AccessLogQueryFilter.redact(f"GET {path} HTTP/1.1")
        assert path.rsplit("/", 1)[1] not in redacted and "[redacted]" in redacted
