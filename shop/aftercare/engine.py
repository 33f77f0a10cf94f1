"""The aftercare engine: treatment, skin profile and screening answers in, aftercare plan out."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from shop.aftercare.protocols import Need, Protocol, Requirements
from shop.aftercare.timeline import TimelineDay, Window, build_timeline, today_in_timeline
from shop.aftercare.vocabulary import (
    CONCERNS,
    FITZPATRICK_TYPES,
    PREGNANCY_EXCLUDED_MEDICINES,
    SCREENING_QUESTIONS,
    fitzpatrick_label,
)

# Declared concerns that are also product skin types; matching ones rank a product higher.
_SKIN_TYPE_CONCERNS = ("sensitive", "acne-prone", "dry", "oily")
_CONSULT_LINE = (
    "Please speak to the clinic: a clinician can check whether the treatment can go ahead "
    "later, or suggest a different one."
)


# --- inputs ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CatalogueProduct:
    """A product as the engine sees it: the attributes the rules read and what can be sold now."""

    slug: str
    name: str
    category: str
    price_pence: int
    spf: int | None
    uv_filter: str | None
    tinted: bool
    fragrance_free: bool
    non_comedogenic: bool
    occlusive: bool
    alcohol_free: bool
    pregnancy_safe: bool
    actives: frozenset[str]
    skin_types: frozenset[str]
    days_per_unit: int | None
    sellable: int
    is_licensed_medicine: bool = False


@dataclass(frozen=True)
class CatalogueKit:
    """A curated kit: its price after its price rule, where it applies, contents and stock."""

    slug: str
    name: str
    price_pence: int
    treatments: frozenset[str]
    fitzpatrick_min: int
    fitzpatrick_max: int
    concerns: frozenset[str]
    items: tuple[tuple[str, int], ...]
    available: int
    # What each item is for, in the clinicians' words (product slug -> purpose).
    purposes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalogue:
    """The products (by slug) and kits the engine may choose from."""

    products: Mapping[str, CatalogueProduct]
    kits: tuple[CatalogueKit, ...] = ()

    @classmethod
    def of(
        cls, products: Iterable[CatalogueProduct], kits: Iterable[CatalogueKit] = ()
    ) -> Catalogue:
        """Build a catalogue from sequences of products and kits."""
        return cls(products={p.slug: p for p in products}, kits=tuple(kits))


@dataclass(frozen=True)
class Profile:
    """The patient's skin: Fitzpatrick type 1-6 and declared concerns."""

    fitzpatrick: int
    concerns: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        """Reject a type or concern outside the shared vocabulary."""
        if isinstance(self.fitzpatrick, bool) or self.fitzpatrick not in FITZPATRICK_TYPES:
            raise ValueError(f"Fitzpatrick type must be 1 to 6, got {self.fitzpatrick!r}")
        unknown = sorted(set(self.concerns) - set(CONCERNS))
        if unknown:
            raise ValueError(f"unknown concern(s): {', '.join(unknown)}")
        object.__setattr__(self, "concerns", frozenset(self.concerns))


@dataclass(frozen=True)
class Screening:
    """The patient's yes/no answers to the seven screening questions."""

    isotretinoin_recent: bool = False
    open_wounds: bool = False
    radiation_last_year: bool = False
    skin_infection: bool = False
    pregnant_or_breastfeeding: bool = False
    cold_sores: bool = False
    blood_thinners: bool = False

    @classmethod
    def from_mapping(cls, answers: Mapping[str, bool]) -> Screening:
        """Build from {question key: bool}; unknown keys or non-bool values raise ValueError."""
        unknown = sorted(set(answers) - set(SCREENING_QUESTIONS))
        if unknown:
            raise ValueError(f"unknown screening question(s): {', '.join(unknown)}")
        for key, value in answers.items():
            if not isinstance(value, bool):
                raise ValueError(f"screening answer '{key}' must be true or false")
        return cls(**dict(answers))

    def answered_yes(self) -> tuple[str, ...]:
        """Return the keys answered yes, in question order."""
        return tuple(key for key in SCREENING_QUESTIONS if getattr(self, key))


