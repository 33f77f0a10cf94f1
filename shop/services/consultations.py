"""Free consultation requests: taking them from anyone, and the clinic following them up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import ConsultationRequest, Treatment, User, db
from models.vocabulary import CONSULTATION_STATUSES
from shop import clock
from shop.services import audit
from shop.services.notifications import queue_email
from shop.services.unit_of_work import unit_of_work

# What a clinician can move a request to; "open" is only where requests start.
FOLLOW_UP_STATUSES = ("contacted", "booked", "closed")
STATUS_LABELS = {
    "open": "Open",
    "contacted": "Contacted",
    "booked": "Booked",
    "closed": "Closed",
}


class ConsultationError(ValueError):
    """A request or a follow-up that cannot be saved; the message is meant for the person."""


@dataclass(frozen=True)
class ConsultationInput:
    """What the consultation form collected, already validated."""

    name: str
    email: str
    phone: str
    treatment_slug: str | None
    preferred_times: str
    question: str
    consent: bool


def treatment_choices() -> list[tuple[str, str]]:
    """Return (slug, name) of every treatment, in menu order."""
    rows = db.session.execute(
        select(Treatment.slug, Treatment.name).order_by(Treatment.position, Treatment.name)
    ).all()
    return [(slug, name) for slug, name in rows]


def request_consultation(
    data: ConsultationInput, now: datetime | None = None
) -> ConsultationRequest:
    """Save a consultation request and queue its confirmation email, in one transaction."""
    if not data.consent:
        raise ConsultationError("Please agree to us contacting you about your consultation.")
    treatment = None
    if data.treatment_slug:
        treatment = db.session.execute(
            select(Treatment).where(Treatment.slug == data.treatment_slug)
        ).scalar_one_or_none()
        if treatment is None:
            raise ConsultationError("We do not offer that treatment; please choose from the list.")
    moment = now or clock.utc_now()
    with unit_of_work():
        request = ConsultationRequest(
            name=data.name,
            email=data.email.lower(),
            phone=data.phone,
            treatment_id=treatment.id if treatment is not None else None,
            preferred_times=data.preferred_times,
            question=data.question,
            contact_consent_at=moment,
            status="open",
            created_at=moment,
            updated_at=moment,
        )
        db.session.add(request)
        queue_email(
            request.email,
            "Your free consultation request",
            "consultation_confirmation",
            name=data.name,
            treatment_name=treatment.name if treatment is not None else None,
        )
    return request


def list_requests(status: str = "open") -> list[ConsultationRequest]:
    """Return the requests in one status, oldest first (two queries whatever the count)."""
    if status not in CONSULTATION_STATUSES:
        raise ConsultationError("Unknown status.")
    return list(
        db.session.execute(
            select(ConsultationRequest)
            .where(ConsultationRequest.status == status)
            .options(selectinload(ConsultationRequest.treatment))
            .order_by(ConsultationRequest.created_at, ConsultationRequest.id)
        ).scalars()
    )


def count_by_status() -> dict[str, int]:
    """Return how many requests are in each status, in one grouped query."""
    rows = db.session.execute(
        select(ConsultationRequest.status, func.count()).group_by(ConsultationRequest.status)
    ).all()
    counts = dict.fromkeys(CONSULTATION_STATUSES, 0)
    counts.update(dict(rows))
    return counts


def get_request(request_id: int) -> ConsultationRequest | None:
    """Return one request with its treatment, or None."""
    return db.session.execute(
        select(ConsultationRequest)
        .where(ConsultationRequest.id == request_id)
        .options(selectinload(ConsultationRequest.treatment))
    ).scalar_one_or_none()


def handler_name(request: ConsultationRequest) -> str:
    """Return the name of the clinician who last handled a request, or an empty string."""
    if request.handled_by_id is None:
        return ""
    user = db.session.get(User, request.handled_by_id)
    return (user.name or user.email) if user is not None else ""


def update_status(
    request_id: int, status: str, note: str, user_id: int, now: datetime | None = None
) -> ConsultationRequest:
    """Mark a request contacted, booked or closed, adding the note to its history; commits."""
    if status not in FOLLOW_UP_STATUSES:
        raise ConsultationError("Choose contacted, booked or closed.")
    request = db.session.get(ConsultationRequest, request_id)
    if request is None:
        raise LookupError(request_id)
    moment = now or clock.utc_now()
    before = request.status
    with unit_of_work():
        request.status = status
        request.handled_by_id = user_id
        note = note.strip()
        # The history stays readable: each follow-up adds a dated line, nothing is overwritten.
        line = f"{moment:%d %b %Y %H:%M} · {STATUS_LABELS[status]}" + (f": {note}" if note else "")
        request.staff_note = f"{request.staff_note}\n{line}".strip()
        request.updated_at = moment
        audit.record(
            user_id,
            "consultation.status",
            "consultation_request",
            request.id,
            before={"status": before},
            after={"status": status},
        )
    return request
