"""The one clinical rule checker: can the treatment go ahead, and may a product be used then?

Every rule is data in the protocol file (day windows, actives, fragrance, SPF by skin type,
what a screening answer takes out). This module is the only code that reads those rules: the
engine's plan, a clinician's kit changes, the staff kit warnings and the plan API all ask it,
so they can never disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from shop.aftercare.inputs import CatalogueProduct, Profile, Screening
from shop.aftercare.protocols import (
    AvoidRule,
    Contraindication,
    Need,
    Protocol,
    Requirements,
    ScreeningProductRule,
)
from shop.aftercare.timeline import overlaps
from shop.aftercare.vocabulary import (
    ACTIVE_LABELS,
    CONCERN_BAR_TEXT,
    CONCERNS,
    FITZPATRICK_ROMAN,
    SCREENING_BAR_TEXT,
    SCREENING_QUESTIONS,
    fitzpatrick_label,
)
from shop.aftercare.wording import window_words

# A kit line no protocol need asks for (a mist, a hat) fills the need "extra:<product slug>".
EXTRA_PREFIX = "extra:"
# Declared concerns that are also product skin types; matching ones rank a product higher.
SKIN_TYPE_CONCERNS = ("sensitive", "acne-prone", "dry", "oily")
_ISOTRETINOIN = "isotretinoin_recent"


def is_extra(need_id: str) -> bool:
    """Tell whether a need id marks an extra item rather than one of the protocol's needs."""
    return need_id.startswith(EXTRA_PREFIX)


def _lower_first(text: str) -> str:
    """Lower-case a leading capital unless it starts an acronym ("AHA" stays, "Retinoid" not)."""
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def active_name(active: str) -> str:
    """Return an active's name for use inside a sentence ("retinoid", "AHA (glycolic ...)")."""
    return _lower_first(ACTIVE_LABELS.get(active, active))


# --- the patient's answers ----------------------------------------------------------------


def _isotretinoin_bar(protocol: Protocol) -> Contraindication | None:
    return next((c for c in protocol.contraindications if c.screening == _ISOTRETINOIN), None)


def answered_yes(protocol: Protocol, screening: Screening) -> frozenset[str]:
    """Return the screening keys that count as "yes" for this treatment.

    Isotretinoin counts when the patient said "recent" or when their last dose falls inside
    this treatment's own window (its contraindication's months).
    """
    yes = {key for key in SCREENING_QUESTIONS if getattr(screening, key)}
    months_ago = screening.isotretinoin_months_ago
    bar = _isotretinoin_bar(protocol)
    window = bar.months if bar is not None else None
    if months_ago is not None and window is not None and months_ago < window:
        yes.add(_ISOTRETINOIN)
    return frozenset(yes)


def product_rules(protocol: Protocol, screening: Screening) -> tuple[ScreeningProductRule, ...]:
    """Return the product rules the patient's answers switch on (pregnancy, ...)."""
    yes = answered_yes(protocol, screening)
    return tuple(r for r in protocol.rules.screening_products if r.screening in yes)


def in_tense(text: str, once_treated: str | None, treated: bool) -> str:
    """Return a rule's words for the moment: its `once_treated` wording after the treatment."""
    return once_treated if treated and once_treated else text


