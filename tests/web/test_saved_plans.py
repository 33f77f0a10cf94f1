"""Saved plans in full: saving from the plan's own page, the full page, and buying again."""

from __future__ import annotations

import html as html_lib
import re
from datetime import date, timedelta

import pytest
from factories import (
    DEFAULT_PASSWORD,
    make_kit,
    make_lot,
    make_product,
    make_user,
    screening_form_data,
)
from sqlalchemy import func, select

from models import BasketItem, Kit, Product, SavedPlan, SavedPlanLine, StockLot, db
from shop.account.forms import SAVE_PLAN_CONSENT
from shop.aftercare import Screening
from shop.aftercare.wording import sentence_start, window_words
from shop.services.basket import price_basket

TREATED_ON = date.today() - timedelta(days=3)


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output


def _answers(**screening):
    answers = {
        "treatment": "microneedling",
        "treated_on": TREATED_ON.isoformat(),
        "fitzpatrick": "2",
        "concerns": ["sensitive"],
        "screening_pregnant_or_breastfeeding": "no",
        "screening_cold_sores": "yes",
    }
    answers.update({f"screening_{key}": value for key, value in screening.items()})
    return {**screening_form_data(), **answers}


def _plan_path(client, **screening) -> str:
    response = client.post("/kit-finder", data=_answers(**screening))
    assert response.status_code == 303
    return response.headers["Location"]


def _hidden(html: str, name: str) -> str:
    found = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert found, name
    return html_lib.unescape(found.group(1))


def _count(model) -> int:
    return db.session.execute(select(func.count()).select_from(model)).scalar_one()


def _save(client, path: str, consent: str | None = "y"):
    """Save the plan shown at `path` with the form on its page, as the patient would."""
    token = _hidden(client.get(path).get_data(as_text=True), "plan_token")
    data = {"plan_token": token}
    if consent:
        data["consent"] = consent
    return client.post("/account/plans", data=data)


@pytest.fixture
def patient(app_ctx):
    return make_user(email="pat.saved@example.com")


@pytest.fixture
def saved(client, seeded, login, patient) -> SavedPlan:
    """A plan saved from the kit finder's plan link by the signed-in patient."""
    login(patient)
    response = _save(client, _plan_path(client))
    assert response.status_code == 303
    return db.session.execute(select(SavedPlan)).scalar_one()


# --- saving ---------------------------------------------------------------------------------


def test_saving_from_the_plan_link_keeps_every_answer_and_the_products_shown(
    client, seeded, login, patient
):
    login(patient)
    path = _plan_path(client)
    page = client.get(path).get_data(as_text=True)
    assert SAVE_PLAN_CONSENT in html_lib.unescape(page)
    response = _save(client, path)
    plan = db.session.execute(select(SavedPlan)).scalar_one()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/account/plans/{plan.id}"
    assert plan.user_id == patient.id and plan.treated_on == TREATED_ON
    assert plan.fitzpatrick == 2 and plan.concerns == ["sensitive"]
    screening = Screening.from_mapping(plan.screening)
    assert screening.cold_sores is True and screening.pregnant_or_breastfeeding is False
    assert plan.protocol_hash and plan.consent_at is not None
    kit = db.session.execute(select(Kit).where(Kit.slug == plan.kit_slug)).scalar_one()
    assert kit.name in page
    names = [line.product.name for line in plan.lines]
    assert names and all(name in page for name in names)
    assert all(line.use_until_day >= line.use_from_day and line.need_id for line in plan.lines)


@pytest.mark.parametrize(
    "token",
    ["gAAAAAforged", "x" * 2001, "", "../../etc"],
    ids=["forged", "overlong", "empty", "path"],
)
def test_a_forged_or_missing_plan_token_is_refused_and_keeps_nothing(
    client, seeded, login, patient, token
):
    login(patient)
    response = client.post("/account/plans", data={"plan_token": token, "consent": "y"})
    assert 400 <= response.status_code < 500
    assert _count(SavedPlan) == 0


