"""Giving customers their data (export) and forgetting them (erasure)."""

from __future__ import annotations

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
    ConsultationRequest,
    Order,
    OrderEvent,
    OutboxEmail,
    Recommendation,
    Refund,
    SavedPlan,
    User,
    db,
)
from shop import clock
from shop.services.accounts.auth import ACCOUNT_EMAIL_KINDS
from shop.services.accounts.errors import AccountError, InvalidCredentials
from shop.services.accounts.plans import plans_with_treatments
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
    basket = (
        db.session.execute(select(BasketItem).where(BasketItem.user_id == user.id)).scalars().all()
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
    }


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

    Deletes saved plans, basket and the account; removes name, email, phone and address from
    orders; anonymises consultation requests and recommendations sent to the email; scrubs the
    name and email from notes, refund reasons and audit entries; cancels every email still
    waiting to go to the address. Records tied only to the email address are included once
    the address is confirmed. One transaction.
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

        for item in db.session.execute(
            select(BasketItem).where(BasketItem.user_id == user.id)
        ).scalars():
            db.session.delete(item)
        # Each plan's kept products go with it (the relationship cascades the delete).
        for plan in db.session.execute(
            select(SavedPlan).where(SavedPlan.user_id == user.id)
        ).scalars():
            db.session.delete(plan)
        db.session.flush()
        db.session.delete(user)
