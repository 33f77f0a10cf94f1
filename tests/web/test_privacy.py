"""Patient privacy: own data only, saved plans with consent, data export, and erasure."""

from __future__ import annotations

import json
import re
import secrets
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import String, Text, func, select

from models import (
    AuditEntry,
    BasketItem,
    ConsultationRequest,
    Order,
    OrderEvent,
    OrderLine,
    OutboxEmail,
    Recommendation,
    SavedPlan,
    User,
    db,
)
from shop.aftercare import load_protocols
from shop.services import accounts
from tests.factories import (
    DEFAULT_PASSWORD,
    make_lot,
    make_product,
    make_treatment,
    make_treatment_with_protocol,
    make_user,
)

PATIENT_EMAIL = "pat.privacy@example.com"
PATIENT_NAME = "Patricia Quillfeather"


def make_order(user: User | None, email: str, name: str, placed_days_ago: int = 0, **fields):
    """A paid order of one product for `user` (or a guest with `email`)."""
    product = fields.pop("product", None) or make_product()
    order = Order(
        reference="LS-" + secrets.token_hex(5).upper(),
        user_id=user.id if user else None,
        email=email,
        name=name,
        phone="07700 900123",
        fulfilment="delivery",
        address_line1="1 Private Lane",
        town="Bath",
        postcode="BA1 1AA",
        status="paid",
        payment_method="clinic",
        subtotal_pence=1000,
        delivery_pence=0,
        total_pence=1000,
        vat_pence=167,
        placed_at=datetime.now(UTC) - timedelta(days=placed_days_ago),
        **fields,
    )
    order.lines = [
        OrderLine(
            kind="product",
            product_id=product.id,
            name=product.name,
            quantity=1,
            unit_price_pence=1000,
            line_total_pence=1000,
            vat_pence=167,
        )
    ]
    order.events = [OrderEvent(to_status="paid", note=f"Paid at the desk by {name}")]
    db.session.add(order)
    db.session.commit()
    return order


def make_plan(
    user: User, treatment, treated_on: date | None = None, pregnant: bool = True
) -> SavedPlan:
    plan = SavedPlan(
        user_id=user.id,
        treatment_id=treatment.id,
        treated_on=treated_on or date.today() - timedelta(days=2),
        fitzpatrick=3,
        concerns=["sensitive"],
        screening={"pregnant_or_breastfeeding": pregnant},
    )
    db.session.add(plan)
    db.session.commit()
    return plan


@pytest.fixture
def patient(app_ctx):
    return make_user(email=PATIENT_EMAIL, name=PATIENT_NAME)


# --- nobody sees anyone else's things -------------------------------------------------------


def test_a_customer_cannot_open_another_customers_order(client, login, patient):
    order = make_order(patient, PATIENT_EMAIL, PATIENT_NAME)
    login(make_user(email="other@example.com"))
    response = client.get(f"/orders/{order.reference}")
    assert response.status_code == 404
    assert PATIENT_NAME not in response.get_data(as_text=True)


def test_the_owner_can_open_their_order_from_the_orders_page(client, login, patient):
    order = make_order(patient, PATIENT_EMAIL, PATIENT_NAME)
    login(patient)
    html = client.get("/account/orders").get_data(as_text=True)
    assert f'href="/orders/{order.reference}"' in html
    assert client.get(f"/orders/{order.reference}").status_code == 200


def test_orders_page_lists_only_own_orders_newest_first(client, login, patient):
    older = make_order(patient, PATIENT_EMAIL, PATIENT_NAME, placed_days_ago=5)
    newer = make_order(patient, PATIENT_EMAIL, PATIENT_NAME, placed_days_ago=1)
    other = make_order(make_user(), "someone@example.com", "Someone Else")
    login(patient)
    html = client.get("/account/orders").get_data(as_text=True)
    assert html.index(newer.reference) < html.index(older.reference)
    assert other.reference not in html