# --- outputs --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KitItem:
    """One product in the recommended kit, when to use it and why."""

    slug: str
    name: str
    quantity: int
    use_from_day: int
    use_until_day: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return the API JSON shape of this item."""
        return {
            "slug": self.slug,
            "name": self.name,
            "quantity": self.quantity,
            "use_from_day": self.use_from_day,
            "use_until_day": self.use_until_day,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PlanKit:
    """The recommended kit: a curated kit (with its slug) or one assembled for this plan."""

    slug: str | None
    name: str
    price_pence: int
    items: tuple[KitItem, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the API JSON shape of the kit."""
        return {
            "slug": self.slug,
            "name": self.name,
            "price_pence": self.price_pence,
            "items": [item.to_dict() for item in self.items],
        }


@dataclass(frozen=True)
class Substitution:
    """A departure from the first choice: what was needed, what was chosen instead, and why."""

    need: str
    chosen: str | None
    instead_of: str | None
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return the API JSON shape of this substitution."""
        return {
            "need": self.need,
            "chosen": self.chosen,
            "instead_of": self.instead_of,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class AvoidItem:
    """Something to avoid from one day until another (both included)."""

    what: str
    kind: str
    from_day: int
    until_day: int
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """Return the API JSON shape (from_day and kind stay internal)."""
        return {"what": self.what, "until_day": self.until_day, "reason": self.reason}


@dataclass(frozen=True)
class Plan:
    """The aftercare plan for one patient and treatment."""

    treatment: str
    treated_on: date
    suitable: bool
    reasons: tuple[str, ...]
    warnings: tuple[str, ...]
    kit: PlanKit | None
    substitutions: tuple[Substitution, ...]
    avoid: tuple[AvoidItem, ...]
    timeline: tuple[TimelineDay, ...]
    today_day: int | None
    protocol_version: str
    advice: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the plan in the exact JSON shape of the aftercare-plan API."""
        return {
            "treatment": self.treatment,
            "treated_on": self.treated_on.isoformat(),
            "suitable": self.suitable,
            "reasons": list(self.reasons),
            "warnings": list(self.warnings),
            "kit": self.kit.to_dict() if self.kit is not None else None,
            "substitutions": [s.to_dict() for s in self.substitutions],
            "avoid": [a.to_dict() for a in self.avoid],
            "timeline": [d.to_dict() for d in self.timeline],
            "today_day": self.today_day,
            "protocol_version": self.protocol_version,
            "advice": list(self.advice),
        }


# --- rules ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _EffectiveNeed:
    """A protocol need after the patient's adjustments and the overlapping avoid windows."""

    need: Need
    requires: Requirements
    notes: tuple[str, ...]
    banned_actives: frozenset[str]
    fragrance_free: bool
    pregnant: bool = False
    skin_concerns: frozenset[str] = field(default_factory=frozenset)

    @property
    def reason(self) -> str:
        """Return the reason shown to the patient, with any notes for their skin."""
        return " ".join((self.need.reason, *self.notes))


def _overlaps(a_from: int, a_until: int, b_from: int, b_until: int) -> bool:
    return a_from <= b_until and b_from <= a_until


def _effective_need(
    need: Need, protocol: Protocol, profile: Profile, pregnant: bool
) -> _EffectiveNeed:
    """Apply the matching adjustments and overlapping avoid windows to one need."""
    requires = need.requires
    notes: list[str] = []
    for adjustment in protocol.adjustments:
        applies = (
            adjustment.concern in profile.concerns
            if adjustment.concern is not None
            else profile.fitzpatrick in adjustment.fitzpatrick
        )
        if not applies:
            continue
        if adjustment.categories and need.category not in adjustment.categories:
            continue
        if adjustment.healed_only and need.from_day <= protocol.healing_until_day:
            continue
        tightened = requires.tightened_by(adjustment.requires)
        # An adjustment that asks for nothing new would only repeat an earlier note.
        if tightened != requires and adjustment.note not in notes:
            notes.append(adjustment.note)
        requires = tightened
    banned = set(requires.excludes)
    fragrance_free = requires.fragrance_free
    for rule in protocol.avoid:
        if _overlaps(need.from_day, need.until_day, rule.from_day, rule.until_day):
            banned |= set(rule.actives)
            fragrance_free = fragrance_free or rule.fragrance
    if pregnant:
        banned.add("retinoid")
    return _EffectiveNeed(
        need=need,
        requires=requires,
        notes=tuple(notes),
        banned_actives=frozenset(banned),
        fragrance_free=fragrance_free,
        pregnant=pregnant,
        skin_concerns=frozenset(profile.concerns & set(_SKIN_TYPE_CONCERNS)),
    )


