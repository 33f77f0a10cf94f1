"""Creating and updating a recommendation, its rule-checked kit changes and when they freeze."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import (
    ConsultationRequest,
    Kit,
    Product,
    Recommendation,
    RecommendationItem,
    Treatment,
    db,
    kit_treatments,
)
from shop import clock
from shop.aftercare import Screening, rules
from shop.aftercare.vocabulary import CONCERNS
from shop.services import audit
from shop.services.basket import MAX_LINE_QUANTITY
from shop.services.inventory import sellable_by_product
from shop.services.plans import PlanRequest, UnknownTreatment, build_plan, engine_product
from shop.services.recommendations.patient import PatientPlan, patient_plan
from shop.services.recommendations.records import (
    Actor,
    PatientDetails,
    RecommendationError,
    RecommendationNotFound,
    RuleBroken,
    advice_inputs,
    get_recommendation,
    stored_screening,
)
from shop.services.recommendations.reporting import (
    NOT_PURCHASED_STATUSES,
    Purchase,
    link_status,
    purchases_for,
)
from shop.services.unit_of_work import unit_of_work


def _check_details(details: PatientDetails) -> None:
    if not details.consent:
        raise RecommendationError("Please confirm that the patient agreed to this being recorded.")
    if details.fitzpatrick not in range(1, 7) or isinstance(details.fitzpatrick, bool):
        raise RecommendationError("Skin type must be Fitzpatrick I to VI.")
    unknown = [c for c in details.concerns if c not in CONCERNS]
    if unknown:
        raise RecommendationError("Unknown skin concern.")
    if not isinstance(details.screening, Screening):
        raise RecommendationError("Record the patient's screening answers.")
    consultation_id = details.consultation_id
    if consultation_id is not None and db.session.get(ConsultationRequest, consultation_id) is None:
        raise RecommendationError("That consultation request does not exist.")


def _propose(rec: Recommendation, details: PatientDetails, today: date) -> None:
    """Ask the engine for the plan and store its kit as the recommendation's lines."""
    try:
        result = build_plan(
            PlanRequest(
                treatment=details.treatment_slug,
                treated_on=details.treated_on,
                fitzpatrick=details.fitzpatrick,
                concerns=frozenset(details.concerns),
                screening=details.screening,
            ),
            today,
        )
    except UnknownTreatment as error:
        raise RecommendationError("Choose a treatment from the list.") from error
    rec.treatment_id = result.treatment.id
    rec.protocol_version = result.protocol.version
    rec.protocol_hash = result.treatment.protocol_hash
    rec.suitable = result.plan.suitable
    rec.kit_id = result.kit.id if result.kit is not None else None
    rec.items.clear()
    if result.plan.kit is None:
        # A treatment still to come that is ruled out gets no kit: only a "speak to us" note.
        rec.kit_id = None
        return
    for position, item in enumerate(result.plan.kit.items):
        rec.items.append(
            RecommendationItem(
                product_id=result.products[item.slug].id,
                quantity=item.quantity,
                reason=item.reason,
                need_id=item.need_id,
                use_from_day=item.use_from_day,
                use_until_day=item.use_until_day,
                optional=item.optional,
                position=position,
            )
        )


def _apply_details(rec: Recommendation, details: PatientDetails) -> None:
    rec.patient_name = details.patient_name
    rec.patient_email = details.patient_email.lower()
    rec.treated_on = details.treated_on
    rec.fitzpatrick = details.fitzpatrick
    rec.concerns = sorted(set(details.concerns))
    rec.screening = details.screening.to_mapping()
    rec.notes = details.notes
    rec.consultation_id = details.consultation_id


def create_recommendation(
    details: PatientDetails, clinician_id: int, today: date, now: datetime | None = None
) -> Recommendation:
    """Record the patient's profile, let the engine propose the kit, and save a draft; commits."""
    _check_details(details)
    moment = now or clock.utc_now()
    with unit_of_work():
        rec = Recommendation(
            clinician_id=clinician_id,
            status="draft",
            created_at=moment,
            updated_at=moment,
        )
        _apply_details(rec, details)
        _propose(rec, details, today)
        db.session.add(rec)
        db.session.flush()
        audit.record(clinician_id, "recommendation.create", "recommendation", rec.id)
    return rec


