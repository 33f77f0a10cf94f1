"""An order's stock: holding it when placed, committing it as sold, releasing it.

Stock is never checked in Python and then decremented: each lot is changed by one conditional
UPDATE whose WHERE clause re-checks the quantity, and the row count says whether it worked.
Lots are always touched in one fixed order (product id, expiry date, lot id) so concurrent
transactions cannot deadlock.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select, update

from models import Order, OrderLine, StockAllocation, StockLot, StockMovement, db
from shop import clock
from shop.services.basket import PricedBasket, shortage_message
from shop.services.inventory import sellable_by_product
from shop.services.orders.queries import get_order
from shop.services.orders.states import OrderError, record_event
from shop.services.unit_of_work import unit_of_work


class InsufficientStock(OrderError):
    """A line cannot be covered by the stock; the whole order was rolled back."""

    def __init__(self, item_name: str, available: int, message: str | None = None) -> None:
        self.item_name = item_name
        self.available = available
        super().__init__(message or shortage_message(item_name, available))


def reserve_stock(order: Order, basket: PricedBasket, today: date) -> None:
    """Hold stock for every line, first expiry first out, by conditional updates; all or nothing."""
    # (product id) -> [(order line, units still needed, basket line)] in line order.
    needs: dict[int, list[list]] = {}
    for order_line, line in zip(order.lines, basket.lines, strict=True):
        for product, units in line.components():
            needs.setdefault(product.id, []).append([order_line, units, line, product])
    lots = db.session.execute(
        select(
            StockLot.id, StockLot.product_id, StockLot.quantity_on_hand, StockLot.quantity_reserved
        )
        .where(StockLot.product_id.in_(needs), StockLot.expiry_date > today)
        .order_by(StockLot.product_id, StockLot.expiry_date, StockLot.id)
    ).all()
    lots_by_product: dict[int, list] = {}
    for lot in lots:
        lots_by_product.setdefault(lot.product_id, []).append(lot)

    for product_id in sorted(needs):
        wanted = needs[product_id]
        for lot in lots_by_product.get(product_id, []):
            remaining = sum(entry[1] for entry in wanted)
            if remaining == 0:
                break
            taken = reserve_from_lot(
                lot.id, lot.quantity_on_hand - lot.quantity_reserved, remaining, today
            )
            # Share what this lot gave among the lines that need the product, in order.
            for entry in wanted:
                if taken == 0:
                    break
                share = min(entry[1], taken)
                if share:
                    # Added by id, not through the relationship, so nothing is lazy-loaded.
                    db.session.add(
                        StockAllocation(
                            order_line_id=entry[0].id,
                            product_id=product_id,
                            lot_id=lot.id,
                            quantity=share,
                            state="held",
                        )
                    )
                    entry[1] -= share
                    taken -= share
        short = [entry for entry in wanted if entry[1] > 0]
        if short:
            _raise_shortage(short[0][2], short[0][3], today)
    db.session.flush()


def reserve_from_lot(lot_id: int, free_seen: int, wanted: int, today: date) -> int:
    """Hold up to `wanted` units of one lot; returns how many were held (maybe 0).

    The UPDATE re-checks free stock itself; when another buyer got there first it matches no
    row, and the free quantity is read again and retried (a few times at most).
    """
    free = free_seen
    for _attempt in range(5):
        take = min(wanted, free)
        if take <= 0:
            return 0
        result = db.session.execute(
            update(StockLot.__table__)
            .where(
                StockLot.__table__.c.id == lot_id,
                StockLot.__table__.c.quantity_on_hand - StockLot.__table__.c.quantity_reserved
                >= take,
                StockLot.__table__.c.expiry_date > today,
            )
            .values(quantity_reserved=StockLot.__table__.c.quantity_reserved + take)
        )
        if result.rowcount == 1:
            return take
        free = (
            db.session.execute(
                select(StockLot.quantity_on_hand - StockLot.quantity_reserved).where(
                    StockLot.id == lot_id, StockLot.expiry_date > today
                )
            ).scalar_one_or_none()
            or 0
        )
    return 0


def _raise_shortage(line, product, today: date) -> None:
    """Raise InsufficientStock for a basket line, saying how many are left now."""
    left = sellable_by_product([product.id], today)[product.id]
    if line.kit is None:
        raise InsufficientStock(line.name, max(left, 0))
    per_kit = next(item.quantity for item in line.kit.items if item.product_id == product.id)
    kits_left = max(left, 0) // per_kit
    message = (
        f"Sorry, {line.kit.name} is sold out ({product.name} has run out)."
        if kits_left == 0
        else shortage_message(line.kit.name, kits_left)
    )
    raise InsufficientStock(line.kit.name, kits_left, message)


def _allocations(order_id: int, state: str) -> list[tuple[StockAllocation, StockLot]]:
    """Return the order's allocations in `state` with their lots, in the fixed locking order."""
    rows = db.session.execute(
        select(StockAllocation, StockLot)
        .join(StockLot, StockLot.id == StockAllocation.lot_id)
        .join(OrderLine, OrderLine.id == StockAllocation.order_line_id)
        .where(OrderLine.order_id == order_id, StockAllocation.state == state)
        .order_by(StockLot.product_id, StockLot.expiry_date, StockLot.id, StockAllocation.id)
    ).all()
    return [(allocation, lot) for allocation, lot in rows]