def test_an_altered_plan_token_says_so_and_keeps_nothing(client, seeded, login, patient):
    login(patient)
    token = _hidden(client.get(_plan_path(client)).get_data(as_text=True), "plan_token")
    altered = token[:-6] + ("AAAAAA" if not token.endswith("AAAAAA") else "BBBBBB")
    response = client.post("/account/plans", data={"plan_token": altered, "consent": "y"})
    assert response.status_code == 400
    assert "not a plan of ours" in response.get_data(as_text=True)
    assert _count(SavedPlan) == 0 and _count(SavedPlanLine) == 0


def test_saving_with_both_a_plan_and_a_recommendation_token_is_refused(
    client, seeded, login, patient
):
    login(patient)
    token = _hidden(client.get(_plan_path(client)).get_data(as_text=True), "plan_token")
    response = client.post(
        "/account/plans",
        data={"plan_token": token, "recommendation_token": "a" * 43, "consent": "y"},
    )
    assert response.status_code == 422
    assert "we could not tell which plan" in response.get_data(as_text=True)
    assert _count(SavedPlan) == 0


def test_saving_without_consent_is_refused_and_keeps_nothing(client, seeded, login, patient):
    login(patient)
    response = _save(client, _plan_path(client), consent=None)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Please tick the box" in page
    assert 'name="plan_token"' in page  # the box can be ticked and sent again from here
    assert _count(SavedPlan) == 0


def test_saving_needs_signing_in(client, seeded):
    response = client.post("/account/plans", data={"plan_token": "x" * 200, "consent": "y"})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")
    assert _count(SavedPlan) == 0


def test_signing_in_from_the_plan_returns_to_it_with_the_save_box(client, seeded, patient):
    path = _plan_path(client)
    page = client.get(path).get_data(as_text=True)
    sign_in = html_lib.unescape(re.search(r'href="(/account/login\?[^"]+)"', page).group(1))
    form = client.get(sign_in).get_data(as_text=True)
    response = client.post(
        "/account/login",
        data={
            "email": patient.email,
            "password": DEFAULT_PASSWORD,
            "next": _hidden(form, "next") if 'name="next" value' in form else path,
        },
    )
    assert response.status_code == 302 and response.headers["Location"] == path
    page = client.get(path).get_data(as_text=True)
    assert 'name="plan_token"' in page and "Save this plan" in page


# --- the saved plan in full -----------------------------------------------------------------