def suitability(
    protocol: Protocol, profile: Profile, screening: Screening, treated: bool = False
) -> tuple[list[str], list[str]]:
    """Return (reasons the treatment cannot go ahead, warnings) for this patient.

    With `treated` (the treatment has happened) each message is worded for after it.
    """
    reasons: list[str] = []
    warnings: list[str] = []
    yes = answered_yes(protocol, screening)
    for rule in sorted(
        protocol.contraindications, key=lambda c: SCREENING_QUESTIONS.index(c.screening)
    ):
        if rule.screening in yes:
            (reasons if rule.action == "unsuitable" else warnings).append(
                in_tense(rule.message, rule.once_treated, treated)
            )
    label = fitzpatrick_label(profile.fitzpatrick)
    skin = profile.fitzpatrick
    types = protocol.fitzpatrick
    if skin in types.unsuitable:
        reasons.append(
            f"{protocol.name} is not offered for {label} skin: the risk of lasting dark or "
            "light patches is too high."
        )
    elif skin in types.clinician_only:
        reasons.append(
            f"For {label} skin, {protocol.name} can only go ahead after a clinician has "
            "assessed your skin in person, because of the risk of pigment changes."
        )
    elif skin in types.caution:
        warnings.append(
            in_tense(
                f"{label} skin needs extra care with {protocol.name}: the clinician may adjust "
                "the settings or do a test patch first.",
                f"{label} skin needs extra care after {protocol.name}: tell the clinic about "
                "any darkening, lightening or redness that does not settle.",
                treated,
            )
        )
    if skin in types.pigment_risk:
        warnings.append(
            f"{label} skin is more likely to develop dark marks after this treatment, and "
            "they can last for months. Strict sun protection and no heat help prevent them."
        )
    for rule in sorted(protocol.concern_rules, key=lambda c: CONCERNS.index(c.concern)):
        if rule.concern in profile.concerns:
            (reasons if rule.action == "unsuitable" else warnings).append(
                in_tense(rule.message, rule.once_treated, treated)
            )
    return reasons, warnings


def advice(
    protocol: Protocol, profile: Profile, screening: Screening, treated: bool = False
) -> tuple[str, ...]:
    """Return the ask-your-clinician notes whose conditions hold for this patient.

    With `treated` (the treatment has happened) each note is worded for after it.
    """
    yes = answered_yes(protocol, screening)
    dropped = {m for rule in product_rules(protocol, screening) for m in rule.drops_advice_on}
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
        if set(item.medicines) & dropped:
            continue
        shown.append(in_tense(item.text, item.once_treated, treated))
    return tuple(dict.fromkeys(shown))


def _roman_ranges(types: Iterable[int]) -> str:
    """Describe Fitzpatrick types as ranges of Roman numerals ("IV-VI", "I and III")."""
    runs: list[list[int]] = []
    for skin in sorted(set(types)):
        if runs and skin == runs[-1][-1] + 1:
            runs[-1].append(skin)
        else:
            runs.append([skin])
    parts = [
        FITZPATRICK_ROMAN[run[0]]
        if len(run) == 1
        else f"{FITZPATRICK_ROMAN[run[0]]}-{FITZPATRICK_ROMAN[run[-1]]}"
        for run in runs
    ]
    return " and ".join(parts)


def not_suitable_if(protocol: Protocol) -> tuple[str, ...]:
    """Return the treatment page's "not suitable if" list, made from the structured bars.

    The kit finder's questions, the refusal and this list all read the same contraindications.
    """
    lines = []
    for rule in sorted(
        protocol.contraindications, key=lambda c: SCREENING_QUESTIONS.index(c.screening)
    ):
        if rule.action == "unsuitable":
            lines.append(SCREENING_BAR_TEXT[rule.screening].format(months=rule.months))
    types = protocol.fitzpatrick
    if types.unsuitable:
        lines.append(f"Your skin is Fitzpatrick type {_roman_ranges(types.unsuitable)}")
    if types.clinician_only:
        lines.append(
            f"Your skin is Fitzpatrick type {_roman_ranges(types.clinician_only)}, "
            "until a clinician has assessed it in person"
        )
    lines += [
        CONCERN_BAR_TEXT[rule.concern]
        for rule in sorted(protocol.concern_rules, key=lambda c: CONCERNS.index(c.concern))
        if rule.action == "unsuitable"
    ]
    return (*lines, *protocol.also_not_suitable_if)


# --- what a need asks of a product ------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveNeed:
    """A protocol need after the patient's adjustments, avoid windows and answers."""

    need: Need
    requires: Requirements
    notes: tuple[str, ...]
    # Each avoided active, with the avoid rule that bans it during this need's days.
    banned_actives: Mapping[str, AvoidRule]
    # The avoid rule that asks for fragrance-free products on these days, if one does.
    fragrance_rule: AvoidRule | None
    fragrance_actives: frozenset[str]
    answer_rules: tuple[ScreeningProductRule, ...] = ()
    skin_concerns: frozenset[str] = field(default_factory=frozenset)

    @property
    def reason(self) -> str:
        """Return the reason shown to the patient, with any notes for their skin."""
        return " ".join((self.need.reason, *self.notes))

    @property
    def fragrance_free(self) -> bool:
        """Tell whether products for this need must be free of fragrance."""
        return self.requires.fragrance_free or self.fragrance_rule is not None


