"""The patient's side of a link: opening it, the plan, acknowledging the advice, buying the kit."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select, update

from models import Product, Recommendation, db
from shop import clock
from shop.aftercare import Plan, plan_with_kit, rules
from shop.services.basket import BasketError, BasketStore, item_key, price_basket
from shop.services.catalogue import kit_price
from shop.services.plans import stored_kit
from shop.services.recommendations.links import resolve_link
from shop.services.recommendations.records import RecommendationError, advice_inputs
from shop.services.unit_of_work import unit_of_work


def _stamp_once(rec_id: int, column, moment: datetime) -> None:
    """Set a first-time column (opened, acknowledged) unless already set.

    Conditional in the database, so two tabs acting at once keep the first time.
    """
    db.session.execute(
        update(Recommendation)
        .where(Recommendation.id == rec_id, column.is_(None))
        .values({column.key: moment})
        .execution_options(synchronize_session=False)
    )


def open_link(token: str, now: datetime | None = None) -> Recommendation:
    """Return the recommendation of a link, noting the first time the patient opened it."""
    moment = now or clock.utc_now()
    rec = resolve_link(token, moment)
    if rec.opened_at is None:
        with unit_of_work():
            _stamp_once(rec.id, Recommendation.opened_at, moment)
        db.session.refresh(rec)
    return rec


def acknowledge(token: str, now: datetime | None = None) -> Recommendation:
    """Record that the patient confirmed they were given and read the advice (first time kept)."""
    with unit_of_work():
        moment = now or clock.utc_now()
        rec = resolve_link(token, moment)
        _stamp_once(rec.id, Recommendation.acknowledged_at, moment)
        _stamp_once(rec.id, Recommendation.opened_at, moment)
    db.session.refresh(rec)
    return rec


@dataclass(frozen=True)
class KitLine:
    """A line of the recommended kit as the patient sees it."""

    product: Product
    quantity: int
    reason: str
    use_from_day: int
    use_until_day: int
    optional: bool


@dataclass(frozen=True)
class PatientPlan:
    """Everything the patient's page (and the printed sheet) shows."""

    recommendation: Recommendation
    plan: Plan
    lines: list[KitLine]
    kit_name: str
    price_pence: int
    items_total_pence: int
    can_buy: bool
    uncovered: tuple[str, ...] = field(default=())

    @property
    def saving_pence(self) -> int:
        """Return what the curated kit saves over buying the items one by one."""
        return max(self.items_total_pence - self.price_pence, 0)


def patient_plan(rec: Recommendation, today: date) -> PatientPlan:
    """Build the patient's plan: the clinician's kit, with the rules and days of its protocol.

    The plan renders against the protocol version the recommendation was made with, so advice
    the patient read does not change when a newer protocol ships (no catalogue queries).
    """
    protocol, profile, screening = advice_inputs(rec)
    lines = [
        KitLine(
            product=item.product,
            quantity=item.quantity,
            reason=item.reason,
            use_from_day=item.use_from_day,
            use_until_day=item.use_until_day,
            optional=item.optional,
        )
        for item in rec.items
    ]
    items_total = sum(line.product.price_pence * line.quantity for line in lines)
    price = items_total
    kit_name = f"Your {rec.treatment.name} aftercare kit"
    if rec.kit is not None and rec.kit.is_active and lines:
        price = kit_price(rec.kit).price_pence
        kit_name = rec.kit.name
    kit = None
    if lines:
        kit = stored_kit(rec.kit.slug if rec.kit is not None else None, kit_name, price, rec.items)
    engine_plan = plan_with_kit(protocol, profile, screening, rec.treated_on, today, kit)
    can_buy = bool(lines and all(line.product.is_active for line in lines))
    return PatientPlan(
        recommendation=rec,
        plan=engine_plan,
        lines=lines,
        kit_name=kit_name,
        price_pence=price,
        items_total_pence=items_total,
        can_buy=can_buy,
        uncovered=rules.uncovered_needs(protocol, {i.need_id for i in rec.items}) if lines else (),
    )


def checkout_contact(rec_id: int) -> tuple[str, str] | None:
    """Return the patient's name and email the clinician recorded, to fill in at checkout.

    Only while the recommendation's link is still sent (not revoked); None otherwise.
    """
    row = db.session.execute(
        select(Recommendation.patient_name, Recommendation.patient_email).where(
            Recommendation.id == rec_id, Recommendation.status == "sent"
        )
    ).one_or_none()
    return (row.patient_name, row.patient_email) if row is not None else None


def _basket_lines(rec: Recommendation, use_kit: bool) -> dict[str, int]:
    if use_kit and rec.kit_id is not None:
        return {item_key("kit", rec.kit_id): 1}
    return {item_key("product", item.product_id): item.quantity for item in rec.items}


def buy_kit(
    token: str, store: BasketStore, today: date, now: datetime | None = None
) -> Recommendation:
    """Put exactly the recommended lines in the basket, at the recommended price.

    A curated kit goes in as the kit (its price); otherwise each product at its own price.
    Lines for the same items already in the basket are set to the recommended quantities,
    other lines stay. Raises LinkNotFound / LinkGone, RecommendationError when there is no kit
    to buy, and BasketError when stock cannot cover it (nothing is changed then).
    """
    rec = resolve_link(token, now or clock.utc_now())
    if not rec.items:
        raise RecommendationError(
            "There is no kit to buy with this plan; please speak to the clinic."
        )
    existing = store.load()
    for use_kit in (True, False):
        wanted = _basket_lines(rec, use_kit)
        merged = {**existing, **wanted}
        priced = price_basket(merged, today)
        keys = {line.key: line for line in priced.lines}
        if all(key in keys for key in wanted):
            break
        # The curated kit is no longer on sale: the same products, each at its own price.
    else:
        raise BasketError("Some products of this kit are no longer on sale; please ask the clinic.")
    for key in wanted:
        if keys[key].problem:
            raise BasketError(keys[key].problem)
    store.save(priced.quantities())
    return rec
