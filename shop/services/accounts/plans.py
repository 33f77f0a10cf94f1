"""A customer's saved aftercare plans and where they are in each today."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from models import Recommendation, SavedPlan, Treatment, User, db
from models.vocabulary import CONCERNS
from shop import clock
from shop.aftercare import Catalogue, Profile, ProtocolError, Screening, protocol_from_dict
from shop.aftercare import plan as build_plan
from shop.services.accounts.errors import AccountError
from shop.services.protocols import protocols_by_hash
from shop.services.unit_of_work import unit_of_work


@dataclass(frozen=True)
class PlanToday:
    """A saved plan and where the patient is in it today."""

    plan: SavedPlan
    treatment: Treatment | None
    day: int
    last_day: int | None
    use: tuple[str, ...] = ()
    avoid: tuple[str, ...] = ()
    suitable: bool = True
    reasons: tuple[str, ...] = ()

    @property
    def upcoming(self) -> bool:
        """True before the treatment day."""
        return self.day < 0

    @property
    def finished(self) -> bool:
        """True once the aftercare timeline is over."""
        return self.last_day is not None and self.day > self.last_day

    @property
    def active(self) -> bool:
        """True from the treatment day to the last day of the timeline (or upcoming)."""
        return not self.finished


def save_plan(
    user_id: int,
    treatment_slug: str,
    treated_on: date,
    fitzpatrick: int,
    concerns: Iterable[str],
    pregnant_or_breastfeeding: bool,
    consent: bool,
    now: datetime | None = None,
    recommendation_id: int | None = None,
) -> SavedPlan:
    """Keep a kit-finder plan (or a clinician's recommended one); refused without consent."""
    if not consent:
        raise AccountError("Please tick the box to agree to us keeping this plan.")
    treatment = db.session.execute(
        select(Treatment).where(Treatment.slug == treatment_slug)
    ).scalar_one_or_none()
    if treatment is None:
        raise AccountError("We do not know that treatment.")
    if isinstance(fitzpatrick, bool) or fitzpatrick not in range(1, 7):
        raise AccountError("Skin type must be Fitzpatrick I to VI.")
    concerns = sorted(set(concerns))
    unknown = [c for c in concerns if c not in CONCERNS]
    if unknown:
        raise AccountError(f"Unknown concern: {', '.join(unknown)}.")
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such account.")
    moment = now or clock.utc_now()
    # The plan keeps the protocol it was shown with: a clinician's, or the current one.
    version, digest = treatment.protocol_version, treatment.protocol_hash
    source = db.session.get(Recommendation, recommendation_id) if recommendation_id else None
    if source is not None and source.treatment_id == treatment.id and source.protocol_hash:
        version, digest = source.protocol_version, source.protocol_hash
    plan = SavedPlan(
        user_id=user.id,
        treatment_id=treatment.id,
        protocol_version=version,
        protocol_hash=digest,
        treated_on=treated_on,
        fitzpatrick=fitzpatrick,
        concerns=concerns,
        pregnant_or_breastfeeding=bool(pregnant_or_breastfeeding),
        recommendation_id=recommendation_id,
        consent_at=moment,
    )
    if user.health_data_consent_at is None:
        user.health_data_consent_at = moment
    with unit_of_work():
        db.session.add(plan)
    return plan


def delete_plan(user_id: int, plan_id: int) -> bool:
    """Delete one of the user's own plans; return False when there is no such plan of theirs."""
    plan = db.session.execute(
        select(SavedPlan).where(SavedPlan.id == plan_id, SavedPlan.user_id == user_id)
    ).scalar_one_or_none()
    if plan is None:
        return False
    with unit_of_work():
        db.session.delete(plan)
    return True


def _plan_today(
    plan: SavedPlan, treatment: Treatment | None, today: date, protocols: dict[int, Any]
) -> PlanToday:
    """Work out today's step of a plan with the aftercare engine (or just the day number)."""
    day = (today - plan.treated_on).days
    protocol = protocols.get(plan.id)
    if protocol is None:
        return PlanToday(plan=plan, treatment=treatment, day=day, last_day=None)
    try:
        result = build_plan(
            protocol,
            Profile(plan.fitzpatrick, frozenset(plan.concerns or ())),
            Screening(pregnant_or_breastfeeding=plan.pregnant_or_breastfeeding),
            plan.treated_on,
            today,
            # No products: today's step names what to use, not which bottle to buy again.
            Catalogue.of([]),
        )
    except ValueError:
        return PlanToday(plan=plan, treatment=treatment, day=day, last_day=protocol.last_day)
    steps = [entry for entry in result.timeline if entry.is_today]
    step = steps[0] if steps else None
    return PlanToday(
        plan=plan,
        treatment=treatment,
        day=day,
        last_day=protocol.last_day,
        use=step.use if step else (),
        avoid=step.avoid if step else (),
        suitable=result.suitable,
        reasons=result.reasons,
    )


def _protocols_for(rows: Iterable[tuple[SavedPlan, Treatment | None]]) -> dict[int, Any]:
    """Return each plan's protocol (the version it was saved with) by plan id; one query.

    A plan whose version is unknown falls back to the treatment's current protocol; a missing
    or broken one leaves just the day count.
    """
    rows = list(rows)
    stored = protocols_by_hash((plan.treatment_id, plan.protocol_hash) for plan, _ in rows)
    protocols: dict[int, Any] = {}
    for plan, treatment in rows:
        protocol = stored.get((plan.treatment_id, plan.protocol_hash or ""))
        if protocol is None and treatment is not None and treatment.protocol:
            try:
                protocol = protocol_from_dict(treatment.protocol)
            except ProtocolError:
                protocol = None
        protocols[plan.id] = protocol
    return protocols


def plans_with_treatments(user_id: int) -> list[tuple[SavedPlan, Treatment | None]]:
    """Load the user's plans (newest treatment first) and their treatments in two queries."""
    plans = (
        db.session.execute(
            select(SavedPlan)
            .where(SavedPlan.user_id == user_id)
            .order_by(SavedPlan.treated_on.desc(), SavedPlan.id.desc())
        )
        .scalars()
        .all()
    )
    ids = {plan.treatment_id for plan in plans}
    treatments: dict[int, Treatment] = {}
    if ids:
        rows = db.session.execute(select(Treatment).where(Treatment.id.in_(ids))).scalars()
        treatments = {treatment.id: treatment for treatment in rows}
    return [(plan, treatments.get(plan.treatment_id)) for plan in plans]


def list_plans(user_id: int, today: date) -> list[PlanToday]:
    """Return the user's saved plans with today's step, newest treatment first; two queries."""
    rows = plans_with_treatments(user_id)
    protocols = _protocols_for(rows)
    return [_plan_today(plan, treatment, today, protocols) for plan, treatment in rows]
