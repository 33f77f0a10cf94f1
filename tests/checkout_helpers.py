"""Helpers shared by the basket, checkout, webhook and order tests."""

from __future__ import annotations

from sqlalchemy import func, select

from models import OutboxEmail, StockLot, StockMovement, db
from shop.services.inventory import sellable_by_product

COLLECT_FORM = {
    "name": "Ada Patient",
    "email": "ada@example.com",
    "phone": "07700 900123",
    "fulfilment": "collect",
    "payment_method": "clinic",
}
DELIVERY_FORM = {
    "name": "Ada Patient",
    "email": "ada@example.com",
    "phone": "",
    "fulfilment": "delivery",
    "address_line1": "1 High Street",
    "address_line2": "",
    "town": "Bath",
    "postcode": "ba1 1aa",
    "payment_method": "card",
}


def add(client, slug, quantity=1, kind="product"):
    """Add an item to the client's basket through the real form."""
    return client.post("/basket/add", data={"kind": kind, "slug": slug, "quantity": quantity})


def sellable(product):
    """Return the product's sellable units now."""
    from datetime import date

    return sellable_by_product([product.id], date.today())[product.id]


def lot_state(lot):
    """Return (on hand, reserved) of a lot, read fresh."""
    row = db.session.execute(
        select(StockLot.quantity_on_hand, StockLot.quantity_reserved).where(StockLot.id == lot.id)
    ).one()
    return row.quantity_on_hand, row.quantity_reserved


def ledger_total(lot):
    """Return the sum of the lot's stock movements."""
    return db.session.execute(
        select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
            StockMovement.lot_id == lot.id
        )
    ).scalar_one()


def emails(kind="order_confirmation"):
    """Return the outbox emails of a kind."""
    return list(db.session.execute(select(OutboxEmail).where(OutboxEmail.kind == kind)).scalars())
