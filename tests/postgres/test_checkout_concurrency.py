"""Real concurrency on PostgreSQL: many buyers of the last units, racing webhooks and expiry.

Every thread has its own application context, so its own session and its own database
connection; a barrier lines them up so they really do hit the database at the same moment.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text

from models import (
    Order,
    OrderEvent,
    OutboxEmail,
    Payment,
    ProcessedEvent,
    StockAllocation,
    StockLot,
    db,
)
from shop.services import orders, payments
from shop.services.basket import GuestBasket
from shop.services.inventory import (
    ledger_differences,
    sellable_by_product,
    stranded_reservations,
)
from shop.services.orders import CheckoutDetails, InsufficientStock
from tests.factories import make_kit, make_lot, make_product
from tests.postgres.conftest import second_app
from tests.stripe_fake import API_KEY, WEBHOOK_SECRET

BUYERS = 24

pytestmark = pytest.mark.postgres


@pytest.fixture
def race_app(postgres_url, app_ctx):
    """A second app on the same database with a pool big enough for every buyer at once."""
    with second_app(
        postgres_url, BUYERS + 4, STRIPE_SECRET_KEY=API_KEY, STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET
    ) as application:
        yield application


def run_together(app, jobs: list[Callable[[], object]]) -> list[tuple[str, object]]:
    """Run each job in its own thread and app context, all released at once by a barrier."""
    barrier = threading.Barrier(len(jobs))
    results: list[tuple[str, object]] = [("unset", None)] * len(jobs)

    def worker(index: int, job: Callable[[], object]) -> None:
        with app.app_context():
            try:
                # Open this thread's own connection and transaction before the start signal.
                db.session.execute(text("SELECT 1"))
                barrier.wait(timeout=30)
                results[index] = ("ok", job())
            except Exception as error:  # every outcome is asserted on by the test
                db.session.rollback()
                results[index] = ("error", error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a buyer got stuck"
    return results


def buy(items: dict[str, int], method: str = "clinic", fulfilment: str = "collect"):
    """Return a job placing an order for {basket key: quantity}."""

    def job():
        details = CheckoutDetails(
            name="Racer",
            email="racer@example.com",
            fulfilment=fulfilment,
            payment_method=method,
            address_line1="1 Road" if fulfilment == "delivery" else "",
            town="Bath" if fulfilment == "delivery" else "",
            postcode="BA1 1AA" if fulfilment == "delivery" else "",
        )
        return orders.place_order(GuestBasket({"basket": dict(items)}), details).reference

    return job


def lots_of(product) -> list[StockLot]:
    db.session.expire_all()
    return list(
        db.session.execute(
            select(StockLot).where(StockLot.product_id == product.id).order_by(StockLot.id)
        ).scalars()
    )


def held_units(product) -> int:
    return db.session.execute(
        select(func.coalesce(func.sum(StockAllocation.quantity), 0)).where(
            StockAllocation.product_id == product.id, StockAllocation.state == "held"
        )
    ).scalar_one()


def assert_stock_consistent(*products) -> None:
    """Reserved equals what allocations hold, never above on hand; the ledger balances."""
    for product in products:
        lots = lots_of(product)
        assert all(0 <= lot.quantity_reserved <= lot.quantity_on_hand for lot in lots)
        assert sum(lot.quantity_reserved for lot in lots) == held_units(product)
    assert ledger_differences() == []


def test_twenty_four_buyers_of_the_last_five_units(app_ctx, race_app):
    serum = make_product(name="Last Serum")
    make_lot(serum, 3, expires_in_days=60)
    make_lot(serum, 2, expires_in_days=400)
    results = run_together(race_app, [buy({f"product:{serum.id}": 1})] * BUYERS)

    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 5, "error": BUYERS - 5}, results
    for kind, value in results:
        if kind == "error":
            assert isinstance(value, InsufficientStock), value
            assert str(value) == "Sorry, Last Serum is sold out."
    assert sellable_by_product([serum.id], datetime.now(UTC).date())[serum.id] == 0
    assert [(lot.quantity_on_hand, lot.quantity_reserved) for lot in lots_of(serum)] == [
        (3, 3),
        (2, 2),
    ]
    assert db.session.execute(select(func.count()).select_from(Order)).scalar_one() == 5
    assert_stock_consistent(serum)


def test_twenty_four_buyers_of_a_kit_whose_component_is_scarce(app_ctx, race_app):
    scarce = make_product(name="Scarce Balm")
    plenty = make_product(name="Plenty Cleanser")
    make_lot(scarce, 5)
    make_lot(plenty, 100)
    kit = make_kit([(scarce, 1), (plenty, 2)], name="Race Kit")
    results = run_together(race_app, [buy({f"kit:{kit.id}": 1})] * BUYERS)

    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 5, "error": BUYERS - 5}, results
    for kind, value in results:
        if kind == "error":
            assert isinstance(value, InsufficientStock), value
            assert str(value) == "Sorry, Race Kit is sold out (Scarce Balm has run out)."
    today = datetime.now(UTC).date()
    assert sellable_by_product([scarce.id], today)[scarce.id] == 0
    assert sellable_by_product([plenty.id], today)[plenty.id] == 90
    assert_stock_consistent(scarce, plenty)


def test_baskets_touching_the_same_products_in_any_order_never_deadlock(app_ctx, race_app):
    first = make_product(name="First")
    second = make_product(name="Second")
    make_lot(first, 10, expires_in_days=30)
    make_lot(first, 10, expires_in_days=90)
    make_lot(second, 20)
    jobs = []
    for _ in range(BUYERS):
        keys = [f"product:{first.id}", f"product:{second.id}"]
        random.shuffle(keys)
        jobs.append(buy(dict.fromkeys(keys, 2)))
    results = run_together(race_app, jobs)
    outcomes = Counter(kind for kind, _ in results)
    assert outcomes == {"ok": 10, "error": BUYERS - 10}, results
    assert all(isinstance(value, InsufficientStock) for kind, value in results if kind == "error")
    assert_stock_consistent(first, second)


def _card_orders(race_app, count: int, product) -> list[Order]:
    """Place `count` card orders whose hold lapsed long ago, each with its session id."""
    long_ago = datetime.now(UTC) - timedelta(days=2)
    placed = []
    with race_app.app_context():
        for number in range(count):
            details = CheckoutDetails(
                name="Late",
                email="late@example.com",
                fulfilment="delivery",
                payment_method="card",
                address_line1="1 Road",
                town="Bath",
                postcode="BA1 1AA",
            )
            order = orders.place_order(
                GuestBasket({"basket": {f"product:{product.id}": 1}}), details, now=long_ago
            )
            payment = orders.latest_payment(order.id)
            payment.provider_reference = f"cs_race_{number}"
            db.session.commit()
            placed.append(order.reference)
        db.session.remove()
    return list(
        db.session.execute(select(Order).where(Order.reference.in_(placed))).scalars().all()
    )


def _session_event(event_type: str, order: Order, number: int, **fields) -> dict:
    session = {
        "id": f"cs_race_{number}",
        "object": "checkout.session",
        "client_reference_id": order.reference,
        "metadata": {"order_reference": order.reference},
        "amount_total": order.total_pence,
        "currency": "gbp",
        **fields,
    }
    return {
        "id": f"evt_{event_type}_{order.reference}_{fields.get('tag', '')}",
        "type": event_type,
        "data": {"object": session},
    }


def test_expired_webhook_racing_expire_stale_releases_each_order_once(app_ctx, race_app):
    cream = make_product(name="Race Cream")
    make_lot(cream, 50)
    placed = _card_orders(race_app, 8, cream)
    jobs: list[Callable[[], object]] = []
    for number, order in enumerate(placed):
        expired = _session_event("checkout.session.expired", order, number)
        jobs.append(lambda event=expired: payments.handle_stripe_event(event))
    jobs += [lambda: orders.expire_stale_orders() for _ in range(8)]
    results = run_together(race_app, jobs)

    assert [kind for kind, _ in results].count("error") == 0, results
    webhook_outcomes = Counter(value for _, value in results[:8])
    stale_runs = sum(value for _, value in results[8:])
    assert webhook_outcomes["expired"] + stale_runs == 8
    assert set(webhook_outcomes) <= {"expired", "already expired"}
    db.session.expire_all()
    statuses = db.session.execute(select(Order.status).where(Order.id.in_([o.id for o in placed])))
    assert set(statuses.scalars()) == {"expired"}
    expiry_events = db.session.execute(
        select(func.count()).select_from(OrderEvent).where(OrderEvent.to_status == "expired")
    ).scalar_one()
    assert expiry_events == 8
    assert lots_of(cream)[0].quantity_reserved == 0
    assert_stock_consistent(cream)


def test_concurrent_completed_webhooks_pay_once(app_ctx, race_app):
    cream = make_product(name="Paid Cream")
    make_lot(cream, 10)
    (order,) = _card_orders(race_app, 1, cream)
    db.session.execute(
        Order.__table__.update()
        .where(Order.__table__.c.id == order.id)
        .values(reserved_until=datetime.now(UTC) + timedelta(minutes=40))
    )
    db.session.commit()
    paid = {"payment_status": "paid", "payment_intent": "pi_race"}
    same_event = _session_event("checkout.session.completed", order, 0, **paid, tag="a")
    jobs = [lambda: payments.handle_stripe_event(same_event) for _ in range(6)]
    jobs += [
        lambda n=n: payments.handle_stripe_event(
            _session_event("checkout.session.completed", order, 0, **paid, tag=f"other{n}")
        )
        for n in range(6)
    ]
    jobs += [lambda: orders.expire_stale_orders() for _ in range(4)]
    results = run_together(race_app, jobs)

    assert [kind for kind, _ in results].count("error") == 0, results
    outcomes = Counter(value for _, value in results[:12])
    assert outcomes["paid"] == 1
    assert outcomes["duplicate"] == 5  # the same event id, delivered six times
    assert outcomes["already paid"] == 6
    assert sum(value for _, value in results[12:]) == 0  # a paid order never expires
    db.session.expire_all()
    assert db.session.get(Order, order.id).status == "paid"
    assert db.session.execute(select(Payment.status)).scalar_one() == "succeeded"
    assert (
        db.session.execute(
            select(func.count())
            .select_from(OutboxEmail)
            .where(OutboxEmail.kind == "order_confirmation")
        ).scalar_one()
        == 1
    )
    assert db.session.execute(select(func.count()).select_from(ProcessedEvent)).scalar_one() == 7
    assert held_units(cream) == 1
    assert_stock_consistent(cream)


def test_payment_racing_expiry_ends_consistent(app_ctx, race_app):
    """A payment arriving as the hold lapses: either paid with stock held, or expired and freed."""
    cream = make_product(name="Edge Cream")
    make_lot(cream, 20)
    placed = _card_orders(race_app, 6, cream)
    paid = {"payment_status": "paid", "payment_intent": "pi_edge"}
    jobs: list[Callable[[], object]] = []
    for number, order in enumerate(placed):
        event = _session_event("checkout.session.completed", order, number, **paid)
        jobs.append(lambda event=event: payments.handle_stripe_event(event))
        jobs.append(lambda: orders.expire_stale_orders())
    results = run_together(race_app, jobs)
    assert [kind for kind, _ in results].count("error") == 0, results
    db.session.expire_all()
    for order in placed:
        current = db.session.get(Order, order.id)
        held = db.session.execute(
            select(func.coalesce(func.sum(StockAllocation.quantity), 0))
            .join(StockAllocation.order_line)
            .where(
                StockAllocation.state == "held",
                StockAllocation.order_line.has(order_id=order.id),
            )
        ).scalar_one()
        assert (current.status, held) in {("paid", 1), ("expired", 0)}
    assert_stock_consistent(cream)


def test_full_refund_webhook_racing_shipping_leaves_nothing_held(app_ctx, race_app):
    """A refund from Stripe's dashboard as staff ship: units are either sold or back on sale."""
    cream = make_product(name="Refund Cream")
    make_lot(cream, 30)
    placed = []
    with race_app.app_context():
        for number in range(8):
            details = CheckoutDetails(
                name="Refunded",
                email="refunded@example.com",
                fulfilment="delivery",
                payment_method="card",
                address_line1="1 Road",
                town="Bath",
                postcode="BA1 1AA",
            )
            order = orders.place_order(GuestBasket({"basket": {f"product:{cream.id}": 2}}), details)
            orders.mark_paid(order.id, payment_intent_id=f"pi_refund_{number}")
            placed.append((order.id, order.total_pence, f"pi_refund_{number}"))
        db.session.remove()
    jobs: list[Callable[[], object]] = []
    for order_id, total, intent in placed:
        charge = {"id": f"ch_{intent}", "payment_intent": intent, "amount_refunded": total}
        refunded = {"id": f"evt_{intent}", "type": "charge.refunded", "data": {"object": charge}}
        jobs.append(lambda refunded=refunded: payments.handle_stripe_event(refunded))
        jobs.append(lambda order_id=order_id: orders.mark_shipped(order_id, "TRACK"))
    results = run_together(race_app, jobs)

    for index, (kind, value) in enumerate(results):
        if index % 2 == 0:
            assert (kind, value) == ("ok", "refunded"), value
        else:
            assert kind == "ok" or isinstance(value, orders.IllegalTransition), value
    db.session.expire_all()
    statuses = db.session.execute(select(Order.status).where(Order.id.in_([p[0] for p in placed])))
    assert set(statuses.scalars()) == {"refunded"}
    shipped = sum(1 for index, (kind, _) in enumerate(results) if index % 2 and kind == "ok")
    assert held_units(cream) == 0
    assert lots_of(cream)[0].quantity_on_hand == 30 - 2 * shipped
    assert stranded_reservations() == []
    assert_stock_consistent(cream)