def test_the_full_plan_shows_the_kept_products_and_their_days(client, saved):
    response = client.get(f"/account/plans/{saved.id}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    kit = db.session.execute(select(Kit).where(Kit.slug == saved.kit_slug)).scalar_one()
    assert kit.name in page
    for line in saved.lines:
        assert line.product.name in page
        window = window_words(line.use_from_day, line.use_until_day, saved.treated_on)
        assert sentence_start(window) in page
    assert "Day 4 of" in page and "Day by day" in page
    assert "Print this plan" in page and "Buy again" in page
    assert "Protocol version" in page


def test_the_full_plan_renders_against_the_protocol_it_was_saved_with(client, saved):
    saved.protocol_hash = "0" * 64  # a version no longer stored falls back to the current one
    db.session.commit()
    assert client.get(f"/account/plans/{saved.id}").status_code == 200


def test_the_full_plan_is_private_uncached_and_not_indexable(client, saved):
    response = client.get(f"/account/plans/{saved.id}")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.get_data(as_text=True)


def test_the_plans_list_links_each_plan_to_its_full_page(client, saved):
    page = client.get("/account/plans").get_data(as_text=True)
    assert f'href="/account/plans/{saved.id}"' in page


def test_another_customers_plan_is_404_and_shows_nothing(client, saved, login):
    login(make_user(email="someone.else@example.com"))
    for response in (
        client.get(f"/account/plans/{saved.id}"),
        client.post(f"/account/plans/{saved.id}/buy-again"),
    ):
        assert response.status_code == 404
        assert " Kit" not in response.get_data(as_text=True).split("<main")[-1]
    assert _count(BasketItem) == 0
    assert client.get("/account/plans/999999").status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(app, saved):
    stranger = app.test_client()
    response = stranger.get(f"/account/plans/{saved.id}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/account/login")


def test_the_full_plan_queries_do_not_grow_with_the_catalogue(client, saved, count_queries):
    url = f"/account/plans/{saved.id}"
    client.get(url)
    db.session.expire_all()  # as after the commits below: nothing answered from memory
    with count_queries() as few:
        client.get(url)
    for _ in range(3):
        products = [make_product() for _ in range(8)]
        for product in products:
            make_lot(product, 5)
        make_kit([(p, 1) for p in products[:3]], treatments=[])
    db.session.expire_all()
    with count_queries() as many:
        assert client.get(url).status_code == 200
    assert many.count == few.count, many.statements


# --- buy again ------------------------------------------------------------------------------


def _basket(user_id: int) -> dict[str, int]:
    rows = db.session.execute(
        select(BasketItem.item_key, BasketItem.quantity).where(BasketItem.user_id == user_id)
    ).all()
    return dict(rows)


def test_buy_again_puts_the_kit_in_the_basket(client, saved, patient):
    response = client.post(f"/account/plans/{saved.id}/buy-again")
    assert response.status_code == 303 and response.headers["Location"] == "/basket"
    kit = db.session.execute(select(Kit).where(Kit.slug == saved.kit_slug)).scalar_one()
    assert _basket(patient.id) == {f"kit:{kit.id}": 1}
    # Pressing it twice keeps one kit: the basket holds the plan's lines, not twice as many.
    client.post(f"/account/plans/{saved.id}/buy-again")
    assert _basket(patient.id) == {f"kit:{kit.id}": 1}


def test_buy_again_without_the_kit_adds_its_lines_at_todays_prices(client, saved, patient):
    kit = db.session.execute(select(Kit).where(Kit.slug == saved.kit_slug)).scalar_one()
    kit.is_active = False
    changed = saved.lines[0].product
    changed.price_pence += 250
    db.session.commit()
    response = client.post(f"/account/plans/{saved.id}/buy-again")
    assert response.status_code == 303
    basket = _basket(patient.id)
    assert basket == {f"product:{line.product_id}": line.quantity for line in saved.lines}
    priced = {line.key: line for line in price_basket(basket, date.today()).lines}
    assert priced[f"product:{changed.id}"].unit_price_pence == changed.price_pence
    page = client.get("/basket").get_data(as_text=True)
    assert changed.name in page


def test_buy_again_refuses_a_product_no_longer_on_sale_and_changes_nothing(client, saved, patient):
    before = make_product(name="Already In Basket")
    make_lot(before, 3)
    db.session.add(
        BasketItem(
            user_id=patient.id, item_key=f"product:{before.id}", product_id=before.id, quantity=1
        )
    )
    gone = saved.lines[0].product
    gone.is_active = False
    db.session.commit()
    page = client.get(f"/account/plans/{saved.id}").get_data(as_text=True)
    assert "no longer on sale" in page
    response = client.post(f"/account/plans/{saved.id}/buy-again")
    assert response.status_code == 409
    assert f"{gone.name} is no longer on sale" in html_lib.unescape(response.get_data(as_text=True))
    assert _basket(patient.id) == {f"product:{before.id}": 1}


def test_buy_again_refuses_when_a_product_is_out_of_stock_and_changes_nothing(
    client, saved, patient
):
    short = saved.lines[0].product
    for lot in db.session.execute(
        select(StockLot).where(StockLot.product_id == short.id)
    ).scalars():
        lot.quantity_reserved = lot.quantity_on_hand
    db.session.commit()
    response = client.post(f"/account/plans/{saved.id}/buy-again")
    assert response.status_code == 409
    page = html_lib.unescape(response.get_data(as_text=True))
    assert "sold out" in page and short.name in page
    assert "Nothing was added to your basket" in page
    assert _basket(patient.id) == {}


def test_buy_again_needs_the_form_token(client, saved, patient, app, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post(f"/account/plans/{saved.id}/buy-again")
    assert response.status_code == 400
    assert _basket(patient.id) == {}


def test_a_plan_without_products_offers_nothing_to_buy(client, saved, patient):
    for line in list(saved.lines):
        db.session.delete(line)
    db.session.commit()
    page = client.get(f"/account/plans/{saved.id}").get_data(as_text=True)
    assert "No products were kept" in page
    response = client.post(f"/account/plans/{saved.id}/buy-again")
    assert response.status_code == 409
    assert "no products to buy" in response.get_data(as_text=True)


# --- export and erasure ---------------------------------------------------------------------


def test_export_holds_the_screening_and_the_kept_products(client, saved):
    data = client.get("/account/data/export").get_json()
    (plan,) = data["saved_plans"]
    assert plan["screening"]["cold_sores"] is True
    assert plan["kit"] == saved.kit_slug
    assert [(line["product"], line["quantity"]) for line in plan["lines"]] == [
        (line.product.slug, line.quantity) for line in saved.lines
    ]
    assert {"need", "use_from_day", "use_until_day", "optional"} <= set(plan["lines"][0])


def test_erasure_removes_the_kept_products_too(client, saved):
    response = client.post(
        "/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"}
    )
    assert response.status_code == 302
    assert _count(SavedPlan) == 0 and _count(SavedPlanLine) == 0
    assert _count(Product) > 0


# --- calendar, reminders and concerns of a saved plan ----------------------------------------


def test_the_saved_plan_offers_its_calendar_reminders_and_concern_form(client, saved):
    page = client.get(f"/account/plans/{saved.id}").get_data(as_text=True)
    assert f'href="/account/plans/{saved.id}.ics"' in page
    assert f'action="/account/plans/{saved.id}/reminders"' in page
    assert f'href="/account/plans/{saved.id}/concern"' in page


def test_the_saved_plan_calendar_has_one_event_per_key_day(client, saved):
    from icalendar import Calendar

    from shop.services.accounts import saved_plan_in_full

    response = client.get(f"/account/plans/{saved.id}.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert response.headers["Cache-Control"] == "no-store"
    events = Calendar.from_ical(response.data).walk("VEVENT")
    full = saved_plan_in_full(saved.user_id, saved.id, date.today())
    assert [e.decoded("DTSTART") for e in events] == [c.date for c in full.plan.changes()]
    assert f"/account/plans/{saved.id}" in str(events[0].get("URL"))


def test_someone_elses_saved_plan_calendar_and_reminders_are_404(client, saved, login):
    from models import ReminderSubscription

    login(make_user(email="someone.else@example.com"))
    assert client.get(f"/account/plans/{saved.id}.ics").status_code == 404
    response = client.post(
        f"/account/plans/{saved.id}/reminders", data={"email": "x@example.com", "consent": "y"}
    )
    assert response.status_code == 404
    assert _count(ReminderSubscription) == 0


def test_reminders_of_a_saved_plan_need_consent_and_end_with_the_plan(client, saved):
    from models import ReminderMilestone, ReminderSubscription

    path = f"/account/plans/{saved.id}/reminders"
    refused = client.post(path, data={"email": "pat.saved@example.com"})
    assert refused.status_code == 422 and "Tick the box" in refused.get_data(as_text=True)
    assert _count(ReminderSubscription) == 0
    response = client.post(path, data={"email": "pat.saved@example.com", "consent": "y"})
    assert response.status_code == 303
    assert response.headers["Location"] == f"/account/plans/{saved.id}"
    subscription = db.session.execute(select(ReminderSubscription)).scalar_one()
    assert subscription.saved_plan_id == saved.id
    assert subscription.plan_path == f"/account/plans/{saved.id}"
    assert _count(ReminderMilestone) > 0
    deleted = client.post(f"/account/plans/{saved.id}/delete")
    assert deleted.status_code == 302
    assert _count(ReminderSubscription) == 0 and _count(ReminderMilestone) == 0


def test_reminders_of_a_saved_plan_to_another_address_are_exported_and_erased(client, saved):
    from models import ReminderSubscription

    client.post(
        f"/account/plans/{saved.id}/reminders",
        data={"email": "other.inbox@example.com", "consent": "y"},
    )
    exported = client.get("/account/data/export").get_json()
    assert [s["email"] for s in exported["reminder_subscriptions"]] == ["other.inbox@example.com"]
    response = client.post(
        "/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"}
    )
    assert response.status_code == 302
    assert _count(ReminderSubscription) == 0
