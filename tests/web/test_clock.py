"""One clock in the clinic's time zone: days turn at UK midnight, in summer and in winter."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from models import StockLot, db
from shop import clock
from shop.config import ConfigError, load_config
from shop.services import orders, reports
from shop.services.basket import GuestBasket
from shop.services.orders import CheckoutDetails, InsufficientStock
from tests.factories import make_lot, make_product

# (the moment in UTC, the clinic's date then): 23:30 and 00:30 UK time, in BST and in GMT.
PINNED = {
    "summer 23:30": (datetime(2026, 7, 14, 22, 30, tzinfo=UTC), date(2026, 7, 14)),
    "summer 00:30": (datetime(2026, 7, 14, 23, 30, tzinfo=UTC), date(2026, 7, 15)),
    "winter 23:30": (datetime(2026, 1, 14, 23, 30, tzinfo=UTC), date(2026, 1, 14)),
    "winter 00:30": (datetime(2026, 1, 15, 0, 30, tzinfo=UTC), date(2026, 1, 15)),
}


@pytest.fixture(params=list(PINNED), ids=list(PINNED))
def pinned(request, app_ctx, monkeypatch):
    """Stop the shop's clock at one of the moments; returns (moment, clinic date)."""
    moment, clinic_day = PINNED[request.param]
    monkeypatch.setattr(clock, "_system_now", lambda: moment)
    return moment, clinic_day


def place_one(product):
    details = CheckoutDetails(
        name="Night Owl", email="owl@example.com", fulfilment="collect", payment_method="clinic"
    )
    store = GuestBasket({"basket": {f"product:{product.id}": 1}})
    return orders.place_order(store, details)


def test_today_is_the_clinics_date(pinned):
    moment, clinic_day = pinned
    assert clock.today() == clinic_day
    assert clock.now().hour in (23, 0) and clock.utc_now() == moment


def test_a_sale_counts_on_the_clinics_day_in_reports_and_the_dashboard(pinned):
    _moment, clinic_day = pinned
    cream = make_product(name="Night Cream", price_pence=1200)
    make_lot(cream, 5)
    orders.mark_paid_at_clinic(place_one(cream).id)
    daily = reports.sales_by_day(date(2026, 1, 1), date(2026, 12, 31))
    assert [point.starts for point in daily if point.orders] == [clinic_day]
    board = reports.build_dashboard(clock.today(), clock.utc_now())
    assert (board.today_orders, board.today_pence) == (1, 1200)


def test_a_lot_expiring_on_the_clinics_today_is_not_sold(pinned):
    _moment, clinic_day = pinned
    cream = make_product(name="Dated Cream")
    lot = make_lot(cream, 5)
    db.session.execute(
        StockLot.__table__.update().where(StockLot.id == lot.id).values(expiry_date=clinic_day)
    )
    db.session.commit()
    with pytest.raises(InsufficientStock):
        place_one(cream)
    assert db.session.execute(select(StockLot.quantity_reserved)).scalar_one() == 0


def test_an_unknown_time_zone_is_refused(monkeypatch):
    monkeypatch.setenv("SHOP_TIMEZONE", "Europe/Atlantis")
    with pytest.raises(ConfigError, match="SHOP_TIMEZONE"):
        load_config()
