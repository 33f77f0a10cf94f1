"""Clinicians' personal recommendations: the kit, its rule-checked changes, the link and reports.

Health data (treatment, skin type, concerns, screening answers) is stored here only because the
clinician records it after a consultation with the patient's consent. It never goes into logs
or the audit trail (which records who did what to which recommendation id, nothing more).
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from models import (
    ConsultationRequest,
    Kit,
    KitItem,
    Order,
    Product,
    Recommendation,
    RecommendationItem,
    Treatment,
    User,
    db,
    kit_treatments,
)
from shop import clock
from shop.aftercare import (
    KitItem as EngineKitItem,
)
from shop.aftercare import (
    Plan,
    PlanKit,
    Profile,
    Protocol,
    Screening,
    plan_with_kit,
    rules,
)
from shop.aftercare.vocabulary import CONCERNS
from shop.services import audit
from shop.services.basket import (
    MAX_LINE_QUANTITY,
    BasketError,
    BasketStore,
    item_key,
    price_basket,
)
from shop.services.catalogue import kit_price
from shop.services.notifications import queue_email
from shop.services.pagination import Page, clamp_page
from shop.services.plans import PlanRequest, UnknownTreatment, build_plan, engine_product
from shop.services.protocols import advice_protocol
from shop.services.unit_of_work import unit_of_work

# Orders in these states did not turn into a sale, so they do not count as a purchase.
NOT_PURCHASED_STATUSES = ("expired", "cancelled", "refunded")
# secrets.token_urlsafe(32) gives 43 characters; anything else is not one of our links.
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")
STATUS_LABELS = {
    "draft": "Draft",
    "sent": "Sent",
    "opened": "Opened",
    "acknowledged": "Advice acknowledged",
    "purchased": "Purchased",
    "expired": "Expired",
    "revoked": "Revoked",
}


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


def hash_token(token: str) -> str:
    """Return the SHA-256 hex digest of a link token: the only form the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def link_url(token: str) -> str:
    """Return the full address of a recommendation link for emails and QR codes."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/r/{token}"


def qr_svg(text: str) -> str:
    """Return an inline SVG QR code of `text` (no script, no style attribute: CSP-safe)."""
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
    )
    svg = image.to_string(encoding="unicode")
    return svg.replace(
        "<svg ", '<svg class="qr-code" role="img" aria-label="QR code of your plan link" ', 1
    )


# --- loading ----------------------------------------------------------------------------------


def _with_items():
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
    query = select(Recommendation).where(Recommendation.id == rec_id).options(*_with_items())
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


def _profile(rec: Recommendation) -> tuple[Protocol, Profile, Screening]:
    """Return the protocol the advice was made with, and the patient's profile and answers."""
    protocol = advice_protocol(rec.treatment, rec.protocol_hash)
    profile = Profile(fitzpatrick=rec.fitzpatrick, concerns=frozenset(rec.concerns or ()))
    return protocol, profile, stored_screening(rec)


# --- creating and editing ---------------------------------------------------------------------


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
    protocol, profile, screening = _profile(rec)
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
    protocol, profile, screening = _profile(rec)
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
        protocol, _, _ = _profile(rec)
        label = rules.need_label(protocol, item.need_id).lower()
        raise RecommendationError(
            f"{item.product.name} is needed ({label}); swap it for another product instead."
        )
    change = {"item": item.id, "product": item.product.slug, "quantity": item.quantity}
    rec.items.remove(item)
    return _save_items(rec, actor, "recommendation.remove", change)


# --- sending, resending, revoking ---------------------------------------------------------------


