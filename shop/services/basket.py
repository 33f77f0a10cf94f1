"""The basket: what a shopper means to buy, priced from the database and checked against stock."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from models import BasketItem, Kit, KitItem, Product, db
from shop.money import vat_included
from shop.services.catalogue import kit_price
from shop.services.inventory import sellable_by_product
from shop.services.unit_of_work import unit_of_work

# Enough for any course of aftercare; stops a typo of 1000 from holding the whole shelf.
MAX_LINE_QUANTITY = 10
# Where a guest's basket lives in the (signed cookie) session: item keys and quantities only.
SESSION_KEY = "basket"
KINDS = ("product", "kit")


class BasketError(ValueError):
    """A basket change that cannot be made; the message is meant for the shopper."""


class NotInBasket(BasketError):
    """The line to change is not in the basket."""


def item_key(kind: str, item_id: int) -> str:
    """Return the key of a basket line, e.g. 'product:12' or 'kit:3'."""
    return f"{kind}:{item_id}"


def parse_key(key: Any) -> tuple[str, int] | None:
    """Split a basket key into (kind, id); None when it is not a well-formed key."""
    if not isinstance(key, str) or ":" not in key:
        return None
    kind, _, raw_id = key.partition(":")
    if kind not in KINDS or not raw_id.isdigit() or len(raw_id) > 12:
        return None
    return kind, int(raw_id)


def clean_quantities(raw: Any) -> dict[str, int]:
    """Keep only well-formed keys with whole quantities in range (session data is untrusted)."""
    if not isinstance(raw, Mapping):
        return {}
    cleaned: dict[str, int] = {}
    for key, quantity in raw.items():
        if parse_key(key) is None or isinstance(quantity, bool) or not isinstance(quantity, int):
            continue
        if quantity > 0:
            cleaned[key] = min(quantity, MAX_LINE_QUANTITY)
    return cleaned


def shortage_message(name: str, available: int) -> str:
    """Say, in the shopper's words, that there is not enough of `name`."""
    if available <= 0:
        return f"Sorry, {name} is sold out."
    return f"Sorry, only {available} of {name} left. Please lower the quantity."


