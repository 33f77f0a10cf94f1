"""The aftercare engine: treatment, skin profile and screening answers in, aftercare plan out.

It chooses and assembles the kit and lays out the days; every clinical rule it applies comes
from `shop.aftercare.rules`, the one checker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from shop.aftercare import rules
from shop.aftercare.inputs import (
    Catalogue,
    CatalogueKit,
    CatalogueProduct,
    Profile,
    Screening,
)
from shop.aftercare.protocols import Protocol
from shop.aftercare.rules import EffectiveNeed
from shop.aftercare.timeline import (
    Change,
    TimelineDay,
    Window,
    build_timeline,
    changes,
    today_in_timeline,
)

_CONSULT_LINE = (
    "Please speak to the clinic: a clinician can check whether the treatment can go ahead "
    "later, or suggest a different one."
)


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
    # The protocol need it fills ("extra:<slug>" for a comfort item), and whether it may go.
    need_id: str = ""
    optional: bool = False

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
    # Already treated and an answer rules the treatment out: full aftercare, and call us.
    contact_clinic: bool = False

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
            "contact_clinic": self.contact_clinic,
        }

    def changes(self) -> tuple[Change, ...]:
        """Return the days on which the routine changes: calendar events and reminders."""
        return changes(self.timeline)


# --- kit choice -----------------------------------------------------------------------------


def _score(product: CatalogueProduct, need: EffectiveNeed) -> int:
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


def _quantity(need: EffectiveNeed, product: CatalogueProduct) -> int:
    return rules.units_to_cover(need.need.from_day, need.need.until_day, product.days_per_unit)


def _ranked(catalogue: Catalogue, need: EffectiveNeed) -> tuple[CatalogueProduct, ...]:
    """Return the products that fit a need, best first; once per catalogue and need."""

    def rank() -> tuple[CatalogueProduct, ...]:
        candidates = catalogue.in_category(need.need.category)
        fitting = [p for p in candidates if rules.misfit(p, need) is None]
        # Cheaper wins a tie, then the slug, so the same input always gives the same plan.
        return tuple(sorted(fitting, key=lambda p: (-_score(p, need), p.price_pence, p.slug)))

    # The need holds mappings, so its text stands for it; equal needs print the same.
    return catalogue.remembered(("ranked", repr(need)), rank)


def _kit_applies(kit: CatalogueKit, protocol: Protocol, profile: Profile) -> bool:
    return (
        protocol.slug in kit.treatments
        and kit.fitzpatrick_min <= profile.fitzpatrick <= kit.fitzpatrick_max
        and (not kit.concerns or bool(kit.concerns & profile.concerns))
    )


def _kit_item(product: CatalogueProduct, need: EffectiveNeed, quantity: int) -> KitItem:
    return KitItem(
        slug=product.slug,
        name=product.name,
        quantity=quantity,
        use_from_day=need.need.from_day,
        use_until_day=need.need.until_day,
        reason=need.reason,
        need_id=need.need.id,
        optional=need.need.optional,
    )


def _fit_curated_kit(
    kit: CatalogueKit,
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    needs: tuple[EffectiveNeed, ...],
    catalogue: Catalogue,
) -> tuple[list[KitItem], str | None]:
    """Map a kit's items onto the needs; return (items, None) or ([], why the kit does not fit)."""
    if kit.available <= 0:
        return [], "is out of stock at the moment"
    entries = []
    for product_slug, quantity in kit.items:
        product = catalogue.products.get(product_slug)
        if product is None:
            return [], f"lists a product the shop does not have ({product_slug})"
        entries.append((product, kit.purposes.get(product_slug, ""), quantity))
    fit = rules.fit_kit(protocol, profile, screening, [(p, why) for p, why, _ in entries], needs)
    if fit.problems:
        product, problem = fit.problems[0]
        return [], f"includes {product.name}, which {problem}"
    if fit.uncovered:
        return [], f"has nothing for: {', '.join(label.lower() for label in fit.uncovered)}"
    quantities = {product.slug: quantity for product, _, quantity in entries}
    for product, need in fit.placed:
        better = _better_in_stock(product, need, catalogue)
        if better is not None:
            return [], (
                f"includes {product.name}, while {better.name} suits your skin better "
                "and is in stock"
            )
    return [_kit_item(p, need, quantities[p.slug]) for p, need in fit.placed], None


