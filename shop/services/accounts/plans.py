"""A customer's saved aftercare plans and where they are in each today."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import selectinload

from models import (
    ReminderMilestone,
    ReminderSent,
    ReminderSubscription,
    SavedPlan,
    SavedPlanLine,
    Treatment,
    User,
    db,
)
from shop import clock
from shop.aftercare import Catalogue, Profile, ProtocolError, Screening
from shop.aftercare import plan as build_plan
from shop.services import plan_links, recommendations
from shop.services.accounts.errors import AccountError
from shop.services.plans import PlanRequest
from shop.services.protocols import current_protocol, protocols_by_hash
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


CONSENT_MISSING = "Please tick the box to agree to us keeping this plan."


class PlanSourceGone(AccountError):
    """The plan link or recommendation link to save from is not one of ours, or no longer works."""


@dataclass(frozen=True)
class _LineToKeep:
    """A product of the plan as it was shown: what to keep of it."""

    product_id: int
    quantity: int
    need_id: str
    reason: str
    use_from_day: int
    use_until_day: int
    optional: bool


def _keep(
    user_id: int,
    treatment: Treatment,
    request: PlanRequest,
    protocol: tuple[str | None, str | None],
    kit_slug: str | None,
    lines: list[_LineToKeep],
    moment: datetime,
    recommendation_id: int | None = None,
) -> SavedPlan:
    """Store a plan with its answers, protocol version, kit and products; one unit of work."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such account.")
    plan = SavedPlan(
        user_id=user.id,
        treatment_id=treatment.id,
        protocol_version=protocol[0],
        protocol_hash=protocol[1],
        treated_on=request.treated_on,
        fitzpatrick=request.fitzpatrick,
        concerns=sorted(request.concerns),
        screening=request.screening.to_mapping(),
        kit_slug=kit_slug,
        recommendation_id=recommendation_id,
        consent_at=moment,
        lines=[
            SavedPlanLine(
                product_id=line.product_id,
                quantity=line.quantity,
                need_id=line.need_id[:60],
                reason=line.reason,
                use_from_day=line.use_from_day,
                use_until_day=line.use_until_day,
                optional=line.optional,
                position=position,
            )
            for position, line in enumerate(lines)
        ],
    )
    if user.health_data_consent_at is None:
        user.health_data_consent_at = moment
    with unit_of_work():
        db.session.add(plan)
    return plan


def save_plan_from_link(
    user_id: int, token: str, consent: bool, today: date, now: datetime | None = None
) -> SavedPlan:
    """Keep the plan behind a private plan link, with the products it shows now.

    The answers come from the token, never from form fields. Raises PlanSourceGone for a
    token this shop did not make or whose link has expired, AccountError without consent;
    nothing is stored then.
    """
    try:
        request, result = plan_links.open_plan_link(token, today)
    except plan_links.PlanLinkExpired as error:
        raise PlanSourceGone(
            "This plan link has expired, so it cannot be saved. You can make a new plan in "
            "the kit finder."
        ) from error
    except plan_links.PlanLinkInvalid as error:
        raise PlanSourceGone("That is not a plan of ours, so nothing was saved.") from error
    if not consent:
        raise AccountError(CONSENT_MISSING)
    kit = result.plan.kit
    lines = []
    for item in kit.items if kit is not None else ():
        product = result.products.get(item.slug)
        if product is None:
            raise AccountError("A product of this plan is no longer on sale; please reload it.")
        lines.append(
            _LineToKeep(
                product_id=product.id,
                quantity=item.quantity,
                need_id=item.need_id,
                reason=item.reason,
                use_from_day=item.use_from_day,
                use_until_day=item.use_until_day,
                optional=item.optional,
            )
        )
    treatment = result.treatment
    return _keep(
        user_id,
        treatment,
        request,
        (treatment.protocol_version, treatment.protocol_hash),
        kit.slug if kit is not None else None,
        lines,
        now or clock.utc_now(),
    )


