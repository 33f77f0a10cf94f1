"""Reminder emails for the days a plan changes: subscribe, confirm, queue, unsubscribe, end.

What is stored, and only after the patient ticks the consent box: the address, when they
agreed and confirmed, the path of their plan (for the link in each email), and a frozen copy
of the plan's key days in words. The answers themselves are never stored here. Nothing but
the confirmation email (which carries no health detail and no plan link, as the address is
not proven yet) is sent before the address is confirmed. Everything but the link hashes is
deleted when the subscription ends: unsubscribed, finished, or never confirmed.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from models import ReminderMilestone, ReminderSent, ReminderSubscription, db
from shop import clock
from shop.aftercare import Change, Plan
from shop.services.accounts.auth import normalise_email
from shop.services.accounts.errors import AccountError
from shop.services.notifications import queue_email
from shop.services.plan_calendar import describe_change, long_date
from shop.services.tokens import hash_token
from shop.services.unit_of_work import unit_of_work

CONFIRM_PATH = "/reminders/confirm/"
UNSUBSCRIBE_PATH = "/reminders/unsubscribe/"
LIVE_STATUSES = ("pending", "confirmed")


class ReminderError(ValueError):
    """The request cannot be accepted; the message says why, in the patient's words."""


class ReminderLinkNotFound(LookupError):
    """No confirmation or unsubscribe link of this shop has that token."""


class ReminderLinkExpired(LookupError):
    """The link was real, but what it was for is over (too late to confirm, reminders ended)."""


@dataclass(frozen=True)
class QueueReport:
    """What one run of the reminder queue did for one day."""

    day: date
    queued: int = 0
    already_queued: int = 0


def _details(change: Change) -> dict:
    return {
        "start_using": list(change.start_using),
        "stop_using": list(change.stop_using),
        "start_avoiding": list(change.start_avoiding),
        "fine_again": list(change.fine_again),
        "plan_over": change.plan_over,
    }


def milestone_change(milestone: ReminderMilestone) -> Change:
    """Return the frozen key day as the engine's Change, so it is worded as the calendar is."""
    details = milestone.details or {}
    return Change(
        day=milestone.day,
        date=milestone.falls_on,
        start_using=tuple(details.get("start_using", ())),
        stop_using=tuple(details.get("stop_using", ())),
        start_avoiding=tuple(details.get("start_avoiding", ())),
        fine_again=tuple(details.get("fine_again", ())),
        plan_over=bool(details.get("plan_over", False)),
    )


def _confirm_max_age() -> timedelta:
    return timedelta(seconds=current_app.config["EMAIL_CONFIRMATION_MAX_AGE"])