def _better_in_stock(
    product: CatalogueProduct, need: EffectiveNeed, catalogue: Catalogue
) -> CatalogueProduct | None:
    """Return an in-stock product meeting the need's preferences that `product` misses.

    Preferences (a tinted mineral sunscreen for deeper or pigment-prone skin) are soft when
    nothing in stock meets them, but a curated kit must not override them when something does.
    """
    best = next((p for p in _ranked(catalogue, need) if p.sellable > 0), None)
    if best is None or _score(best, need) <= _score(product, need):
        return None
    preferences_missed = (need.requires.prefer_tinted and not product.tinted) or (
        need.requires.prefer_uv_filter is not None
        and product.uv_filter != need.requires.prefer_uv_filter
    )
    return best if preferences_missed else None


def _assemble_kit(
    needs: tuple[EffectiveNeed, ...], catalogue: Catalogue
) -> tuple[list[KitItem], list[Substitution]]:
    """Choose an in-stock product for every required need; note each departure from the best."""
    placed: list[KitItem] = []
    substitutions: list[Substitution] = []
    for need in needs:
        if need.need.optional:
            continue
        ranked = _ranked(catalogue, need)
        in_stock = [p for p in ranked if p.sellable >= _quantity(need, p)]
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
        placed.append(_kit_item(chosen, need, _quantity(need, chosen)))
    return placed, substitutions


def _choose_kit(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    needs: tuple[EffectiveNeed, ...],
    catalogue: Catalogue,
) -> tuple[PlanKit | None, list[Substitution]]:
    """Pick the best curated kit that fits, or assemble one from single products."""
    applicable = [k for k in catalogue.kits if _kit_applies(k, protocol, profile)]
    accepted = []
    rejected = []
    for kit in applicable:
        items, problem = _fit_curated_kit(kit, protocol, profile, screening, needs, catalogue)
        specificity = len(kit.concerns & profile.concerns)
        if problem is None:
            covered = len({i.need_id for i in items if not rules.is_extra(i.need_id)})
            accepted.append(((-covered, -specificity, kit.price_pence, kit.slug), kit, items))
        else:
            rejected.append(((-specificity, kit.slug), kit, problem))
    if accepted:
        _, kit, items = min(accepted, key=lambda entry: entry[0])
        return PlanKit(kit.slug, kit.name, kit.price_pence, tuple(items)), []
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
    items, item_substitutions = _assemble_kit(needs, catalogue)
    substitutions.extend(item_substitutions)
    if not items:
        return None, substitutions
    price = sum(catalogue.products[i.slug].price_pence * i.quantity for i in items)
    kit = PlanKit(None, f"Your {protocol.name} aftercare kit", price, tuple(items))
    return kit, substitutions


# --- plan -----------------------------------------------------------------------------------


def _avoid_items(protocol: Protocol, screening: Screening) -> tuple[AvoidItem, ...]:
    items = [
        AvoidItem(rule.what, rule.kind, rule.from_day, rule.until_day, rule.reason)
        for rule in protocol.avoid
    ]
    items += [
        AvoidItem(rule.avoid, "ingredient", 0, protocol.last_day, rule.reason)
        for rule in rules.product_rules(protocol, screening)
    ]
    return tuple(items)