def send_recommendation(
    rec_id: int, actor: Actor, now: datetime | None = None
) -> tuple[Recommendation, str]:
    """Make a new link, email it to the patient through the outbox, and return the plain token.

    Only the token's hash is stored, so the caller gets the one chance to print it. Sending
    again (a resend) replaces the token: the old link stops working at once.
    """
    rec = get_recommendation(rec_id, actor)
    if rec.status == "revoked":
        raise RecommendationError(
            "This recommendation was revoked; create a new one for the patient."
        )
    moment = now or clock.utc_now()
    token = secrets.token_urlsafe(32)
    resend = rec.status == "sent"
    expires_at = moment + timedelta(days=current_app.config["RECOMMENDATION_LINK_DAYS"])
    clinician = db.session.get(User, rec.clinician_id) if rec.clinician_id else None
    with unit_of_work():
        rec.token_hash = hash_token(token)
        rec.status = "sent"
        rec.sent_at = moment
        rec.expires_at = expires_at
        rec.updated_at = moment
        queue_email(
            rec.patient_email,
            "Your personal aftercare plan",
            "recommendation_link",
            patient_name=rec.patient_name,
            clinician_name=(clinician.name if clinician is not None else "") or "your clinician",
            link=link_url(token),
            expires_on=expires_at.date(),
            suitable=rec.suitable,
            has_kit=bool(rec.items),
        )
        action = "recommendation.resend" if resend else "recommendation.send"
        audit.record(actor.user_id, action, "recommendation", rec.id)
    return rec, token


def revoke_recommendation(rec_id: int, actor: Actor, now: datetime | None = None) -> Recommendation:
    """Stop the link working for good (it answers 410 Gone); commits."""
    rec = get_recommendation(rec_id, actor)
    if rec.status == "revoked":
        raise RecommendationError("This recommendation is already revoked.")
    with unit_of_work():
        rec.status = "revoked"
        rec.updated_at = now or clock.utc_now()
        audit.record(actor.user_id, "recommendation.revoke", "recommendation", rec.id)
    return rec


def token_matches(rec: Recommendation, token: str | None) -> bool:
    """Tell whether a plain token is the recommendation's current one (constant time)."""
    if not token or not rec.token_hash or rec.status != "sent":
        return False
    return secrets.compare_digest(hash_token(token), rec.token_hash)


# --- the patient's side -----------------------------------------------------------------------


def _resolve(token: str, now: datetime) -> Recommendation:
    """Return the live recommendation of a token, or raise LinkNotFound / LinkGone."""
    if not _TOKEN_PATTERN.match(token or ""):
        raise LinkNotFound(token)
    rec = db.session.execute(
        select(Recommendation)
        .where(Recommendation.token_hash == hash_token(token))
        .options(*_with_items())
    ).scalar_one_or_none()
    if rec is None or rec.status == "draft":
        raise LinkNotFound(token)
    if rec.status == "revoked":
        raise LinkGone("revoked")
    expires_at = clock.aware_utc(rec.expires_at)
    if expires_at is None or expires_at <= now:
        raise LinkGone("expired")
    return rec


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


def live_recommendation_id(token: str, now: datetime | None = None) -> int | None:
    """Return the id behind a live link token, or None; reading it changes nothing."""
    try:
        return _resolve(token, now or clock.utc_now()).id
    except (LinkNotFound, LinkGone):
        return None


def open_link(token: str, now: datetime | None = None) -> Recommendation:
    """Return the recommendation of a link, noting the first time the patient opened it."""
    moment = now or clock.utc_now()
    rec = _resolve(token, moment)
    if rec.opened_at is None:
        with unit_of_work():
            _stamp_once(rec.id, Recommendation.opened_at, moment)
        db.session.refresh(rec)
    return rec


def acknowledge(token: str, now: datetime | None = None) -> Recommendation:
    """Record that the patient confirmed they were given and read the advice (first time kept)."""
    with unit_of_work():
        moment = now or clock.utc_now()
        rec = _resolve(token, moment)
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
    protocol, profile, screening = _profile(rec)
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
        kit = PlanKit(
            slug=rec.kit.slug if rec.kit is not None else None,
            name=kit_name,
            price_pence=price,
            items=tuple(
                EngineKitItem(
                    slug=item.product.slug,
                    name=item.product.name,
                    quantity=item.quantity,
                    use_from_day=item.use_from_day,
                    use_until_day=item.use_until_day,
                    reason=item.reason,
                    need_id=item.need_id,
                    optional=item.optional,
                )
                for item in rec.items
            ),
        )
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
    rec = _resolve(token, now or clock.utc_now())
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