def subscribe(
    email: str,
    consent: bool,
    plan: Plan,
    plan_path: str,
    today: date,
    saved_plan_id: int | None = None,
) -> None:
    """Keep the plan's coming key days for `email` and send a link to confirm it; commits.

    `plan_path` is the plan's address on this shop (`/plans/<token>` for a private plan link,
    `/account/plans/<id>` for a saved plan), linked from every reminder. Raises ReminderError,
    storing and sending nothing, without consent, for a malformed address, or when no key
    day of the plan is left.
    """
    if not consent:
        raise ReminderError(
            "Tick the box to agree that we keep your email address and your plan's key days "
            "for these reminders. Nothing was saved."
        )
    try:
        address = normalise_email(email)
    except AccountError as error:
        raise ReminderError(str(error)) from error
    coming = [change for change in plan.changes() if change.date >= today]
    if not coming:
        raise ReminderError("Your plan has no key days left to remind you of.")
    token = secrets.token_urlsafe(32)
    now = clock.utc_now()
    with unit_of_work():
        subscription = ReminderSubscription(
            status="pending",
            email=address,
            plan_path=plan_path,
            saved_plan_id=saved_plan_id,
            confirm_token_hash=hash_token(token),
            consent_at=now,
            created_at=now,
            milestones=[
                ReminderMilestone(day=c.day, falls_on=c.date, details=_details(c)) for c in coming
            ],
        )
        db.session.add(subscription)
        # No plan link and no health detail: the address is not proven to be the patient's.
        queue_email(
            address,
            "Confirm your aftercare reminders",
            "reminder_confirmation",
            link=current_app.config["PUBLIC_BASE_URL"] + CONFIRM_PATH + token,
            valid_hours=max(1, int(_confirm_max_age().total_seconds()) // 3600),
        )


def _by_confirm_token(token: str) -> ReminderSubscription:
    subscription = db.session.execute(
        select(ReminderSubscription).where(
            ReminderSubscription.confirm_token_hash == hash_token(token or "")
        )
    ).scalar_one_or_none()
    if subscription is None:
        raise ReminderLinkNotFound("not a confirmation link of this shop")
    if subscription.status not in LIVE_STATUSES:
        raise ReminderLinkExpired("these reminders have ended")
    if subscription.status == "pending" and (
        clock.aware_utc(subscription.created_at) + _confirm_max_age() < clock.utc_now()
    ):
        raise ReminderLinkExpired("too late to confirm")
    return subscription


def check_confirmation(token: str) -> ReminderSubscription:
    """Return the subscription a confirmation link is for, changing nothing (for the GET).

    Raises ReminderLinkNotFound for an unknown token and ReminderLinkExpired when it is too
    late to confirm or the reminders have ended.
    """
    return _by_confirm_token(token)


def confirm(token: str) -> ReminderSubscription:
    """Confirm the address behind a confirmation link, so reminders start; commits.

    Confirming twice is harmless. Raises as check_confirmation does.
    """
    with unit_of_work():
        subscription = _by_confirm_token(token)
        if subscription.status == "pending":
            subscription.status = "confirmed"
            subscription.confirmed_at = clock.utc_now()
    return subscription


def first_reminder_on(subscription: ReminderSubscription, today: date) -> date | None:
    """Return the date of the next reminder of a subscription, from `today` on."""
    days = [m.falls_on for m in subscription.milestones if m.falls_on >= today]
    return min(days) if days else None


def _end(subscription: ReminderSubscription, status: str, now: datetime) -> None:
    """Stop a subscription and forget its address, plan link and schedule (caller commits)."""
    subscription.status = status
    subscription.email = None
    subscription.plan_path = None
    subscription.ended_at = now
    subscription.milestones.clear()


def _by_unsubscribe_token(token: str) -> ReminderSubscription:
    subscription = db.session.execute(
        select(ReminderSubscription)
        .join(ReminderSent, ReminderSent.subscription_id == ReminderSubscription.id)
        .where(ReminderSent.unsubscribe_token_hash == hash_token(token or ""))
    ).scalar_one_or_none()
    if subscription is None:
        raise ReminderLinkNotFound("not an unsubscribe link of this shop")
    return subscription


def is_subscribed(token: str) -> bool:
    """Tell whether the reminders an unsubscribe link is for are still on (for the GET).

    Raises ReminderLinkNotFound for a token no reminder carried.
    """
    return _by_unsubscribe_token(token).status in LIVE_STATUSES


def unsubscribe(token: str) -> bool:
    """Stop the reminders an unsubscribe link is for; return False when already stopped.

    Commits. The address, plan link and schedule are deleted at once. Raises
    ReminderLinkNotFound for a token no reminder carried.
    """
    with unit_of_work():
        subscription = _by_unsubscribe_token(token)
        if subscription.status not in LIVE_STATUSES:
            return False
        _end(subscription, "unsubscribed", clock.utc_now())
    return True


def _queue_one(subscription_id: int, change: Change, address: str, path: str) -> None:
    """Queue one reminder and record it, in one transaction; the unique key refuses a repeat."""
    config = current_app.config
    base = config["PUBLIC_BASE_URL"]
    token = secrets.token_urlsafe(32)
    unsubscribe_url = base + UNSUBSCRIBE_PATH + token
    words = describe_change(change, config["CLINIC_PHONE"])
    with unit_of_work():
        db.session.add(
            ReminderSent(
                subscription_id=subscription_id,
                day=change.day,
                unsubscribe_token_hash=hash_token(token),
            )
        )
        # Inserted first: a second run waits here for the first, then fails on the unique key.
        db.session.flush()
        queue_email(
            address,
            f"{words.title} ({long_date(change.date)})",
            "reminder",
            words=words,
            day=long_date(change.date),
            plan_url=base + path,
            unsubscribe_url=unsubscribe_url,
            headers={
                "List-Unsubscribe": f"<{unsubscribe_url}>",
                "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            },
        )


def queue_reminders(day: date) -> QueueReport:
    """Queue into the outbox every confirmed subscription's reminder for `day`, once each.

    Safe to run while another run is going: the reminder_sent unique key lets one of them
    queue each reminder, and the other counts it as already queued. A subscription confirmed
    after `day` gets no reminder for it.
    """
    confirmed_by = clock.day_starts(day + timedelta(days=1))
    rows = db.session.execute(
        select(ReminderMilestone, ReminderSubscription)
        .join(ReminderSubscription, ReminderMilestone.subscription_id == ReminderSubscription.id)
        .where(
            ReminderSubscription.status == "confirmed",
            ReminderSubscription.confirmed_at < confirmed_by,
            ReminderMilestone.falls_on == day,
            ~exists().where(
                ReminderSent.subscription_id == ReminderSubscription.id,
                ReminderSent.day == ReminderMilestone.day,
            ),
        )
        .order_by(ReminderSubscription.id)
    ).all()
    # Plain values: each reminder commits on its own, which expires the rows read here.
    due = [(sub.id, milestone_change(m), sub.email, sub.plan_path) for m, sub in rows]
    db.session.rollback()
    queued = already = 0
    for subscription_id, change, address, path in due:
        try:
            _queue_one(subscription_id, change, address, path)
        except IntegrityError:
            already += 1
        else:
            queued += 1
    return QueueReport(day=day, queued=queued, already_queued=already)


def end_finished_subscriptions(today: date) -> int:
    """End what is over and forget its data; return how many subscriptions ended. Commits.

    A confirmed subscription whose last key day is before `today` is finished; one never
    confirmed in time is deleted, as nothing was ever sent to it but the confirmation.
    """
    now = clock.utc_now()
    last_day = (
        select(func.max(ReminderMilestone.falls_on))
        .where(ReminderMilestone.subscription_id == ReminderSubscription.id)
        .scalar_subquery()
    )
    ended = 0
    with unit_of_work():
        finished = db.session.execute(
            select(ReminderSubscription).where(
                ReminderSubscription.status == "confirmed",
                (last_day < today) | last_day.is_(None),
            )
        ).scalars()
        for subscription in list(finished):
            _end(subscription, "finished", now)
            ended += 1
        unconfirmed = db.session.execute(
            select(ReminderSubscription).where(
                ReminderSubscription.status == "pending",
                ReminderSubscription.created_at < now - _confirm_max_age(),
            )
        ).scalars()
        for subscription in list(unconfirmed):
            db.session.delete(subscription)
            ended += 1
    return ended