def test_orders_page_is_paginated_with_constant_queries(client, login, patient, count_queries):
    app = client.application
    app.config["ACCOUNT_ORDERS_PER_PAGE"] = 2
    try:
        product = make_product()
        for days in range(3):
            make_order(patient, PATIENT_EMAIL, PATIENT_NAME, placed_days_ago=days, product=product)
        login(patient)
        with count_queries() as few:
            first = client.get("/account/orders")
        for days in range(3, 9):
            make_order(patient, PATIENT_EMAIL, PATIENT_NAME, placed_days_ago=days, product=product)
        with count_queries() as many:
            client.get("/account/orders")
        assert many.count == few.count
        assert first.status_code == 200
        last = client.get("/account/orders?page=5").get_data(as_text=True)
        assert 'aria-current="page">5<' in last
        assert client.get("/account/orders?page=abc").status_code == 200
        assert client.get("/account/orders?page=-3").status_code == 200
    finally:
        app.config["ACCOUNT_ORDERS_PER_PAGE"] = 10


def test_a_customer_cannot_delete_another_customers_plan(client, login, patient):
    plan = make_plan(patient, make_treatment())
    login(make_user(email="other@example.com"))
    response = client.post(f"/account/plans/{plan.id}/delete")
    assert response.status_code == 404
    assert db.session.get(SavedPlan, plan.id) is not None


def test_a_customer_sees_only_their_own_plans_and_data(client, login, patient):
    make_plan(patient, make_treatment(name="Chemical peel"))
    make_order(patient, PATIENT_EMAIL, PATIENT_NAME)
    login(make_user(email="other@example.com", name="Other Person"))
    for path in ("/account", "/account/plans", "/account/data", "/account/data/export"):
        body = client.get(path).get_data(as_text=True)
        assert PATIENT_NAME not in body and PATIENT_EMAIL not in body, path
        assert "Chemical peel" not in body, path


# --- saved plans ----------------------------------------------------------------------------


def plan_count() -> int:
    return db.session.execute(select(func.count()).select_from(SavedPlan)).scalar_one()


def test_deleting_a_plan(client, login, patient):
    plan = make_plan(patient, make_treatment())
    login(patient)
    response = client.post(f"/account/plans/{plan.id}/delete")
    assert response.status_code == 302
    assert plan_count() == 0
    assert client.post(f"/account/plans/{plan.id}/delete").status_code == 404
    assert client.get(f"/account/plans/{plan.id}/delete").status_code == 405


def seeded_treatment(slug: str = "microneedling"):
    """A treatment with its real protocol data, as `flask seed` stores it."""
    treatment = make_treatment_with_protocol(slug)
    return treatment, load_protocols()[slug]


def test_plans_show_todays_step_from_the_aftercare_engine(client, login, patient):
    treatment, protocol = seeded_treatment()
    make_plan(patient, treatment, treated_on=date.today() - timedelta(days=1), pregnant=False)
    login(patient)
    html = client.get("/account/plans").get_data(as_text=True)
    assert f"Today: Day 2 of {protocol.last_day + 1}" in html  # day 1 is the treatment day
    assert "Today, use" in html
    entry = accounts.list_plans(patient.id, date.today())[0]
    assert entry.use, "the engine gives day 1 something to use"
    for line in entry.use[:2]:
        assert line.split(":")[0] in html


def test_a_treated_plan_the_engine_finds_unsuitable_says_why_and_keeps_the_aftercare(
    client, login, patient
):
    treatment, _ = seeded_treatment()
    make_plan(patient, treatment, pregnant=True)
    login(patient)
    html = client.get("/account/plans").get_data(as_text=True)
    assert "not offered during pregnancy" in html
    assert "Please tell the clinic" in html and "Today, use" in html


