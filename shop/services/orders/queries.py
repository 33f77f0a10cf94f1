"""Reading orders: one by id or reference, who may see it, its latest payment, kit contents."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import Kit, KitItem, Order, OrderLine, Payment, db
from shop.services.orders.states import OrderNotFound


def get_order(order_id: int) -> Order:
    """Return the order or raise OrderNotFound."""
    order = db.session.get(Order, order_id)
    if order is None:
        raise OrderNotFound("We could not find that order.")
    return order


def get_order_by_reference(reference: str) -> Order | None:
    """Return an order with its lines, products, kits and payments loaded, or None."""
    if not reference or len(reference) > 32:
        return None
    return db.session.execute(
        select(Order)
        .where(Order.reference == reference)
        .options(
            selectinload(Order.lines).selectinload(OrderLine.product),
            selectinload(Order.lines).selectinload(OrderLine.kit),
        )
    ).scalar_one_or_none()


def can_view_order(
    order: Order, placed_references: list[str] | tuple[str, ...], user_id: int | None
) -> bool:
    """Tell whether the visitor may see the order: they placed it here or own it."""
    if order.reference in placed_references:
        return True
    return user_id is not None and order.user_id == user_id


def latest_payment(order_id: int) -> Payment | None:
    """Return the order's most recent payment attempt."""
    return db.session.execute(
        select(Payment).where(Payment.order_id == order_id).order_by(Payment.id.desc()).limit(1)
    ).scalar_one_or_none()


def kit_components(kit_ids: list[int]) -> dict[int, list[KitItem]]:
    """Return each kit's items with products (one query), for pages listing order lines."""
    if not kit_ids:
        return {}
    kits = db.session.execute(
        select(Kit)
        .where(Kit.id.in_(kit_ids))
        .options(selectinload(Kit.items).selectinload(KitItem.product))
    ).scalars()
    return {kit.id: list(kit.items) for kit in kits}
