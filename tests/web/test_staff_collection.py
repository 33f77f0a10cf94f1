"""Pay-at-clinic collection at the desk: ready (emailed), then collected and paid, confirmed."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import AuditEntry, OrderEvent, Payment, StockMovement, db
from tests.checkout_helpers import emails, lot_state
from tests.factories import make_lot, make_product, make_user
from tests.staff_helpers import assert_ledger_balances, fresh, paid_collect_order, place_order


@pytest.fixture
def staff(client, login):
    user = make_user(role="staff", name="Sam Desk")
    login(user)
    return user


@pytest.fixture
def cream(app_ctx):
    return make_product(name="Calm Cream", price_pence=1500)


@pytest.fixture
def desk_lot(cream):
    return make_lot(cream, 5, lot_number="DESK-1")


@pytest.fixture
def desk_order(app, cream, desk_lot):
    """A pay-at-clinic collection order, unpaid, holding two units of a five-unit lot."""
    return place_order(app, [(cream.slug, 2, "product")])


def sales() -> int:
    return db.session.execute(
        select(func.count()).select_from(StockMovement).where(StockMovement.kind == "sale")
    ).scalar_one()


def test_ready_for_collection_emails_what_to_pay_and_keeps_it_unpaid(client, staff, desk_order):
    assert "pay at desk · to make ready" in client.get("/staff/").get_data(as_text=True)
    response = client.post(f"/staff/orders/{desk_order.id}/ready")
    assert response.status_code == 303
    order = fresh(desk_order)
    assert order.status == "pending_payment" and order.ready_at is not None
    (ready,) = emails("order_ready")
    assert ready.to_address == order.email
    assert "You pay £30.00 when you collect it" in ready.body_text
    assert "We keep it for you until" in ready.body_text
    page = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert "Ready to collect" in page and "Ready for collection: email" not in page
    notes = db.session.execute(select(OrderEvent.note)).scalars().all()
    assert "Ready to collect; to be paid at the desk" in notes
    assert "pay at desk · ready, customer told" in client.get("/staff/").get_data(as_text=True)
    assert "ready, pay at desk" in client.get("/staff/orders").get_data(as_text=True)


def test_ready_twice_is_refused_and_emails_once(client, staff, desk_order):
    client.post(f"/staff/orders/{desk_order.id}/ready")
    response = client.post(f"/staff/orders/{desk_order.id}/ready")
    assert response.status_code == 409
    assert "already ready to collect" in response.get_data(as_text=True)
    assert len(emails("order_ready")) == 1
    actions = db.session.execute(select(AuditEntry.action)).scalars().all()
    assert actions == ["order.ready_for_collection"]


def test_collected_and_paid_asks_for_confirmation_before_booking(client, staff, desk_order):
    response = client.post(f"/staff/orders/{desk_order.id}/collected", data={"desk_method": "cash"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Confirm: £30.00 paid in cash and collected" in html
    assert 'name="confirmed" value="yes"' in html
    order = fresh(desk_order)
    assert order.status == "pending_payment" and order.paid_at is None
    assert sales() == 0 and db.session.execute(select(AuditEntry)).first() is None


@pytest.mark.parametrize(("method", "words"), [("card", "by card"), ("cash", "in cash")])
def test_confirmed_collection_books_the_desk_payment_once(
    client, staff, desk_order, desk_lot, method, words
):
    client.post(f"/staff/orders/{desk_order.id}/ready")
    data = {"desk_method": method, "confirmed": "yes"}
    response = client.post(f"/staff/orders/{desk_order.id}/collected", data=data)
    assert response.status_code == 303
    order = fresh(desk_order)
    assert order.status == "completed" and order.paid_at is not None
    payment = db.session.execute(select(Payment)).scalar_one()
    assert (payment.status, payment.desk_method, payment.amount_pence) == (
        "succeeded",
        method,
        3000,
    )
    notes = db.session.execute(select(OrderEvent.note)).scalars().all()
    assert f"Paid at the clinic desk {words}" in notes
    assert sales() == 1 and lot_state(desk_lot) == (3, 0)
    audit = db.session.execute(
        select(AuditEntry).where(AuditEntry.action == "order.collect")
    ).scalar_one()
    assert audit.after == {"status": "completed", "paid_at_desk": method}
    page = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert f"Collected and paid: £30.00 {words} booked" in page
    assert f"Paid at the clinic desk {words} · £30.00" in page
    # A second confirmation (a double click, or a colleague) books nothing more.
    again = client.post(f"/staff/orders/{desk_order.id}/collected", data=data)
    assert again.status_code == 409
    assert "completed order cannot be collected" in again.get_data(as_text=True)
    assert sales() == 1 and len(db.session.execute(select(Payment)).all()) == 1
    assert_ledger_balances()


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({}, 422, "Choose how the customer paid"),
        ({"desk_method": "cheque", "confirmed": "yes"}, 422, "Choose how the customer paid"),
        ({"desk_method": "card", "confirmed": "sure"}, 422, "Confirm the payment"),
        ({"desk_method": "\x00", "confirmed": "yes"}, 400, "NUL character"),
        ({"desk_method": "cash" * 200, "confirmed": "yes"}, 422, "Choose how the customer paid"),
    ],
)
def test_bad_collection_forms_book_nothing(client, staff, desk_order, data, status, message):
    response = client.post(f"/staff/orders/{desk_order.id}/collected", data=data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert fresh(desk_order).status == "pending_payment"
    assert sales() == 0 and db.session.execute(select(AuditEntry)).first() is None


def test_collecting_without_a_desk_method_is_refused_by_the_service(app_ctx, desk_order):
    from shop.services import fulfilment, orders

    with pytest.raises(orders.OrderError, match="Choose how the customer paid"):
        fulfilment.collected(desk_order.id)
    assert fresh(desk_order).status == "pending_payment" and sales() == 0
    assert db.session.execute(select(AuditEntry)).first() is None


def test_wrong_states_are_refused(client, staff, app, cream, desk_order):
    client.post(f"/staff/orders/{desk_order.id}/cancel", data={"note": "Changed their mind"})
    for path, data in (("ready", {}), ("collected", {"desk_method": "cash", "confirmed": "yes"})):
        response = client.post(f"/staff/orders/{desk_order.id}/{path}", data=data)
        assert response.status_code == 409, path
        assert "cancelled order cannot be" in response.get_data(as_text=True)
    assert len(emails("order_ready")) == 0 and sales() == 0
    assert (
        client.post("/staff/orders/987654/collected", data={"desk_method": "cash"}).status_code
        == 404
    )
    assert client.post("/staff/orders/987654/ready").status_code == 404


def test_a_card_paid_collection_order_is_collected_without_a_desk_payment(
    client, staff, app, cream
):
    make_lot(cream, 5)
    order = paid_collect_order(app, [(cream.slug, 1, "product")])
    page = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert "how did the customer pay" not in page
    assert client.post(f"/staff/orders/{order.id}/collected").status_code == 303
    assert fresh(order).status == "completed"
    assert db.session.execute(select(Payment.desk_method)).scalar_one() is None


@pytest.mark.parametrize("role", ["customer", "clinician"])
def test_only_staff_can_collect_and_book_payments(client, login, desk_order, desk_lot, role):
    login(make_user(role=role))
    data = {"desk_method": "cash", "confirmed": "yes"}
    assert client.post(f"/staff/orders/{desk_order.id}/collected", data=data).status_code == 403
    assert client.post(f"/staff/orders/{desk_order.id}/ready").status_code == 403
    assert client.get(f"/staff/orders/{desk_order.id}/packing-slip").status_code == 403
    assert fresh(desk_order).status == "pending_payment" and fresh(desk_order).ready_at is None
    client.post("/account/logout")
    for method, path in (("post", "collected"), ("post", "ready"), ("get", "packing-slip")):
        response = getattr(client, method)(f"/staff/orders/{desk_order.id}/{path}", data=data)
        assert response.status_code in (302, 303) and "/account/login" in response.location
    assert emails("order_ready") == [] and fresh(desk_order).ready_at is None
    assert fresh(desk_order).status == "pending_payment" and sales() == 0
    assert lot_state(desk_lot) == (5, 2)