def _use_windows(protocol: Protocol, items: Sequence[KitItem]) -> list[Window]:
    """Return what to use each day: kit items, then needs the kit leaves open, then steps.

    A need no line fills still shows (by its label), so a patient is never left without it.
    """
    windows = []
    needs = {need.id for need in protocol.needs}
    for need in protocol.needs:
        lines = [item for item in items if item.need_id == need.id]
        windows += [
            Window(f"{item.name}: {need.how}", item.use_from_day, item.use_until_day)
            for item in lines
        ]
        if not lines:
            label = need.label + (" (optional)" if need.optional else "")
            windows.append(Window(f"{label}: {need.how}", need.from_day, need.until_day))
    windows += [
        Window(f"{item.name}: as the pack directs", item.use_from_day, item.use_until_day)
        for item in items
        if item.need_id not in needs
    ]
    windows += [Window(i.text, i.from_day, i.until_day) for i in protocol.instructions]
    return windows


def _plan(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    treated_on: date,
    today: date,
    choose,
) -> Plan:
    """Build a plan around the kit `choose(needs)` gives as (kit, substitutions)."""
    if not isinstance(treated_on, date) or not isinstance(today, date):
        raise ValueError("treated_on and today must be dates")
    # From the treatment day on, the advice speaks of the treatment as done.
    already_treated = treated_on <= today
    reasons, warnings = rules.suitability(protocol, profile, screening, already_treated)
    advice = rules.advice(protocol, profile, screening, already_treated)
    if reasons and not already_treated:
        # Before the treatment, a bar means: do not go ahead, and no kit to buy for it.
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
    # After it, the skin needs its aftercare all the more: the answers only narrow the products.
    warnings += [rule.note for rule in rules.product_rules(protocol, screening)]
    needs = rules.effective_needs(protocol, profile, screening)
    kit, substitutions = choose(needs)
    avoid = _avoid_items(protocol, screening)
    last_day = protocol.last_day
    timeline = build_timeline(
        treated_on,
        today,
        last_day,
        _use_windows(protocol, kit.items if kit is not None else ()),
        [Window(a.what, a.from_day, a.until_day) for a in avoid],
    )
    return Plan(
        treatment=protocol.slug,
        treated_on=treated_on,
        suitable=not reasons,
        reasons=tuple(reasons),
        warnings=tuple(warnings),
        kit=kit,
        substitutions=tuple(substitutions),
        avoid=avoid,
        timeline=timeline,
        today_day=today_in_timeline(treated_on, today, last_day),
        protocol_version=protocol.version,
        advice=advice,
        contact_clinic=bool(reasons),
    )


def plan(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    treated_on: date,
    today: date,
    catalogue: Catalogue,
) -> Plan:
    """Return the aftercare plan for a patient: suitability, kit, things to avoid and timeline."""
    return _plan(
        protocol,
        profile,
        screening,
        treated_on,
        today,
        lambda needs: _remembered_kit(protocol, profile, screening, needs, catalogue),
    )


def _remembered_kit(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    needs: tuple[EffectiveNeed, ...],
    catalogue: Catalogue,
) -> tuple[PlanKit | None, list[Substitution]]:
    """Choose the kit once per catalogue for the same protocol, skin and answers.

    `needs` follow from those three, so they need no place in the key (printing them for one
    cost a third of a plan). The protocol is known by the object itself, not by slug and
    version: callers of the engine may pass changed copies under the same ones. Its id is in
    the key and the object is kept beside the answer, which keeps it alive, so no other
    protocol can take that id while the entry lives.
    """

    def choose() -> tuple[Protocol, PlanKit | None, tuple[Substitution, ...]]:
        kit, substitutions = _choose_kit(protocol, profile, screening, needs, catalogue)
        return protocol, kit, tuple(substitutions)  # kept, so never changed by a caller

    _protocol, kit, substitutions = catalogue.remembered(
        ("kit", id(protocol), profile, screening), choose
    )
    return kit, list(substitutions)


def plan_with_kit(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    treated_on: date,
    today: date,
    kit: PlanKit | None,
) -> Plan:
    """Return the plan around a kit chosen elsewhere (a clinician's), with the same rules."""
    return _plan(protocol, profile, screening, treated_on, today, lambda needs: (kit, []))