# --- lists and status ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Purchase:
    """An order placed through a recommendation link."""

    reference: str
    status: str
    total_pence: int


def link_status(
    rec: Recommendation, purchases: Iterable[Purchase], now: datetime | None = None
) -> str:
    """Return the recommendation's status as the clinician reads it (a STATUS_LABELS key)."""
    if rec.status in ("draft", "revoked"):
        return rec.status
    if any(p.status not in NOT_PURCHASED_STATUSES for p in purchases):
        return "purchased"
    expires_at = clock.aware_utc(rec.expires_at)
    if expires_at is not None and expires_at <= (now or clock.utc_now()):
        return "expired"
    if rec.acknowledged_at is not None:
        return "acknowledged"
    if rec.opened_at is not None:
        return "opened"
    return "sent"


def purchases_for(rec_ids: Iterable[int]) -> dict[int, list[Purchase]]:
    """Return the orders placed through each recommendation, in one query."""
    ids = list(set(rec_ids))
    found: dict[int, list[Purchase]] = {rec_id: [] for rec_id in ids}
    if not ids:
        return found
    rows = db.session.execute(
        select(Order.recommendation_id, Order.reference, Order.status, Order.total_pence)
        .where(Order.recommendation_id.in_(ids))
        .order_by(Order.placed_at, Order.id)
    ).all()
    for rec_id, reference, status, total in rows:
        found[rec_id].append(Purchase(reference, status, total))
    return found


@dataclass(frozen=True)
class RecommendationRow:
    """A line of the recommendations list."""

    recommendation: Recommendation
    status: str
    purchases: list[Purchase]
    clinician_name: str

    @property
    def status_label(self) -> str:
        """Return the status in words."""
        return STATUS_LABELS[self.status]


def list_recommendations(
    actor: Actor, page: int, per_page: int, now: datetime | None = None
) -> Page:
    """Return a page of the actor's recommendations (an admin's: all of them), newest first.

    The page's items are RecommendationRow. Five queries whatever the number of rows: count,
    page, treatments, clinicians, orders.
    """
    condition = True if actor.is_admin else Recommendation.clinician_id == actor.user_id
    total = db.session.execute(select(func.count(Recommendation.id)).where(condition)).scalar_one()
    page = clamp_page(page, total, per_page)
    recs = list(
        db.session.execute(
            select(Recommendation)
            .where(condition)
            .options(selectinload(Recommendation.treatment))
            .order_by(Recommendation.created_at.desc(), Recommendation.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).scalars()
    )
    clinician_ids = {rec.clinician_id for rec in recs if rec.clinician_id is not None}
    names: dict[int, str] = {}
    if clinician_ids:
        names = {
            user_id: name or email
            for user_id, name, email in db.session.execute(
                select(User.id, User.name, User.email).where(User.id.in_(clinician_ids))
            ).all()
        }
    purchases = purchases_for(rec.id for rec in recs)
    moment = now or clock.utc_now()
    rows = [
        RecommendationRow(
            recommendation=rec,
            status=link_status(rec, purchases.get(rec.id, []), moment),
            purchases=purchases.get(rec.id, []),
            clinician_name=names.get(rec.clinician_id, "") if rec.clinician_id else "",
        )
        for rec in recs
    ]
    return Page(items=rows, page=page, per_page=per_page, total=total)


@dataclass(frozen=True)
class ProductOption:
    """A product the clinician may pick, with why it would be refused (None when it fits)."""

    product: Product
    problem: str | None


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
    protocol, profile, screening = _profile(rec)
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
        add_options.append(ProductOption(product, placed if isinstance(placed, str) else None))
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
    )


# --- print tokens kept for the clinician ------------------------------------------------------

PRINT_SESSION_KEY = "clinic_print_link"
PRINT_WINDOW = timedelta(minutes=30)


