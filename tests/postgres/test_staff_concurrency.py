"""Real concurrency on PostgreSQL: deliveries booked while the same lot is being sold, and
two staff booking one desk payment at the same moment.

Each thread has its own application context, so its own session and database connection; a
barrier lines them up so receipts, sales, counts and adjustments really overlap.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Order, OrderEvent, Payment, StockLot, StockMovement, db
from shop.services import fulfilment, inventory, orders
from shop.services.inventory import DeliveryLine, ledger_differences
from tests.factories import make_lot, make_product, make_user
from tests.postgres.conftest import second_app
from tests.staff_helpers import paid_collect_order, place_order

ROUNDS = 12

pytestmark = pytest.mark.postgres


@pytest.fixture
def race_app(postgres_url, app_ctx):
    """A second app on the same database with a pool for every thread."""
    with second_app(postgres_url, 8) as application:
        yield application


def run_together(app, jobs: list[Callable[[], None]]) -> list[BaseException]:
    """Run each job in its own thread and app context, all released at once."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def runner(job):
        with app.app_context():
            barrier.wait()
            try:
                job()
            except BaseException as error:  # collected and asserted on below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def state(lot_id: int) -> tuple[int, int]:
    db.session.expire_all()
    lot = db.session.get(StockLot, lot_id)
    return lot.quantity_on_hand, lot.quantity_reserved


def test_receipts_and_sales_of_one_lot_at_once_lose_no_unit(app, race_app):
    product = make_product(name="Race Cream")
    lot = make_lot(product, 2 * ROUNDS, lot_number="RACE-1", expires_in_days=300)
    order_ids = [paid_collect_order(app, [(product.slug, 1, "product")]).id for _ in range(ROUNDS)]
    assert state(lot.id) == (2 * ROUNDS, ROUNDS)
    expiry = lot.expiry_date
    lot_id, product_id = lot.id, product.id

    def receive():
        for _ in range(ROUNDS):
            inventory.receive_delivery(
                [DeliveryLine(product_id, "RACE-1", expiry, 2)], today=date.today()
            )

    def sell():
        for order_id in order_ids:
            orders.mark_collected(order_id)

    def damage():
        for _ in range(ROUNDS):
            inventory.adjust_lot(lot_id, -1, "damaged", "race")

    errors = run_together(race_app, [receive, sell, damage])
    assert errors == []
    # start + 2 per receipt - 1 per sale - 1 per damaged unit
    assert state(lot.id) == (2 * ROUNDS + 2 * ROUNDS - ROUNDS - ROUNDS, 0)
    assert ledger_differences() == []
    kinds = dict(
        db.session.execute(
            select(StockMovement.kind, func.count()).group_by(StockMovement.kind)
        ).all()
    )
    assert kinds == {"receipt": ROUNDS + 1, "sale": ROUNDS, "write_off": ROUNDS}


def test_two_deliveries_creating_the_same_new_lot_share_it(app, race_app):
    product = make_product(name="New Lot Cream")
    expiry = date.today().replace(year=date.today().year + 2)
    product_id = product.id

    def receive():
        inventory.receive_delivery(
            [DeliveryLine(product_id, "FRESH-1", expiry, 5)], today=date.today()
        )

    errors = run_together(race_app, [receive] * 6)
    assert errors == []
    lots = db.session.execute(select(StockLot).where(StockLot.product_id == product_id)).all()
    assert len(lots) == 1 and lots[0][0].quantity_on_hand == 30
    assert ledger_differences() == []


def test_adjustments_never_take_a_lot_below_what_orders_hold(app, race_app):
    product = make_product(name="Held Cream")
    lot = make_lot(product, 10, lot_number="HELD-1")
    for _ in range(4):
        paid_collect_order(app, [(product.slug, 1, "product")])
    lot_id = lot.id

    def remove_two():
        inventory.adjust_lot(lot_id, -2, "damaged", "race")

    errors = run_together(race_app, [remove_two] * 5)
    # 6 free units: three removals of two succeed, the others are refused cleanly.
    assert len(errors) == 2 and all(isinstance(e, inventory.StockError) for e in errors)
    assert state(lot.id) == (4, 4)
    assert ledger_differences() == []


def test_two_staff_confirming_one_desk_payment_at_once_book_it_once(app, race_app):
    product = make_product(name="Desk Race Cream", price_pence=1200)
    lot = make_lot(product, 3 * ROUNDS, lot_number="DESK-RACE", expires_in_days=300)
    order_ids = [place_order(app, [(product.slug, 2, "product")]).id for _ in range(ROUNDS)]
    staff_ids = [make_user(role="staff").id for _ in range(2)]
    refusals: list[str] = []

    def confirm(order_id: int, staff_id: int, method: str) -> Callable[[], None]:
        def job() -> None:
            try:
                fulfilment.collected(order_id, staff_id, desk_method=method)
            except orders.IllegalTransition as error:
                refusals.append(str(error))

        return job

    for order_id in order_ids:
        jobs = [confirm(order_id, staff_ids[0], "cash"), confirm(order_id, staff_ids[1], "card")]
        assert run_together(race_app, jobs) == []
    assert refusals == ["A completed order cannot be collected."] * ROUNDS
    db.session.expire_all()
    payments = db.session.execute(select(Payment).order_by(Payment.order_id)).scalars().all()
    assert [p.order_id for p in payments] == order_ids
    assert {p.status for p in payments} == {"succeeded"}
    assert all(p.desk_method in ("cash", "card") for p in payments)
    statuses = db.session.execute(select(Order.status).where(Order.id.in_(order_ids))).scalars()
    assert set(statuses) == {"completed"}
    sales = db.session.execute(
        select(StockMovement.order_id, func.count())
        .where(StockMovement.kind == "sale")
        .group_by(StockMovement.order_id)
    ).all()
    assert sorted(sales) == [(order_id, 1) for order_id in order_ids]
    paid_notes = db.session.execute(
        select(func.count())
        .select_from(OrderEvent)
        .where(OrderEvent.note.startswith("Paid at the clinic desk"))
    ).scalar_one()
    collect_audits = db.session.execute(
        select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "order.collect")
    ).scalar_one()
    assert paid_notes == ROUNDS and collect_audits == ROUNDS
    assert state(lot.id) == (3 * ROUNDS - 2 * ROUNDS, 0)
    assert ledger_differences() == []
