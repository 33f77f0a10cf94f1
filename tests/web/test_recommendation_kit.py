"""The clinician checks the engine's kit and changes it, within the aftercare rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from clinic_support import (
    clinic_catalogue,
    create_recommendation,
    latest_recommendation,
    link_emails,
    sent_token,
)
from factories import make_user
from sqlalchemy import func, select

from models import RecommendationItem, db


@pytest.fixture
def shop(client, login):
    catalogue = clinic_catalogue()
    login(make_user(role="clinician"))
    return catalogue


def _line(rec, slug):
    return next(item for item in rec.items if item.product.slug == slug)


def _snapshot(rec_id):
    db.session.expire_all()
    rows = db.session.execute(
        select(RecommendationItem.product_id, RecommendationItem.quantity)
        .where(RecommendationItem.recommendation_id == rec_id)
        .order_by(RecommendationItem.id)
    ).all()
    return [tuple(row) for row in rows]


def test_the_engine_proposes_the_curated_kit_with_reasons(client, shop):
    rec = create_recommendation(client)
    assert rec.kit_id == shop["kit"].id
    assert [i.need_id for i in rec.items] == ["cleanser", "moisturiser", "sunscreen"]
    assert all(i.reason for i in rec.items) and not any(i.optional for i in rec.items)
    page = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    assert (
        "Micro-needling Kit" in page
        and "Rose Cleanser (not suitable: is not fragrance-free, and products" in page
    )


@pytest.mark.parametrize(
    ("line", "swap_to", "fitzpatrick", "reason"),
    [
        ("gentle-cleanser", "rose-cleanser", "2", "is not fragrance-free"),
        ("barrier-cream", "glow-cream", "2", "contains AHA"),
        ("tinted-mineral-spf50", "daily-spf30", "5", "does not reach the SPF50 needed"),
    ],
)
def test_a_swap_that_breaks_a_rule_is_refused_with_the_reason(
    client, shop, line, swap_to, fitzpatrick, reason
):
    rec = create_recommendation(client, fitzpatrick=fitzpatrick)
    before = _snapshot(rec.id)
    item = _line(rec, line)
    response = client.post(
        f"/clinic/recommendations/{rec.id}/items/{item.id}/swap",
        data={f"swap-{item.id}-product": swap_to},
    )
    assert response.status_code == 422
    assert reason in response.get_data(as_text=True)
    assert _snapshot(rec.id) == before
    assert latest_recommendation().kit_id == shop["kit"].id


def test_a_swap_within_the_rules_is_made_and_the_kit_price_no_longer_applies(client, shop):
    rec = create_recommendation(client, fitzpatrick="2")
    item = _line(rec, "tinted-mineral-spf50")
    response = client.post(
        f"/clinic/recommendations/{rec.id}/items/{item.id}/swap",
        data={f"swap-{item.id}-product": "daily-spf30"},
    )
    assert response.status_code == 302
    rec = latest_recommendation()
    assert "daily-spf30" in [i.product.slug for i in rec.items]
    assert _line(rec, "daily-spf30").need_id == "sunscreen"
    assert rec.kit_id is None  # no longer exactly the curated kit
    # Swapping back makes it the curated kit again, at the kit price.
    item = _line(rec, "daily-spf30")
    client.post(
        f"/clinic/recommendations/{rec.id}/items/{item.id}/swap",
        data={f"swap-{item.id}-product": "tinted-mineral-spf50"},
    )
    assert latest_recommendation().kit_id == shop["kit"].id


def test_a_not_pregnancy_safe_product_is_refused_when_pregnant(client, shop):
    """Microdermabrasion only warns about pregnancy, so the product rules are what refuse."""
    from factories import make_treatment_with_protocol

    make_treatment_with_protocol("microdermabrasion")
    rec = create_recommendation(
        client, treatment="microdermabrasion", screening_pregnant_or_breastfeeding="yes"
    )
    assert rec.suitable
    item = _line(rec, "tinted-mineral-spf50")
    response = client.post(
        f"/clinic/recommendations/{rec.id}/items/{item.id}/swap",
        data={f"swap-{item.id}-product": "retinol-spf50"},
    )
    assert response.status_code == 422
    assert "Retinol Day SPF50 cannot be used here" in response.get_data(as_text=True)


def test_quantities_change_within_range(client, shop):
    rec = create_recommendation(client)
    item = rec.items[0]
    url = f"/clinic/recommendations/{rec.id}/items/{item.id}/quantity"
    assert client.post(url, data={f"qty-{item.id}-quantity": "3"}).status_code == 302
    rec = latest_recommendation()
    assert rec.items[0].quantity == 3 and rec.kit_id is None
    before = _snapshot(rec.id)
    for bad in ("0", "11", "-1", "two", ""):
        response = client.post(url, data={f"qty-{item.id}-quantity": bad})
        assert response.status_code == 422, bad
        assert "Enter a quantity from 1 to 10." in response.get_data(as_text=True)
    assert _snapshot(rec.id) == before


def test_an_extra_product_is_added_as_optional_and_can_be_removed(client, shop):
    rec = create_recommendation(client)
    response = client.post(
        f"/clinic/recommendations/{rec.id}/items",
        data={"add-product": "thermal-mist", "add-quantity": "1"},
    )
    assert response.status_code == 302
    rec = latest_recommendation()
    mist = _line(rec, "thermal-mist")
    assert mist.optional and mist.need_id == "extra:thermal-mist" and rec.kit_id is None
    response = client.post(f"/clinic/recommendations/{rec.id}/items/{mist.id}/remove")
    assert response.status_code == 302
    rec = latest_recommendation()
    assert "thermal-mist" not in [i.product.slug for i in rec.items]
    assert rec.kit_id == shop["kit"].id


@pytest.mark.parametrize(
    ("data", "status", "message"),
    [
        ({"add-product": "rose-mist", "add-quantity": "1"}, 422, "is not fragrance-free"),
        ({"add-product": "gentle-cleanser", "add-quantity": "1"}, 422, "already in the kit"),
        ({"add-product": "no-such-thing", "add-quantity": "1"}, 422, "Choose a product"),
        ({"add-product": "", "add-quantity": "1"}, 422, "Choose a product"),
        ({"add-product": "thermal-mist", "add-quantity": "0"}, 422, "from 1 to 10"),
        ({"add-product": "thermal-mist", "add-quantity": "x"}, 422, "from 1 to 10"),
    ],
)
def test_bad_additions_are_refused_and_change_nothing(client, shop, data, status, message):
    rec = create_recommendation(client)
    before = _snapshot(rec.id)
    response = client.post(f"/clinic/recommendations/{rec.id}/items", data=data)
    assert response.status_code == status
    assert message in response.get_data(as_text=True)
    assert _snapshot(rec.id) == before


def test_a_needed_product_cannot_be_removed_only_swapped(client, shop):
    rec = create_recommendation(client)
    item = _line(rec, "gentle-cleanser")
    response = client.post(f"/clinic/recommendations/{rec.id}/items/{item.id}/remove")
    assert response.status_code == 422
    assert "swap it for another product instead" in response.get_data(as_text=True)
    assert len(latest_recommendation().items) == 3


def test_bad_swaps_are_refused(client, shop):
    rec = create_recommendation(client)
    item = _line(rec, "gentle-cleanser")
    url = f"/clinic/recommendations/{rec.id}/items/{item.id}/swap"
    before = _snapshot(rec.id)
    for product, message in [
        ("", "Choose a product"),
        ("no-such-product", "Choose a product from the list."),
        ("gentle-cleanser", "already on that line"),
        ("barrier-cream", "already in the kit"),
    ]:
        response = client.post(url, data={f"swap-{item.id}-product": product})
        assert response.status_code == 422, product
        assert message in response.get_data(as_text=True), product
    assert _snapshot(rec.id) == before
    other = client.post(
        f"/clinic/recommendations/{rec.id}/items/99999/swap",
        data={"swap-99999-product": "rose-cleanser"},
    )
    assert other.status_code == 404


def test_a_contraindicated_patient_gets_no_kit_only_a_speak_to_us_note(client, shop):
    planned = (date.today() + timedelta(days=7)).isoformat()
    rec = create_recommendation(
        client, screening_pregnant_or_breastfeeding="yes", treated_on=planned
    )
    assert not rec.suitable and rec.items == [] and rec.kit_id is None
    page = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    assert "Not suitable: no kit can be sent" in page
    response = client.post(
        f"/clinic/recommendations/{rec.id}/items",
        data={"add-product": "gentle-cleanser", "add-quantity": "1"},
    )
    assert response.status_code == 422 and "not suitable" in response.get_data(as_text=True)
    assert latest_recommendation().items == []

    token = sent_token(client, rec.id)
    email = link_emails()[-1]
    assert "Please speak to the clinic" in email.body_text
    with client.session_transaction() as session:
        session.clear()
    page = client.get(f"/r/{token}").get_data(as_text=True)
    assert "Please speak to the clinic before this treatment" in page
    assert "Buy this kit" not in page
    response = client.post(f"/r/{token}/buy")
    assert response.status_code == 409
    assert "no kit to buy" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert "basket" not in session and "recommendation_id" not in session
    assert db.session.execute(select(func.count(RecommendationItem.id))).scalar_one() == 0