def remember_print_token(
    session: MutableMapping[str, Any], rec_id: int, token: str, now: datetime | None = None
) -> None:
    """Keep the just-sent token in the clinician's session so the sheet can be printed now.

    Only one (the latest) is kept, and only for PRINT_WINDOW: the database never has it.
    """
    session[PRINT_SESSION_KEY] = {
        "rec": rec_id,
        "token": token,
        "at": (now or clock.utc_now()).isoformat(),
    }


def print_token(
    session: Mapping[str, Any], rec: Recommendation, now: datetime | None = None
) -> str | None:
    """Return the printable token of `rec` from the session, if it is recent and still current."""
    kept = session.get(PRINT_SESSION_KEY)
    if not isinstance(kept, Mapping) or kept.get("rec") != rec.id:
        return None
    try:
        kept_at = datetime.fromisoformat(str(kept.get("at")))
    except ValueError:
        return None
    if clock.aware_utc(kept_at) + PRINT_WINDOW < (now or clock.utc_now()):
        return None
    token = kept.get("token")
    return token if isinstance(token, str) and token_matches(rec, token) else None


# --- reports ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReportRow:
    """The funnel of one clinician or treatment: sent, opened, acknowledged, purchased."""

    label: str
    sent: int
    opened: int
    acknowledged: int
    purchased: int

    @property
    def conversion_percent(self) -> int:
        """Return the share of sent recommendations that led to a purchase, in whole percent."""
        return round(100 * self.purchased / self.sent) if self.sent else 0


@dataclass(frozen=True)
class Report:
    """The recommendation funnel over a date range, per clinician and per treatment."""

    date_from: date
    date_to: date
    by_clinician: list[ReportRow]
    by_treatment: list[ReportRow]

    @property
    def total(self) -> ReportRow:
        """Return the whole range's funnel."""
        rows = self.by_clinician
        return ReportRow(
            "All",
            sum(r.sent for r in rows),
            sum(r.opened for r in rows),
            sum(r.acknowledged for r in rows),
            sum(r.purchased for r in rows),
        )


def recommendation_report(date_from: date, date_to: date, actor: Actor) -> Report:
    """Count recommendations sent in the range and how far each got; two grouped queries.

    A clinician sees their own figures; an admin sees every clinician's.
    """
    start = datetime.combine(date_from, time.min, tzinfo=UTC)
    end = datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC)
    bought = (
        select(Order.recommendation_id.label("rec_id"))
        .where(
            Order.recommendation_id.is_not(None),
            Order.status.not_in(NOT_PURCHASED_STATUSES),
        )
        .distinct()
        .subquery()
    )
    measures = (
        func.count(Recommendation.id),
        func.count(Recommendation.opened_at),
        func.count(Recommendation.acknowledged_at),
        func.count(bought.c.rec_id),
    )
    conditions = [Recommendation.sent_at >= start, Recommendation.sent_at < end]
    if not actor.is_admin:
        conditions.append(Recommendation.clinician_id == actor.user_id)
    by_clinician = db.session.execute(
        select(User.name, User.email, *measures)
        .select_from(Recommendation)
        .outerjoin(User, User.id == Recommendation.clinician_id)
        .outerjoin(bought, bought.c.rec_id == Recommendation.id)
        .where(*conditions)
        .group_by(Recommendation.clinician_id, User.name, User.email)
        .order_by(User.name)
    ).all()
    by_treatment = db.session.execute(
        select(Treatment.name, *measures)
        .select_from(Recommendation)
        .join(Treatment, Treatment.id == Recommendation.treatment_id)
        .outerjoin(bought, bought.c.rec_id == Recommendation.id)
        .where(*conditions)
        .group_by(Treatment.id, Treatment.name)
        .order_by(Treatment.name)
    ).all()
    return Report(
        date_from=date_from,
        date_to=date_to,
        by_clinician=[
            ReportRow(name or email or "Former clinician", *counts)
            for name, email, *counts in by_clinician
        ],
        by_treatment=[ReportRow(name, *counts) for name, *counts in by_treatment],
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
