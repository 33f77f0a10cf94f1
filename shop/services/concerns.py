"""Concerns patients report during recovery: taking them from a plan page, and the clinic's queue.

A concern is health data: it is stored only with the patient's consent, its photo lives outside
`static/` under a random name and is shown only to clinicians, and nothing of it is logged.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask import current_app
from sqlalchemy import case, func, select
from sqlalchemy.orm import selectinload

from models import PatientConcern, SavedPlan, Treatment, User, db
from shop import clock
from shop.aftercare.vocabulary import CONCERN_SYMPTOMS, concern_symptoms, concern_urgency
from shop.services import audit, plan_links, recommendations
from shop.services.catalogue_admin import ImageError, checked_webp
from shop.services.notifications import queue_email
from shop.services.pagination import Page, paginate
from shop.services.unit_of_work import unit_of_work

MAX_DETAILS_LENGTH = 2000
MAX_NOTE_LENGTH = 1000
# Clinical photos keep more detail than product photos.
PHOTO_MAX_SIDE = 1600
PHOTO_FILENAME = re.compile(r"^[0-9a-f]{32}\.webp$")

FOLLOW_UP_STATUSES = ("contacted", "resolved")
STATUS_LABELS = {"new": "New", "contacted": "Contacted", "resolved": "Resolved"}
# The clinic's list: what still needs the clinic, or what is done.
LIST_FILTERS = {"open": ("new", "contacted"), "resolved": ("resolved",)}
SOURCE_LABELS = {
    "plan_link": "Kit finder plan link",
    "saved_plan": "Saved plan in the patient's account",
    "recommendation": "Clinician's recommendation link",
}
_SYMPTOMS = {code: (label, urgency) for code, label, urgency, _ in CONCERN_SYMPTOMS}


class ConcernError(ValueError):
    """A concern or follow-up the shop refuses; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        self.field = field
        super().__init__(message)


@dataclass(frozen=True)
class ConcernSource:
    """The plan a concern is about: where it came from, the treatment and its date."""

    kind: str
    treatment_slug: str
    treatment_name: str
    treated_on: date
    user_id: int | None = None
    saved_plan_id: int | None = None
    recommendation_id: int | None = None
    # What the form starts with, from the plan's own record (the patient can change it).
    name: str = ""
    email: str = ""


@dataclass(frozen=True)
class ConcernInput:
    """What the concern form collected, already checked for shape by the form."""

    symptoms: tuple[str, ...]
    started_on: date
    details: str
    photo: bytes | None
    name: str
    email: str
    phone: str
    consent: bool


@dataclass(frozen=True)
class ConcernRow:
    """A concern as the clinic sees it: the record, its signs in words, times in clinic time."""

    concern: PatientConcern
    signs: tuple[tuple[str, str, str], ...]
    received_at: datetime
    updated_at: datetime
    handled_by: str

    @property
    def needs_999(self) -> bool:
        """True when a ticked sign is one to call 999 for."""
        return any(urgency == "emergency" for _, _, urgency in self.signs)


def symptom_signs(codes: Iterable[str]) -> tuple[tuple[str, str, str], ...]:
    """Return (code, words, urgency) of ticked codes, the most pressing first."""
    order = {"emergency": 0, "urgent": 1, "routine": 2}
    known = [(code, *_SYMPTOMS[code]) for code in codes if code in _SYMPTOMS]
    return tuple(sorted(known, key=lambda sign: order[sign[2]]))


def checklist(treatment_slug: str) -> tuple[tuple[str, str, str, bool], ...]:
    """Return the form's checklist for the treatment (injection signs only for injectables)."""
    return concern_symptoms(treatment_slug)


# --- where a concern comes from ---------------------------------------------------------------


def _treatment(slug: str) -> Treatment | None:
    return db.session.execute(select(Treatment).where(Treatment.slug == slug)).scalar_one_or_none()


def source_for_plan_link(token: str, today: date) -> ConcernSource:
    """Return the plan behind a private plan link; raises PlanLinkInvalid or PlanLinkExpired."""
    answers, result = plan_links.open_plan_link(token, today)
    return ConcernSource(
        kind="plan_link",
        treatment_slug=result.treatment.slug,
        treatment_name=result.treatment.name,
        treated_on=answers.treated_on,
    )