def update_recommendation(
    rec_id: int, actor: Actor, details: PatientDetails, today: date
) -> tuple[Recommendation, bool]:
    """Change the patient's details; a changed profile re-proposes the kit. Commits.

    Returns (recommendation, whether the kit was proposed again).
    """
    _check_details(details)
    rec = _changeable(rec_id, actor)
    profile_before = (
        rec.treatment.slug,
        rec.treated_on,
        rec.fitzpatrick,
        sorted(rec.concerns or ()),
        stored_screening(rec),
    )
    profile_after = (
        details.treatment_slug,
        details.treated_on,
        details.fitzpatrick,
        sorted(set(details.concerns)),
        details.screening,
    )
    replanned = profile_before != profile_after
    # What changed, never the values: the audit log holds no health data.
    changes = {
        "profile_changed": replanned,
        "notes_changed": rec.notes != details.notes,
        "contact_changed": (rec.patient_name, rec.patient_email)
        != (details.patient_name, details.patient_email.lower()),
    }
    with unit_of_work():
        _apply_details(rec, details)
        if replanned:
            _propose(rec, details, today)
            db.session.flush()
        audit.record(
            actor.user_id, "recommendation.update", "recommendation", rec.id, after=changes
        )
    return rec, replanned


def frozen_reason(rec: Recommendation, purchases: Iterable[Purchase]) -> str | None:
    """Return why the advice can no longer change (bought, or acknowledged), or None."""
    if any(p.status not in NOT_PURCHASED_STATUSES for p in purchases):
        return (
            "The patient has bought this kit, so the recommendation stays as it was sold. "
            "Make a new recommendation to change the advice."
        )
    if rec.acknowledged_at is not None:
        return (
            "The patient has acknowledged this advice, so it stays as they read it. "
            "Make a new recommendation to change the advice."
        )
    return None


def change_refusal(rec: Recommendation) -> str | None:
    """Return why the clinician may not change this recommendation now, or None if they may."""
    if rec.status == "revoked":
        return "A revoked recommendation cannot be changed."
    return frozen_reason(rec, purchases_for([rec.id])[rec.id])


def _changeable(rec_id: int, actor: Actor) -> Recommendation:
    """Return a recommendation whose advice may still change, locked for this change."""
    rec = get_recommendation(rec_id, actor, lock=True)
    refusal = change_refusal(rec)
    if refusal is not None:
        raise RecommendationError(refusal)
    return rec


def _editable(rec_id: int, actor: Actor) -> Recommendation:
    rec = _changeable(rec_id, actor)
    if not rec.items and not rec.suitable:
        raise RecommendationError(
            "The treatment is not suitable for this patient, so there is no kit to change: "
            "the link will only ask them to speak to the clinic."
        )
    return rec


def _item(rec: Recommendation, item_id: int) -> RecommendationItem:
    for item in rec.items:
        if item.id == item_id:
            return item
    raise RecommendationNotFound(item_id)


def _active_product(slug: str) -> Product:
    product = db.session.execute(
        select(Product)
        .where(Product.slug == slug, Product.is_active.is_(True))
        .options(selectinload(Product.skin_type_rows))
    ).scalar_one_or_none()
    if product is None:
        raise RecommendationError("Choose a product from the list.")
    return product


def _match_curated_kit(rec: Recommendation) -> None:
    """Set kit_id when the lines are exactly a curated kit of this treatment (kit price applies)."""
    lines = sorted((item.product_id, item.quantity) for item in rec.items)
    rec.kit_id = None
    if not lines:
        return
    kits = db.session.execute(
        select(Kit)
        .join(kit_treatments, kit_treatments.c.kit_id == Kit.id)
        .where(kit_treatments.c.treatment_id == rec.treatment_id, Kit.is_active.is_(True))
        .options(selectinload(Kit.items))
        .order_by(Kit.id)
    ).scalars()
    for kit in kits:
        if sorted((i.product_id, i.quantity) for i in kit.items) == lines:
            rec.kit_id = kit.id
            return


def _save_items(
    rec: Recommendation, actor: Actor, action: str, change: dict[str, Any]
) -> Recommendation:
    """Store a kit change with its audit entry (products and quantities, no health data)."""
    with unit_of_work():
        db.session.flush()
        _match_curated_kit(rec)
        rec.updated_at = clock.utc_now()
        audit.record(actor.user_id, action, "recommendation", rec.id, after=change)
    return rec


