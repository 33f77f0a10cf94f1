"""Giving customers their data (export) and forgetting them (erasure)."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, cast, false, func, or_, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash

from models import (
    AuditEntry,
    BasketItem,
    Booking,
    ConsultationRequest,
    Order,
    OrderEvent,
    OutboxEmail,
    PatientConcern,
    Recommendation,
    Refund,
    ReminderSent,
    ReminderSubscription,
    SavedPlan,
    User,
    db,
)
from shop import clock
from shop.services import plan_links
from shop.services.accounts.auth import ACCOUNT_EMAIL_KINDS
from shop.services.accounts.errors import AccountError, InvalidCredentials
from shop.services.accounts.plans import forget_reminders, plans_with_treatments
from shop.services.concerns import delete_photos, photo_path
from shop.services.unit_of_work import unit_of_work

ERASED_NAME = "Erased customer"
ERASED_DOMAIN = "erased.invalid"
ERASED_TEXT = "[erased]"


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def _same_email(column, email: str, email_confirmed: bool):
    """Match rows addressed to `email`, but only once the account proved it reads that mailbox.

    Anyone can open an account with any address, so records tied to an address only (guest
    orders, consultation requests, clinicians' recommendations) are shown or erased only after
    the account holder followed a link sent to it.
    """
    return func.lower(column) == email if email_confirmed else false()


def _plan_link_export(token: str | None) -> dict[str, Any] | None:
    """Return the plan link kept with an order and the answers it carries, readable."""
    if not token:
        return None
    try:
        answers = plan_links.read_plan_token(token)
    except plan_links.PlanLinkInvalid:
        # A link made under an earlier key still belongs to the person: show it as kept.
        return {"url": plan_links.plan_url(token), "answers": None}
    return {"url": plan_links.plan_url(token), "answers": plan_links.answers_mapping(answers)}


def _concerns_of(user: User, email_confirmed: bool):
    """Select the concerns that are the user's: from their saved plans, or sent from their
    confirmed address (plan links and clinicians' links need no account)."""
    return select(PatientConcern).where(
        or_(
            PatientConcern.user_id == user.id,
            _same_email(PatientConcern.email, user.email, email_confirmed),
        )
    )


def _photo_export(filename: str | None) -> dict[str, str] | None:
    """Return a concern photo as JSON-ready data (base64 WebP), or None without one."""
    path = photo_path(filename)
    if path is None:
        return None
    return {
        "media_type": "image/webp",
        "data_base64": base64.b64encode(path.read_bytes()).decode("ascii"),
    }


def export_data(user_id: int) -> dict[str, Any]:
    """Return everything the shop holds about the user, as JSON-ready data.

    Records tied only to the email address are included once the address is confirmed.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such account.")
    email_confirmed = user.email_confirmed_at is not None
    orders = (
        db.session.execute(
            select(Order)
            .where(
                or_(Order.user_id == user.id, _same_email(Order.email, user.email, email_confirmed))
            )
            .options(selectinload(Order.lines))
            .order_by(Order.placed_at)
        )
        .scalars()
        .all()
    )
    plans = plans_with_treatments(user.id, with_lines=True)
    consultations = (
        db.session.execute(
            select(ConsultationRequest)
            .where(_same_email(ConsultationRequest.email, user.email, email_confirmed))
            .options(selectinload(ConsultationRequest.treatment))
            .order_by(ConsultationRequest.created_at)
        )
        .scalars()
        .all()
    )
    recommendations = (
        db.session.execute(
            select(Recommendation)
            .where(_same_email(Recommendation.patient_email, user.email, email_confirmed))
            .options(
                selectinload(Recommendation.treatment),
                selectinload(Recommendation.items),
            )
            .order_by(Recommendation.created_at)
        )
        .scalars()
        .all()
    )
    bookings_by_request = _bookings_of([request.id for request in consultations])
    basket = (
        db.session.execute(select(BasketItem).where(BasketItem.user_id == user.id)).scalars().all()
    )
    reminder_subscriptions = _reminder_subscriptions(user, email_confirmed)
    queued_days: dict[int, list[int]] = {sub.id: [] for sub in reminder_subscriptions}
    for subscription_id, day in db.session.execute(
        select(ReminderSent.subscription_id, ReminderSent.day)
        .where(ReminderSent.subscription_id.in_(list(queued_days)))
        .order_by(ReminderSent.day)
    ):
        queued_days[subscription_id].append(day)
    concerns = (
        db.session.execute(
            _concerns_of(user, email_confirmed)
            .options(selectinload(PatientConcern.treatment))
            .order_by(PatientConcern.created_at, PatientConcern.id)
        )
        .scalars()
        .all()
    )
    return {
        "exported_at": _iso(clock.utc_now()),
        "includes_records_sent_to_the_email": email_confirmed,
        "profile": {
            "email": user.email,
            "name": user.name,
            "role": user.role,
            "active": user.active,
            "created_at": _iso(user.created_at),
            "email_confirmed_at": _iso(user.email_confirmed_at),
            "last_login_at": _iso(user.last_login_at),
            "password_changed_at": _iso(user.password_changed_at),
        },
        "consents": {
            "health_data_consent_at": _iso(user.health_data_consent_at),
            "marketing_consent": user.marketing_consent,
        },
        "orders": [
            {
                "reference": order.reference,
                "placed_at": _iso(order.placed_at),
                "status": order.status,
                "name": order.name,
                "email": order.email,
                "phone": order.phone,
                "fulfilment": order.fulfilment,
                "address": {
                    "line1": order.address_line1,
                    "line2": order.address_line2,
                    "town": order.town,
                    "postcode": order.postcode,
                },
                "payment_method": order.payment_method,
                "total_pence": order.total_pence,
                "delivery_pence": order.delivery_pence,
                "refunded_pence": order.refunded_pence,
                "currency": order.currency,
                "lines": [
                    {
                        "name": line.name,
                        "kind": line.kind,
                        "quantity": line.quantity,
                        "unit_price_pence": line.unit_price_pence,
                        "line_total_pence": line.line_total_pence,
                    }
                    for line in order.lines
                ],
                "aftercare_plan_link": _plan_link_export(order.plan_token),
                "plan_link_consent_at": _iso(order.plan_link_consent_at),
            }
            for order in orders
        ],
        "saved_plans": [
            {
                "treatment": treatment.slug if treatment else None,
                "treated_on": _iso(plan.treated_on),
                "fitzpatrick": plan.fitzpatrick,
                "concerns": list(plan.concerns or []),
                "screening": dict(plan.screening or {}),
                "protocol_version": plan.protocol_version,
                "kit": plan.kit_slug,
                "lines": [
                    {
                        "product": line.product.slug,
                        "name": line.product.name,
                        "quantity": line.quantity,
                        "need": line.need_id,
                        "use_from_day": line.use_from_day,
                        "use_until_day": line.use_until_day,
                        "optional": line.optional,
                        "reason": line.reason,
                    }
                    for line in plan.lines
                ],
                "consent_at": _iso(plan.consent_at),
                "created_at": _iso(plan.created_at),
            }
            for plan, treatment in plans
        ],
        "consultation_requests": [
            {
                "created_at": _iso(request.created_at),
                "name": request.name,
                "email": request.email,
                "phone": request.phone,
                "treatment": request.treatment.slug if request.treatment else None,
                "preferred_times": request.preferred_times,
                "question": request.question,
                "status": request.status,
                "contact_consent_at": _iso(request.contact_consent_at),
                "booking": bookings_by_request.get(request.id),
            }
            for request in consultations
        ],
        "recommendations": [
            {
                "created_at": _iso(rec.created_at),
                "patient_name": rec.patient_name,
                "patient_email": rec.patient_email,
                "treatment": rec.treatment.slug if rec.treatment else None,
                "treated_on": _iso(rec.treated_on),
                "fitzpatrick": rec.fitzpatrick,
                "concerns": list(rec.concerns or []),
                "screening": dict(rec.screening or {}),
                "notes": rec.notes,
                "status": rec.status,
                "items": [
                    {
                        "product_id": item.product_id,
                        "quantity": item.quantity,
                        "reason": item.reason,
                    }
                    for item in rec.items
                ],
            }
            for rec in recommendations
        ],
        "basket": [{"item": item.item_key, "quantity": item.quantity} for item in basket],
        "reminder_subscriptions": [
            {
                "email": sub.email,
                "status": sub.status,
                "plan_link": sub.plan_path,
                "consent_at": _iso(sub.consent_at),
                "created_at": _iso(sub.created_at),
                "confirmed_at": _iso(sub.confirmed_at),
                "key_days": [
                    {"day": m.day, "date": _iso(m.falls_on), **dict(m.details or {})}
                    for m in sub.milestones
                ],
                "reminders_queued_for_days": queued_days[sub.id],
            }
            for sub in reminder_subscriptions
        ],
        "concerns": [
            {
                "created_at": _iso(concern.created_at),
                "treatment": concern.treatment.slug if concern.treatment else None,
                "treated_on": _iso(concern.treated_on),
                "signs": list(concern.symptoms or []),
                "started_on": _iso(concern.started_on),
                "details": concern.details,
                "name": concern.name,
                "email": concern.email,
                "phone": concern.phone,
                "health_consent_at": _iso(concern.health_consent_at),
                "status": concern.status,
                "clinic_note": concern.clinic_note,
                "photo": _photo_export(concern.photo_filename),
            }
            for concern in concerns
        ],
    }


def _bookings_of(request_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Return the booked time of each consultation request that has one, JSON-ready."""
    if not request_ids:
        return {}
    rows = db.session.execute(
        select(Booking)
        .where(Booking.consultation_id.in_(request_ids))
        .options(selectinload(Booking.clinician))
    ).scalars()
    return {
        booking.consultation_id: {
            "starts_at": _iso(booking.starts_at),
            "ends_at": _iso(booking.ends_at),
            "clinician": booking.clinician.name or booking.clinician.email,
            "status": booking.status,
            "booked_at": _iso(booking.created_at),
            "reminder_queued_at": _iso(booking.reminder_queued_at),
        }
        for booking in rows
    }


def _reminder_subscriptions(user: User, email_confirmed: bool) -> list[ReminderSubscription]:
    """Return the user's reminder subscriptions: of their saved plans, or to their confirmed
    address."""
    return list(
        db.session.execute(
            select(ReminderSubscription)
            .where(_reminders_of(user, email_confirmed))
            .options(selectinload(ReminderSubscription.milestones))
            .order_by(ReminderSubscription.created_at)
        ).scalars()
    )


def _reminders_of(user: User, email_confirmed: bool):
    """The condition that picks the user's reminder subscriptions (export and erasure)."""
    return or_(
        _same_email(ReminderSubscription.email, user.email, email_confirmed),
        ReminderSubscription.saved_plan_id.in_(
            select(SavedPlan.id).where(SavedPlan.user_id == user.id)
        ),
    )


def _scrubber(*needles: str) -> Callable[[Any], Any]:
    """Return a function replacing every occurrence of `needles` (any case) in text and JSON."""
    words = [re.escape(n) for n in needles if n and len(n.strip()) >= 3]
    if not words:
        return lambda value: value
    pattern = re.compile("|".join(words), re.IGNORECASE)

    def scrub(value: Any) -> Any:
        if isinstance(value, str):
            return pattern.sub(ERASED_TEXT, value)
        if isinstance(value, list):
            return [scrub(item) for item in value]
        if isinstance(value, dict):
            return {key: scrub(item) for key, item in value.items()}
        return value

    return scrub


def erase_account(user_id: int, password: str) -> None:
    """Erase a customer's personal and health data; orders stay, anonymised, for sales records.

    Deletes saved plans, reminder subscriptions, reported concerns with their photos, the
    basket and the account; removes name, email, phone and address from orders; anonymises
    consultation requests (cancelling their bookings still to come) and recommendations sent to
    the email; scrubs the name and email from notes, refund reasons and audit entries; cancels
    every email still waiting to go to the address. Records tied only to the email address are
    included once the address is confirmed. One transaction.
    """
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such account.")
    if not check_password_hash(user.password_hash, password or ""):
        raise InvalidCredentials("Your password is not right, so nothing was deleted.")
    if user.role != "customer":
        raise AccountError(
            "Clinic accounts cannot be deleted here; please ask an admin to deactivate it."
        )
    email, name = user.email, user.name
    email_confirmed = user.email_confirmed_at is not None
    scrub = _scrubber(email, name)
    erased_email = f"erased-{hashlib.sha256(email.encode()).hexdigest()[:12]}@{ERASED_DOMAIN}"

    with unit_of_work():
        orders = (
            db.session.execute(
                select(Order)
                .where(
                    or_(Order.user_id == user.id, _same_email(Order.email, email, email_confirmed))
                )
                .options(selectinload(Order.events))
            )
            .scalars()
            .all()
        )
        for order in orders:
            order.user_id = None
            order.email = erased_email
            order.name = ERASED_NAME
            order.phone = ""
            order.address_line1 = order.address_line2 = ""
            order.town = ""
            order.postcode = ""
            order.tracking_reference = ""
            order.plan_token = None
            order.plan_link_consent_at = None
            for event in order.events:
                event.note = scrub(event.note)
        order_ids = [order.id for order in orders]
        if order_ids:
            for refund in db.session.execute(
                select(Refund).where(Refund.order_id.in_(order_ids))
            ).scalars():
                refund.reason = scrub(refund.reason)
        for event in db.session.execute(
            select(OrderEvent).where(OrderEvent.user_id == user.id)
        ).scalars():
            event.user_id = None

        erased_requests: list[int] = []
        for request in db.session.execute(
            select(ConsultationRequest).where(
                _same_email(ConsultationRequest.email, email, email_confirmed)
            )
        ).scalars():
            request.name = ERASED_NAME
            request.email = erased_email
            request.phone = ""
            request.treatment_id = None
            request.preferred_times = ""
            request.question = ""
            request.staff_note = ""
            request.status = "closed"
            erased_requests.append(request.id)
        # A booked time stays as an anonymous slot in the clinic's figures; its links stop
        # working, and one still to come is cancelled so the time is free for someone else.
        if erased_requests:
            for booking in db.session.execute(
                select(Booking).where(Booking.consultation_id.in_(erased_requests))
            ).scalars():
                booking.manage_token_hash = None
                booking.reminder_token_hash = None
                if (
                    booking.status == "booked"
                    and clock.aware_utc(booking.starts_at) > clock.utc_now()
                ):
                    booking.status = "cancelled"
        for rec in db.session.execute(
            select(Recommendation).where(
                _same_email(Recommendation.patient_email, email, email_confirmed)
            )
        ).scalars():
            rec.patient_name = ERASED_NAME
            rec.patient_email = erased_email
            rec.notes = ""
            rec.screening = {}
            rec.concerns = []
            # The link must stop working: it would show the erased recommendation.
            rec.token_hash = None
            rec.status = "revoked"

        mentions = [
            cast(column, Text).ilike(f"%{needle}%")
            for column in (AuditEntry.before, AuditEntry.after)
            for needle in (email, name)
            if email_confirmed and needle and len(needle.strip()) >= 3
        ]
        if order_ids:
            order_targets = [str(order_id) for order_id in order_ids]
            mentions.append(
                (AuditEntry.target_type == "order") & AuditEntry.target_id.in_(order_targets)
            )
        for entry in db.session.execute(
            select(AuditEntry).where(
                or_(
                    AuditEntry.user_id == user.id,
                    (AuditEntry.target_type == "user") & (AuditEntry.target_id == str(user.id)),
                    *mentions,
                )
            )
        ).scalars():
            if entry.user_id == user.id:
                entry.user_id = None
            entry.before = scrub(entry.before)
            entry.after = scrub(entry.after)
        # Nothing more may be mailed to a person who asked to be forgotten, so every email still
        # waiting for the address is cancelled. Of those already sent, only the account's own are
        # known to be this person's until the address is confirmed.
        own_emails = (
            (OutboxEmail.status == "pending")
            | OutboxEmail.kind.in_(ACCOUNT_EMAIL_KINDS)
            | _same_email(OutboxEmail.to_address, email, email_confirmed)
        )
        for email_row in db.session.execute(
            select(OutboxEmail).where(func.lower(OutboxEmail.to_address) == email, own_emails)
        ).scalars():
            db.session.delete(email_row)

        # Reminders to the address, or of the account's saved plans, stop, and their schedule
        # and link to the plan go with them.
        forget_reminders(_reminders_of(user, email_confirmed))

        for item in db.session.execute(
            select(BasketItem).where(BasketItem.user_id == user.id)
        ).scalars():
            db.session.delete(item)
        photos = []
        for concern in db.session.execute(_concerns_of(user, email_confirmed)).scalars():
            photos.append(concern.photo_filename)
            db.session.delete(concern)
        # Each plan's kept products go with it (the relationship cascades the delete).
        for plan in db.session.execute(
            select(SavedPlan).where(SavedPlan.user_id == user.id)
        ).scalars():
            db.session.delete(plan)
        db.session.flush()
        db.session.delete(user)
    # Only once the rows are gone for good: a rolled-back erasure keeps its photos.
    delete_photos(photos)
