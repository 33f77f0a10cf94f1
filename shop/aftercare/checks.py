"""Rule checks for a clinician's changes to a kit: the engine's own rules, one product at a time.

The engine chooses a whole kit; a clinician then swaps, adds or removes single products. These
pure functions answer "may this product fill that need for this patient?" with the engine's
own rules (its adjustments, avoid windows and pregnancy rules), so a change the engine would
never make (a fragranced product in the fragrance window, SPF30 for Fitzpatrick IV-VI, ...) is
refused with the reason, in the same words the engine uses.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

# The engine keeps these helpers private; this module is their one sanctioned public door.
from shop.aftercare.engine import (
    CatalogueProduct,
    Profile,
    Screening,
    _effective_need,
    _EffectiveNeed,
    _extra_need,
    _misfit,
)
from shop.aftercare.protocols import Protocol
from shop.aftercare.timeline import TimelineDay, Window, build_timeline

EXTRA_PREFIX = "extra:"


@dataclass(frozen=True)
class Placement:
    """Where a product goes in a patient's kit: the need it fills, its days and why."""

    need_id: str
    use_from_day: int
    use_until_day: int
    optional: bool
    reason: str
    quantity: int


@dataclass(frozen=True)
class PlacedItem:
    """A kit line as the timeline needs it: product name, need and days of use."""

    name: str
    need_id: str
    use_from_day: int
    use_until_day: int


def units_to_cover(from_day: int, until_day: int, days_per_unit: int | None) -> int:
    """Return how many units last from one day to another (at least one), as the engine does."""
    if days_per_unit is None or days_per_unit <= 0:
        return 1
    days = until_day - from_day + 1
    return max(1, math.ceil(days / days_per_unit))


def _need(
    protocol: Protocol, profile: Profile, screening: Screening, need_id: str
) -> _EffectiveNeed | None:
    pregnant = screening.pregnant_or_breastfeeding
    for need in protocol.needs:
        if need.id == need_id:
            return _effective_need(need, protocol, profile, pregnant)
    return None


def _extra(
    protocol: Protocol, profile: Profile, screening: Screening, product: CatalogueProduct
) -> _EffectiveNeed:
    return _extra_need(product, "", protocol, profile, screening.pregnant_or_breastfeeding)


def _placement(product: CatalogueProduct, need: _EffectiveNeed) -> Placement:
    return Placement(
        need_id=need.need.id,
        use_from_day=need.need.from_day,
        use_until_day=need.need.until_day,
        optional=need.need.optional,
        reason=need.reason,
        quantity=units_to_cover(need.need.from_day, need.need.until_day, product.days_per_unit),
    )


def misfit_for_need(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    product: CatalogueProduct,
    need_id: str,
) -> str | None:
    """Return why `product` cannot fill the need `need_id` for this patient, or None if it can.

    An extra item (a need id starting with "extra:", or one the protocol no longer has) must
    pass every rule of the healing window, exactly as the engine checks a kit's extras.
    """
    need = _need(protocol, profile, screening, need_id)
    if need is None:
        need = _extra(protocol, profile, screening, product)
    return _misfit(product, need)


def place_for_swap(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    product: CatalogueProduct,
    need_id: str,
) -> Placement | str:
    """Return the placement of `product` in place of another on `need_id`, or why it is refused."""
    need = _need(protocol, profile, screening, need_id)
    if need is None:
        need = _extra(protocol, profile, screening, product)
    problem = _misfit(product, need)
    if problem is not None:
        return problem
    return _placement(product, need)


def place_new_product(
    protocol: Protocol,
    profile: Profile,
    screening: Screening,
    product: CatalogueProduct,
    covered_need_ids: Iterable[str] = (),
) -> Placement | str:
    """Return where an added product goes (an open need first, else an extra), or why not.

    A product whose category no need asks for is an extra, kept only when it passes the rules
    of the healing window; one that matches needs goes to the first it fits, open needs first.
    """
    covered = set(covered_need_ids)
    candidates = [
        need
        for need in (_need(protocol, profile, screening, n.id) for n in protocol.needs)
        if need is not None and need.need.category == product.category
    ]
    if not candidates:
        extra = _extra(protocol, profile, screening, product)
        problem = _misfit(product, extra)
        return problem if problem is not None else _placement(product, extra)
    fitting = [need for need in candidates if _misfit(product, need) is None]
    if not fitting:
        return _misfit(product, candidates[0]) or "does not fit this plan"
    target = next((n for n in fitting if n.need.id not in covered), fitting[0])
    return _placement(product, target)


def need_id_for(
    protocol: Protocol, category: str, use_from_day: int, use_until_day: int, slug: str
) -> str:
    """Return the id of the need an engine kit item fills (its category and days tell).

    The engine's kit items carry no need id; a category no need asks for marks an extra.
    """
    same_category = [n for n in protocol.needs if n.category == category]
    for need in same_category:
        if (need.from_day, need.until_day) == (use_from_day, use_until_day):
            return need.id
    if same_category:
        return same_category[0].id
    return EXTRA_PREFIX + slug


def need_label(protocol: Protocol, need_id: str) -> str:
    """Return what a need is for ("Gentle cleanser"), or "Extra" for an added comfort item."""
    for need in protocol.needs:
        if need.id == need_id:
            return need.label
    return "Extra"


def need_is_optional(protocol: Protocol, need_id: str) -> bool:
    """Tell whether a need may be left out of a kit (extras always may)."""
    for need in protocol.needs:
        if need.id == need_id:
            return need.optional
    return True


def uncovered_needs(protocol: Protocol, covered_need_ids: Iterable[str]) -> tuple[str, ...]:
    """Return the labels of required needs no kit line fills, in protocol order."""
    covered = set(covered_need_ids)
    return tuple(n.label for n in protocol.needs if not n.optional and n.id not in covered)


def timeline_for_items(
    protocol: Protocol,
    items: Sequence[PlacedItem],
    avoid: Sequence[Window],
    treated_on: date,
    today: date,
) -> tuple[TimelineDay, ...]:
    """Build the day-by-day timeline of a clinician's kit (their products, the protocol's days).

    Needs no line fills still show (by their label), as the engine shows them, so a patient
    is never left without the step.
    """
    how = {need.id: need.how for need in protocol.needs}
    uses: list[Window] = []
    filled = set()
    for need in protocol.needs:
        lines = [item for item in items if item.need_id == need.id]
        filled.update(item.need_id for item in lines)
        for item in lines:
            uses.append(Window(f"{item.name}: {need.how}", item.use_from_day, item.use_until_day))
        if not lines:
            label = need.label + (" (optional)" if need.optional else "")
            uses.append(Window(f"{label}: {need.how}", need.from_day, need.until_day))
    uses += [
        Window(
            f"{item.name}: {how.get(item.need_id, 'as the pack directs')}",
            item.use_from_day,
            item.use_until_day,
        )
        for item in items
        if item.need_id not in filled
    ]
    uses += [Window(i.text, i.from_day, i.until_day) for i in protocol.instructions]
    return build_timeline(treated_on, today, protocol.last_day, uses, avoid)