def _effective_needs(
    protocol: Protocol, profile: Profile, pregnant: bool
) -> tuple[_EffectiveNeed, ...]:
    """Apply the matching adjustments and avoid windows to every need of the protocol."""
    return tuple(_effective_need(need, protocol, profile, pregnant) for need in protocol.needs)


def _extra_need(
    product: CatalogueProduct, purpose: str, protocol: Protocol, profile: Profile, pregnant: bool
) -> _EffectiveNeed:
    """Describe a curated kit's extra item (one no need asks for) as an optional need.

    Clinicians may add comfort items (a mist, a hat) to a kit. Such an item is used while the
    skin heals, so it must pass every rule of that window, exactly as a needed item would.
    """
    need = Need(
        id=f"extra:{product.slug}",
        category=product.category,
        label=product.name,
        reason=purpose or "Our clinicians include this in the kit for comfort while you heal.",
        how="as the pack directs",
        from_day=0,
        until_day=max(protocol.healing_until_day, 0),
        optional=True,
    )
    return _effective_need(need, protocol, profile, pregnant)


def _misfit(product: CatalogueProduct, need: _EffectiveNeed) -> str | None:
    """Return why a product cannot meet a need (patient wording), or None when it fits."""
    requires = need.requires
    if product.is_licensed_medicine:
        return "is a licensed medicine, which only a clinician can advise on"
    if product.category != need.need.category:
        return f"is not a {need.need.category}"
    if requires.min_spf is not None and (product.spf or 0) < requires.min_spf:
        return f"does not reach the SPF{requires.min_spf} you need"
    if requires.uv_filter is not None and product.uv_filter != requires.uv_filter:
        return f"is not a {requires.uv_filter} sunscreen"
    if requires.tinted is not None and product.tinted != requires.tinted:
        return "is tinted" if product.tinted else "is not tinted"
    # Essential oils are fragrance in all but name, so they break a fragrance-free rule too.
    scented = not product.fragrance_free or "essential-oils" in product.actives
    if need.fragrance_free and scented:
        return "is not fragrance-free"
    if requires.non_comedogenic and not product.non_comedogenic:
        return "is not non-comedogenic"
    if requires.alcohol_free and not product.alcohol_free:
        return "is not alcohol-free"
    if requires.occlusive is True and not product.occlusive:
        return "is not occlusive enough"
    if requires.occlusive is False and product.occlusive:
        return "is too heavy (occlusive) for this stage"
    missing = [a for a in requires.contains if a not in product.actives]
    if missing:
        return f"does not contain {', '.join(missing)}"
    banned = sorted(product.actives & need.banned_actives)
    if banned:
        return f"contains {', '.join(banned)}, which is to be avoided on those days"
    if need.pregnant:
        if not product.pregnancy_safe:
            return "is not marked safe in pregnancy or while breastfeeding"
        # Wash-off salicylic acid is fine; leave-on BHA is not (keep the rule simple).
        if "bha" in product.actives and product.category != "cleanser":
            return "contains leave-on salicylic acid (BHA)"
    return None


def _score(product: CatalogueProduct, need: _EffectiveNeed) -> int:
    """Rank fitting products: preferred tint and filter first, then skin type, then SPF."""
    requires = need.requires
    score = 0
    if requires.prefer_tinted and product.tinted:
        score += 1000
    if requires.prefer_uv_filter is not None and product.uv_filter == requires.prefer_uv_filter:
        score += 500
    score += 20 * len(need.skin_concerns & product.skin_types)
    if product.spf is not None:
        score += min(product.spf, 50) // 10
    return score


def _quantity(need: Need, product: CatalogueProduct) -> int:
    """Return how many units cover the need's window (at least one)."""
    if product.days_per_unit is None:
        return 1
    days = need.until_day - need.from_day + 1
    return max(1, math.ceil(days / product.days_per_unit))


def _ranked(products: Iterable[CatalogueProduct], need: _EffectiveNeed) -> list[CatalogueProduct]:
    fitting = [p for p in products if _misfit(p, need) is None]
    # Cheaper wins a tie, then the slug, so the same input always gives the same plan.
    return sorted(fitting, key=lambda p: (-_score(p, need), p.price_pence, p.slug))


# --- suitability ----------------------------------------------------------------------------