def save_plan_from_recommendation(
    user_id: int, token: str, consent: bool, now: datetime | None = None
) -> SavedPlan:
    """Keep a clinician's recommended plan: their answers, protocol version, kit and lines.

    Raises PlanSourceGone when the link is unknown, expired or revoked, AccountError without
    consent; nothing is stored then.
    """
    moment = now or clock.utc_now()
    try:
        rec = recommendations.resolve_link(token, moment)
    except (recommendations.LinkNotFound, recommendations.LinkGone) as error:
        raise PlanSourceGone(
            "That recommendation link no longer works, so nothing was saved."
        ) from error
    if not consent:
        raise AccountError(CONSENT_MISSING)
    request = PlanRequest(
        treatment=rec.treatment.slug,
        treated_on=rec.treated_on,
        fitzpatrick=rec.fitzpatrick,
        concerns=frozenset(rec.concerns or ()),
        screening=recommendations.stored_screening(rec),
    )
    lines = [
        _LineToKeep(
            product_id=item.product_id,
            quantity=item.quantity,
            need_id=item.need_id,
            reason=item.reason,
            use_from_day=item.use_from_day,
            use_until_day=item.use_until_day,
            optional=item.optional,
        )
        for item in rec.items
    ]
    return _keep(
        user_id,
        rec.treatment,
        request,
        (rec.protocol_version, rec.protocol_hash),
        rec.kit.slug if rec.kit is not None else None,
        lines,
        moment,
        recommendation_id=rec.id,
    )


def stored_screening(plan: SavedPlan) -> Screening:
    """Return the screening answers a plan was saved with (none, if they cannot be read)."""
    try:
        return Screening.from_mapping(plan.screening or {})
    except (ValueError, TypeError):
        # Stored by this shop, so it should not happen; a plan without answers still renders.
        return Screening()


def forget_reminders(condition) -> None:
    """Delete the reminder subscriptions matching `condition`, with their schedule and sent marks.

    Runs inside the caller's unit of work; bulk deletes, so the number of subscriptions does not
    change the number of statements.
    """
    subscription_ids = select(ReminderSubscription.id).where(condition)
    db.session.execute(
        delete(ReminderSent).where(ReminderSent.subscription_id.in_(subscription_ids))
    )
    db.session.execute(
        delete(ReminderMilestone).where(ReminderMilestone.subscription_id.in_(subscription_ids))
    )
    db.session.execute(
        delete(ReminderSubscription).where(ReminderSubscription.id.in_(subscription_ids)),
        execution_options={"synchronize_session": False},
    )


def delete_plan(user_id: int, plan_id: int) -> bool:
    """Delete one of the user's own plans; return False when there is no such plan of theirs."""
    plan = db.session.execute(
        select(SavedPlan).where(SavedPlan.id == plan_id, SavedPlan.user_id == user_id)
    ).scalar_one_or_none()
    if plan is None:
        return False
    with unit_of_work():
        forget_reminders(ReminderSubscription.saved_plan_id == plan.id)
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
            stored_screening(plan),
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
                protocol = current_protocol(treatment)
            except ProtocolError:
                protocol = None
        protocols[plan.id] = protocol
    return protocols


def plans_with_treatments(
    user_id: int, with_lines: bool = False
) -> list[tuple[SavedPlan, Treatment | None]]:
    """Load the user's plans (newest treatment first) and their treatments in two queries.

    With `with_lines`, each plan's kept products come too (two more queries, not one a plan).
    """
    query = (
        select(SavedPlan)
        .where(SavedPlan.user_id == user_id)
        .order_by(SavedPlan.treated_on.desc(), SavedPlan.id.desc())
    )
    if with_lines:
        query = query.options(selectinload(SavedPlan.lines).selectinload(SavedPlanLine.product))
    plans = db.session.execute(query).scalars().all()
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
