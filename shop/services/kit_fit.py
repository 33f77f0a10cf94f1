"""Whether a kit suits the skin type of the plan a visitor came from, and which kit does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from shop.services import plan_links, plans
from shop.services.plan_links import PlanLinkExpired, PlanLinkInvalid


@dataclass(frozen=True)
class KitMismatch:
    """A kit made for other skin types than the plan's, and what the plan chose instead.

    `better_slug` and `better_name` name the curated kit the plan chose; both are None when
    the plan put its kit together from single products (or found none in stock).
    """

    fitzpatrick: int
    kit_name: str
    kit_min: int
    kit_max: int
    better_slug: str | None
    better_name: str | None


def kit_mismatch(kit_slug: str, plan_token: str | None, today: date) -> KitMismatch | None:
    """Return how the kit at `kit_slug` misses the plan's skin type, or None when it fits.

    None too without a plan, for a plan link that is not genuine or has expired, and for a
    kit that is not on sale: the kit page then shows no personal note at all.
    """
    if not plan_token:
        return None
    try:
        answers = plan_links.read_plan_token(plan_token)
    except PlanLinkInvalid:
        return None
    kit = next((k for k in plans.engine_catalogue(today).kits if k.slug == kit_slug), None)
    if kit is None or kit.fitzpatrick_min <= answers.fitzpatrick <= kit.fitzpatrick_max:
        return None
    try:
        _, result = plan_links.open_plan_link(plan_token, today)
    except (PlanLinkExpired, PlanLinkInvalid):
        return None
    chosen = result.plan.kit
    better = chosen if chosen is not None and chosen.slug and chosen.slug != kit_slug else None
    return KitMismatch(
        fitzpatrick=answers.fitzpatrick,
        kit_name=kit.name,
        kit_min=kit.fitzpatrick_min,
        kit_max=kit.fitzpatrick_max,
        better_slug=better.slug if better else None,
        better_name=better.name if better else None,
    )
