"""The audit log in words: each entry as a sentence whose records link to their pages.

"Sam received 24 units of Umbra SPF50, lot L24-0917". The names of every product, lot, kit,
order and account a page of entries mentions are read in one query for the whole page.
Records holding health data (recommendations, consultation requests, patient concerns) are
named by number only, as the log itself stores nothing more about them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Integer, String, cast, literal_column, null, select, union_all

from models import AuditEntry, Kit, Order, Product, StockLot, User, db
from shop.labels import counted
from shop.services.inventory import ADJUSTMENT_REASONS
from shop.services.orders import DESK_PAYMENT_PHRASES


@dataclass(frozen=True)
class Piece:
    """A run of words in a sentence; `kind` and `link_id` make it a link to that record."""

    text: str
    kind: str = ""
    link_id: int | None = None


@dataclass(frozen=True)
class Change:
    """One value an entry changed, as words: what it was and what it became."""

    name: str
    before: str
    after: str


@dataclass(frozen=True)
class AuditSentence:
    """An audit entry told as a sentence, with the values it changed for the curious."""

    entry: AuditEntry
    user_email: str | None
    pieces: list[Piece]
    changes: list[Change] = field(default_factory=list)


@dataclass(frozen=True)
class _Named:
    """A record the log mentions, as read for the page: its name and where it links."""

    name: str
    detail: str = ""
    link_id: int | None = None


Names = Mapping[tuple[str, str], _Named]


# --- reading the names -----------------------------------------------------------------------


def _wanted(entries: Iterable[AuditEntry]) -> dict[str, set[str]]:
    """Collect, per kind, the keys of every record the entries mention."""
    wanted: dict[str, set[str]] = {"product": set(), "lot": set(), "kit": set(), "order": set()}
    wanted["user"] = set()
    for entry in entries:
        after = entry.after if isinstance(entry.after, dict) else {}
        if entry.target_type == "product":
            wanted["product"].add(entry.target_id)
        elif entry.target_type == "kit":
            wanted["kit"].add(entry.target_id)
        elif entry.target_type == "order":
            wanted["order"].add(entry.target_id)
        elif entry.target_type == "user":
            wanted["user"].add(entry.target_id)
        elif entry.target_type == "stock_lot" and entry.action != "stock.write_off_expired":
            wanted["lot"].add(entry.target_id)
        for line in _dicts(after.get("lines")):
            if "product_id" in line:
                wanted["product"].add(str(line["product_id"]))
        for lot in _dicts(after.get("lots")):
            if "lot_id" in lot:
                wanted["lot"].add(str(lot["lot_id"]))
    return wanted


def _word(text: str):
    """A constant column written into the SQL (no parameter, so every database types it)."""
    return literal_column(f"'{text}'", String)


def _ids(keys: set[str]) -> list[int]:
    return [int(key) for key in keys if key.isdigit()]


def load_names(entries: Iterable[AuditEntry]) -> dict[tuple[str, str], _Named]:
    """Read the names of every record the entries mention, in one query."""
    wanted = _wanted(entries)
    parts = []
    if ids := _ids(wanted["product"]):
        parts.append(
            select(
                _word("product"),
                cast(Product.id, String),
                Product.name,
                _word(""),
                Product.id,
            ).where(Product.id.in_(ids))
        )
    if ids := _ids(wanted["lot"]):
        parts.append(
            select(
                _word("lot"),
                cast(StockLot.id, String),
                Product.name,
                StockLot.lot_number,
                Product.id,
            )
            .join(Product, Product.id == StockLot.product_id)
            .where(StockLot.id.in_(ids))
        )
    if ids := _ids(wanted["kit"]):
        parts.append(
            select(_word("kit"), cast(Kit.id, String), Kit.name, _word(""), Kit.id).where(
                Kit.id.in_(ids)
            )
        )
    if wanted["order"]:
        parts.append(
            select(_word("order"), Order.reference, Order.reference, _word(""), Order.id).where(
                Order.reference.in_(sorted(wanted["order"]))
            )
        )
    if ids := _ids(wanted["user"]):
        parts.append(
            select(
                _word("user"), cast(User.id, String), User.name, User.email, cast(null(), Integer)
            ).where(User.id.in_(ids))
        )
    if not parts:
        return {}
    query = parts[0] if len(parts) == 1 else union_all(*parts)
    return {
        (kind, key): _Named(name or "", detail or "", link_id)
        for kind, key, name, detail, link_id in db.session.execute(query).all()
    }


# --- telling an entry ------------------------------------------------------------------------


def _dicts(value: Any) -> list[dict[str, Any]]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _units(count: Any) -> str:
    return counted(count, "unit")


def _product(names: Names, product_id: Any) -> Piece:
    named = names.get(("product", str(product_id)))
    if named is None:
        return Piece(f"product {product_id} (since deleted)")
    return Piece(named.name, "product", named.link_id)


def _lot(names: Names, lot_id: Any) -> list[Piece]:
    named = names.get(("lot", str(lot_id)))
    if named is None:
        return [Piece(f"lot {lot_id} (since deleted)")]
    return [Piece(named.name, "product", named.link_id), Piece(f" lot {named.detail}")]


def _order(names: Names, reference: str) -> Piece:
    named = names.get(("order", reference))
    return Piece(f"order {reference}", "order" if named else "", named.link_id if named else None)


def _kit(names: Names, kit_id: str) -> Piece:
    named = names.get(("kit", kit_id))
    if named is None:
        return Piece(f"kit {kit_id} (since deleted)")
    return Piece(named.name, "kit", named.link_id)


def _account(names: Names, user_id: str) -> Piece:
    named = names.get(("user", user_id))
    if named is None:
        return Piece(f"account {user_id}")
    return Piece(f"{named.name} ({named.detail})" if named.name else named.detail)


def _joined(groups: list[list[Piece]]) -> list[Piece]:
    """Join groups of pieces with commas and a final "and"."""
    pieces: list[Piece] = []
    for index, group in enumerate(groups):
        if index:
            pieces.append(Piece(" and " if index == len(groups) - 1 else ", "))
        pieces.extend(group)
    return pieces


def _count_words(before: Any, after: Any) -> str:
    if not isinstance(before, int) or not isinstance(after, int):
        return ""
    moved = after - before
    words = f"{moved} found" if moved > 0 else f"{-moved} written off"
    return f": {before} → {after}, {words}" if moved else f": {before}, as booked"


RECOMMENDATION_VERBS = {
    "recommendation.create": "drafted",
    "recommendation.update": "changed the patient details of",
    "recommendation.add": "added a product to",
    "recommendation.remove": "removed a product from",
    "recommendation.swap": "swapped a product in",
    "recommendation.quantity": "changed a quantity in",
    "recommendation.send": "sent",
    "recommendation.resend": "sent a new link for",
    "recommendation.revoke": "revoked",
}
# What was done to a product or kit: the words before its name, and after.
CATALOGUE_VERBS = {
    "create": ("added the {kind} ", ""),
    "update": ("changed ", ""),
    "activate": ("put ", " back on sale"),
    "deactivate": ("took ", " off sale"),
    "image": ("uploaded a photo of ", ""),
}
# What was done to an order: the words before its reference, and after.
ORDER_VERBS = {
    "order.pack": ("packed ", ""),
    "order.ready_for_collection": ("told the customer ", " is ready to collect"),
    "order.delivered": ("marked ", " as delivered"),
}


def _what(entry: AuditEntry, names: Names) -> list[Piece]:
    """The words after the actor's name: what they did, to which records."""
    action, target = entry.action, entry.target_id
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    if action == "stock.receive":
        lines = [
            [
                Piece(f"{_units(line.get('quantity'))} of "),
                _product(names, line.get("product_id")),
                Piece(f", lot {line.get('lot_number', '')}"),
            ]
            for line in _dicts(after.get("lines"))
        ]
        tail = []
        if after.get("supplier"):
            tail.append(Piece(f" from {after['supplier']}"))
        if after.get("reference"):
            tail.append(Piece(f" (delivery note {after['reference']})"))
        return [Piece("received "), *_joined(lines), *tail]
    if action == "stock.count":
        words = _count_words(before.get("quantity_on_hand"), after.get("quantity_on_hand"))
        return [Piece("counted "), *_lot(names, target), Piece(words)]
    if action.startswith("stock.adjust."):
        reason = ADJUSTMENT_REASONS.get(action.removeprefix("stock.adjust."), (None,))[0]
        change = after.get("change")
        by = f" by {change:+d}" if isinstance(change, int) else ""
        words = ""
        if isinstance(before.get("quantity_on_hand"), int):
            words = f": {before['quantity_on_hand']} → {after.get('quantity_on_hand')}"
        reason_words = f" ({reason.lower()})" if reason else ""
        return [Piece("adjusted "), *_lot(names, target), Piece(f"{by}{reason_words}{words}")]
    if action == "stock.write_off_expired":
        lots = [
            [Piece(f"{_units(lot.get('units'))} of "), *_lot(names, lot.get("lot_id"))]
            for lot in _dicts(after.get("lots"))
        ]
        return [Piece("wrote off expired stock: "), *_joined(lots)]
    if action == "product.threshold":
        return [
            Piece("set the low-stock threshold of "),
            _product(names, target),
            Piece(
                f" to {after.get('low_stock_threshold')} (was {before.get('low_stock_threshold')})"
            ),
        ]
    kind, _, verb = action.partition(".")
    if kind in ("product", "kit") and verb in CATALOGUE_VERBS:
        if kind == "product":
            found = _product(names, target)
            record = Piece(found.text, "product_edit" if found.kind else "", found.link_id)
        else:
            record = _kit(names, target)
        before_words, after_words = CATALOGUE_VERBS[verb]
        return [Piece(before_words.format(kind=kind)), record, Piece(after_words)]
    if action in ORDER_VERBS:
        before_words, after_words = ORDER_VERBS[action]
        return [Piece(before_words), _order(names, target), Piece(after_words)]
    if action == "order.collect":
        phrase = DESK_PAYMENT_PHRASES.get(after.get("paid_at_desk"))
        return [
            Piece("handed over "),
            _order(names, target),
            Piece(f", paid at the desk {phrase}" if phrase else ""),
        ]
    if action == "order.ship":
        tracking = after.get("tracking_reference")
        return [
            Piece("shipped "),
            _order(names, target),
            Piece(f" (tracking {tracking})" if tracking else ""),
        ]
    if action == "order.cancel":
        note = after.get("note")
        return [Piece("cancelled "), _order(names, target), Piece(f": {note}" if note else "")]
    if action == "order.refund":
        reason = after.get("reason")
        return [Piece("refunded "), _order(names, target), Piece(f": {reason}" if reason else "")]
    if action == "user.role_changed":
        return [
            Piece("changed the role of "),
            _account(names, target),
            Piece(f" from {before.get('role')} to {after.get('role')}"),
        ]
    if action in ("user.activated", "user.deactivated"):
        return [Piece(f"{action.removeprefix('user.')} the account of "), _account(names, target)]
    if action in RECOMMENDATION_VERBS:
        return [Piece(f"{RECOMMENDATION_VERBS[action]} recommendation {target}")]
    if action in ("consultation.status", "concern.status"):
        record = "consultation request" if kind == "consultation" else "patient concern"
        return [Piece(f"marked {record} {target} as {after.get('status')}")]
    return [Piece(f"did {action} to {entry.target_type.replace('_', ' ')} {target}".rstrip())]


def _changes(entry: AuditEntry) -> list[Change]:
    """List the values an entry records, before and after, as text."""
    before = entry.before if isinstance(entry.before, dict) else {}
    after = entry.after if isinstance(entry.after, dict) else {}
    changes = []
    for key in [*before, *(k for k in after if k not in before)]:
        if key in ("lines", "lots", "items"):
            continue  # told in the sentence, or too long to be useful here
        changes.append(
            Change(key.replace("_", " "), _text(before.get(key, "")), _text(after.get(key, "")))
        )
    return changes


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(_text(item) for item in value) or "none"
    if value is None:
        return "none"
    return str(value)


def describe(rows: list[tuple[AuditEntry, str | None, str | None]]) -> list[AuditSentence]:
    """Tell each (entry, actor email, actor name) row as a sentence (one query for the page)."""
    names = load_names(entry for entry, _, _ in rows)
    sentences = []
    for entry, email, name in rows:
        actor = Piece((name or email or "The system") + " ")
        sentences.append(
            AuditSentence(entry, email, [actor, *_what(entry, names)], _changes(entry))
        )
    return sentences
