"""The clinician checks the engine's kit and changes it, within the aftercare rules."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from clinic_support import (
    clinic_catalogue,
    create_recommendation,
    latest_recommendation,
    link_emails,
    refusal_page,
    refused_in_place,
    sent_token,
)
from factories import make_user
from sqlalchemy import func, select

from models import RecommendationItem, StockLot, db


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
    assert reason in refusal_page(client, response, rec.id)
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
    assert "Retinol Day SPF50 cannot be used here" in refusal_page(client, response, rec.id)


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
        assert "Enter a quantity from 1 to 10." in refused_in_place(response), bad
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
    ("data", "message", "malformed"),
    [
        ({"add-product": "rose-mist", "add-quantity": "1"}, "is not fragrance-free", False),
        ({"add-product": "gentle-cleanser", "add-quantity": "1"}, "already in the kit", False),
        ({"add-product": "no-such-thing", "add-quantity": "1"}, "Choose a product", False),
        ({"add-product": "", "add-quantity": "1"}, "Choose a product", True),
        ({"add-product": "thermal-mist", "add-quantity": "0"}, "from 1 to 10", True),
        ({"add-product": "thermal-mist", "add-quantity": "x"}, "from 1 to 10", True),
    ],
)
def test_bad_additions_are_refused_and_change_nothing(client, shop, data, message, malformed):
    rec = create_recommendation(client)
    before = _snapshot(rec.id)
    response = client.post(f"/clinic/recommendations/{rec.id}/items", data=data)
    page = refused_in_place(response) if malformed else refusal_page(client, response, rec.id)
    assert message in page
    assert _snapshot(rec.id) == before


def test_a_needed_product_cannot_be_removed_only_swapped(client, shop):
    rec = create_recommendation(client)
    item = _line(rec, "gentle-cleanser")
    response = client.post(f"/clinic/recommendations/{rec.id}/items/{item.id}/remove")
    assert "swap it for another product instead" in refusal_page(client, response, rec.id)
    assert len(latest_recommendation().items) == 3


def test_bad_swaps_are_refused(client, shop):
    rec = create_recommendation(client)
    item = _line(rec, "gentle-cleanser")
    url = f"/clinic/recommendations/{rec.id}/items/{item.id}/swap"
    before = _snapshot(rec.id)
    response = client.post(url, data={f"swap-{item.id}-product": ""})
    assert "Choose a product" in refused_in_place(response)
    for product, message in [
        ("no-such-product", "Choose a product from the list."),
        ("gentle-cleanser", "already on that line"),
        ("barrier-cream", "already in the kit"),
    ]:
        response = client.post(url, data={f"swap-{item.id}-product": product})
        assert message in refusal_page(client, response, rec.id), product
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
    assert "not suitable" in refusal_page(client, response, rec.id)
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


def test_unsuitable_options_are_disabled_and_still_explained(client, shop):
    rec = create_recommendation(client)
    page = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    # Each list: the unsuitable products cannot be chosen, and say why in words.
    assert page.count('<option disabled value="rose-cleanser">Rose Cleanser (not suitable:') == 2
    assert '<option disabled value="glow-cream">Glow Cream (not suitable: contains AHA' in page
    assert '<option value="daily-spf30">Daily SPF30<' in page
    assert '<option value="thermal-mist">Thermal Mist<' in page
    assert "cannot be chosen" in page


def test_a_line_with_nothing_suitable_to_swap_for_has_no_swap_button_to_press(client, shop):
    rec = create_recommendation(client)
    client.post(
        f"/clinic/recommendations/{rec.id}/items",
        data={"add-product": "thermal-mist", "add-quantity": "1"},
    )
    mist = _line(latest_recommendation(), "thermal-mist")
    page = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    swap_form = page.split(f"/items/{mist.id}/swap")[1].split("</form>")[0]
    assert '<option disabled value="rose-mist">' in swap_form
    assert 'type="submit" disabled>Swap' in swap_form
    assert "None of the other products of this kind suits this patient." in page


def test_a_refused_change_is_explained_once_beside_its_form(client, shop):
    rec = create_recommendation(client)
    item = _line(rec, "gentle-cleanser")
    response = client.post(
        f"/clinic/recommendations/{rec.id}/items/{item.id}/swap",
        data={f"swap-{item.id}-product": "rose-cleanser"},
    )
    page = refusal_page(client, response, rec.id)
    assert f'id="swap-{item.id}-problem" role="alert">Rose Cleanser cannot be used here' in page
    # Reloading shows the page as it is, without posting again or repeating the reason.
    again = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    assert "Rose Cleanser cannot be used here" not in again


def test_a_refusal_kept_for_another_recommendation_or_garbled_is_not_shown(client, shop):
    rec = create_recommendation(client)
    for kept in (
        {"rec": rec.id + 1, "form": "add", "message": "Someone else's reason"},
        {"rec": rec.id, "form": ["add"], "message": "Someone else's reason"},
        "Someone else's reason",
    ):
        with client.session_transaction() as session:
            session["clinic_kit_problem"] = kept
        page = client.get(f"/clinic/recommendations/{rec.id}")
        assert page.status_code == 200
        assert "Someone else" not in page.get_data(as_text=True)


def test_each_line_shows_its_stock_with_low_and_out_of_stock_flagged(client, shop):
    rec = create_recommendation(client)
    lots = {lot.product_id: lot for lot in db.session.execute(select(StockLot)).scalars()}
    lots[shop["products"]["cream"].id].quantity_reserved = 17  # 3 left, under the mark of 5
    lots[shop["products"]["spf50"].id].quantity_reserved = 20
    lots[shop["products"]["spf30"].id].quantity_reserved = 20
    db.session.commit()
    page = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    lines = {
        name: page.split(f"{name} <span")[1].split("</li>")[0]
        for name in ("Gentle Cleanser", "Barrier Cream", "Tinted Mineral SPF50")
    }
    assert '<span class="stock-flag stock-ok">20 in stock</span>' in lines["Gentle Cleanser"]
    assert '<span class="stock-flag stock-low">Low stock: 3 left</span>' in lines["Barrier Cream"]
    assert '<span class="stock-flag stock-out">Out of stock</span>' in lines["Tinted Mineral SPF50"]
    # The lists say so too, so the clinician does not swap to a product that cannot be sold.
    assert '<option value="daily-spf30">Daily SPF30 (out of stock)<' in page


def test_a_line_asking_for_more_than_is_in_stock_says_so(client, shop):
    rec = create_recommendation(client)
    item = _line(rec, "gentle-cleanser")
    lot = db.session.execute(
        select(StockLot).where(StockLot.product_id == shop["products"]["cleanser"].id)
    ).scalar_one()
    lot.quantity_reserved = 18
    db.session.commit()
    client.post(
        f"/clinic/recommendations/{rec.id}/items/{item.id}/quantity",
        data={f"qty-{item.id}-quantity": "3"},
    )
    page = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    assert 'Low stock: 2 left</span> <span class="stock-flag stock-low">not enough for 3' in page


def test_the_draft_previews_the_patients_avoid_list_and_plan_day_by_day(client, shop):
    rec = create_recommendation(client)
    page = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    preview = page.split('aria-labelledby="preview-heading"')[1].split("</section>\n      ")[0]
    assert "What Ada Patient will get" in page
    assert "once you send the link" in page
    assert "What to avoid, and until when" in preview
    assert "Sauna, steam room and other heat treatments" in preview
    assert "Day by day" in preview
    # The day-by-day plan names the kit's own products.
    assert "Gentle Cleanser:" in page.split('id="timeline-heading"')[1]