def apportion(total: int, weights: list[int]) -> list[int]:
    """Split `total` pence over `weights` in proportion, exactly (largest remainder)."""
    weight_sum = sum(weights)
    if not weights:
        return []
    if weight_sum <= 0:
        return [total] + [0] * (len(weights) - 1)
    shares = [total * weight // weight_sum for weight in weights]
    remainders = sorted(
        range(len(weights)), key=lambda i: (total * weights[i]) % weight_sum, reverse=True
    )
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares


def kit_vat(kit: Kit, gross_pence: int) -> int:
    """Return the VAT in a kit's price: shared over its items by their prices, each at its rate."""
    items = list(kit.items)
    shares = apportion(gross_pence, [item.product.price_pence * item.quantity for item in items])
    return sum(
        vat_included(share, item.product.vat_rate_bp)
        for item, share in zip(items, shares, strict=True)
    )


@dataclass(frozen=True)
class BasketLine:
    """One product or kit in the basket, priced now from the catalogue."""

    key: str
    kind: str
    product: Product | None
    kit: Kit | None
    quantity: int
    unit_price_pence: int
    vat_pence: int
    # How many of this line the shop could sell now, ignoring the rest of the basket.
    available: int
    problem: str | None = None

    @property
    def name(self) -> str:
        """Return the line's name as the shopper knows it."""
        return self.product.name if self.product is not None else self.kit.name

    @property
    def slug(self) -> str:
        """Return the slug of the product or kit."""
        return self.product.slug if self.product is not None else self.kit.slug

    @property
    def line_total_pence(self) -> int:
        """Return the price of the whole line."""
        return self.unit_price_pence * self.quantity

    def components(self) -> list[tuple[Product, int]]:
        """Return the products this line takes from the shelf and how many units of each."""
        return _components(self.product, self.kit, self.quantity)


@dataclass(frozen=True)
class PricedBasket:
    """The basket with prices, VAT and availability, ready to show or to order."""

    lines: list[BasketLine] = field(default_factory=list)

    @property
    def subtotal_pence(self) -> int:
        """Return the price of everything in the basket (VAT included)."""
        return sum(line.line_total_pence for line in self.lines)

    @property
    def vat_pence(self) -> int:
        """Return the VAT included in the subtotal."""
        return sum(line.vat_pence for line in self.lines)

    @property
    def item_count(self) -> int:
        """Return how many things (products or kits) the basket holds."""
        return sum(line.quantity for line in self.lines)

    @property
    def problems(self) -> list[str]:
        """Return a message for each line the shop cannot supply in full."""
        return [line.problem for line in self.lines if line.problem]

    @property
    def is_empty(self) -> bool:
        """Tell whether there is nothing to buy."""
        return not self.lines

    def quantities(self) -> dict[str, int]:
        """Return the basket as keys and quantities (what is stored)."""
        return {line.key: line.quantity for line in self.lines}


def _load_items(quantities: Mapping[str, int]) -> tuple[dict[int, Product], dict[int, Kit]]:
    """Load the active products and kits the keys name, kits with their items (no N+1)."""
    product_ids, kit_ids = set(), set()
    for key in quantities:
        parsed = parse_key(key)
        if parsed is None:
            continue
        (product_ids if parsed[0] == "product" else kit_ids).add(parsed[1])
    products: dict[int, Product] = {}
    kits: dict[int, Kit] = {}
    if product_ids:
        rows = db.session.execute(
            select(Product).where(Product.id.in_(product_ids), Product.is_active.is_(True))
        ).scalars()
        products = {product.id: product for product in rows}
    if kit_ids:
        rows = db.session.execute(
            select(Kit)
            .where(Kit.id.in_(kit_ids), Kit.is_active.is_(True))
            .options(selectinload(Kit.items).selectinload(KitItem.product))
        ).scalars()
        # A kit with a retired component cannot be made up, so it cannot be bought.
        kits = {
            kit.id: kit
            for kit in rows
            if kit.items and all(item.product.is_active for item in kit.items)
        }
    return products, kits


def price_basket(quantities: Mapping[str, int], today: date) -> PricedBasket:
    """Price the basket from the database and flag every line the stock cannot cover.

    A constant number of queries whatever the number of lines: products, kits (with items and
    their products), and the sellable stock of every product involved.
    """
    quantities = clean_quantities(quantities)
    products, kits = _load_items(quantities)
    component_ids = [p.id for p in products.values()] + [
        item.product_id for kit in kits.values() for item in kit.items
    ]
    sellable = sellable_by_product(component_ids, today)

    drafts: list[tuple[str, str, Product | None, Kit | None, int]] = []
    for key, quantity in quantities.items():
        kind, item_id = parse_key(key)
        if kind == "product" and item_id in products:
            drafts.append((key, kind, products[item_id], None, quantity))
        elif kind == "kit" and item_id in kits:
            drafts.append((key, kind, None, kits[item_id], quantity))

    # Products and kits can share components, so shortages are judged on the whole basket.
    demand: dict[int, int] = {}
    for _key, _kind, product, kit, quantity in drafts:
        for component, units in _components(product, kit, quantity):
            demand[component.id] = demand.get(component.id, 0) + units

    lines = []
    for key, kind, product, kit, quantity in drafts:
        if product is not None:
            unit_price = product.price_pence
            vat = vat_included(unit_price * quantity, product.vat_rate_bp)
            available = max(sellable.get(product.id, 0), 0)
        else:
            unit_price = kit_price(kit).price_pence
            vat = kit_vat(kit, unit_price * quantity)
            available = min(
                max(sellable.get(item.product_id, 0), 0) // item.quantity for item in kit.items
            )
        problem = None
        short = [
            component
            for component, _units in _components(product, kit, quantity)
            if demand[component.id] > sellable.get(component.id, 0)
        ]
        if short:
            name = product.name if product is not None else kit.name
            problem = shortage_message(name, available)
            if kit is not None and available == 0:
                problem = f"Sorry, {kit.name} is sold out ({short[0].name} has run out)."
        lines.append(
            BasketLine(
                key=key,
                kind=kind,
                product=product,
                kit=kit,
                quantity=quantity,
                unit_price_pence=unit_price,
                vat_pence=vat,
                available=available,
                problem=problem,
            )
        )
    return PricedBasket(lines=lines)


def _components(
    product: Product | None, kit: Kit | None, quantity: int
) -> list[tuple[Product, int]]:
    """Return (product, units) pairs a line of `quantity` takes from the shelf."""
    if product is not None:
        return [(product, quantity)]
    return [(item.product, item.quantity * quantity) for item in kit.items]


class BasketStore(Protocol):
    """Where a basket is kept: the guest's session or the customer's saved rows."""

    def load(self) -> dict[str, int]:
        """Return the stored keys and quantities."""

    def save(self, quantities: Mapping[str, int]) -> None:
        """Store the keys and quantities as the whole basket."""

    def discard_after_order(self) -> None:
        """Empty the basket as part of the order being placed (committed with it)."""


class GuestBasket:
    """A guest's basket kept in a session-like mapping the caller hands in."""

    def __init__(self, data: MutableMapping[str, Any]) -> None:
        self.data = data

    def load(self) -> dict[str, int]:
        """Return the session's basket, ignoring anything malformed."""
        return clean_quantities(self.data.get(SESSION_KEY))

    def save(self, quantities: Mapping[str, int]) -> None:
        """Write the basket back into the session."""
        cleaned = clean_quantities(quantities)
        if cleaned:
            self.data[SESSION_KEY] = cleaned
        else:
            self.data.pop(SESSION_KEY, None)

    def discard_after_order(self) -> None:
        """Forget the basket."""
        self.data.pop(SESSION_KEY, None)


class UserBasket:
    """A signed-in customer's basket, saved in basket_item rows so it follows them."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    def load(self) -> dict[str, int]:
        """Return the customer's saved basket."""
        rows = db.session.execute(
            select(BasketItem.item_key, BasketItem.quantity).where(
                BasketItem.user_id == self.user_id
            )
        ).all()
        return clean_quantities(dict(rows))

    def save(self, quantities: Mapping[str, int]) -> None:
        """Make the saved rows equal `quantities`; commits."""
        wanted = clean_quantities(quantities)
        try:
            with unit_of_work():
                existing = {
                    row.item_key: row
                    for row in db.session.execute(
                        select(BasketItem).where(BasketItem.user_id == self.user_id)
                    ).scalars()
                }
                for key, row in existing.items():
                    if key not in wanted:
                        db.session.delete(row)
                    elif row.quantity != wanted[key]:
                        row.quantity = wanted[key]
                for key, quantity in wanted.items():
                    if key not in existing:
                        kind, item_id = parse_key(key)
                        db.session.add(
                            BasketItem(
                                user_id=self.user_id,
                                item_key=key,
                                product_id=item_id if kind == "product" else None,
                                kit_id=item_id if kind == "kit" else None,
                                quantity=quantity,
                            )
                        )
        except IntegrityError as error:
            # Two windows changing the same basket at once: keep the other, ask to retry.
            raise BasketError("Your basket changed in another window. Please try again.") from error

    def discard_after_order(self) -> None:
        """Delete the saved rows in the current transaction (the order's commit keeps it)."""
        db.session.execute(delete(BasketItem).where(BasketItem.user_id == self.user_id))


def _find_item(kind: str, slug: str) -> Product | Kit:
    """Return the active product or kit with `slug`, or raise a BasketError."""
    model = Product if kind == "product" else Kit
    item = db.session.execute(
        select(model).where(model.slug == slug, model.is_active.is_(True))
    ).scalar_one_or_none()
    if item is None:
        raise BasketError("We could not find that item; it may no longer be on sale.")
    return item


def _check_and_save(
    store: BasketStore, quantities: dict[str, int], changed: Iterable[str], today: date
) -> PricedBasket:
    """Refuse the change when stock cannot cover a changed line; otherwise store it."""
    priced = price_basket(quantities, today)
    changed = set(changed)
    for line in priced.lines:
        if line.key in changed and line.problem:
            raise BasketError(line.problem)
    missing = changed - {line.key for line in priced.lines}
    if missing:
        raise BasketError("That item cannot be bought at the moment.")
    # Items no longer on sale drop out of the stored basket here.
    store.save(priced.quantities())
    return priced


def add_item(
    store: BasketStore, kind: str, slug: str, quantity: int, today: date
) -> tuple[str, int]:
    """Add `quantity` of a product or a whole kit; returns (name, quantity now in the basket).

    Raises BasketError, changing nothing, when the item is unknown, the quantity is out of
    range, or the stock cannot cover the basket with it.
    """
    if kind not in KINDS:
        raise BasketError("You can add a product or a kit.")
    if quantity < 1 or quantity > MAX_LINE_QUANTITY:
        raise BasketError(f"Choose a quantity from 1 to {MAX_LINE_QUANTITY}.")
    item = _find_item(kind, slug)
    quantities = store.load()
    key = item_key(kind, item.id)
    new_quantity = quantities.get(key, 0) + quantity
    if new_quantity > MAX_LINE_QUANTITY:
        raise BasketError(
            f"You can have up to {MAX_LINE_QUANTITY} of {item.name} in one order; "
            f"your basket already holds {quantities.get(key, 0)}."
        )
    quantities[key] = new_quantity
    _check_and_save(store, quantities, [key], today)
    return item.name, new_quantity


def add_products(store: BasketStore, wanted: list[tuple[str, int]], today: date) -> list[str]:
    """Add several products at once (an assembled kit from the kit finder); all or nothing.

    Returns the names added. Raises BasketError naming the first product that cannot be added.
    """
    if not wanted:
        raise BasketError("Choose at least one product to add.")
    combined: dict[str, int] = {}
    for slug, quantity in wanted:
        if quantity < 1 or quantity > MAX_LINE_QUANTITY:
            raise BasketError(f"Choose quantities from 1 to {MAX_LINE_QUANTITY}.")
        combined[slug] = combined.get(slug, 0) + quantity
    found = {
        product.slug: product
        for product in db.session.execute(
            select(Product).where(Product.slug.in_(combined), Product.is_active.is_(True))
        ).scalars()
    }
    unknown = [slug for slug in combined if slug not in found]
    if unknown:
        raise BasketError("We could not find every product of that kit; nothing was added.")
    quantities = store.load()
    changed = []
    for slug, quantity in combined.items():
        product = found[slug]
        key = item_key("product", product.id)
        quantities[key] = quantities.get(key, 0) + quantity
        if quantities[key] > MAX_LINE_QUANTITY:
            raise BasketError(
                f"You can have up to {MAX_LINE_QUANTITY} of {product.name} in one order."
            )
        changed.append(key)
    _check_and_save(store, quantities, changed, today)
    return [found[slug].name for slug in combined]


def set_quantity(store: BasketStore, key: str, quantity: int, today: date) -> None:
    """Change a line's quantity (0 removes it); raises BasketError, changing nothing, if refused."""
    quantities = store.load()
    if parse_key(key) is None or key not in quantities:
        raise NotInBasket("That item is not in your basket.")
    if quantity < 0 or quantity > MAX_LINE_QUANTITY:
        raise BasketError(f"Choose a quantity from 0 to {MAX_LINE_QUANTITY}.")
    previous = quantities[key]
    if quantity == 0:
        quantities.pop(key)
        store.save(quantities)
        return
    quantities[key] = quantity
    # Lowering a quantity is always allowed, even when the line is short: it helps.
    if quantity < previous:
        store.save(quantities)
        return
    _check_and_save(store, quantities, [key], today)


def remove_item(store: BasketStore, key: str) -> None:
    """Take a line out of the basket; raises BasketError if it is not there."""
    quantities = store.load()
    if key not in quantities:
        raise NotInBasket("That item is not in your basket.")
    quantities.pop(key)
    store.save(quantities)


def view_basket(store: BasketStore, today: date) -> PricedBasket:
    """Return the stored basket priced now."""
    return price_basket(store.load(), today)


def count_items(store: BasketStore) -> int:
    """Return how many things the basket holds, for the menu badge."""
    return sum(store.load().values())


def count_user_items(user_id: int) -> int:
    """Return how many things a customer's saved basket holds, in one query."""
    total = db.session.execute(
        select(func.coalesce(func.sum(BasketItem.quantity), 0)).where(BasketItem.user_id == user_id)
    ).scalar_one()
    return int(total)


def merge_guest_basket_into_user(session_basket: Any, user_id: int) -> dict[str, int]:
    """Add a guest's basket (as stored in the session) to a customer's saved basket; commits.

    Quantities of the same item add up (capped at MAX_LINE_QUANTITY); items no longer on sale
    are dropped. Stock is not checked here: the basket page and checkout do that.
    """
    guest = clean_quantities(session_basket)
    store = UserBasket(user_id)
    merged = store.load()
    for key, quantity in guest.items():
        merged[key] = min(merged.get(key, 0) + quantity, MAX_LINE_QUANTITY)
    products, kits = _load_items(merged)
    on_sale = {item_key("product", i) for i in products} | {item_key("kit", i) for i in kits}
    merged = {key: quantity for key, quantity in merged.items() if key in on_sale}
    store.save(merged)
    return merged