def source_for_saved_plan(user_id: int, plan_id: int) -> ConcernSource | None:
    """Return one of the user's own saved plans as a source, or None (anyone else's too)."""
    row = db.session.execute(
        select(SavedPlan, Treatment)
        .join(Treatment, Treatment.id == SavedPlan.treatment_id)
        .where(SavedPlan.id == plan_id, SavedPlan.user_id == user_id)
    ).first()
    if row is None:
        return None
    plan, treatment = row
    user = db.session.get(User, user_id)
    return ConcernSource(
        kind="saved_plan",
        treatment_slug=treatment.slug,
        treatment_name=treatment.name,
        treated_on=plan.treated_on,
        user_id=user_id,
        saved_plan_id=plan.id,
        name=user.name if user else "",
        email=user.email if user else "",
    )


def source_for_recommendation(token: str, now: datetime | None = None) -> ConcernSource:
    """Return a clinician's live recommendation as a source; raises LinkNotFound or LinkGone."""
    rec = recommendations.resolve_link(token, now or clock.utc_now())
    return ConcernSource(
        kind="recommendation",
        treatment_slug=rec.treatment.slug,
        treatment_name=rec.treatment.name,
        treated_on=rec.treated_on,
        recommendation_id=rec.id,
        name=rec.patient_name,
        email=rec.patient_email,
    )


# --- reporting ----------------------------------------------------------------------------------


def started_on_problem(started_on: date, treated_on: date, today: date) -> str | None:
    """Return why a "since when" date cannot be right, or None when it can."""
    if started_on > today:
        return "The date cannot be in the future."
    if started_on < treated_on:
        return (
            f"The date cannot be before your treatment on {treated_on:%-d %B %Y}; "
            "choose the treatment day if it started then."
        )
    return None


def photo_folder() -> Path:
    """Return the folder concern photos are kept in (CONCERN_PHOTO_FOLDER), creating it."""
    folder = Path(current_app.config["CONCERN_PHOTO_FOLDER"])
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def photo_path(filename: str | None) -> Path | None:
    """Return where a concern photo lives, or None for a name the shop never writes."""
    if not filename or not PHOTO_FILENAME.match(filename):
        return None
    path = Path(current_app.config["CONCERN_PHOTO_FOLDER"]) / filename
    return path if path.is_file() else None


def delete_photos(filenames: Iterable[str | None]) -> None:
    """Remove stored concern photos (names the shop did not write are ignored)."""
    for filename in filenames:
        path = photo_path(filename)
        if path is not None:
            path.unlink(missing_ok=True)


def _check(source: ConcernSource, data: ConcernInput, today: date) -> tuple[str, ...]:
    """Refuse input the form should have caught; return the ticked codes in checklist order."""
    if not data.consent:
        raise ConcernError(
            "Please tick the box to agree to us keeping this information, or call us instead.",
            "consent",
        )
    allowed = [code for code, *_ in checklist(source.treatment_slug)]
    unknown = [code for code in data.symptoms if code not in allowed]
    if unknown:
        raise ConcernError("Choose from the list shown.", "symptoms")
    problem = started_on_problem(data.started_on, source.treated_on, today)
    if problem:
        raise ConcernError(problem, "started_on")
    if len(data.details) > MAX_DETAILS_LENGTH:
        raise ConcernError(f"Please keep this under {MAX_DETAILS_LENGTH} characters.", "details")
    if not data.symptoms and not data.details.strip():
        raise ConcernError("Tick what is happening, or tell us in your own words.", "symptoms")
    if not data.name.strip() or not data.email.strip():
        raise ConcernError("Please give your name and email so we can reply.", "email")
    return tuple(code for code in allowed if code in data.symptoms)


def report_concern(
    source: ConcernSource, data: ConcernInput, now: datetime | None = None
) -> PatientConcern:
    """Keep a patient's concern (with its photo) and queue the acknowledgement email; commits.

    Refused without consent, and then nothing is stored, photo included. The concern is
    urgent when any ticked sign is a red flag.
    """
    moment = now or clock.utc_now()
    codes = _check(source, data, clock.local(moment).date())
    webp = None
    if data.photo:
        try:
            webp = checked_webp(
                data.photo, current_app.config["MAX_IMAGE_BYTES"], max_side=PHOTO_MAX_SIDE
            )
        except ImageError as error:
            raise ConcernError(str(error), "photo") from error
    treatment = _treatment(source.treatment_slug)
    path = None
    if webp is not None:
        path = photo_folder() / f"{secrets.token_hex(16)}.webp"
        path.write_bytes(webp)
    try:
        with unit_of_work():
            concern = PatientConcern(
                source=source.kind,
                user_id=source.user_id,
                saved_plan_id=source.saved_plan_id,
                recommendation_id=source.recommendation_id,
                treatment_id=treatment.id if treatment is not None else None,
                treated_on=source.treated_on,
                symptoms=list(codes),
                urgent=concern_urgency(codes) != "routine",
                started_on=data.started_on,
                details=data.details.strip(),
                photo_filename=path.name if path is not None else None,
                name=data.name.strip(),
                email=data.email.strip().lower(),
                phone=data.phone.strip(),
                health_consent_at=moment,
                status="new",
                created_at=moment,
                updated_at=moment,
            )
            db.session.add(concern)
            # Only "we received your message": an inbox is no place for health details.
            queue_email(
                concern.email,
                "We have received your message",
                "concern_received",
                name=concern.name,
            )
    except Exception:
        # A photo must not outlive a concern that was not stored.
        if path is not None:
            path.unlink(missing_ok=True)
        raise
    return concern