def _leave_held(allocation_id: int, state: str) -> bool:
    """Move one held allocation to `state`; False when another transaction moved it first."""
    allocations = StockAllocation.__table__
    moved = db.session.execute(
        update(allocations)
        .where(allocations.c.id == allocation_id, allocations.c.state == "held")
        .values(state=state, updated_at=clock.utc_now())
    )
    return moved.rowcount == 1


def release_held(order_id: int) -> int:
    """Give back every unit the order holds (in the current transaction); returns units."""
    lots = StockLot.__table__
    released = 0
    for allocation, _lot in _allocations(order_id, "held"):
        if not _leave_held(allocation.id, "released"):
            continue  # someone else released it in the meantime
        result = db.session.execute(
            update(lots)
            .where(lots.c.id == allocation.lot_id, lots.c.quantity_reserved >= allocation.quantity)
            .values(quantity_reserved=lots.c.quantity_reserved - allocation.quantity)
        )
        if result.rowcount != 1:
            raise OrderError(f"Lot {allocation.lot_id} holds less than the order's allocation.")
        released += allocation.quantity
    db.session.expire_all()
    return released


def commit_held(order_id: int, reference: str, user_id: int | None) -> int:
    """Turn held units into sales: on-hand and reserved both drop, a sale movement per lot."""
    lots = StockLot.__table__
    sold = 0
    for allocation, lot in _allocations(order_id, "held"):
        if not _leave_held(allocation.id, "committed"):
            continue
        result = db.session.execute(
            update(lots)
            .where(
                lots.c.id == allocation.lot_id,
                lots.c.quantity_reserved >= allocation.quantity,
                lots.c.quantity_on_hand >= allocation.quantity,
            )
            .values(
                quantity_on_hand=lots.c.quantity_on_hand - allocation.quantity,
                quantity_reserved=lots.c.quantity_reserved - allocation.quantity,
            )
        )
        if result.rowcount != 1:
            raise OrderError(f"Lot {lot.lot_number} no longer holds this order's units.")
        db.session.add(
            StockMovement(
                lot_id=allocation.lot_id,
                product_id=allocation.product_id,
                kind="sale",
                quantity=-allocation.quantity,
                reason=f"Order {reference}",
                user_id=user_id,
                order_id=order_id,
            )
        )
        sold += allocation.quantity
    db.session.flush()
    db.session.expire_all()
    return sold


def release_order_stock(order_id: int) -> int:
    """Release every unit an order still holds and commit; returns the units released.

    Prefer cancel_order / expire_order, which also move the status; this is for staff tools
    that must free stock of an order whose status they handle themselves.
    """
    with unit_of_work():
        released = release_held(order_id)
        if released:
            record_event(order_id, None, None, f"Released {released} held units")
    return released


def commit_order_stock(order_id: int, user_id: int | None = None) -> int:
    """Record the sale of every unit an order holds (goods left the shop); commits.

    Prefer mark_shipped / mark_collected, which call this inside their own transition.
    """
    order = get_order(order_id)
    with unit_of_work():
        sold = commit_held(order_id, order.reference, user_id)
    return sold