def _suitability(
    protocol: Protocol, profile: Profile, screening: Screening
) -> tuple[list[str], list[str]]:
    """Return (reasons the treatment cannot go ahead, warnings) for this patient."""
    reasons: list[str] = []
    warnings: list[str] = []
    yes = set(screening.answered_yes())
    for rule in sorted(
        protocol.contraindications, key=lambda c: SCREENING_QUESTIONS.index(c.screening)
    ):
        if rule.screening in yes:
            (reasons if rule.action == "unsuitable" else warnings).append(rule.message)
    label = fitzpatrick_label(profile.fitzpatrick)
    skin = profile.fitzpatrick
    rules = protocol.fitzpatrick
    if skin in rules.unsuitable:
        reasons.append(
            f"{protocol.name} is not offered for {label} skin: the risk of lasting dark or "
            "light patches is too high."
        )
    elif skin in rules.clinician_only:
        reasons.append(
            f"For {label} skin, {protocol.name} can only go ahead after a clinician has "
            "assessed your skin in person, because of the risk of pigment changes."
        )
    elif skin in rules.caution:
        warnings.append(
            f"{label} skin needs extra care with {protocol.name}: the clinician may adjust "
            "the settings or do a test patch first."
        )
    if skin in rules.pigment_risk:
        warnings.append(
            f"{label} skin is more likely to develop dark marks after this treatment, and "
            "they can last for months. Strict sun protection and no heat help prevent them."
        )
    for rule in sorted(protocol.concern_rules, key=lambda c: CONCERNS.index(c.concern)):
        if rule.concern in profile.concerns:
            (reasons if rule.action == "unsuitable" else warnings).append(rule.message)
    return reasons, warnings


def _advice(protocol: Protocol, profile: Profile, screening: Screening) -> tuple[str, ...]:
    """Return the ask-your-clinician notes whose conditions hold for this patient."""
    yes = set(screening.answered_yes())
    pregnant = screening.pregnant_or_breastfeeding
    shown = []
    for item in protocol.advice:
        conditional = item.screening or item.concerns or item.fitzpatrick
        matches = (
            bool(yes & set(item.screening))
            or bool(profile.concerns & set(item.concerns))
            or profile.fitzpatrick in item.fitzpatrick
        )
        if conditional and not matches:
            continue
        if pregnant and set(item.medicines) & set(PREGNANCY_EXCLUDED_MEDICINES):
            continue
        shown.append(item.text)
    return tuple(dict.fromkeys(shown))


# --- kit choice -----------------------------------------------------------------------------


def _kit_applies(kit: CatalogueKit, protocol: Protocol, profile: Profile) -> bool:
    return (
        protocol.slug in kit.treatments
        and kit.fitzpatrick_min <= profile.fitzpatrick <= kit.fitzpatrick_max
        and (not kit.concerns or bool(kit.concerns & profile.concerns))
    )


def _fit_curated_kit(
    kit: CatalogueKit,
    needs: tuple[_EffectiveNeed, ...],
    catalogue: Catalogue,
    extra: Callable[[CatalogueProduct, str], _EffectiveNeed],
) -> tuple[list[tuple[KitItem, _EffectiveNeed]], str | None]:
    """Map a kit's items onto the needs; return (items, None) or ([], why the kit does not fit).

    An item no need asks for is an extra: kept when it passes the rules of the healing window.
    """
    if kit.available <= 0:
        return [], "is out of stock at the moment"
    placed: list[tuple[KitItem, _EffectiveNeed]] = []
    covered: set[str] = set()
    for product_slug, quantity in kit.items:
        product = catalogue.products.get(product_slug)
        if product is None:
            return [], f"lists a product the shop does not have ({product_slug})"
        candidates = [n for n in needs if n.need.category == product.category]
        if not candidates:
            extra_need = extra(product, kit.purposes.get(product_slug, ""))
            problem = _misfit(product, extra_need)
            if problem is not None:
                return [], f"includes {product.name}, which {problem}"
            placed.append((_kit_item(product, extra_need, quantity), extra_need))
            continue
        fitting = [n for n in candidates if _misfit(product, n) is None]
        if not fitting:
            return [], f"includes {product.name}, which {_misfit(product, candidates[0])}"
        # Fill an uncovered need first so two items of one category cover two needs.
        target = next((n for n in fitting if n.need.id not in covered), fitting[0])
        better = _better_in_stock(product, target, catalogue)
        if better is not None:
            return [], (
                f"includes {product.name}, while {better.name} suits your skin better "
                "and is in stock"
            )
        covered.add(target.need.id)
        placed.append((_kit_item(product, target, quantity), target))
    missing = [
        n.need.label.lower() for n in needs if not n.need.optional and n.need.id not in covered
    ]
    if missing:
        return [], f"has nothing for: {', '.join(missing)}"
    return placed, None