def effective_need(
    need: Need, protocol: Protocol, profile: Profile, screening: Screening
) -> EffectiveNeed:
    """Apply the matching adjustments, overlapping avoid windows and answers to one need."""
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
    banned: dict[str, AvoidRule] = {}
    fragrance_rule = None
    for rule in protocol.avoid:
        if not overlaps(need.from_day, need.until_day, rule.from_day, rule.until_day):
            continue
        for active in rule.actives:
            # The rule that lasts longest is the one to name: it is the one still in force.
            if active not in banned or rule.until_day > banned[active].until_day:
                banned[active] = rule
        if rule.fragrance and (fragrance_rule is None or rule.until_day > fragrance_rule.until_day):
            fragrance_rule = rule
    return EffectiveNeed(
        need=need,
        requires=requires,
        notes=tuple(notes),
        banned_actives=banned,
        fragrance_rule=fragrance_rule,
        fragrance_actives=frozenset(protocol.rules.fragrance_actives),
        answer_rules=product_rules(protocol, screening),
        skin_concerns=frozenset(profile.concerns & set(SKIN_TYPE_CONCERNS)),
    )


def effective_needs(
    protocol: Protocol, profile: Profile, screening: Screening
) -> tuple[EffectiveNeed, ...]:
    """Apply the patient's adjustments and answers to every need of the protocol."""
    return tuple(effective_need(need, protocol, profile, screening) for need in protocol.needs)


def extra_need(
    product: CatalogueProduct,
    purpose: str,
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
) -> EffectiveNeed:
    """Describe an extra item (one no need asks for) as an optional need of the healing window.

    Clinicians may add comfort items (a mist, a hat) to a kit. Such an item is used while the
    skin heals, so it must pass every rule of that window, exactly as a needed item would.
    """
    need = Need(
        id=EXTRA_PREFIX + product.slug,
        category=product.category,
        label=product.name,
        reason=purpose or "Our clinicians include this in the kit for comfort while you heal.",
        how="as the pack directs",
        from_day=0,
        until_day=max(protocol.healing_until_day, 0),
        optional=True,
    )
    return effective_need(need, protocol, profile, screening)


def _until(rule: AvoidRule) -> str:
    # Patients read these reasons too, so the day is said in words, never as a day number.
    return f"{_lower_first(rule.what)} are avoided {window_words(None, rule.until_day)}"


def misfit(product: CatalogueProduct, need: EffectiveNeed) -> str | None:
    """Return why a product cannot meet a need (a phrase after "it"), or None when it fits."""
    requires = need.requires
    if product.is_licensed_medicine:
        return "is a licensed medicine, which only a clinician can advise on"
    if product.category != need.need.category:
        return f"is not a {need.need.category}"
    if requires.min_spf is not None and (product.spf or 0) < requires.min_spf:
        return f"does not reach the SPF{requires.min_spf} needed"
    if requires.uv_filter is not None and product.uv_filter != requires.uv_filter:
        return f"is not a {requires.uv_filter} sunscreen"
    if requires.tinted is not None and product.tinted != requires.tinted:
        return "is tinted" if product.tinted else "is not tinted"
    scented = not product.fragrance_free or bool(product.actives & need.fragrance_actives)
    if need.fragrance_free and scented:
        if need.fragrance_rule is not None:
            return f"is not fragrance-free, and {_until(need.fragrance_rule)}"
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
        return f"does not contain {', '.join(active_name(a) for a in missing)}"
    excluded = sorted(product.actives & set(requires.excludes))
    if excluded:
        return f"contains {active_name(excluded[0])}, which your skin profile rules out"
    banned = sorted(a for a in product.actives if a in need.banned_actives)
    if banned:
        return f"contains {active_name(banned[0])}, and {_until(need.banned_actives[banned[0]])}"
    for rule in need.answer_rules:
        if rule.pregnancy_safe_only and not product.pregnancy_safe:
            return "is not marked safe in pregnancy or while breastfeeding"
        for active in sorted(product.actives & set(rule.excludes)):
            return f"contains {active_name(active)}; {_lower_first(rule.reason)}"
        if product.category not in rule.wash_off_categories:
            for active in sorted(product.actives & set(rule.leave_on_excludes)):
                return f"contains leave-on {active_name(active)}; {_lower_first(rule.reason)}"
    return None