def test_overview_counts_orders_and_shows_only_running_plans(client, login, patient):
    treatment, protocol = seeded_treatment()
    make_plan(patient, treatment, treated_on=date.today() - timedelta(days=2))
    make_plan(patient, treatment, treated_on=date.today() - timedelta(days=protocol.last_day + 30))
    make_order(patient, PATIENT_EMAIL, PATIENT_NAME)
    login(patient)
    summary = accounts.overview(patient.id, date.today())
    assert summary.orders_count == 1
    assert [p.day for p in summary.plans] == [2]
    html = client.get("/account").get_data(as_text=True)
    assert f"Today: Day 3 of {protocol.last_day + 1}" in html


def test_a_plan_without_protocol_data_says_which_day_it_is_in_words(client, login, patient):
    make_plan(patient, make_treatment(), treated_on=date.today() - timedelta(days=3))
    login(patient)
    html = client.get("/account/plans").get_data(as_text=True)
    assert "Today is the 3rd day after treatment." in html


def test_plans_page_queries_stay_constant(client, login, patient, count_queries):
    treatment, _ = seeded_treatment()
    make_plan(patient, treatment)
    login(patient)
    client.get("/account/plans")
    with count_queries() as few:
        client.get("/account/plans")
    for days in range(5):
        make_plan(patient, treatment, treated_on=date.today() - timedelta(days=days))
    with count_queries() as many:
        client.get("/account/plans")
    assert many.count == few.count


# --- export ---------------------------------------------------------------------------------


def fill_in_everything(patient):
    """Give the patient an order, a plan, a basket line, a consultation and a recommendation."""
    treatment = make_treatment()
    product = make_product(slug="barrier-balm")
    make_lot(product, 5)
    order = make_order(patient, PATIENT_EMAIL, PATIENT_NAME, product=product)
    # A guest order placed earlier with the same email (in another letter case).
    guest_order = make_order(None, PATIENT_EMAIL.upper(), PATIENT_NAME, product=product)
    make_plan(patient, treatment)
    db.session.add(
        BasketItem(
            user_id=patient.id, item_key=f"product:{product.id}", product_id=product.id, quantity=2
        )
    )
    db.session.add(
        ConsultationRequest(
            name=PATIENT_NAME,
            email=PATIENT_EMAIL,
            phone="07700 900123",
            treatment_id=treatment.id,
            question=f"Hi, {PATIENT_NAME} here: is micro-needling fine with my rosacea?",
            staff_note=f"Called {PATIENT_NAME} back",
        )
    )
    db.session.add(
        Recommendation(
            token_hash=secrets.token_hex(32),
            patient_name=PATIENT_NAME,
            patient_email=PATIENT_EMAIL,
            treatment_id=treatment.id,
            treated_on=date.today(),
            fitzpatrick=2,
            concerns=["sensitive"],
            screening={"pregnant_or_breastfeeding": True},
            notes="Rosacea flare last month",
            status="sent",
        )
    )
    db.session.add(
        OutboxEmail(
            to_address=PATIENT_EMAIL, subject="Your order", body_text=f"Dear {PATIENT_NAME}"
        )
    )
    db.session.add(
        AuditEntry(
            action="order.note",
            target_type="order",
            target_id=str(order.id),
            after={"note": f"{PATIENT_NAME} asked for gift wrap", "email": PATIENT_EMAIL},
        )
    )
    db.session.commit()
    return order, guest_order


def confirm_email(client) -> None:
    """Ask for the confirmation link and follow it, as the account holder would."""
    assert client.post("/account/data/confirm-email").status_code == 303
    email = db.session.execute(
        select(OutboxEmail).where(OutboxEmail.kind == "email_confirmation")
    ).scalar_one()
    link = re.search(r"http\S+/account/confirm-email/\S+", email.body_text).group(0)
    assert client.get(urlsplit(link).path).status_code == 302