def _better_in_stock(
    product: CatalogueProduct, need: _EffectiveNeed, catalogue: Catalogue
) -> CatalogueProduct | None:
    """Return an in-stock product meeting the need's preferences that `product` misses.

    Preferences (a tinted mineral sunscreen for deeper or pigment-prone skin) are soft when
    nothing in stock meets them, but a curated kit must not override them when something does.
    """
    best = next((p for p in _ranked(catalogue.products.values(), need) if p.sellable > 0), None)
    if best is None or _score(best, need) <= _score(product, need):
        return None
    preferences_missed = (need.requires.prefer_tinted and not product.tinted) or (
        need.requires.prefer_uv_filter is not None
        and product.uv_filter != need.requires.prefer_uv_filter
    )
    return best if preferences_missed else None


def _kit_item(product: CatalogueProduct, need: _EffectiveNeed, quantity: int) -> KitItem:
    return KitItem(
        slug=product.slug,
        name=product.name,
        quantity=quantity,
        use_from_day=need.need.from_day,
        use_until_day=need.need.until_day,
        reason=need.reason,
    )


def _assemble_kit(
    needs: tuple[_EffectiveNeed, ...], catalogue: Catalogue
) -> tuple[list[tuple[KitItem, _EffectiveNeed]], list[Substitution]]:
    """Choose an in-stock product for every required need; note each departure from the best."""
    placed: list[tuple[KitItem, _EffectiveNeed]] = []
    substitutions: list[Substitution] = []
    for need in needs:
        if need.need.optional:
            continue
        ranked = _ranked(catalogue.products.values(), need)
        in_stock = [p for p in ranked if p.sellable >= _quantity(need.need, p)]
        best = ranked[0] if ranked else None
        if not in_stock:
            reason = (
                f"Nothing in stock meets this need right now ({need.need.label.lower()}); "
                "please ask the clinic."
            )
            if best is not None:
                reason = (
                    f"{best.name} is out of stock and nothing else in stock fits; "
                    "please ask the clinic."
                )
            substitutions.append(
                Substitution(
                    need=need.need.id,
                    chosen=None,
                    instead_of=best.slug if best is not None else None,
                    reason=reason,
                )
            )
            continue
        chosen = in_stock[0]
        if best is not None and chosen.slug != best.slug:
            substitutions.append(
                Substitution(
                    need=need.need.id,
                    chosen=chosen.slug,
                    instead_of=best.slug,
                    reason=(
                        f"{best.name} would suit you best but is out of stock; "
                        f"{chosen.name} meets the same needs."
                    ),
                )
            )
        placed.append((_kit_item(chosen, need, _quantity(need.need, chosen)), need))
    return placed, substitutions


def _choose_kit(
    protocol: Protocol,
    profile: Profile,
    needs: tuple[_EffectiveNeed, ...],
    catalogue: Catalogue,
) -> tuple[PlanKit | None, list[tuple[KitItem, _EffectiveNeed]], list[Substitution]]:
    """Pick the best curated kit that fits, or assemble one from single products."""
    applicable = [k for k in catalogue.kits if _kit_applies(k, protocol, profile)]
    accepted = []
    rejected = []
    pregnant = bool(needs and needs[0].pregnant)

    def extra(product: CatalogueProduct, purpose: str) -> _EffectiveNeed:
        return _extra_need(product, purpose, protocol, profile, pregnant)

    for kit in applicable:
        placed, problem = _fit_curated_kit(kit, needs, catalogue, extra)
        specificity = len(kit.concerns & profile.concerns)
        if problem is None:
            covered = len({n.need.id for _, n in placed if not n.need.id.startswith("extra:")})
            accepted.append(((-covered, -specificity, kit.price_pence, kit.slug), kit, placed))
        else:
            rejected.append(((-specificity, kit.slug), kit, problem))
    if accepted:
        _, kit, placed = min(accepted, key=lambda entry: entry[0])
        items = tuple(item for item, _ in placed)
        return PlanKit(kit.slug, kit.name, kit.price_pence, items), placed, []
    substitutions = [
        Substitution(
            need="kit",
            chosen=None,
            instead_of=kit.slug,
            reason=(
                f"The {kit.name} {problem}, so your kit is made up of single products "
                "that fit your plan."
            ),
        )
        for _, kit, problem in sorted(rejected, key=lambda entry: entry[0])
    ]
    if not applicable:
        substitutions.append(
            Substitution(
                need="kit",
                chosen=None,
                instead_of=None,
                reason=(
                    "There is no ready-made kit for this treatment and skin profile, so your "
                    "kit is made up of single products that fit your plan."
                ),
            )
        )
    placed, item_substitutions = _assemble_kit(needs, catalogue)
    substitutions.extend(item_substitutions)
    if not placed:
        return None, [], substitutions
    items = tuple(item for item, _ in placed)
    price = sum(catalogue.products[i.slug].price_pence * i.quantity for i in items)
    kit = PlanKit(None, f"Your {protocol.name} aftercare kit", price, items)
    return kit, placed, substitutions


