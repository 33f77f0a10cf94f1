"""A recommendation's advice: rule-checked with reasons, final once read or bought, audited."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest
from clinic_support import (
    clinic_catalogue,
    create_recommendation,
    latest_recommendation,
    link_emails,
    recommendation_form,
    refusal_page,
    token_from_email,
)
from factories import make_lot, make_product, make_user
from sqlalchemy import select

from models import AuditEntry, Order, Recommendation, Treatment, db
from shop.aftercare import load_protocols
from shop.services import recommendations, seeding
from tests.checkout_helpers import COLLECT_FORM


@pytest.fixture
def shop(client, login):
    catalogue = clinic_catalogue()
    retinol = make_product(
        slug="retinol-night-serum",
        name="Retinol Night Serum",
        category="serum",
        actives=["retinoid"],
        days_per_unit=60,
    )
    foam = make_product(
        slug="fragrance-free-foam",
        name="Fragrance-free Foam",
        category="cleanser",
        days_per_unit=60,
    )
    make_lot(retinol, 10)
    make_lot(foam, 10)
    clinician = make_user(role="clinician")
    login(clinician)
    return {**catalogue, "retinol": retinol, "clinician": clinician}


def _add(client, rec_id, slug, quantity="1"):
    return client.post(
        f"/clinic/recommendations/{rec_id}/items",
        data={"add-product": slug, "add-quantity": quantity},
    )


def _send_and_open(client, app, rec_id):
    """Send the link and return a fresh patient client that has opened it, with the token."""
    assert client.post(f"/clinic/recommendations/{rec_id}/send").status_code == 302
    token = token_from_email(link_emails()[-1])
    patient = app.test_client()
    assert patient.get(f"/r/{token}").status_code == 200
    return patient, token


def test_retinol_in_a_day_0_needling_kit_is_refused_with_the_reason(client, shop):
    rec = create_recommendation(client, treated_on=date.today().isoformat())
    page = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    assert "Retinol Night Serum (not suitable: contains retinoid" in page
    html = refusal_page(client, _add(client, rec.id, "retinol-night-serum"), rec.id)
    assert "Retinol Night Serum cannot be added: it contains retinoid" in html
    assert "up to and including the 7th day after treatment" in html
    assert "retinol-night-serum" not in [i.product.slug for i in latest_recommendation().items]


def test_the_clinician_reads_the_recorded_answers_in_words(client, shop):
    rec = create_recommendation(
        client, screening_isotretinoin_recent="3-6", screening_cold_sores="yes"
    )
    assert rec.screening["isotretinoin_months_ago"] == 3
    page = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    assert "isotretinoin: 3 to 6 months ago, cold sores" in page


def test_every_kit_change_is_audited_without_health_data(client, shop):
    rec = create_recommendation(client, screening_pregnant_or_breastfeeding="no")
    assert _add(client, rec.id, "thermal-mist").status_code == 302
    rec = latest_recommendation()
    mist = next(i for i in rec.items if i.product.slug == "thermal-mist")
    cleanser = next(i for i in rec.items if i.need_id == "cleanser")
    client.post(
        f"/clinic/recommendations/{rec.id}/items/{mist.id}/quantity",
        data={f"qty-{mist.id}-quantity": "2"},
    )
    client.post(f"/clinic/recommendations/{rec.id}/items/{mist.id}/remove")
    client.post(
        f"/clinic/recommendations/{rec.id}/items/{cleanser.id}/swap",
        data={f"swap-{cleanser.id}-product": "fragrance-free-foam"},
    )
    client.post(
        f"/clinic/recommendations/{rec.id}/edit",
        data=recommendation_form(notes="Use a cool compress tonight."),
    )
    entries = db.session.execute(
        select(AuditEntry).where(AuditEntry.target_type == "recommendation").order_by(AuditEntry.id)
    ).scalars()
    by_action = {entry.action: entry for entry in entries}
    assert {
        "recommendation.add",
        "recommendation.quantity",
        "recommendation.remove",
        "recommendation.swap",
        "recommendation.update",
    } <= set(by_action)
    assert by_action["recommendation.swap"].after["to"] == "fragrance-free-foam"
    assert by_action["recommendation.add"].after == {"product": "thermal-mist", "quantity": 1}
    assert by_action["recommendation.quantity"].after["to"] == 2
    assert by_action["recommendation.update"].after["notes_changed"] is True
    for entry in by_action.values():
        logged = repr((entry.before, entry.after))
        for private in ("pregnan", "fitzpatrick", "cool compress", "ada@example.com"):
            assert private not in logged.lower(), entry.action


def test_an_acknowledged_recommendation_can_no_longer_change(client, app, shop):
    rec = create_recommendation(client)
    patient, token = _send_and_open(client, app, rec.id)
    assert patient.post(f"/r/{token}/acknowledge", data={"confirm": "y"}).status_code == 302
    item = latest_recommendation().items[0]
    before = [(i.product_id, i.quantity) for i in latest_recommendation().items]
    for change in (
        lambda: _add(client, rec.id, "thermal-mist"),
        lambda: client.post(
            f"/clinic/recommendations/{rec.id}/items/{item.id}/quantity",
            data={f"qty-{item.id}-quantity": "3"},
        ),
    ):
        assert "has acknowledged this advice" in refusal_page(client, change(), rec.id)
    assert client.get(f"/clinic/recommendations/{rec.id}/edit").status_code == 409
    edit = client.post(f"/clinic/recommendations/{rec.id}/edit", data=recommendation_form())
    assert edit.status_code == 409
    assert [(i.product_id, i.quantity) for i in latest_recommendation().items] == before
    page = client.get(f"/clinic/recommendations/{rec.id}").get_data(as_text=True)
    assert "This advice is final" in page and f"/clinic/recommendations/new?from={rec.id}" in page


def test_a_bought_recommendation_can_no_longer_change(client, app, shop):
    rec = create_recommendation(client)
    patient, token = _send_and_open(client, app, rec.id)
    assert patient.post(f"/r/{token}/buy").status_code == 303
    assert patient.post("/checkout", data=COLLECT_FORM).status_code == 303
    assert db.session.execute(select(Order.recommendation_id)).scalar_one() == rec.id
    response = _add(client, rec.id, "thermal-mist")
    assert "has bought this kit" in refusal_page(client, response, rec.id)
    assert len(latest_recommendation().items) == 3


def test_a_new_recommendation_starts_from_the_final_one(client, app, shop):
    rec = create_recommendation(client, screening_isotretinoin_recent="over-12")
    patient, token = _send_and_open(client, app, rec.id)
    patient.post(f"/r/{token}/acknowledge", data={"confirm": "y"})
    form = client.get(f"/clinic/recommendations/new?from={rec.id}").get_data(as_text=True)
    assert 'value="Ada Patient"' in form
    assert re.search(r'<input checked[^>]*value="over-12"', form)
    # Consent is asked again for the new record.
    consent = re.search(r'<input[^>]*name="consent"[^>]*>', form).group(0)
    assert "checked" not in consent


@pytest.mark.parametrize(("value", "status"), [("abc", 400), ("-1", 400), ("99999", 404)])
def test_starting_from_an_unknown_recommendation_is_refused(client, shop, value, status):
    assert client.get(f"/clinic/recommendations/new?from={value}").status_code == status


def test_advice_renders_with_the_protocol_it_was_made_with(client, app, shop):
    """A newer protocol does not change what a patient was already given."""
    rec = create_recommendation(client)
    assert rec.protocol_version == "2026.3" and len(rec.protocol_hash) == 64
    patient, token = _send_and_open(client, app, rec.id)
    shipped = load_protocols()["microneedling"]
    stricter = replace(
        shipped,
        version="2027.1",
        avoid=tuple(
            replace(rule, until_day=21) if rule.what.startswith("Sauna") else rule
            for rule in shipped.avoid
        ),
    )
    seeding.refresh_protocols([stricter])
    treatment = db.session.execute(select(Treatment)).scalar_one()
    assert treatment.protocol_version == "2027.1"
    assert patient.get(f"/r/{token}").status_code == 200
    given = recommendations.patient_plan(db.session.get(Recommendation, rec.id), date.today())
    sauna = next(a for a in given.plan.avoid if a.what.startswith("Sauna"))
    assert sauna.until_day == 3 and given.plan.protocol_version == "2026.3"
    # A new recommendation uses the new version.
    newer = create_recommendation(client)
    assert newer.protocol_version == "2027.1"