# --- the clinic's queue -------------------------------------------------------------------------


def _handler_names(concerns: list[PatientConcern]) -> dict[int, str]:
    ids = {c.handled_by_id for c in concerns if c.handled_by_id is not None}
    if not ids:
        return {}
    users = db.session.execute(select(User).where(User.id.in_(ids))).scalars()
    return {user.id: user.name or user.email for user in users}


def _rows(concerns: list[PatientConcern]) -> list[ConcernRow]:
    names = _handler_names(concerns)
    return [
        ConcernRow(
            concern=concern,
            signs=symptom_signs(concern.symptoms or ()),
            received_at=clock.local(concern.created_at),
            updated_at=clock.local(concern.updated_at),
            handled_by=names.get(concern.handled_by_id, ""),
        )
        for concern in concerns
    ]


def list_concerns(list_filter: str, page: int, per_page: int) -> Page:
    """Return a page of concerns: urgent first, then oldest first (three queries in all)."""
    if list_filter not in LIST_FILTERS:
        raise ConcernError("Choose open or resolved concerns.")
    query = (
        select(PatientConcern)
        .where(PatientConcern.status.in_(LIST_FILTERS[list_filter]))
        .options(selectinload(PatientConcern.treatment))
        .order_by(
            case((PatientConcern.urgent.is_(True), 0), else_=1),
            PatientConcern.created_at,
            PatientConcern.id,
        )
    )
    return paginate(query, page, per_page, _rows, scalars=True)


def count_open_urgent() -> int:
    """Return how many urgent concerns no clinician has contacted yet."""
    return db.session.execute(
        select(func.count())
        .select_from(PatientConcern)
        .where(PatientConcern.status == "new", PatientConcern.urgent.is_(True))
    ).scalar_one()


def get_concern(concern_id: int) -> ConcernRow | None:
    """Return one concern with its signs in words, or None."""
    concern = db.session.execute(
        select(PatientConcern)
        .where(PatientConcern.id == concern_id)
        .options(selectinload(PatientConcern.treatment))
    ).scalar_one_or_none()
    return _rows([concern])[0] if concern is not None else None


def concern_photo(concern_id: int) -> Path | None:
    """Return the file of a concern's photo, or None when it has none."""
    concern = db.session.get(PatientConcern, concern_id)
    return photo_path(concern.photo_filename) if concern is not None else None


def update_status(
    concern_id: int, status: str, note: str, user_id: int, now: datetime | None = None
) -> PatientConcern:
    """Mark a concern contacted or resolved, adding the dated note to its history; commits."""
    if status not in FOLLOW_UP_STATUSES:
        raise ConcernError("Choose contacted or resolved.", "status")
    note = note.strip()
    if not note:
        raise ConcernError("Add a note saying what was done or advised.", "note")
    if len(note) > MAX_NOTE_LENGTH:
        raise ConcernError(f"Keep notes under {MAX_NOTE_LENGTH} characters.", "note")
    concern = db.session.get(PatientConcern, concern_id)
    if concern is None:
        raise LookupError(concern_id)
    moment = now or clock.utc_now()
    before = concern.status
    with unit_of_work():
        concern.status = status
        concern.handled_by_id = user_id
        # Each follow-up adds a dated line; nothing already written is replaced.
        line = f"{clock.local(moment):%d %b %Y %H:%M} · {STATUS_LABELS[status]}: {note}"
        concern.clinic_note = f"{concern.clinic_note}\n{line}".strip()
        concern.updated_at = moment
        # The audit log is read by every admin: the status only, never the note or the signs.
        audit.record(
            user_id,
            "concern.status",
            "patient_concern",
            concern.id,
            before={"status": before},
            after={"status": status},
        )
    return concern
