"""The order confirmation and the card return pages: what to do next, one state at a time."""

from __future__ import annotations

from urllib.parse import quote_plus

import pytest
from sqlalchemy import select, update

from models import Order, db
from shop import clock
from tests.checkout_helpers import COLLECT_FORM, DELIVERY_FORM, add, emails


def _order() -> Order:
    return db.session.execute(select(Order)).scalar_one()


def _set_status(status: str) -> None:
    db.session.execute(update(Order).values(status=status))
    db.session.commit()


def test_a_collection_order_thanks_and_says_when_and_where(client, cream, app):
    add(client, cream.slug)
    client.post("/checkout", data=COLLECT_FORM)
    order = _order()
    html = client.get(f"/orders/{order.reference}").get_data(as_text=True)
    assert '<h1 class="h2">Thank you for your order</h1>' in html
    assert "Monday to Friday: 09:00 to 18:00" in html
    assert "Saturday: 10:00 to 14:00" in html and "Sunday: closed" in html
    phone = app.config["CLINIC_PHONE"]
    assert f'<a href="tel:{phone.replace(" ", "")}">{phone}</a>' in html
    address = quote_plus(app.config["CLINIC_ADDRESS"])
    assert f'href="https://www.openstreetmap.org/search?query={address}"' in html
    (email,) = emails()
    assert "Opening hours:\n  Monday to Friday: 09:00 to 18:00\n" in email.body_text
    assert "<li>Sunday: closed</li>" in email.body_html


def test_the_collection_deadline_falls_within_opening_hours(client, cream, app):
    add(client, cream.slug)
    client.post("/checkout", data=COLLECT_FORM)
    deadline = clock.local(_order().reserved_until)
    openings = {o.weekday: o for o in app.config["CLINIC_OPENINGS"]}
    assert deadline.weekday() in openings
    opening = openings[deadline.weekday()]
    assert opening.opens <= deadline.time() <= opening.closes
    html = client.get(f"/orders/{_order().reference}").get_data(as_text=True)
    assert deadline.strftime("%A %-d %B %Y, %H:%M") in html


def test_opening_hours_follow_their_setting(client, cream, app, monkeypatch):
    from shop.opening_hours import parse_opening_hours

    monkeypatch.setitem(app.config, "CLINIC_OPENINGS", parse_opening_hours("Wed 12:00-13:00"))
    add(client, cream.slug)
    client.post("/checkout", data=COLLECT_FORM)
    deadline = clock.local(_order().reserved_until)
    assert (deadline.strftime("%A"), deadline.strftime("%H:%M")) == ("Wednesday", "13:00")
    html = client.get(f"/orders/{_order().reference}").get_data(as_text=True)
    assert "Wednesday: 12:00 to 13:00" in html and "Thursday to Sunday: closed" in html


PAID = "is confirmed"
CONFIRMING = "waiting for our payment provider to confirm"
FAILED = "Your payment did not go through"


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        ("pending_payment", CONFIRMING),
        ("paid", PAID),
        ("shipped", PAID),
        ("cancelled", FAILED),
        ("expired", FAILED),
    ],
)
def test_the_card_return_page_shows_one_state(client, cream, fake_stripe, status, shown):
    add(client, cream.slug)
    client.post("/checkout", data=DELIVERY_FORM)
    _set_status(status)
    html = client.get(f"/checkout/success/{_order().reference}").get_data(as_text=True)
    assert shown in html
    assert [state for state in (PAID, CONFIRMING, FAILED) if state in html] == [shown]
    # Neither a second payment nor a cancellation is offered while the first is confirmed.
    assert "Pay now" not in html and "Cancel order" not in html


def test_the_cancel_page_of_a_paid_order_does_not_say_nothing_was_charged(
    client, cream, fake_stripe
):
    add(client, cream.slug)
    client.post("/checkout", data=DELIVERY_FORM)
    _set_status("paid")
    html = client.get(f"/checkout/cancelled/{_order().reference}").get_data(as_text=True)
    assert "your payment went through" in html
    assert "nothing has been charged" not in html.lower()
    assert "nothing was charged" not in html.lower()


def test_the_cancel_page_of_an_ended_order_says_so(client, cream, fake_stripe):
    add(client, cream.slug)
    client.post("/checkout", data=DELIVERY_FORM)
    _set_status("expired")
    html = client.get(f"/checkout/cancelled/{_order().reference}").get_data(as_text=True)
    assert "This order was not paid" in html
    assert "Pay now" not in html