def units_to_cover(from_day: int, until_day: int, days_per_unit: int | None) -> int:
    """Return how many units last from one day to another, both included (at least one)."""
    if days_per_unit is None or days_per_unit <= 0:
        return 1
    days = until_day - from_day + 1
    return max(1, math.ceil(days / days_per_unit))


# --- placing products in a kit ------------------------------------------------------------------


@dataclass(frozen=True)
class Placement:
    """Where a product goes in a patient's kit: the need it fills, its days and why."""

    need_id: str
    use_from_day: int
    use_until_day: int
    optional: bool
    reason: str
    quantity: int


def placement(product: CatalogueProduct, need: EffectiveNeed) -> Placement:
    """Return the kit line a product makes when it fills `need`."""
    return Placement(
        need_id=need.need.id,
        use_from_day=need.need.from_day,
        use_until_day=need.need.until_day,
        optional=need.need.optional,
        reason=need.reason,
        quantity=units_to_cover(need.need.from_day, need.need.until_day, product.days_per_unit),
    )


def _need_or_extra(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    product: CatalogueProduct,
    need_id: str,
) -> EffectiveNeed:
    for need in protocol.needs:
        if need.id == need_id:
            return effective_need(need, protocol, profile, screening)
    # An extra, or a need a newer protocol no longer has: it must pass the healing window.
    return extra_need(product, "", protocol, profile, screening)


def misfit_for_need(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    product: CatalogueProduct,
    need_id: str,
) -> str | None:
    """Return why `product` cannot fill the need `need_id` for this patient, or None if it can."""
    return misfit(product, _need_or_extra(protocol, profile, screening, product, need_id))


def place_for_swap(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    product: CatalogueProduct,
    need_id: str,
) -> Placement | str:
    """Return the placement of `product` in place of another on `need_id`, or why it is refused."""
    need = _need_or_extra(protocol, profile, screening, product, need_id)
    problem = misfit(product, need)
    return problem if problem is not None else placement(product, need)


def _target(
    product: CatalogueProduct,
    needs: Sequence[EffectiveNeed],
    covered: set[str],
    make_extra,
) -> EffectiveNeed | str:
    """Return the need a product goes to (an open one first), or why it fits none."""
    candidates = [n for n in needs if n.need.category == product.category]
    if not candidates:
        extra = make_extra(product)
        return misfit(product, extra) or extra
    fitting = [n for n in candidates if misfit(product, n) is None]
    if not fitting:
        return misfit(product, candidates[0]) or "does not fit this plan"
    return next((n for n in fitting if n.need.id not in covered), fitting[0])


def place_new_product(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    product: CatalogueProduct,
    covered_need_ids: Iterable[str] = (),
) -> Placement | str:
    """Return where an added product goes (an open need first, else an extra), or why not."""
    needs = effective_needs(protocol, profile, screening)
    target = _target(
        product,
        needs,
        set(covered_need_ids),
        lambda p: extra_need(p, "", protocol, profile, screening),
    )
    return target if isinstance(target, str) else placement(product, target)


@dataclass(frozen=True)
class KitFit:
    """How a kit's items map onto a patient's needs, and what breaks the rules."""

    placed: tuple[tuple[CatalogueProduct, EffectiveNeed], ...]
    problems: tuple[tuple[CatalogueProduct, str], ...]
    uncovered: tuple[str, ...]