def swap_item(rec_id: int, item_id: int, product_slug: str, actor: Actor) -> Recommendation:
    """Replace a line's product by another for the same need; refused when it breaks a rule."""
    rec = _editable(rec_id, actor)
    item = _item(rec, item_id)
    product = _active_product(product_slug)
    if product.id == item.product_id:
        raise RecommendationError(f"{product.name} is already on that line.")
    if any(other.product_id == product.id for other in rec.items):
        raise RecommendationError(
            f"{product.name} is already in the kit; change its quantity instead."
        )
    protocol, profile, screening = advice_inputs(rec)
    placed = rules.place_for_swap(
        protocol, profile, screening, engine_product(product), item.need_id
    )
    if isinstance(placed, str):
        raise RuleBroken(f"{product.name} cannot be used here: it {placed}.")
    change = {"item": item.id, "from": item.product.slug, "to": product.slug}
    item.product_id = product.id
    item.product = product
    item.reason = placed.reason
    item.use_from_day = placed.use_from_day
    item.use_until_day = placed.use_until_day
    item.quantity = min(placed.quantity, MAX_LINE_QUANTITY)
    return _save_items(rec, actor, "recommendation.swap", change)


def set_item_quantity(rec_id: int, item_id: int, quantity: int, actor: Actor) -> Recommendation:
    """Change how many of a line's product the patient should buy (1 to the basket's maximum)."""
    if isinstance(quantity, bool) or not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise RecommendationError(f"Choose a quantity from 1 to {MAX_LINE_QUANTITY}.")
    rec = _editable(rec_id, actor)
    item = _item(rec, item_id)
    change = {"item": item.id, "product": item.product.slug, "from": item.quantity}
    item.quantity = quantity
    return _save_items(rec, actor, "recommendation.quantity", {**change, "to": quantity})


def add_item(rec_id: int, product_slug: str, quantity: int, actor: Actor) -> Recommendation:
    """Add a product to the kit: to an open need, or as an optional extra; rule-checked."""
    if isinstance(quantity, bool) or not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise RecommendationError(f"Choose a quantity from 1 to {MAX_LINE_QUANTITY}.")
    rec = _editable(rec_id, actor)
    product = _active_product(product_slug)
    if any(item.product_id == product.id for item in rec.items):
        raise RecommendationError(
            f"{product.name} is already in the kit; change its quantity instead."
        )
    protocol, profile, screening = advice_inputs(rec)
    covered = {item.need_id for item in rec.items}
    placed = rules.place_new_product(protocol, profile, screening, engine_product(product), covered)
    if isinstance(placed, str):
        raise RuleBroken(f"{product.name} cannot be added: it {placed}.")
    rec.items.append(
        RecommendationItem(
            product_id=product.id,
            product=product,
            quantity=quantity,
            reason=placed.reason,
            need_id=placed.need_id,
            use_from_day=placed.use_from_day,
            use_until_day=placed.use_until_day,
            # A second product for a need already filled can go again, like any extra.
            optional=placed.optional or placed.need_id in covered,
            position=max((item.position for item in rec.items), default=-1) + 1,
        )
    )
    change = {"product": product.slug, "quantity": quantity}
    return _save_items(rec, actor, "recommendation.add", change)


def remove_item(rec_id: int, item_id: int, actor: Actor) -> Recommendation:
    """Take an optional line out of the kit; a needed one can only be swapped."""
    rec = _editable(rec_id, actor)
    item = _item(rec, item_id)
    if not item.optional:
        protocol, _, _ = advice_inputs(rec)
        label = rules.need_label(protocol, item.need_id).lower()
        raise RecommendationError(
            f"{item.product.name} is needed ({label}); swap it for another product instead."
        )
    change = {"item": item.id, "product": item.product.slug, "quantity": item.quantity}
    rec.items.remove(item)
    return _save_items(rec, actor, "recommendation.remove", change)


