"""Helpers for the back-office tests: place real orders and check the stock ledger."""

from __future__ import annotations

from sqlalchemy import select

from models import Order, db
from shop.services import orders
from shop.services.inventory import ledger_differences
from tests.checkout_helpers import COLLECT_FORM, DELIVERY_FORM, add


def place_order(app, items, form=None) -> Order:
    """Place an order through the real basket and checkout as a new visitor."""
    shopper = app.test_client()
    for slug, quantity, kind in items:
        add(shopper, slug, quantity, kind)
    response = shopper.post("/checkout", data=form or COLLECT_FORM)
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    return db.session.execute(select(Order).order_by(Order.id.desc()).limit(1)).scalar_one()


def paid_collect_order(app, items) -> Order:
    """A click-and-collect order paid at the desk before collection."""
    order = place_order(app, items, COLLECT_FORM)
    orders.mark_paid_at_clinic(order.id)
    db.session.refresh(order)
    return order


def paid_card_order(app, items) -> Order:
    """A delivery order paid by card (Stripe must be configured on the app)."""
    order = place_order(app, items, DELIVERY_FORM)
    orders.mark_paid(order.id, payment_intent_id=f"pi_test_{order.id:06d}")
    db.session.refresh(order)
    return order


def assert_ledger_balances() -> None:
    """Every lot's quantity equals the sum of its movements."""
    assert ledger_differences() == []


def fresh(obj):
    """Return `obj` re-read from the database."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)