def fit_kit(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    items: Sequence[tuple[CatalogueProduct, str]],
    needs: Sequence[EffectiveNeed] | None = None,
) -> KitFit:
    """Place each (product, purpose) of a kit on a need, filling open needs first.

    An item no need asks for is an extra: kept when it passes the rules of the healing window.
    """
    if needs is None:
        needs = effective_needs(protocol, profile, screening)
    placed: list[tuple[CatalogueProduct, EffectiveNeed]] = []
    problems: list[tuple[CatalogueProduct, str]] = []
    covered: set[str] = set()
    for product, purpose in items:
        target = _target(
            product,
            needs,
            covered,
            lambda p, purpose=purpose: extra_need(p, purpose, protocol, profile, screening),
        )
        if isinstance(target, str):
            problems.append((product, target))
            # The need it was meant for is reported through this problem, not as missing.
            meant = next((n.need.id for n in needs if n.need.category == product.category), None)
            if meant is not None:
                covered.add(meant)
            continue
        covered.add(target.need.id)
        placed.append((product, target))
    return KitFit(
        placed=tuple(placed),
        problems=tuple(problems),
        uncovered=uncovered_needs(protocol, covered),
    )


def kit_item_windows(
    protocol: Protocol, profile: Profile, items: Sequence[tuple[CatalogueProduct, str]]
) -> dict[str, tuple[int, int]]:
    """Return, by product slug, the days each kit item is used for: the plan's own windows.

    The item goes on the need the engine would place it on, so a kit page and a plan name
    the same days for the same product. Items the rules refuse have no window.
    """
    fit = fit_kit(protocol, profile, Screening(), items)
    return {product.slug: (need.need.from_day, need.need.until_day) for product, need in fit.placed}


def kit_warnings(
    protocol: Protocol,
    items: Sequence[tuple[CatalogueProduct, str]],
    fitzpatrick_min: int,
    fitzpatrick_max: int,
    concerns: Iterable[str] = (),
) -> list[str]:
    """Return where a kit breaks the protocol for any patient it is offered to, for staff.

    The kit is checked for every Fitzpatrick type in its range and each concern it targets,
    exactly as the engine checks it for a patient with that profile.
    """
    profiles = [
        Profile(skin, frozenset(concern))
        for skin in range(fitzpatrick_min, fitzpatrick_max + 1)
        for concern in ([[c] for c in sorted(concerns)] or [[]])
    ]
    broken: dict[tuple[str, str], set[int]] = {}
    gaps: dict[str, set[int]] = {}
    for profile in profiles:
        fit = fit_kit(protocol, profile, Screening(), items)
        for product, problem in fit.problems:
            broken.setdefault((product.name, problem), set()).add(profile.fitzpatrick)
        for label in fit.uncovered:
            gaps.setdefault(label, set()).add(profile.fitzpatrick)
    every = set(range(fitzpatrick_min, fitzpatrick_max + 1))

    def for_whom(types: set[int]) -> str:
        return "" if types == every else f" for Fitzpatrick {_roman_ranges(types)} skin"

    warnings = [
        f"{name} {problem}{for_whom(types)} ({protocol.name})."
        for (name, problem), types in broken.items()
    ]
    if gaps:
        warnings.append(
            f"For {protocol.name} the kit has nothing for: "
            + ", ".join(f"{label.lower()}{for_whom(types)}" for label, types in gaps.items())
            + "."
        )
    return warnings


def need_label(protocol: Protocol, need_id: str) -> str:
    """Return what a need is for ("Gentle cleanser"), or "Extra" for an added comfort item."""
    return next((n.label for n in protocol.needs if n.id == need_id), "Extra")


def need_is_optional(protocol: Protocol, need_id: str) -> bool:
    """Tell whether a need may be left out of a kit (extras always may)."""
    return next((n.optional for n in protocol.needs if n.id == need_id), True)


def uncovered_needs(protocol: Protocol, covered_need_ids: Iterable[str]) -> tuple[str, ...]:
    """Return the labels of required needs no kit line fills, in protocol order."""
    covered = set(covered_need_ids)
    return tuple(n.label for n in protocol.needs if not n.optional and n.id not in covered)
