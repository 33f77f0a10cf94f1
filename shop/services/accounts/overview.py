"""The account page: how many orders, the plans still running, and the customer's orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from models import Order, db
from shop.services.accounts.plans import PlanToday, list_plans
from shop.services.pagination import Page, paginate


@dataclass(frozen=True)
class Overview:
    """What the account page shows: how many orders, and the plans still running."""

    orders_count: int
    plans: list[PlanToday] = field(default_factory=list)


def overview(user_id: int, today: date) -> Overview:
    """Return the account overview: order count and active plans with today's step."""
    count = db.session.execute(
        select(func.count()).select_from(Order).where(Order.user_id == user_id)
    ).scalar_one()
    return Overview(orders_count=count, plans=[p for p in list_plans(user_id, today) if p.active])


def list_orders(user_id: int, page: int, per_page: int) -> Page:
    """Return one page of the user's own orders, newest first, with their lines; three queries."""
    query = (
        select(Order)
        .where(Order.user_id == user_id)
        .options(selectinload(Order.lines))
        .order_by(Order.placed_at.desc(), Order.id.desc())
    )
    return paginate(query, page, per_page, scalars=True)
