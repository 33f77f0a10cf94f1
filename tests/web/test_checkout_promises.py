"""What the shop promises follows its settings: delivery only when offered, the real total."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import Order, db
from tests.checkout_helpers import COLLECT_FORM, DELIVERY_FORM, add


def _shown(html: str, marker: str) -> list[str]:
    """Return the text of the elements carrying `marker` that are not hidden."""
    return [
        re.sub(r"<[^>]+>", "", text).strip()
        for attrs, text in re.findall(
            rf"<(?:dt|dd|p)([^>]*{marker}[^>]*)>(.*?)</(?:dt|dd|p)>", html
        )
        if " hidden" not in attrs
    ]


def test_with_collection_only_the_home_page_promises_no_delivery(client):
    html = client.get("/").get_data(as_text=True)
    assert "delivered" not in html
    assert "Reserve online, collect at the clinic." in html


def test_with_card_payments_the_home_page_offers_delivery(client, fake_stripe):
    html = client.get("/").get_data(as_text=True)
    assert "Collect at the clinic or have it delivered." in html


def test_checkout_with_collection_only_shows_the_final_total(client, cream):
    add(client, cream.slug, 2)
    html = client.get("/checkout").get_data(as_text=True)
    assert "if chosen" not in html
    assert _shown(html, "data-fulfilment-line") == [
        "Collection at the clinic",
        "Free",
        "Total",
        "£30.00",
    ]
    assert html.index("Total £30.00") < html.index("Place order")
    assert "data-delivery-only" not in html  # no address to ask for


def test_checkout_with_delivery_shows_both_totals_and_loads_its_script(client, cream, fake_stripe):
    add(client, cream.slug)
    html = client.get("/checkout").get_data(as_text=True)
    # Collection is chosen to begin with; without a script the other total is named too.
    assert _shown(html, "data-fulfilment-line") == [
        "Collection at the clinic",
        "Free",
        "Total",
        "£15.00",
    ]
    assert "With UK delivery, the total is £18.95." in html
    before_button = html[: html.index("Place order")]
    assert "Collection at the clinic: free. <strong>Total £15.00</strong>" in before_button
    assert "UK delivery: £3.95. <strong>Total £18.95</strong>" in before_button
    assert 'id="delivery-address" data-delivery-only' in html
    assert re.search(r'<script src="/static/js/checkout\.js[^"]*" defer></script>', html)


def test_free_delivery_over_the_threshold_says_so(client, cream, fake_stripe):
    add(client, cream.slug, 4)  # £60.00, over the £50 threshold
    html = client.get("/checkout").get_data(as_text=True)
    assert "UK delivery: free. <strong>Total £60.00</strong>" in html


def test_a_refused_delivery_form_shows_the_delivery_total(client, cream, fake_stripe):
    add(client, cream.slug)
    response = client.post("/checkout", data={**DELIVERY_FORM, "postcode": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _shown(html, "data-fulfilment-line") == ["UK delivery", "£3.95", "Total", "£18.95"]
    assert db.session.execute(select(Order)).first() is None


def test_an_address_sent_with_collection_is_not_kept(client, cream, fake_stripe):
    add(client, cream.slug)
    typed = {"address_line1": "x" * 500, "town": "Bath", "postcode": "not a postcode"}
    response = client.post("/checkout", data={**COLLECT_FORM, **typed})
    assert response.status_code == 303
    order = db.session.execute(select(Order)).scalar_one()
    assert (order.address_line1, order.town, order.postcode) == ("", "", "")
    assert order.delivery_pence == 0


def test_delivery_still_needs_its_address(client, cream, fake_stripe):
    add(client, cream.slug)
    response = client.post("/checkout", data={**DELIVERY_FORM, "address_line1": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Enter the first line of the delivery address." in html
    assert "If you collect at the clinic, the total is £15.00." in html
    assert db.session.execute(select(Order)).first() is None


@pytest.mark.parametrize("fulfilment", ["teleport", "", "delivery\u202e", "x" * 300])
def test_an_unknown_way_of_getting_the_order_is_refused(client, cream, fake_stripe, fulfilment):
    add(client, cream.slug)
    response = client.post("/checkout", data={**COLLECT_FORM, "fulfilment": fulfilment})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert _shown(html, "data-fulfilment-line") == [
        "Collection at the clinic",
        "Free",
        "Total",
        "£15.00",
    ]
    assert db.session.execute(select(Order)).first() is None
