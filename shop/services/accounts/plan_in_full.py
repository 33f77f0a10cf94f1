"""A saved plan in full: the plan as it was kept, its products, and buying them again."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Kit, KitItem, Product, SavedPlan, SavedPlanLine, Treatment, db
from shop.aftercare import Plan, PlanKit, Profile, ProtocolError, plan_with_kit
from shop.services.accounts.plans import stored_screening
from shop.services.basket import BasketError, BasketStore, item_key, price_basket
from shop.services.catalogue import kit_price
from shop.services.plans import stored_kit
from shop.services.protocols import advice_protocol


class SavedPlanNotFound(LookupError):
    """No saved plan with that id belongs to this customer."""


@dataclass(frozen=True)
class SavedPlanInFull:
    """Everything the saved plan's page shows, priced as of today."""

    saved: SavedPlan
    treatment: Treatment
    # None when the treatment has no protocol data the plan can be laid out from.
    plan: Plan | None
    lines: tuple[SavedPlanLine, ...]
    # The kept products as the plan pages show a kit (None when none were kept).
    kit_items: PlanKit | None
    # Products still on sale, by slug: the page links only to these.
    products: dict[str, Product]
    # The curated kit, when it still exists, is on sale and holds exactly the kept lines.
    kit: Kit | None
    kit_name: str
    price_pence: int
    # Names of kept products no longer on sale: "Buy again" is refused while there are any.
    unavailable: tuple[str, ...]

    @property
    def can_buy_again(self) -> bool:
        """Tell whether every kept product is still on sale (stock is checked on buying)."""
        return bool(self.lines) and not self.unavailable


def _load(user_id: int, plan_id: int) -> tuple[SavedPlan, Treatment, Kit | None]:
    """Return the customer's plan with its lines and products, its treatment and kit.

    A fixed number of queries, whatever the size of the plan or of the catalogue.
    """
    saved = db.session.execute(
        select(SavedPlan)
        .where(SavedPlan.id == plan_id, SavedPlan.user_id == user_id)
        .options(selectinload(SavedPlan.lines).selectinload(SavedPlanLine.product))
    ).scalar_one_or_none()
    if saved is None:
        raise SavedPlanNotFound(plan_id)
    treatment = db.session.get(Treatment, saved.treatment_id)
    kit = None
    if saved.kit_slug:
        kit = db.session.execute(
            select(Kit)
            .where(Kit.slug == saved.kit_slug)
            .options(selectinload(Kit.items).selectinload(KitItem.product))
        ).scalar_one_or_none()
    return saved, treatment, kit


def _same_kit(kit: Kit | None, lines: list[SavedPlanLine]) -> Kit | None:
    """Return the kit if it is on sale and still holds exactly the kept products, else None."""
    if kit is None or not kit.is_active or not kit.items:
        return None
    if not all(item.product.is_active for item in kit.items):
        return None
    kept = Counter({line.product_id: 0 for line in lines})
    for line in lines:
        kept[line.product_id] += line.quantity
    held = Counter({item.product_id: 0 for item in kit.items})
    for item in kit.items:
        held[item.product_id] += item.quantity
    return kit if kept == held else None


def saved_plan_in_full(user_id: int, plan_id: int, today: date) -> SavedPlanInFull:
    """Lay out a customer's saved plan against the protocol version it was saved with.

    The products are the ones kept with the plan, priced as now. Raises SavedPlanNotFound
    when the plan is not theirs.
    """
    saved, treatment, kept_kit = _load(user_id, plan_id)
    lines = list(saved.lines)
    kit = _same_kit(kept_kit, lines)
    if kit is not None:
        price, kit_name = kit_price(kit).price_pence, kit.name
    else:
        price = sum(line.product.price_pence * line.quantity for line in lines)
        kit_name = kept_kit.name if kept_kit is not None else f"Your {treatment.name} kit"
    engine_kit = None
    if lines:
        engine_kit = stored_kit(saved.kit_slug, kit_name, price, lines)
    engine_plan = None
    if treatment.protocol:
        try:
            protocol = advice_protocol(treatment, saved.protocol_hash)
            engine_plan = plan_with_kit(
                protocol,
                Profile(saved.fitzpatrick, frozenset(saved.concerns or ())),
                stored_screening(saved),
                saved.treated_on,
                today,
                engine_kit,
            )
        except (ProtocolError, ValueError):
            engine_plan = None
    return SavedPlanInFull(
        saved=saved,
        treatment=treatment,
        plan=engine_plan,
        lines=tuple(lines),
        kit_items=engine_kit,
        products={line.product.slug: line.product for line in lines if line.product.is_active},
        kit=kit,
        kit_name=kit_name,
        price_pence=price,
        unavailable=tuple(
            dict.fromkeys(line.product.name for line in lines if not line.product.is_active)
        ),
    )


def _names(names: list[str]) -> str:
    """Join names as a sentence does: "A", "A and B", "A, B and C"."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def buy_again(user_id: int, plan_id: int, store: BasketStore, today: date) -> SavedPlan:
    """Put the saved plan's products in the basket at today's prices; all or nothing.

    The curated kit goes in as the kit when it is on sale and unchanged, otherwise each
    product on its own. Lines for the same items already in the basket are set to the plan's
    quantities; other lines stay. Raises SavedPlanNotFound, or BasketError naming what is no
    longer on sale or out of stock (the basket is not changed then).
    """
    saved, _treatment, kept_kit = _load(user_id, plan_id)
    lines = list(saved.lines)
    if not lines:
        raise BasketError("This plan has no products to buy.")
    gone = list(dict.fromkeys(line.product.name for line in lines if not line.product.is_active))
    if gone:
        verb = "is" if len(gone) == 1 else "are"
        raise BasketError(
            f"{_names(gone)} {verb} no longer on sale, so nothing was added to your basket. "
            "Please ask the clinic what to use instead."
        )
    kit = _same_kit(kept_kit, lines)
    wanted: dict[str, int] = {}
    if kit is not None:
        wanted[item_key("kit", kit.id)] = 1
    else:
        for line in lines:
            key = item_key("product", line.product_id)
            wanted[key] = wanted.get(key, 0) + line.quantity
    priced = price_basket({**store.load(), **wanted}, today)
    found = {line.key: line for line in priced.lines}
    if any(key not in found for key in wanted):
        raise BasketError("These products cannot be bought at the moment; nothing was added.")
    problems = [found[key].problem for key in wanted if found[key].problem]
    if problems:
        raise BasketError(" ".join([*problems, "Nothing was added to your basket."]))
    store.save(priced.quantities())
    return saved
