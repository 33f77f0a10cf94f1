"""Back-office orders: list, order page, every fulfilment action, refunds and the pick list."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditEntry, Refund, StockAllocation, StockMovement, db
from tests.checkout_helpers import emails, lot_state
from tests.factories import make_kit, make_lot, make_product, make_user
from tests.staff_helpers import (
    assert_ledger_balances,
    fresh,
    paid_card_order,
    paid_collect_order,
    place_order,
)


@pytest.fixture
def staff(client, login):
    user = make_user(role="staff")
    login(user)
    return user


@pytest.fixture
def cream(app_ctx):
    product = make_product(name="Calm Cream", price_pence=1500)
    return product


def actions():
    return list(db.session.execute(select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


def test_order_page_shows_lines_lots_payment_and_history(client, staff, app, cream):
    lot = make_lot(cream, 5, lot_number="PAGE-1")
    order = paid_collect_order(app, [(cream.slug, 2, "product")])
    html = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert order.reference in html and "Calm Cream" in html
    assert "lot PAGE-1" in html and "held" in html
    assert "Paid at the clinic desk" in html
    assert "Awaiting payment → Paid" in html
    assert lot_state(lot) == (5, 2)
    assert client.get("/staff/orders/999").status_code == 404


def test_collect_order_packed_ready_and_collected(client, staff, app, cream):
    lot = make_lot(cream, 5)
    order = paid_collect_order(app, [(cream.slug, 2, "product")])
    assert client.post(f"/staff/orders/{order.id}/pack").status_code == 303
    assert fresh(order).packed_at is not None and fresh(order).status == "paid"
    assert client.post(f"/staff/orders/{order.id}/ready").status_code == 303
    assert fresh(order).status == "ready_for_collection"
    (ready,) = emails("order_ready")
    assert ready.to_address == order.email and order.reference in ready.subject
    assert client.post(f"/staff/orders/{order.id}/collected").status_code == 303
    assert fresh(order).status == "completed"
    assert lot_state(lot) == (3, 0)
    sale = db.session.execute(
        select(StockMovement).where(StockMovement.kind == "sale")
    ).scalar_one()
    assert sale.quantity == -2 and sale.order_id == order.id and sale.user_id == staff.id
    assert actions() == ["order.pack", "order.ready_for_collection", "order.collect"]
    assert_ledger_balances()


def test_delivery_order_is_shipped_with_tracking_and_emailed(
    client, staff, app, cream, fake_stripe
):
    lot = make_lot(cream, 5)
    order = paid_card_order(app, [(cream.slug, 2, "product")])
    response = client.post(f"/staff/orders/{order.id}/ship", data={"tracking": "RM123GB"})
    assert response.status_code == 303
    order = fresh(order)
    assert order.status == "shipped" and order.tracking_reference == "RM123GB"
    (shipped,) = emails("order_shipped")
    assert "RM123GB" in shipped.body_text and shipped.to_address == order.email
    assert lot_state(lot) == (3, 0)
    assert client.post(f"/staff/orders/{order.id}/delivered").status_code == 303
    assert fresh(order).status == "completed"
    assert_ledger_balances()


def test_shipping_needs_a_tracking_reference(client, staff, app, cream, fake_stripe):
    make_lot(cream, 5)
    order = paid_card_order(app, [(cream.slug, 1, "product")])
    for bad in ("", "x" * 81):
        response = client.post(f"/staff/orders/{order.id}/ship", data={"tracking": bad})
        assert response.status_code == 422
        assert "tracking reference" in response.get_data(as_text=True)
    assert fresh(order).status == "paid" and emails("order_shipped") == []


def test_cancel_releases_the_stock_and_needs_a_reason(client, staff, app, cream):
    lot = make_lot(cream, 5)
    order = place_order(app, [(cream.slug, 3, "product")])
    assert client.post(f"/staff/orders/{order.id}/cancel", data={"note": ""}).status_code == 422
    assert fresh(order).status == "pending_payment"
    response = client.post(f"/staff/orders/{order.id}/cancel", data={"note": "Called to cancel"})
    assert response.status_code == 303
    assert fresh(order).status == "cancelled"
    assert lot_state(lot) == (5, 0)
    states = db.session.execute(select(StockAllocation.state)).scalars().all()
    assert set(states) == {"released"}
    audit = db.session.execute(select(AuditEntry)).scalar_one()
    assert audit.action == "order.cancel" and audit.before == {"status": "pending_payment"}
    assert_ledger_balances()


@pytest.mark.parametrize(
    ("setup", "action", "data", "message"),
    [
        ("cancelled", "ship", {"tracking": "RM1"}, "cancelled order cannot be shipped"),
        ("cancelled", "collected", {}, "cancelled order cannot be collected"),
        ("cancelled", "pack", {}, "cannot be packed"),
        ("paid_collect", "ship", {"tracking": "RM1"}, "Only delivery orders can be shipped"),
        ("paid_collect", "cancel", {"note": "x"}, "refund it instead"),
        ("paid_collect", "delivered", {}, "paid order cannot be marked delivered"),
        ("completed", "ready", {}, "completed order cannot be made ready"),
        ("completed", "refund_nothing", {"reason": "x"}, "Enter how many units"),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_message(
    client, staff, app, cream, setup, action, data, message
):
    make_lot(cream, 5)
    if setup == "cancelled":
        order = place_order(app, [(cream.slug, 1, "product")])
        client.post(f"/staff/orders/{order.id}/cancel", data={"note": "test"})
    else:
        order = paid_collect_order(app, [(cream.slug, 1, "product")])
        if setup == "completed":
            client.post(f"/staff/orders/{order.id}/collected")
    before = fresh(order).status
    audit_before = len(actions())
    path = "refund" if action == "refund_nothing" else action
    response = client.post(f"/staff/orders/{order.id}/{path}", data=data)
    assert response.status_code in (409, 422)
    assert message in response.get_data(as_text=True)
    assert fresh(order).status == before
    assert len(actions()) == audit_before
    assert_ledger_balances()


def test_packing_twice_is_refused(client, staff, app, cream):
    make_lot(cream, 5)
    order = paid_collect_order(app, [(cream.slug, 1, "product")])
    client.post(f"/staff/orders/{order.id}/pack")
    response = client.post(f"/staff/orders/{order.id}/pack")
    assert response.status_code == 409 and "already packed" in response.get_data(as_text=True)


def refund_data(order, quantities, **extra):
    data = {"reason": "Reaction to product", "stock": "restock", **extra}
    for index, line in enumerate(order.lines):
        data[f"lines-{index}-line_id"] = str(line.id)
        data[f"lines-{index}-quantity"] = str(quantities.get(line.id, 0))
    return data


def test_partial_card_refund_goes_through_stripe_and_restocks(
    client, staff, app, cream, fake_stripe
):
    lot = make_lot(cream, 5)
    order = paid_card_order(app, [(cream.slug, 3, "product")])
    client.post(f"/staff/orders/{order.id}/ship", data={"tracking": "RM9"})
    line = order.lines[0]
    response = client.post(
        f"/staff/orders/{order.id}/refund", data=refund_data(order, {line.id: 1})
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:500]
    (request,) = fake_stripe.posts("/v1/refunds")
    assert request["form"]["amount"] == "1500"
    assert request["form"]["payment_intent"] == f"pi_test_{order.id:06d}"
    assert request["idempotency_key"] == f"refund-{order.reference}-1"
    order = fresh(order)
    assert order.status == "partially_refunded" and order.refunded_pence == 1500
    refund = db.session.execute(select(Refund)).scalar_one()
    assert refund.provider_reference.startswith("re_test_") and refund.created_by_id == staff.id
    assert lot_state(lot) == (3, 0)  # 3 shipped, 1 back on the shelf
    returned = db.session.execute(
        select(StockMovement).where(StockMovement.kind == "return")
    ).scalar_one()
    assert returned.quantity == 1 and returned.order_id == order.id
    assert "order.refund" in actions()
    assert_ledger_balances()


def test_full_refund_with_write_off_leaves_stock_out(client, staff, app, cream, fake_stripe):
    lot = make_lot(cream, 5)
    order = paid_card_order(app, [(cream.slug, 2, "product")])
    client.post(f"/staff/orders/{order.id}/ship", data={"tracking": "RM9"})
    line = order.lines[0]
    data = refund_data(order, {line.id: 2}, stock="write_off", include_delivery="y")
    assert client.post(f"/staff/orders/{order.id}/refund", data=data).status_code == 303
    order = fresh(order)
    assert order.status == "refunded" and order.refunded_pence == order.total_pence
    assert lot_state(lot) == (3, 0)
    assert assert_ledger_balances() is None


def test_refund_of_more_than_was_bought_is_refused(client, staff, app, cream, fake_stripe):
    make_lot(cream, 5)
    order = paid_card_order(app, [(cream.slug, 1, "product")])
    line = order.lines[0]
    response = client.post(
        f"/staff/orders/{order.id}/refund", data=refund_data(order, {line.id: 2})
    )
    assert response.status_code == 409
    assert "at most 1" in response.get_data(as_text=True)
    assert fake_stripe.posts("/v1/refunds") == []
    assert fresh(order).refunded_pence == 0


@pytest.mark.parametrize(
    ("changes", "message"),
    [({"reason": ""}, "Say why you are refunding"), ({"lines-0-quantity": "-1"}, "0 or more")],
)
def test_bad_refund_forms_are_refused(client, staff, app, cream, fake_stripe, changes, message):
    make_lot(cream, 5)
    order = paid_card_order(app, [(cream.slug, 1, "product")])
    data = {**refund_data(order, {order.lines[0].id: 1}), **changes}
    response = client.post(f"/staff/orders/{order.id}/refund", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert fake_stripe.posts("/v1/refunds") == []


def test_refund_when_stripe_is_down_changes_nothing(client, staff, app, cream, fake_stripe):
    make_lot(cream, 5)
    order = paid_card_order(app, [(cream.slug, 1, "product")])
    fake_stripe.stop()
    response = client.post(
        f"/staff/orders/{order.id}/refund", data=refund_data(order, {order.lines[0].id: 1})
    )
    assert response.status_code == 502
    assert fresh(order).refunded_pence == 0 and "order.refund" not in actions()


def test_refund_of_a_paid_unshipped_order_puts_held_units_back(
    client, staff, app, cream, fake_stripe
):
    lot = make_lot(cream, 5)
    order = paid_card_order(app, [(cream.slug, 2, "product")])
    data = refund_data(order, {order.lines[0].id: 2}, stock="write_off")
    assert client.post(f"/staff/orders/{order.id}/refund", data=data).status_code == 303
    assert lot_state(lot) == (5, 0)
    assert_ledger_balances()


def test_pick_list_groups_by_product_and_lot_first_expiry_first(client, staff, app, cream):
    early = make_lot(cream, 2, expires_in_days=40, lot_number="EARLY")
    make_lot(cream, 10, expires_in_days=300, lot_number="LATE")
    balm = make_product(name="Balm")
    make_lot(balm, 5, lot_number="BALM-1")
    kit = make_kit([(cream, 1), (balm, 1)])
    one = paid_collect_order(app, [(cream.slug, 3, "product")])
    two = paid_collect_order(app, [(kit.slug, 1, "kit")])
    unpaid = place_order(app, [(balm.slug, 1, "product")])
    html = client.get("/staff/pick-list").get_data(as_text=True)
    assert html.index("EARLY") < html.index("LATE")
    assert one.reference in html and two.reference in html and unpaid.reference not in html
    assert "BALM-1" in html
    assert lot_state(early) == (2, 2)
    client.post(f"/staff/orders/{one.id}/pack")
    html = client.get("/staff/pick-list").get_data(as_text=True)
    assert one.reference not in html and two.reference in html


def test_order_list_filters_and_queries_stay_constant(client, staff, app, cream, count_queries):
    make_lot(cream, 100)
    first = paid_collect_order(app, [(cream.slug, 1, "product")])
    place_order(app, [(cream.slug, 1, "product")])
    with count_queries() as few:
        assert client.get("/staff/orders").status_code == 200
    for _ in range(8):
        place_order(app, [(cream.slug, 1, "product")])
    with count_queries() as many:
        html = client.get("/staff/orders").get_data(as_text=True)
    assert many.count == few.count
    assert html.count("/staff/orders/") >= 10
    paid = client.get("/staff/orders", query_string={"status": "paid"}).get_data(as_text=True)
    assert paid.count(">" + first.reference + "<") == 1 and "1 order<" in paid
    found = client.get("/staff/orders", query_string={"q": first.reference}).get_data(as_text=True)
    assert "1 order<" in found
    by_email = client.get("/staff/orders", query_string={"q": "ADA@example.com"})
    assert "10 orders<" in by_email.get_data(as_text=True)
    collect = client.get("/staff/orders", query_string={"fulfilment": "delivery"})
    assert "0 orders<" in collect.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    [
        {"status": "lost"},
        {"fulfilment": "drone"},
        {"start": "yesterday"},
        {"page": "0"},
        {"start": "2030-01-02", "end": "2030-01-01"},
    ],
)
def test_bad_order_filters_are_400(client, staff, query):
    response = client.get("/staff/orders", query_string=query)
    assert response.status_code == 400


def test_order_list_counts_only_a_few_pages_ahead(client, staff, app, cream, monkeypatch):
    from shop.services import fulfilment

    monkeypatch.setattr(fulfilment, "ORDER_PAGES_COUNTED_AHEAD", 1)
    monkeypatch.setitem(app.config, "STAFF_ROWS_PER_PAGE", 2)
    make_lot(cream, 100)
    placed = [place_order(app, [(cream.slug, 1, "product")]) for _ in range(7)]
    first = client.get("/staff/orders").get_data(as_text=True)
    # Page 1 counts up to page 2 and sees there is more: no exact total, a Next link.
    assert "More than 4 orders, newest first, page 1" in first
    assert placed[-1].reference in first and placed[0].reference not in first
    assert 'href="/staff/orders?page=2" rel="next"' in first
    third = client.get("/staff/orders?page=3").get_data(as_text=True)
    assert "More than 8 orders" not in third and "7 orders, page 3 of 4" in third
    last = client.get("/staff/orders?page=4").get_data(as_text=True)
    assert placed[0].reference in last and "7 orders, page 4 of 4" in last
    beyond = client.get("/staff/orders?page=40")
    assert beyond.status_code == 200 and "7 orders, page 4 of 4" in beyond.get_data(as_text=True)


def test_order_page_names_the_clinician_and_recommendation_behind_it(client, staff, app, cream):
    from datetime import UTC, date, datetime

    from sqlalchemy import update

    from models import Order, Recommendation
    from tests.factories import make_treatment

    make_lot(cream, 5)
    clinician = make_user(role="clinician", name="Dr Ada Lovel")
    rec = Recommendation(
        clinician_id=clinician.id,
        patient_name="Ada Patient",
        patient_email="ada@example.com",
        treatment_id=make_treatment().id,
        treated_on=date.today(),
        fitzpatrick=3,
        status="sent",
        sent_at=datetime(2026, 11, 20, 10, tzinfo=UTC),
    )
    db.session.add(rec)
    db.session.commit()
    order = place_order(app, [(cream.slug, 1, "product")])
    html = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert "No clinician's recommendation" in html
    assert 'href="tel:07700900123"' in html  # the phone, as a link
    db.session.execute(update(Order).where(Order.id == order.id).values(recommendation_id=rec.id))
    db.session.commit()
    html = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert "Dr Ada Lovel" in html and f"Recommendation {rec.id}, sent 20 Nov 2026" in html
    assert "Micro-needling" not in html  # the treatment is health data: not for the packing desk


def test_packing_slip_lists_each_lot_to_pack_for_whom(client, staff, app, cream):
    make_lot(cream, 5, lot_number="SLIP-1")
    balm = make_product(name="Barrier Balm")
    make_lot(balm, 5, lot_number="SLIP-2")
    kit = make_kit([(cream, 1), (balm, 1)], name="Calm Kit")
    order = place_order(app, [(kit.slug, 1, "kit"), (cream.slug, 2, "product")])
    response = client.get(f"/staff/orders/{order.id}/packing-slip")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f"Packing slip · order {order.reference}" in html
    assert "Ada Patient" in html and "07700 900123" in html
    assert 'Barrier Balm <span class="small">(in Calm Kit)</span>' in html
    assert "SLIP-1" in html and "SLIP-2" in html and "To pay at the desk: £" in html
    assert "data-print hidden" in html and "js/print.js" in html
    assert client.get("/staff/orders/987654/packing-slip").status_code == 404


def test_order_statuses_read_the_same_in_the_list_the_filter_and_the_page(
    client, staff, app, cream
):
    make_lot(cream, 5)
    order = place_order(app, [(cream.slug, 1, "product")])
    listing = client.get("/staff/orders").get_data(as_text=True)
    assert '<option value="pending_payment">Awaiting payment</option>' in listing
    assert "Pending payment" not in listing
    page = client.get(f"/staff/orders/{order.id}").get_data(as_text=True)
    assert "Awaiting payment</span>" in page and "Pending payment" not in page
