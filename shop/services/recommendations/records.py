"""The recommendation record: its errors, who acts on it, loading it and its advice's inputs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Kit, KitItem, Recommendation, RecommendationItem, User, db
from shop.aftercare import Profile, Protocol, Screening
from shop.services.protocols import advice_protocol


class RecommendationError(ValueError):
    """A change that cannot be made; the message is meant for the clinician or the patient."""


class RuleBroken(RecommendationError):
    """A kit change the aftercare rules forbid for this patient (the message says why)."""


class RecommendationNotFound(LookupError):
    """No recommendation with that id that this user may see."""


class LinkNotFound(LookupError):
    """No recommendation link with that token (never existed, or replaced by a newer one)."""


class LinkGone(LookupError):
    """The link existed but no longer works: it expired or the clinician revoked it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Actor:
    """Who is acting: a clinician sees only their own recommendations, an admin sees all."""

    user_id: int
    is_admin: bool = False


@dataclass(frozen=True)
class PatientDetails:
    """What the clinician recorded about the patient, already validated by the form."""

    patient_name: str
    patient_email: str
    treatment_slug: str
    treated_on: date
    fitzpatrick: int
    concerns: tuple[str, ...]
    screening: Screening
    notes: str
    consent: bool
    consultation_id: int | None = None


# --- loading ----------------------------------------------------------------------------------


def with_items() -> tuple[Any, ...]:
    """Return the loader options for a recommendation's lines, products, treatment and kit."""
    return (
        selectinload(Recommendation.items).selectinload(RecommendationItem.product),
        selectinload(Recommendation.treatment),
        selectinload(Recommendation.kit).selectinload(Kit.items).selectinload(KitItem.product),
    )


def get_recommendation(rec_id: int, actor: Actor, lock: bool = False) -> Recommendation:
    """Return a recommendation the actor may see, with items; raise RecommendationNotFound.

    With `lock`, the row stays locked (PostgreSQL) until the change commits, so a patient's
    acknowledgement cannot slip in between the check and the change.
    """
    query = select(Recommendation).where(Recommendation.id == rec_id).options(*with_items())
    if lock:
        query = query.with_for_update(of=Recommendation).execution_options(populate_existing=True)
    if not actor.is_admin:
        query = query.where(Recommendation.clinician_id == actor.user_id)
    rec = db.session.execute(query).scalar_one_or_none()
    if rec is None:
        raise RecommendationNotFound(rec_id)
    return rec


def stored_screening(rec: Recommendation) -> Screening:
    """Return the screening answers the clinician recorded for this recommendation."""
    return Screening.from_mapping(rec.screening or {})


def advice_inputs(rec: Recommendation) -> tuple[Protocol, Profile, Screening]:
    """Return the protocol the advice was made with, and the patient's profile and answers."""
    protocol = advice_protocol(rec.treatment, rec.protocol_hash)
    profile = Profile(fitzpatrick=rec.fitzpatrick, concerns=frozenset(rec.concerns or ()))
    return protocol, profile, stored_screening(rec)


def clinician_name(rec: Recommendation) -> str:
    """Return the name of the clinician who made the recommendation ("" if none is known)."""
    clinician = db.session.get(User, rec.clinician_id) if rec.clinician_id else None
    return (clinician.name if clinician is not None else "") or ""
