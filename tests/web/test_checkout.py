"""Checkout: the form, placing orders that hold stock, pay at the clinic, the order page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from models import Order, OrderEvent, Payment, StockAllocation, db
from shop import clock
from shop.services import orders
from tests.checkout_helpers import COLLECT_FORM, DELIVERY_FORM, add, emails, lot_state, sellable
from tests.factories import make_kit, make_lot, make_product, make_user
from tests.stripe_fake import stripe_configured


def only_order():
    return db.session.execute(select(Order)).scalar_one()


def order_count():
    return db.session.execute(select(func.count()).select_from(Order)).scalar_one()


def test_empty_basket_goes_back_to_the_basket(client):
    response = client.get("/checkout")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/basket")


def test_fresh_install_offers_only_collection_and_pay_at_clinic(client, cream):
    add(client, cream.slug)
    html = client.get("/checkout").get_data(as_text=True)
    assert "Reserve now and pay at the clinic" in html
    assert "Pay now by card" not in html
    assert "UK delivery" not in html


def test_pay_at_clinic_order_holds_stock_and_confirms_where_and_until_when(client, cream, app):
    add(client, cream.slug, 2)
    before = datetime.now(UTC)
    response = client.post("/checkout", data=COLLECT_FORM)
    assert response.status_code == 303
    order = only_order()
    assert response.headers["Location"].endswith(f"/orders/{order.reference}")
    assert order.status == "pending_payment"
    assert order.payment_method == "clinic" and order.fulfilment == "collect"
    assert order.total_pence == 3000 and order.delivery_pence == 0 and order.vat_pence == 500
    # At most COLLECTION_HOLD_DAYS, ending at the clinic's last closing time before then.
    hold = order.reserved_until.replace(tzinfo=UTC) - before
    days = timedelta(days=app.config["COLLECTION_HOLD_DAYS"])
    assert days - timedelta(days=3) < hold <= days + timedelta(minutes=1)
    assert sellable(cream) == 8
    allocations = db.session.execute(select(StockAllocation)).scalars().all()
    assert [(a.quantity, a.state) for a in allocations] == [(2, "held")]
    # The basket is emptied and the page tells where and until when.
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert f"reserved for you at <strong>{app.config['CLINIC_ADDRESS']}</strong>" in page
    until = clock.local(order.reserved_until).strftime("%A %-d %B %Y, %H:%M")
    assert f"collect and pay by <strong>{until}</strong>" in page
    assert f"Please collect by {until}" in emails()[0].body_text
    assert "Pay and collect at the clinic" in page
    assert client.get("/basket").get_data(as_text=True).count("Your basket is empty") == 1
    (email,) = emails()
    assert email.to_address == "ada@example.com"
    assert order.reference in email.subject
    assert app.config["CLINIC_ADDRESS"] in email.body_text
    assert "Please collect by" in email.body_text and "Please collect by" in email.body_html


def test_reference_is_unguessable_and_the_order_page_is_private(client, cream, app_ctx):
    add(client, cream.slug)
    client.post("/checkout", data=COLLECT_FORM)
    order = only_order()
    assert order.reference.startswith("LS-") and len(order.reference) == 13
    assert client.get(f"/orders/{order.reference}").status_code == 200
    stranger = app_ctx.test_client()
    assert stranger.get(f"/orders/{order.reference}").status_code == 404
    assert stranger.get("/orders/LS-AAAAAAAAAA").status_code == 404


def test_signed_in_owner_sees_their_order_from_another_browser(client, cream, app_ctx, login):
    user = make_user(name="Owner", email="owner@example.com")
    login(user)
    add(client, cream.slug)
    client.post("/checkout", data=COLLECT_FORM)
    order = only_order()
    assert order.user_id == user.id
    other_browser = app_ctx.test_client()
    from tests.conftest import log_in

    log_in(other_browser, user)
    assert other_browser.get(f"/orders/{order.reference}").status_code == 200
    someone_else = app_ctx.test_client()
    log_in(someone_else, make_user())
    assert someone_else.get(f"/orders/{order.reference}").status_code == 404


def test_checkout_prefills_a_signed_in_customer(client, cream, login):
    login(make_user(name="Bea Client", email="bea@example.com"))
    add(client, cream.slug)
    html = client.get("/checkout").get_data(as_text=True)
    assert 'value="Bea Client"' in html and 'value="bea@example.com"' in html


def test_prices_come_from_the_database_not_the_form(client, cream):
    add(client, cream.slug)
    cream.price_pence = 1800
    db.session.commit()
    client.post("/checkout", data={**COLLECT_FORM, "price": "1", "total_pence": "1"})
    order = only_order()
    assert order.subtotal_pence == 1800 and order.lines[0].unit_price_pence == 1800


def test_kit_order_reserves_each_component(client):
    balm = make_product(name="Balm", price_pence=1000)
    spf = make_product(name="SPF", price_pence=2000)
    make_lot(balm, 10)
    make_lot(spf, 10)
    kit = make_kit([(balm, 2), (spf, 1)], name="Duo", percent_off=10)
    add(client, kit.slug, 2, kind="kit")
    client.post("/checkout", data=COLLECT_FORM)
    order = only_order()
    (line,) = order.lines
    assert line.kind == "kit" and line.unit_price_pence == 3600 and line.quantity == 2
    assert sellable(balm) == 6 and sellable(spf) == 8


def test_stock_is_taken_first_expiry_first_out_and_expired_lots_are_skipped(client):
    cream = make_product(name="Lots Cream")
    expired = make_lot(cream, 5, expires_in_days=0)
    later = make_lot(cream, 5, expires_in_days=300)
    sooner = make_lot(cream, 2, expires_in_days=30)
    add(client, cream.slug, 4)
    client.post("/checkout", data=COLLECT_FORM)
    assert lot_state(expired) == (5, 0)
    assert lot_state(sooner) == (2, 2)
    assert lot_state(later) == (5, 2)


def test_stock_gone_between_basket_and_checkout_is_refused_naming_the_item(client, cream):
    add(client, cream.slug, 3)
    lot = db.session.execute(select(StockAllocation)).first()
    assert lot is None
    from models import StockLot

    db.session.execute(StockLot.__table__.update().values(quantity_reserved=9))
    db.session.commit()
    response = client.post("/checkout", data=COLLECT_FORM)
    assert response.status_code == 409
    assert "only 1 of Calm Cream left" in response.get_data(as_text=True)
    assert order_count() == 0
    assert emails() == []


def test_delivery_fee_and_free_delivery_threshold(client, fake_stripe, app):
    cheap = make_product(name="Cheap", price_pence=1000)
    make_lot(cheap, 20)
    add(client, cheap.slug, 2)
    client.post("/checkout", data=DELIVERY_FORM)
    order = db.session.execute(select(Order)).scalars().all()[-1]
    assert order.delivery_pence == app.config["DELIVERY_FEE_PENCE"]
    assert order.total_pence == 2000 + app.config["DELIVERY_FEE_PENCE"]
    assert order.postcode == "BA1 1AA"
    add(client, cheap.slug, 5)
    client.post("/checkout", data=DELIVERY_FORM)
    orders = db.session.execute(select(Order).order_by(Order.id)).scalars().all()
    assert orders[-1].subtotal_pence == 5000 and orders[-1].delivery_pence == 0


GOOD = {**DELIVERY_FORM}


@pytest.mark.parametrize(
    ("changes", "field_message"),
    [
        ({"name": ""}, "Enter your name."),
        ({"name": "x" * 121}, "Use at most 120 characters."),
        ({"email": ""}, "Enter your email address."),
        ({"email": "not-an-email"}, "Enter an email address like name@example.com."),
        ({"email": "a@b"}, "Enter an email address like name@example.com."),
        ({"phone": "call me"}, "Enter a phone number using digits, spaces and + only."),
        ({"fulfilment": "drone"}, "Not a valid choice."),
        ({"fulfilment": ""}, "Choose collection or delivery."),
        ({"address_line1": ""}, "Enter the first line of the delivery address."),
        ({"address_line1": "y" * 121}, "Use at most 120 characters."),
        ({"address_line2": "y" * 121}, "Use at most 120 characters."),
        ({"town": ""}, "Enter the town or city."),
        ({"postcode": ""}, "Enter the postcode."),
        ({"postcode": "12345"}, "Enter a UK postcode, like SW1A 1AA."),
        ({"postcode": "SW1A 1AAA"}, "Enter a UK postcode, like SW1A 1AA."),
        ({"postcode": "75008 PARIS"}, "A UK postcode has at most 8 characters."),
        ({"payment_method": ""}, "Choose how to pay."),
        ({"payment_method": "bitcoin"}, "Not a valid choice."),
        (
            {"payment_method": "clinic"},
            "Paying at the clinic is only possible when you collect your order.",
        ),
    ],
)
def test_every_bad_field_is_refused_with_a_clear_message(
    client, cream, fake_stripe, changes, field_message
):
    add(client, cream.slug)
    response = client.post("/checkout", data={**GOOD, **changes})
    assert response.status_code == 422
    assert field_message in response.get_data(as_text=True)
    assert order_count() == 0
    assert sellable(cream) == 10
    assert fake_stripe.requests == []


def test_card_is_refused_when_stripe_is_not_configured(client, cream):
    add(client, cream.slug)
    response = client.post("/checkout", data={**COLLECT_FORM, "payment_method": "card"})
    assert response.status_code == 422
    assert order_count() == 0


def test_collection_needs_no_address(client, cream):
    add(client, cream.slug)
    response = client.post(
        "/checkout", data={**COLLECT_FORM, "address_line1": "", "postcode": "nonsense"}
    )
    assert response.status_code == 303
    assert only_order().postcode == ""


@pytest.mark.parametrize("postcode", ["sw1a1aa", " SW1A 1AA ", "ec1a 1bb", "M1 1AE", "b33 8th"])
def test_postcodes_are_normalised(client, cream, fake_stripe, postcode):
    add(client, cream.slug)
    client.post("/checkout", data={**GOOD, "postcode": postcode})
    compact = postcode.replace(" ", "").upper()
    assert only_order().postcode == f"{compact[:-3]} {compact[-3:]}"


def test_card_checkout_opens_a_stripe_session_and_redirects(client, cream, fake_stripe, app):
    add(client, cream.slug, 2)
    response = client.post("/checkout", data=DELIVERY_FORM)
    order = only_order()
    (request,) = fake_stripe.posts("/v1/checkout/sessions")
    assert fake_stripe.problems == []
    assert response.status_code == 303
    session = next(iter(fake_stripe.sessions.values()))
    assert response.headers["Location"] == session["url"]
    form = request["form"]
    assert request["idempotency_key"] == f"checkout-{order.reference}"
    assert form["client_reference_id"] == order.reference
    assert form["metadata[order_reference]"] == order.reference
    assert form["customer_email"] == "ada@example.com"
    assert form["line_items[0][price_data][unit_amount]"] == "1500"
    assert form["line_items[0][quantity]"] == "2"
    assert form["line_items[0][price_data][currency]"] == "gbp"
    assert form["line_items[1][price_data][product_data][name]"] == "UK delivery"
    assert session["amount_total"] == order.total_pence
    base = app.config["PUBLIC_BASE_URL"]
    assert form["success_url"] == f"{base}/checkout/success/{order.reference}"
    assert form["cancel_url"] == f"{base}/checkout/cancelled/{order.reference}"
    expires = int(form["expires_at"])
    assert expires - datetime.now(UTC).timestamp() >= 30 * 60 - 5
    assert expires == int(order.reserved_until.replace(tzinfo=UTC).timestamp())
    payment = db.session.execute(select(Payment)).scalar_one()
    assert payment.provider_reference == session["id"] and payment.checkout_url == session["url"]
    assert order.status == "pending_payment" and sellable(cream) == 8
    # No confirmation until the payment is confirmed by the webhook.
    assert emails() == []


def test_success_and_cancel_pages_show_state_and_change_nothing(client, cream, fake_stripe):
    add(client, cream.slug)
    client.post("/checkout", data=DELIVERY_FORM)
    order = only_order()
    events_before = db.session.execute(select(func.count()).select_from(OrderEvent)).scalar()
    success = client.get(f"/checkout/success/{order.reference}")
    assert success.status_code == 200
    assert "waiting for our payment provider to confirm" in success.get_data(as_text=True)
    cancelled = client.get(f"/checkout/cancelled/{order.reference}")
    assert cancelled.status_code == 200
    assert "Nothing has been charged" in cancelled.get_data(as_text=True)
    assert "Pay now" in cancelled.get_data(as_text=True)
    db.session.expire_all()
    assert only_order().status == "pending_payment"
    assert db.session.execute(select(func.count()).select_from(OrderEvent)).scalar() == (
        events_before
    )
    resume = client.post(f"/orders/{order.reference}/pay")
    assert resume.status_code == 303 and resume.headers["Location"].startswith("https://checkout")


def test_return_pages_are_private(client, cream, fake_stripe, app_ctx):
    add(client, cream.slug)
    client.post("/checkout", data=DELIVERY_FORM)
    order = only_order()
    stranger = app_ctx.test_client()
    for url in (f"/checkout/success/{order.reference}", f"/checkout/cancelled/{order.reference}"):
        assert stranger.get(url).status_code == 404
    assert stranger.post(f"/orders/{order.reference}/pay").status_code == 404


def test_stripe_unreachable_cancels_the_order_and_releases_stock(client, cream, app_ctx):
    with stripe_configured(app_ctx, None):
        add(client, cream.slug, 2)
        response = client.post("/checkout", data=DELIVERY_FORM)
    assert response.status_code == 503
    assert "could not open the card payment page" in response.get_data(as_text=True)
    order = only_order()
    assert order.status == "cancelled"
    assert sellable(cream) == 10


def test_same_order_retried_reuses_the_idempotency_key(app_ctx, fake_stripe, cream):
    from shop.services.payments import StripeGateway

    order_client = app_ctx.test_client()
    add(order_client, cream.slug)
    order_client.post("/checkout", data=DELIVERY_FORM)
    order = only_order()
    gateway = StripeGateway.from_config(app_ctx.config)
    again = gateway.create_checkout(
        order,
        success_url=f"{app_ctx.config['PUBLIC_BASE_URL']}/checkout/success/{order.reference}",
        cancel_url=f"{app_ctx.config['PUBLIC_BASE_URL']}/checkout/cancelled/{order.reference}",
        expires_at=order.reserved_until.replace(tzinfo=UTC),
    )
    assert len(fake_stripe.sessions) == 1
    assert again.session_id == next(iter(fake_stripe.sessions))


def test_checkout_page_queries_stay_constant_as_lines_grow(client, count_queries):
    def fill(n):
        for _ in range(n):
            product = make_product()
            make_lot(product, 5)
            add(client, product.slug)
            other = make_product()
            make_lot(other, 5)
            add(client, make_kit([(product, 1), (other, 1)]).slug, kind="kit")

    fill(1)
    with count_queries() as few:
        assert client.get("/checkout").status_code == 200
    fill(5)
    with count_queries() as many:
        assert client.get("/checkout").status_code == 200
    assert many.count == few.count


def test_placing_an_order_runs_constant_queries_per_line(client, count_queries):
    def place(n):
        for _ in range(n):
            product = make_product()
            make_lot(product, 5)
            add(client, product.slug)
        with count_queries() as counter:
            assert client.post("/checkout", data=COLLECT_FORM).status_code == 303
        return counter.count

    # Per line: its INSERT, the lot's conditional UPDATE and the allocation's INSERT; the
    # reads (basket, products, lots, stock) are the same few queries whatever the size.
    assert place(6) - place(1) <= 5 * 3


def test_order_page_queries_stay_constant_as_lines_grow(client, count_queries):
    def order_with(n):
        for _ in range(n):
            product = make_product()
            other = make_product()
            make_lot(product, 5)
            make_lot(other, 5)
            add(client, make_kit([(product, 1), (other, 1)]).slug, kind="kit")
        client.post("/checkout", data=COLLECT_FORM)
        return db.session.execute(select(Order).order_by(Order.id.desc())).scalars().first()

    small, large = order_with(1), order_with(6)
    with count_queries() as few:
        client.get(f"/orders/{small.reference}")
    with count_queries() as many:
        client.get(f"/orders/{large.reference}")
    assert many.count == few.count


# --- the buyer cancels an unpaid order ----------------------------------------------------------


def test_buyer_cancels_a_pay_at_clinic_order_and_the_stock_goes_back(client, cream):
    add(client, cream.slug, 3)
    client.post("/checkout", data=COLLECT_FORM)
    order = only_order()
    assert sellable(cream) == 7
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "Cancel order" in page
    response = client.post(f"/orders/{order.reference}/cancel", data={"confirm": "y"})
    assert response.status_code == 303
    db.session.expire_all()
    assert only_order().status == "cancelled"
    assert sellable(cream) == 10
    page = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert "Your order is cancelled" in page
    assert "Cancel order" not in page


def test_buyer_cancels_a_card_order_and_its_payment_page_is_closed(client, cream, fake_stripe):
    add(client, cream.slug, 2)
    client.post("/checkout", data=DELIVERY_FORM)
    order = only_order()
    response = client.post(f"/orders/{order.reference}/cancel", data={"confirm": "y"})
    assert response.status_code == 303
    session = next(iter(fake_stripe.sessions.values()))
    assert session["status"] == "expired"
    assert fake_stripe.posts(f"/v1/checkout/sessions/{session['id']}/expire")
    db.session.expire_all()
    assert only_order().status == "cancelled"
    assert sellable(cream) == 10


def test_cancelling_needs_the_confirmation_tick(client, cream):
    add(client, cream.slug)
    client.post("/checkout", data=COLLECT_FORM)
    order = only_order()
    response = client.post(f"/orders/{order.reference}/cancel", data={})
    assert response.status_code == 400
    assert "tick the box" in response.get_data(as_text=True)
    db.session.expire_all()
    assert only_order().status == "pending_payment"
    assert sellable(cream) == 9


def test_a_paid_order_cannot_be_cancelled_by_the_buyer(client, cream):
    add(client, cream.slug)
    client.post("/checkout", data=COLLECT_FORM)
    order = only_order()
    orders.mark_paid_at_clinic(order.id)
    response = client.post(f"/orders/{order.reference}/cancel", data={"confirm": "y"})
    assert response.status_code == 409
    db.session.expire_all()
    assert only_order().status != "cancelled"


def test_card_order_stays_when_stripe_refuses_to_close_the_page(client, cream, fake_stripe):
    add(client, cream.slug)
    client.post("/checkout", data=DELIVERY_FORM)
    order = only_order()
    next(iter(fake_stripe.sessions.values()))["status"] = "complete"
    response = client.post(f"/orders/{order.reference}/cancel", data={"confirm": "y"})
    assert response.status_code == 409
    assert "could not cancel" in response.get_data(as_text=True)
    db.session.expire_all()
    assert only_order().status == "pending_payment"
    assert sellable(cream) == 9


def test_someone_else_cannot_cancel_an_order(client, cream, app):
    add(client, cream.slug)
    client.post("/checkout", data=COLLECT_FORM)
    order = only_order()
    stranger = app.test_client()
    response = stranger.post(f"/orders/{order.reference}/cancel", data={"confirm": "y"})
    assert response.status_code == 404
    db.session.expire_all()
    assert only_order().status == "pending_payment"