def test_export_holds_everything_the_shop_keeps(client, login, patient):
    order, guest_order = fill_in_everything(patient)
    login(patient)
    confirm_email(client)
    response = client.get("/account/data/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == PATIENT_EMAIL
    assert data["profile"]["name"] == PATIENT_NAME
    assert "password_hash" not in json.dumps(data) and patient.password_hash not in json.dumps(data)
    assert data["consents"]["marketing_consent"] is False
    assert {o["reference"] for o in data["orders"]} == {order.reference, guest_order.reference}
    assert data["orders"][0]["lines"][0]["quantity"] == 1
    assert data["saved_plans"][0]["treatment"] == "microneedling"
    assert data["saved_plans"][0]["screening"] == {"pregnant_or_breastfeeding": True}
    assert data["consultation_requests"][0]["question"].startswith("Hi,")
    assert data["recommendations"][0]["notes"] == "Rosacea flare last month"
    assert data["basket"] == [{"item": data["basket"][0]["item"], "quantity": 2}]


def test_records_tied_only_to_the_email_need_a_confirmed_address(client, login, patient):
    """Anyone may open an account with someone's address; that must not reveal their records."""
    order, _guest_order = fill_in_everything(patient)
    login(patient)
    data = client.get("/account/data/export").get_json()
    assert data["includes_records_sent_to_the_email"] is False
    assert [o["reference"] for o in data["orders"]] == [order.reference]
    assert data["consultation_requests"] == [] and data["recommendations"] == []
    assert "Email me a link" in client.get("/account/data").get_data(as_text=True)


def test_a_forged_expired_or_outdated_confirmation_link_is_refused(
    app_ctx, client, login, patient, monkeypatch
):
    login(patient)
    signer = URLSafeTimedSerializer(app_ctx.config["SECRET_KEY"], salt="email-confirmation")
    for_an_old_address = signer.dumps({"u": patient.id, "e": "fingerprint-of-another-address"})
    assert client.get(f"/account/confirm-email/{for_an_old_address}").status_code == 400
    assert client.get("/account/confirm-email/nonsense").status_code == 400
    assert client.post("/account/data/confirm-email").status_code == 303
    email = db.session.execute(select(OutboxEmail)).scalar_one()
    path = urlsplit(re.search(r"http\S+/account/confirm-email/\S+", email.body_text).group(0))
    monkeypatch.setitem(app_ctx.config, "EMAIL_CONFIRMATION_MAX_AGE", -1)
    expired = client.get(path.path)
    assert expired.status_code == 400 and "expired" in expired.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(User, patient.id).email_confirmed_at is None


def test_erasure_cancels_every_email_still_waiting_for_the_address(client, login, patient):
    fill_in_everything(patient)
    db.session.add(
        OutboxEmail(
            to_address=PATIENT_EMAIL.upper(),
            subject="Your order is ready",
            body_text=f"Dear {PATIENT_NAME}, your order is ready",
            kind="order_ready",
        )
    )
    db.session.commit()
    login(patient)
    client.post("/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"})
    pending = db.session.execute(
        select(func.count()).select_from(OutboxEmail).where(OutboxEmail.status == "pending")
    ).scalar_one()
    assert pending == 0


def test_erasure_without_a_confirmed_address_leaves_records_of_that_address(client, login, patient):
    order, guest_order = fill_in_everything(patient)
    login(patient)
    client.post("/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"})
    db.session.expire_all()
    assert db.session.get(Order, order.id).name == accounts.ERASED_NAME
    assert db.session.get(Order, guest_order.id).name == PATIENT_NAME
    assert db.session.execute(select(ConsultationRequest)).scalar_one().name == PATIENT_NAME


def test_data_page_summarises_what_is_held(client, login, patient):
    fill_in_everything(patient)
    login(patient)
    html = client.get("/account/data").get_data(as_text=True)
    assert "What we hold about you" in html
    assert "Download all your data" in html
    assert "Delete my account" in html