# --- plan -----------------------------------------------------------------------------------


def _avoid_items(protocol: Protocol, pregnant: bool) -> tuple[AvoidItem, ...]:
    items = [
        AvoidItem(rule.what, rule.kind, rule.from_day, rule.until_day, rule.reason)
        for rule in protocol.avoid
    ]
    if pregnant:
        items.append(
            AvoidItem(
                what="Retinoids, leave-on salicylic acid (BHA) and hydroquinone",
                kind="ingredient",
                from_day=0,
                until_day=protocol.last_day,
                reason="These are not advised while pregnant or breastfeeding.",
            )
        )
    return tuple(items)


def _use_windows(
    needs: tuple[_EffectiveNeed, ...],
    placed: list[tuple[KitItem, _EffectiveNeed]],
    protocol: Protocol,
) -> list[Window]:
    """Return what to use each day: kit items, then needs the kit leaves open, then steps."""
    windows = []
    for need in needs:
        items = [item for item, target in placed if target.need.id == need.need.id]
        for item in items:
            windows.append(
                Window(f"{item.name}: {need.need.how}", item.use_from_day, item.use_until_day)
            )
        if not items:
            label = need.need.label + (" (optional)" if need.need.optional else "")
            windows.append(
                Window(f"{label}: {need.need.how}", need.need.from_day, need.need.until_day)
            )
    windows += [
        Window(f"{item.name}: {need.need.how}", item.use_from_day, item.use_until_day)
        for item, need in placed
        if need.need.id.startswith("extra:")
    ]
    windows += [Window(i.text, i.from_day, i.until_day) for i in protocol.instructions]
    return windows


def plan(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    treated_on: date,
    today: date,
    catalogue: Catalogue,
) -> Plan:
    """Return the aftercare plan for a patient: suitability, kit, things to avoid and timeline."""
    if not isinstance(treated_on, date) or not isinstance(today, date):
        raise ValueError("treated_on and today must be dates")
    pregnant = screening.pregnant_or_breastfeeding
    reasons, warnings = _suitability(protocol, profile, screening)
    advice = _advice(protocol, profile, screening)
    if reasons:
        return Plan(
            treatment=protocol.slug,
            treated_on=treated_on,
            suitable=False,
            reasons=(*reasons, _CONSULT_LINE),
            warnings=tuple(warnings),
            kit=None,
            substitutions=(),
            avoid=(),
            timeline=(),
            today_day=None,
            protocol_version=protocol.version,
            advice=advice,
        )
    if pregnant:
        warnings.append(
            "Because you are pregnant or breastfeeding, the kit leaves out retinoids, leave-on "
            "salicylic acid and anything not marked safe in pregnancy."
        )
    needs = _effective_needs(protocol, profile, pregnant)
    kit, placed, substitutions = _choose_kit(protocol, profile, needs, catalogue)
    avoid = _avoid_items(protocol, pregnant)
    last_day = protocol.last_day
    timeline = build_timeline(
        treated_on,
        today,
        last_day,
        _use_windows(needs, placed, protocol),
        [Window(a.what, a.from_day, a.until_day) for a in avoid],
    )
    return Plan(
        treatment=protocol.slug,
        treated_on=treated_on,
        suitable=True,
        reasons=(),
        warnings=tuple(warnings),
        kit=kit,
        substitutions=tuple(substitutions),
        avoid=avoid,
        timeline=timeline,
        today_day=today_in_timeline(treated_on, today, last_day),
        protocol_version=protocol.version,
        advice=advice,
    )
