"""Order transitions: paid, collected, shipped, cancelled, expired, refunded; stock follows."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import Order, OrderEvent, Payment, Refund, StockAllocation, StockMovement, db
from shop.services import orders, payments
from shop.services.basket import GuestBasket
from shop.services.orders import CheckoutDetails, IllegalTransition, InsufficientStock, states
from shop.services.orders import stock as order_stock
from tests.checkout_helpers import emails, ledger_total, lot_state, sellable
from tests.factories import make_kit, make_lot, make_product


def place(items, method="clinic", fulfilment="collect", now=None, **extra):
    """Place an order for {(kind, id): quantity} through the service."""
    store = GuestBasket({"basket": {f"{kind}:{i}": q for (kind, i), q in items.items()}})
    details = CheckoutDetails(
        name="Pat",
        email="pat@example.com",
        fulfilment=fulfilment,
        payment_method=method,
        address_line1="1 Road" if fulfilment == "delivery" else "",
        town="Bath" if fulfilment == "delivery" else "",
        postcode="BA1 1AA" if fulfilment == "delivery" else "",
        **extra,
    )
    return orders.place_order(store, details, now=now)


def fresh(order):
    db.session.expire_all()
    return db.session.get(Order, order.id)


def allocation_states(order):
    return sorted(
        db.session.execute(
            select(StockAllocation.state)
            .join(StockAllocation.order_line)
            .where(StockAllocation.order_line.has(order_id=order.id))
        ).scalars()
    )


@pytest.fixture
def stock(app_ctx):
    cream = make_product(name="Cream", price_pence=1000)
    lot = make_lot(cream, 10)
    return cream, lot


def history(order):
    return [
        (e.from_status, e.to_status)
        for e in db.session.execute(
            select(OrderEvent).where(OrderEvent.order_id == order.id).order_by(OrderEvent.id)
        ).scalars()
    ]


def test_pay_at_clinic_collected_takes_payment_and_commits_the_stock(stock):
    cream, lot = stock
    order = place({("product", cream.id): 3})
    assert lot_state(lot) == (10, 3)
    orders.mark_collected(order.id, user_id=None, desk_method="cash")
    order = fresh(order)
    assert order.status == "completed" and order.paid_at is not None
    assert lot_state(lot) == (7, 0)
    assert ledger_total(lot) == 7
    sale = db.session.execute(
        select(StockMovement).where(StockMovement.kind == "sale")
    ).scalar_one()
    assert sale.quantity == -3 and sale.order_id == order.id
    assert allocation_states(order) == ["committed"]
    assert db.session.execute(select(Payment.status)).scalar_one() == "succeeded"
    assert history(order)[-2:] == [("pending_payment", "completed"), (None, None)]


def test_paid_at_the_desk_then_ready_then_collected(stock):
    cream, lot = stock
    order = place({("product", cream.id): 1})
    assert orders.mark_paid_at_clinic(order.id) is True
    assert orders.mark_paid_at_clinic(order.id) is False  # twice changes nothing
    orders.mark_ready_for_collection(order.id)
    assert fresh(order).status == "ready_for_collection"
    assert lot_state(lot) == (10, 1)
    orders.mark_collected(order.id)
    assert fresh(order).status == "completed" and lot_state(lot) == (9, 0)
    # One confirmation on placing, one on payment.
    assert len(emails()) == 2


def test_card_delivery_order_shipped_then_delivered(stock, fake_stripe):
    cream, lot = stock
    order = place({("product", cream.id): 2}, method="card", fulfilment="delivery")
    assert orders.mark_paid(order.id) is True
    orders.mark_shipped(order.id, "RM123456789GB")
    order = fresh(order)
    assert order.status == "shipped" and order.tracking_reference == "RM123456789GB"
    assert lot_state(lot) == (8, 0) and ledger_total(lot) == 8
    orders.mark_delivered(order.id)
    assert fresh(order).status == "completed"


@pytest.mark.parametrize(
    ("action", "message"),
    [
        (lambda o: orders.mark_shipped(o.id, "X"), "A cancelled order cannot be shipped."),
        (lambda o: orders.mark_paid_at_clinic(o.id), "A cancelled order cannot be paid."),
        (lambda o: orders.mark_collected(o.id), "A cancelled order cannot be collected."),
        (lambda o: orders.cancel_order(o.id), "A cancelled order cannot be cancelled."),
        (lambda o: orders.mark_delivered(o.id), "A cancelled order cannot be marked delivered."),
    ],
)
def test_illegal_transitions_raise_clear_errors_and_change_nothing(stock, action, message):
    cream, lot = stock
    order = place({("product", cream.id): 1}, fulfilment="collect")
    orders.cancel_order(order.id)
    with pytest.raises(IllegalTransition, match=re.escape(message)):
        action(order)
    assert fresh(order).status == "cancelled"
    assert lot_state(lot) == (10, 0)


def test_unpaid_orders_cannot_ship_and_collect_orders_cannot_ship(stock, fake_stripe):
    cream, _lot = stock
    unpaid = place({("product", cream.id): 1}, method="card", fulfilment="delivery")
    with pytest.raises(IllegalTransition, match=re.escape("An unpaid order cannot be shipped.")):
        orders.mark_shipped(unpaid.id)
    collect = place({("product", cream.id): 1})
    orders.mark_paid(collect.id)
    with pytest.raises(IllegalTransition, match=re.escape("Only delivery orders can be shipped.")):
        orders.mark_shipped(collect.id)
    with pytest.raises(IllegalTransition, match="Only click-and-collect"):
        orders.mark_collected(unpaid.id)
    with pytest.raises(IllegalTransition, match="A paid order cannot be cancelled"):
        orders.cancel_order(collect.id)


def test_card_order_cannot_be_collected_before_payment(stock, fake_stripe):
    cream, _lot = stock
    order = place({("product", cream.id): 1}, method="card", fulfilment="collect")
    with pytest.raises(IllegalTransition, match=re.escape("An unpaid order cannot be collected.")):
        orders.mark_collected(order.id)


def test_cancel_releases_held_stock(stock):
    cream, lot = stock
    order = place({("product", cream.id): 4})
    orders.cancel_order(order.id, note="Customer asked")
    assert lot_state(lot) == (10, 0)
    assert allocation_states(order) == ["released"]
    assert ledger_total(lot) == 10


def test_release_and_commit_service_functions(stock):
    cream, lot = stock
    order = place({("product", cream.id): 2})
    assert orders.release_order_stock(order.id) == 2
    assert orders.release_order_stock(order.id) == 0
    assert lot_state(lot) == (10, 0)
    second = place({("product", cream.id): 3})
    assert orders.commit_order_stock(second.id) == 3
    assert orders.commit_order_stock(second.id) == 0
    assert lot_state(lot) == (7, 0) and ledger_total(lot) == 7


def test_kit_order_commits_every_component(app_ctx):
    balm = make_product(name="Balm")
    spf = make_product(name="SPF")
    balm_lot = make_lot(balm, 5)
    spf_lot = make_lot(spf, 5)
    kit = make_kit([(balm, 2), (spf, 1)])
    order = place({("kit", kit.id): 2})
    assert lot_state(balm_lot) == (5, 4) and lot_state(spf_lot) == (5, 2)
    orders.mark_collected(order.id, desk_method="card")
    assert lot_state(balm_lot) == (1, 0) and lot_state(spf_lot) == (3, 0)


def test_order_spanning_lots_is_all_or_nothing(app_ctx):
    plenty = make_product(name="Plenty")
    scarce = make_product(name="Scarce")
    plenty_lot = make_lot(plenty, 10)
    scarce_lot = make_lot(scarce, 1)
    store = GuestBasket({"basket": {f"product:{plenty.id}": 2, f"product:{scarce.id}": 1}})
    # Someone else takes the last scarce unit after the basket was checked.
    db.session.execute(
        scarce_lot.__table__.update()
        .where(scarce_lot.__table__.c.id == scarce_lot.id)
        .values(quantity_reserved=1)
    )
    db.session.commit()
    details = CheckoutDetails(
        name="Pat", email="p@example.com", fulfilment="collect", payment_method="clinic"
    )
    with pytest.raises(InsufficientStock, match="Scarce is sold out"):
        orders.place_order(store, details)
    assert lot_state(plenty_lot) == (10, 0)
    assert db.session.execute(select(Order)).first() is None
    assert store.load()  # the basket is kept


def test_race_lost_inside_the_reservation_rolls_back(app_ctx, monkeypatch):
    plenty = make_product(name="Plenty")
    scarce = make_product(name="Scarce")
    plenty_lot = make_lot(plenty, 10)
    scarce_lot = make_lot(scarce, 1)
    real = order_stock.reserve_from_lot

    def someone_else_first(lot_id, free_seen, wanted, today):
        if lot_id == scarce_lot.id:
            db.session.execute(
                scarce_lot.__table__.update()
                .where(scarce_lot.__table__.c.id == lot_id)
                .values(quantity_reserved=1)
            )
        return real(lot_id, free_seen, wanted, today)

    monkeypatch.setattr(order_stock, "reserve_from_lot", someone_else_first)
    with pytest.raises(InsufficientStock, match="Scarce"):
        place({("product", plenty.id): 2, ("product", scarce.id): 1})
    assert lot_state(plenty_lot) == (10, 0)
    assert lot_state(scarce_lot) == (1, 0)  # the simulated rival was rolled back too


def test_a_status_changed_after_it_was_read_refuses_the_transition(stock, monkeypatch):
    """The stale-status race PostgreSQL's row lock hides, played out on any database.

    Between reading the status and updating it, a rival (a refund webhook) moves the order on;
    only the conditional UPDATE can notice, and it must refuse.
    """
    cream, _lot = stock
    order = place({("product", cream.id): 1})
    orders.mark_paid_at_clinic(order.id)
    real = states.current_status

    def refunded_meanwhile(order_id):
        status = real(order_id)
        db.session.execute(
            Order.__table__.update()
            .where(Order.__table__.c.id == order_id)
            .values(status="refunded")
        )
        return status

    monkeypatch.setattr(states, "current_status", refunded_meanwhile)
    with pytest.raises(IllegalTransition):
        orders.mark_ready_for_collection(order.id)
    # Everything was rolled back, the simulated rival's write included.
    assert fresh(order).status == "paid"
    assert ("paid", "ready_for_collection") not in history(order)


def test_expire_stale_releases_overdue_reservations_only(stock, fake_stripe, runner):
    cream, lot = stock
    long_ago = datetime.now(UTC) - timedelta(days=30)
    overdue_clinic = place({("product", cream.id): 1}, now=long_ago)
    overdue_card = place(
        {("product", cream.id): 1}, method="card", fulfilment="delivery", now=long_ago
    )
    just_lapsed_card = place(
        {("product", cream.id): 1},
        method="card",
        fulfilment="delivery",
        now=datetime.now(UTC) - timedelta(minutes=orders.checkout_minutes() + 1),
    )
    current = place({("product", cream.id): 1})
    paid = place({("product", cream.id): 1}, now=long_ago)
    orders.mark_paid(paid.id)
    result = runner.invoke(args=["orders", "expire-stale"])
    assert result.exit_code == 0, result.output
    assert "Expired 2 unpaid orders." in result.output
    assert fresh(overdue_clinic).status == "expired"
    assert fresh(overdue_card).status == "expired"
    assert fresh(just_lapsed_card).status == "pending_payment"  # within the grace period
    assert fresh(current).status == "pending_payment"
    assert fresh(paid).status == "paid"
    assert lot_state(lot) == (10, 3)
    again = runner.invoke(args=["orders", "expire-stale"])
    assert "Expired 0 unpaid orders." in again.output


def test_order_page_after_expiry_says_nothing_was_charged(client, stock):
    cream, _lot = stock
    from tests.checkout_helpers import COLLECT_FORM, add

    add(client, cream.slug)
    client.post("/checkout", data=COLLECT_FORM)
    order = db.session.execute(select(Order)).scalar_one()
    orders.expire_order(order.id)
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "Expired" in page and "nothing was charged" in page


def test_card_refund_calls_stripe_with_an_idempotency_key_and_restocks(stock, fake_stripe):
    cream, lot = stock
    order = place({("product", cream.id): 3}, method="card", fulfilment="delivery")
    db.session.execute(Payment.__table__.update().values(payment_intent_id="pi_test_abc"))
    db.session.commit()
    orders.mark_paid(order.id)
    orders.mark_shipped(order.id, "T1")
    line = fresh(order).lines[0]
    refund = payments.refund_order(order.id, {line.id: 1}, restock=True, reason="Damaged")
    (call,) = fake_stripe.posts("/v1/refunds")
    assert call["idempotency_key"] == f"refund-{order.reference}-1"
    assert call["form"] == {
        "payment_intent": "pi_test_abc",
        "amount": "1000",
        "metadata[order_reference]": order.reference,
    }
    assert refund.provider_reference.startswith("re_test_")
    order = fresh(order)
    assert order.status == "partially_refunded" and order.refunded_pence == 1000
    assert order.lines[0].refunded_quantity == 1
    assert lot_state(lot) == (8, 0) and ledger_total(lot) == 8  # 7 after the sale, 1 back
    with pytest.raises(payments.RefundError, match="at most 2"):
        payments.refund_order(order.id, {line.id: 3}, restock=False)
    payments.refund_order(order.id, {line.id: 2}, restock=False, include_delivery=True)
    order = fresh(order)
    assert order.status == "refunded" and order.refunded_pence == order.total_pence
    assert len(db.session.execute(select(Refund)).scalars().all()) == 2


def test_refund_before_shipping_releases_the_held_units(stock):
    cream, lot = stock
    order = place({("product", cream.id): 3})
    orders.mark_paid_at_clinic(order.id)
    line = fresh(order).lines[0]
    payments.refund_order(order.id, {line.id: 3}, restock=True)
    assert lot_state(lot) == (10, 0)
    assert fresh(order).status == "refunded"
    with pytest.raises(payments.RefundError, match="cannot be refunded"):
        payments.refund_order(order.id, {line.id: 1}, restock=True)


def test_unpaid_orders_cannot_be_refunded(stock):
    cream, _lot = stock
    order = place({("product", cream.id): 1})
    with pytest.raises(payments.RefundError, match="awaiting payment order cannot be refunded"):
        payments.refund_order(order.id, {order.lines[0].id: 1}, restock=True)


def test_order_with_a_recommendation_records_the_clinician(app_ctx, stock):
    from models import Recommendation
    from tests.factories import make_treatment, make_user

    cream, _lot = stock
    clinician = make_user("clinician")
    treatment = make_treatment()
    recommendation = Recommendation(
        clinician_id=clinician.id,
        patient_name="Pat",
        patient_email="pat@example.com",
        treatment_id=treatment.id,
        treated_on=datetime.now(UTC).date(),
        fitzpatrick=2,
    )
    db.session.add(recommendation)
    db.session.commit()
    order = place({("product", cream.id): 1}, recommendation_id=recommendation.id)
    assert order.recommendation_id == recommendation.id and order.clinician_id == clinician.id
    unknown = place({("product", cream.id): 1}, recommendation_id=999999)
    assert unknown.recommendation_id is None


def test_sellable_is_on_hand_less_reserved(stock):
    cream, _lot = stock
    place({("product", cream.id): 4})
    assert sellable(cream) == 6