def test_erasure_section_says_exactly_what_is_deleted(client, login, patient):
    fill_in_everything(patient)
    login(patient)
    unconfirmed = " ".join(client.get("/account/data").get_data(as_text=True).split())
    assert "your 1 order " in unconfirmed and "your 1 saved aftercare plan " in unconfirmed
    assert "are <strong>not</strong> deleted, because the address is not confirmed" in unconfirmed
    assert "anonymises your" not in unconfirmed
    confirm_email(client)
    confirmed = " ".join(client.get("/account/data").get_data(as_text=True).split())
    assert "your 2 orders " in confirmed
    assert "anonymises your 1 consultation request and 1 clinician recommendation" in confirmed
    assert "not</strong> deleted" not in confirmed


# --- erasure --------------------------------------------------------------------------------


def text_values_mentioning(*needles: str) -> list[str]:
    """Search every text-like column of every table for any of `needles` (any case)."""
    found = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if (
                not isinstance(column.type, String | Text)
                and column.type.__class__.__name__ != "JSON"
            ):
                continue
            rows = db.session.execute(select(table.c[column.name]).select_from(table)).scalars()
            for value in rows:
                text_value = json.dumps(value) if not isinstance(value, str) else value
                for needle in needles:
                    if needle.lower() in (text_value or "").lower():
                        found.append(f"{table.name}.{column.name}: {text_value[:80]}")
    return found


def test_erasure_leaves_nothing_personal_and_keeps_anonymous_sales(client, login, patient):
    order, guest_order = fill_in_everything(patient)
    assert text_values_mentioning(PATIENT_EMAIL, PATIENT_NAME), "the search must see the data"
    login(patient)
    confirm_email(client)
    response = client.post(
        "/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    leftovers = text_values_mentioning(PATIENT_EMAIL, PATIENT_NAME, "07700 900123", "Private Lane")
    assert leftovers == []
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(SavedPlan)).scalar_one() == 0
    assert db.session.execute(select(func.count()).select_from(BasketItem)).scalar_one() == 0
    kept = db.session.get(Order, order.id)
    assert kept.user_id is None and kept.total_pence == 1000 and len(kept.lines) == 1
    assert kept.name == accounts.ERASED_NAME and kept.email.endswith("@erased.invalid")
    assert db.session.get(Order, guest_order.id).name == accounts.ERASED_NAME
    recommendation = db.session.execute(select(Recommendation)).scalar_one()
    assert recommendation.token_hash is None and recommendation.screening == {}
    consultation = db.session.execute(select(ConsultationRequest)).scalar_one()
    assert consultation.treatment_id is None and consultation.question == ""
    # Signed out.
    assert client.get("/account").status_code == 302


def test_erasure_needs_the_password_and_the_box(client, login, patient):
    fill_in_everything(patient)
    login(patient)
    wrong = client.post("/account/data/delete", data={"password": "nope-nope-1", "understood": "y"})
    assert wrong.status_code == 422
    assert "nothing was deleted" in wrong.get_data(as_text=True)
    unticked = client.post("/account/data/delete", data={"password": DEFAULT_PASSWORD})
    assert unticked.status_code == 422
    assert db.session.get(User, patient.id) is not None
    assert text_values_mentioning(PATIENT_EMAIL)


def test_erasure_is_post_only(client, login, patient):
    login(patient)
    assert client.get("/account/data/delete").status_code == 405


def test_clinic_accounts_are_not_erased_from_the_account_page(client, login):
    staff = make_user(role="staff")
    login(staff)
    response = client.post(
        "/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"}
    )
    assert response.status_code == 422
    assert "ask an admin" in response.get_data(as_text=True)
    assert db.session.get(User, staff.id) is not None


def test_erasing_one_customer_leaves_others_alone(client, login, patient):
    other = make_user(email="other@example.com", name="Other Person")
    other_order = make_order(other, "other@example.com", "Other Person")
    login(patient)
    client.post("/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"})
    db.session.expire_all()
    assert db.session.get(Order, other_order.id).name == "Other Person"
    assert db.session.get(User, other.id) is not None