@dataclass(frozen=True)
class Stock:
    """A product's sellable units now, and whether that is at or below its low-stock mark."""

    sellable: int
    low_mark: int

    @property
    def out(self) -> bool:
        """Tell whether none can be sold now."""
        return self.sellable <= 0

    @property
    def low(self) -> bool:
        """Tell whether some are left, but no more than the product's low-stock threshold."""
        return not self.out and self.sellable <= self.low_mark

    @property
    def label(self) -> str:
        """Return the stock as the clinician reads it."""
        if self.out:
            return "Out of stock"
        if self.low:
            return f"Low stock: {self.sellable} left"
        return f"{self.sellable} in stock"


@dataclass(frozen=True)
class ProductOption:
    """A product the clinician may pick, with why it would be refused (None when it fits)."""

    product: Product
    problem: str | None
    stock: Stock | None = None


@dataclass(frozen=True)
class EditorView:
    """What the recommendation page needs to show the kit and offer changes."""

    recommendation: Recommendation
    status: str
    purchases: list[Purchase]
    need_labels: dict[int, str]
    swap_options: dict[int, list[ProductOption]]
    add_options: list[ProductOption]
    patient: PatientPlan
    consultation: ConsultationRequest | None
    # Why the advice can no longer change (bought or acknowledged), or None while it can.
    frozen: str | None = None
    # Each kit line's product stock, by line id.
    stock: dict[int, Stock] = field(default_factory=dict)

    @property
    def editable(self) -> bool:
        """Tell whether the clinician may still change the kit."""
        rec = self.recommendation
        return rec.status != "revoked" and self.frozen is None and bool(rec.items)


def editor_view(rec_id: int, actor: Actor, today: date, now: datetime | None = None) -> EditorView:
    """Return a recommendation with rule-checked choices for each change the clinician can make.

    Every active product is checked in memory against the patient's rules; constant queries.
    """
    rec = get_recommendation(rec_id, actor)
    protocol, profile, screening = advice_inputs(rec)
    products = list(
        db.session.execute(
            select(Product)
            .where(Product.is_active.is_(True))
            .options(selectinload(Product.skin_type_rows))
            .order_by(Product.category, Product.name)
        ).scalars()
    )
    engine = {product.id: engine_product(product) for product in products}
    in_kit = {item.product_id for item in rec.items}
    # One grouped query for every product: the kit's lines and every option show their stock.
    sellable = sellable_by_product(None, today)
    stock = {
        product.id: Stock(sellable.get(product.id, 0), product.low_stock_threshold)
        for product in (*products, *(item.product for item in rec.items))
    }
    swap_options = {}
    need_labels = {}
    for item in rec.items:
        need_labels[item.id] = rules.need_label(protocol, item.need_id)
        swap_options[item.id] = [
            ProductOption(
                product,
                rules.misfit_for_need(
                    protocol, profile, screening, engine[product.id], item.need_id
                ),
                stock[product.id],
            )
            for product in products
            if product.category == item.product.category and product.id not in in_kit
        ]
    covered = {item.need_id for item in rec.items}
    add_options = []
    for product in products:
        if product.id in in_kit:
            continue
        placed = rules.place_new_product(protocol, profile, screening, engine[product.id], covered)
        add_options.append(
            ProductOption(product, placed if isinstance(placed, str) else None, stock[product.id])
        )
    purchases = purchases_for([rec.id])[rec.id]
    consultation = (
        db.session.get(ConsultationRequest, rec.consultation_id) if rec.consultation_id else None
    )
    return EditorView(
        recommendation=rec,
        status=link_status(rec, purchases, now),
        purchases=purchases,
        need_labels=need_labels,
        swap_options=swap_options,
        add_options=add_options,
        patient=patient_plan(rec, today),
        consultation=consultation,
        frozen=frozen_reason(rec, purchases),
        stock={item.id: stock[item.product_id] for item in rec.items},
    )


def treatment_choices() -> list[tuple[str, str]]:
    """Return (slug, name) of the treatments that have an aftercare protocol."""
    rows = db.session.execute(select(Treatment).order_by(Treatment.position, Treatment.name))
    return [(t.slug, t.name) for t in rows.scalars() if t.protocol]


def prefill_from_consultation(request_id: int) -> ConsultationRequest | None:
    """Return the consultation request a new recommendation starts from, or None."""
    return db.session.execute(
        select(ConsultationRequest)
        .where(ConsultationRequest.id == request_id)
        .options(selectinload(ConsultationRequest.treatment))
    ).scalar_one_or_none()
