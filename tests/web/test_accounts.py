"""Register, sign in and out, safe redirects, password reset and change, deactivated accounts."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from unittest import mock
from urllib.parse import urlsplit

import pytest
from flask import url_for
from sqlalchemy import func, select

from models import OutboxEmail, User, db
from shop.services import accounts
from shop.services.basket import UserBasket
from tests.checkout_helpers import add
from tests.conftest import log_in
from tests.factories import DEFAULT_PASSWORD, make_lot, make_product, make_user

NEW_PASSWORD = "Fresh-start-2026?"


def registration(**changes):
    """A valid registration form, with `changes` applied."""
    data = {
        "email": "new.patient@example.com",
        "name": "New Patient",
        "password": "Gentle-care-77",
        "confirm": "Gentle-care-77",
        "health_data_consent": "y",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def user_count() -> int:
    return db.session.execute(select(func.count()).select_from(User)).scalar_one()


def signed_in_user(client):
    """Return who the client is signed in as, by asking a page that needs signing in."""
    response = client.get("/account")
    return response.status_code == 200


# --- register -------------------------------------------------------------------------------


def test_register_creates_a_customer_signed_in_with_consents(client):
    response = client.post(
        "/account/register",
        data=registration(email="New.Patient@Example.COM", marketing_consent="y"),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    user = db.session.execute(select(User)).scalar_one()
    assert user.email == "new.patient@example.com"
    assert user.role == "customer"
    assert user.health_data_consent_at is not None
    assert user.marketing_consent is True
    assert user.password_hash != "Gentle-care-77" and user.password_hash.startswith("scrypt")
    assert signed_in_user(client)


def confirmation_path(to: str) -> str:
    """Return the path of the confirmation link last emailed to `to`."""
    email = (
        db.session.execute(
            select(OutboxEmail)
            .where(OutboxEmail.kind == "email_confirmation", OutboxEmail.to_address == to)
            .order_by(OutboxEmail.id.desc())
        )
        .scalars()
        .first()
    )
    return urlsplit(re.search(r"http\S+/account/confirm-email/\S+", email.body_text).group(0)).path


def test_registration_emails_a_link_that_confirms_the_address_from_any_browser(app, client):
    client.post("/account/register", data=registration())
    user = db.session.execute(select(User)).scalar_one()
    assert user.email_confirmed_at is None
    path = confirmation_path("new.patient@example.com")
    # Opened on another device, not signed in: the signed link is the proof.
    response = app.test_client().get(path)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).email_confirmed_at is not None


def test_marketing_consent_is_optional_and_off_by_default(client):
    client.post("/account/register", data=registration())
    assert db.session.execute(select(User)).scalar_one().marketing_consent is False


def test_register_without_health_data_consent_is_refused(client):
    response = client.post("/account/register", data=registration(health_data_consent=None))
    assert response.status_code == 422
    assert "We need your agreement" in response.get_data(as_text=True)
    assert user_count() == 0


def test_a_checkbox_accepts_only_its_own_value(client):
    response = client.post("/account/register", data=registration(marketing_consent="no"))
    assert response.status_code == 422
    assert "Tick the box or leave it empty." in response.get_data(as_text=True)
    assert user_count() == 0


def test_duplicate_email_in_other_letter_case_is_refused(client):
    make_user(email="pat@example.com")
    response = client.post("/account/register", data=registration(email="PAT@Example.com"))
    assert response.status_code == 422
    assert "An account with this email already exists" in response.get_data(as_text=True)
    assert user_count() == 1


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Short-1", "at least 10 characters"),
        ("onlylowercaseletters", "Mix letters with numbers"),
        ("12345678901234", "Mix letters with numbers"),
        ("Password123!", "too common"),
        ("qwertyuiop", "too common"),
        ("New.Patient-2026", "must not contain your email"),
    ],
)
def test_weak_passwords_are_refused_with_the_reason(client, password, message):
    response = client.post(
        "/account/register", data=registration(password=password, confirm=password)
    )
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert user_count() == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"email": "not-an-email"},
        {"email": ""},
        {"name": ""},
        {"name": "x" * 121},
        {"confirm": "Something-else-99"},
        {"password": None, "confirm": None},
    ],
)
def test_bad_registration_input_is_a_422_and_creates_nothing(client, changes):
    response = client.post("/account/register", data=registration(**changes))
    assert response.status_code == 422
    assert 'class="invalid-feedback"' in response.get_data(as_text=True)
    assert user_count() == 0


# --- sign in and out ------------------------------------------------------------------------


def test_login_with_email_in_any_case_signs_in_and_records_the_time(client):
    user = make_user(email="pat@example.com")
    response = client.post(
        "/account/login", data={"email": "PAT@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/account")
    db.session.refresh(user)
    assert user.last_login_at is not None
    assert signed_in_user(client)


@pytest.mark.parametrize(
    ("email", "password"),
    [("pat@example.com", "Wrong-password-1"), ("nobody@example.com", DEFAULT_PASSWORD)],
)
def test_wrong_password_or_unknown_email_get_the_same_answer(client, email, password):
    make_user(email="pat@example.com")
    response = client.post("/account/login", data={"email": email, "password": password})
    assert response.status_code == 401
    assert "That email and password do not match an account." in response.get_data(as_text=True)
    assert not signed_in_user(client)


def test_login_with_empty_form_is_a_422(client):
    response = client.post("/account/login", data={})
    assert response.status_code == 422
    assert "Please enter your email." in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["/account/orders", "/kits?treatment=ipl", "/account/plans#x"])
def test_login_goes_back_to_a_page_inside_the_shop(client, target):
    make_user(email="pat@example.com")
    response = client.post(
        "/account/login",
        data={"email": "pat@example.com", "password": DEFAULT_PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == target


OPEN_REDIRECTS = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "\\/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    " //evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    "data:text/html,hi",
    "evil.example",
    "https:evil.example",
    "/%5Cevil.example\\x",
    "",
]


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_login_never_redirects_outside_the_shop(client, target):
    make_user(email="pat@example.com")
    response = client.post(
        "/account/login",
        data={"email": "pat@example.com", "password": DEFAULT_PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize("target", OPEN_REDIRECTS)
def test_next_in_the_query_string_is_checked_too(client, target):
    make_user(email="pat@example.com")
    response = client.post(
        "/account/login",
        query_string={"next": target},
        data={"email": "pat@example.com", "password": DEFAULT_PASSWORD},
    )
    assert response.headers["Location"] == "/account"


def test_a_signed_in_visitor_is_sent_on_from_the_login_page(client, login):
    login(make_user())
    response = client.get("/account/login?next=//evil.example")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"


@pytest.mark.parametrize(
    ("role", "landing"),
    [
        ("customer", "/account"),
        ("clinician", "/clinic/"),
        ("staff", "/staff/"),
        ("admin", "/staff/"),
    ],
)
def test_each_role_lands_on_its_own_area_after_signing_in(client, role, landing):
    make_user(role, email="someone@example.com")
    response = client.post(
        "/account/login", data={"email": "someone@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == landing
    assert client.get(landing).status_code == 200
    # Already signed in, the sign-in page sends them on to the same place.
    assert client.get("/account/login").headers["Location"] == landing


@pytest.mark.parametrize("role", ["clinician", "staff"])
def test_a_safe_next_beats_the_landing_page_and_an_unsafe_one_does_not(client, role):
    make_user(role, email="someone@example.com")
    form = {"email": "someone@example.com", "password": DEFAULT_PASSWORD}
    response = client.post("/account/login", data={**form, "next": "/kits"})
    assert response.headers["Location"] == "/kits"
    client.post("/account/logout")
    response = client.post("/account/login", data={**form, "next": "//evil.example"})
    assert response.headers["Location"] == {"clinician": "/clinic/", "staff": "/staff/"}[role]


def test_login_page_keeps_a_safe_next_in_the_form(client):
    html = client.get("/account/login?next=/account/plans").get_data(as_text=True)
    assert 'name="next" type="hidden" value="/account/plans"' in html
    html = client.get("/account/login?next=//evil.example").get_data(as_text=True)
    assert "evil.example" not in html


def test_logout_is_post_only_and_signs_out(client, login):
    login(make_user())
    assert client.get("/account/logout").status_code == 405
    assert signed_in_user(client)
    response = client.post("/account/logout")
    assert response.status_code == 302
    assert not signed_in_user(client)


def test_sign_in_and_out_links_show_in_the_header(client, login):
    html = client.get("/").get_data(as_text=True)
    assert 'href="/account/login"' in html
    login(make_user())
    html = client.get("/").get_data(as_text=True)
    assert 'action="/account/logout"' in html and 'href="/account"' in html


def test_deactivated_user_cannot_sign_in(client):
    make_user(email="pat@example.com", active=False)
    response = client.post(
        "/account/login", data={"email": "pat@example.com", "password": DEFAULT_PASSWORD}
    )
    assert response.status_code == 403
    assert "deactivated" in response.get_data(as_text=True)
    assert not signed_in_user(client)


def test_deactivating_ends_existing_sessions(client, login):
    user = make_user()
    login(user)
    assert signed_in_user(client)
    accounts.set_active(None, user.id, False)
    assert not signed_in_user(client)


def test_remember_cookie_is_http_only_and_same_site(client):
    make_user(email="pat@example.com")
    response = client.post(
        "/account/login",
        data={"email": "pat@example.com", "password": DEFAULT_PASSWORD, "remember": "y"},
    )
    cookies = response.headers.getlist("Set-Cookie")
    remember = [c for c in cookies if c.startswith("remember_token=")]
    assert remember and "HttpOnly" in remember[0] and "SameSite=Lax" in remember[0]
    session_cookie = [c for c in cookies if c.startswith("session=")]
    assert "HttpOnly" in session_cookie[0] and "SameSite=Lax" in session_cookie[0]


# --- guest basket hook ----------------------------------------------------------------------


def test_what_a_guest_put_in_the_basket_is_still_there_after_signing_in(client):
    user = make_user(email="pat@example.com")
    cream = make_product(slug="calm-cream")
    make_lot(cream, 10)
    assert add(client, "calm-cream", 2).status_code in (302, 303)
    client.post("/account/login", data={"email": "pat@example.com", "password": DEFAULT_PASSWORD})
    assert UserBasket(user.id).load() == {f"product:{cream.id}": 2}
    with client.session_transaction() as session:
        assert "basket" not in session


# --- password reset -------------------------------------------------------------------------


def reset_link_from_outbox() -> str:
    email = db.session.execute(
        select(OutboxEmail).where(OutboxEmail.kind == "password_reset")
    ).scalar_one()
    return re.search(r"http\S+/account/password-reset/\S+", email.body_text).group(0)


def test_reset_request_answers_the_same_whether_or_not_the_email_exists(client):
    make_user(email="pat@example.com")
    known = client.post("/account/password-reset", data={"email": "pat@example.com"})
    unknown = client.post("/account/password-reset", data={"email": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 200

    def strip(html, email):
        return html.replace(email, "EMAIL")

    assert strip(known.get_data(as_text=True), "pat@example.com") == strip(
        unknown.get_data(as_text=True), "nobody@example.com"
    )
    emails = db.session.execute(select(OutboxEmail)).scalars().all()
    assert [e.to_address for e in emails] == ["pat@example.com"]
    assert emails[0].subject == "Reset your password"
    assert "/account/password-reset/" in emails[0].body_html


def test_reset_request_with_a_bad_email_is_a_422(client):
    response = client.post("/account/password-reset", data={"email": "nope"})
    assert response.status_code == 422
    assert db.session.execute(select(func.count()).select_from(OutboxEmail)).scalar_one() == 0


def test_deactivated_account_gets_no_reset_email(client):
    make_user(email="pat@example.com", active=False)
    response = client.post("/account/password-reset", data={"email": "pat@example.com"})
    assert response.status_code == 200
    assert db.session.execute(select(func.count()).select_from(OutboxEmail)).scalar_one() == 0


def test_reset_link_sets_a_new_password_once_and_ends_sessions(app_ctx, client):
    user = make_user(email="pat@example.com")
    old_token = user.session_token
    client.post("/account/password-reset", data={"email": "pat@example.com"})
    link = reset_link_from_outbox()
    path = urlsplit(link).path
    assert client.get(path).status_code == 200
    response = client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.session_token != old_token
    assert user.password_changed_at is not None
    assert accounts.authenticate("pat@example.com", NEW_PASSWORD).id == user.id
    # The same link a second time: used up.
    again = client.post(path, data={"password": "Another-one-2026", "confirm": "Another-one-2026"})
    assert again.status_code == 400
    assert "already been used" in again.get_data(as_text=True)
    assert accounts.authenticate("pat@example.com", NEW_PASSWORD).id == user.id


def test_expired_reset_token_is_refused(app_ctx, client):
    user = make_user(email="pat@example.com")
    token = accounts.make_reset_token(user, app_ctx.config["SECRET_KEY"])
    later = datetime.now(UTC).timestamp() + app_ctx.config["PASSWORD_RESET_MAX_AGE"] + 5
    with mock.patch("itsdangerous.timed.time.time", return_value=later):
        response = client.post(
            f"/account/password-reset/{token}",
            data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD},
        )
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert accounts.authenticate("pat@example.com", DEFAULT_PASSWORD).id == user.id


@pytest.mark.parametrize(
    "token", ["not-a-token", "eyJ1IjoxfQ.AAAA.BBBB", "x" * 300, "%00", "..%2F..%2F"]
)
def test_wrong_reset_tokens_are_refused(client, token):
    make_user(email="pat@example.com")
    response = client.get(f"/account/password-reset/{token}")
    assert response.status_code in (400, 404)
    assert "Traceback" not in response.get_data(as_text=True)


def test_token_signed_with_another_key_is_refused(app_ctx, client):
    user = make_user(email="pat@example.com")
    forged = accounts.make_reset_token(user, "some-other-secret")
    response = client.get(f"/account/password-reset/{forged}")
    assert response.status_code == 400
    assert "not valid" in response.get_data(as_text=True)


def test_weak_new_password_from_reset_link_is_refused(app_ctx, client):
    user = make_user(email="pat@example.com")
    token = accounts.make_reset_token(user, app_ctx.config["SECRET_KEY"])
    response = client.post(
        f"/account/password-reset/{token}", data={"password": "password1", "confirm": "password1"}
    )
    assert response.status_code == 422
    assert accounts.authenticate("pat@example.com", DEFAULT_PASSWORD).id == user.id
    # Still usable: nothing changed.
    assert client.get(f"/account/password-reset/{token}").status_code == 200


def test_reset_link_is_built_on_the_public_address(app_ctx, client):
    make_user(email="pat@example.com")
    client.post("/account/password-reset", data={"email": "pat@example.com"})
    assert reset_link_from_outbox().startswith(app_ctx.config["PUBLIC_BASE_URL"])


# --- change password ------------------------------------------------------------------------


def test_changing_the_password_signs_out_other_devices_but_not_this_one(app_ctx, login):
    user = make_user()
    this_device = app_ctx.test_client()
    other_device = app_ctx.test_client()
    from tests.conftest import log_in

    log_in(this_device, user)
    log_in(other_device, user)
    response = this_device.post(
        "/account/password",
        data={
            "current_password": DEFAULT_PASSWORD,
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 302
    assert signed_in_user(this_device)
    assert not signed_in_user(other_device)


def test_change_password_needs_the_current_one(client, login):
    user = make_user()
    login(user)
    hash_before = user.password_hash
    response = client.post(
        "/account/password",
        data={
            "current_password": "wrong-one-123",
            "password": NEW_PASSWORD,
            "confirm": NEW_PASSWORD,
        },
    )
    assert response.status_code == 422
    assert "Your current password is not right." in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == hash_before


# --- unit-ish checks of the service ---------------------------------------------------------


def test_service_refuses_registration_without_consent(app_ctx):
    with pytest.raises(accounts.AccountError, match="agree"):
        accounts.register(
            "a@example.com",
            "A",
            "Gentle-care-77",
            health_data_consent=False,
            confirmation=accounts.EmailConfirmation("key", lambda token: token, 3600),
        )


def test_reset_token_of_a_changed_email_no_longer_works(app_ctx):
    user = make_user(email="pat@example.com")
    token = accounts.make_reset_token(user, "k")
    user.email = "pat2@example.com"
    db.session.commit()
    with pytest.raises(accounts.InvalidResetToken):
        accounts.user_for_reset_token(token, "k", 3600)


def test_change_password_records_when(app_ctx):
    user = make_user()
    moment = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    accounts.change_password(user.id, DEFAULT_PASSWORD, NEW_PASSWORD, now=moment)
    db.session.refresh(user)
    assert user.password_changed_at.replace(tzinfo=UTC) == moment


def test_url_for_has_every_account_page(app_ctx):
    with app_ctx.test_request_context():
        for endpoint in ("login", "logout", "register", "overview", "orders", "plans", "data"):
            assert url_for(f"account.{endpoint}")


def test_guest_basket_joins_the_saved_basket_on_sign_in(client):
    from models import BasketItem
    from tests.factories import make_lot, make_product

    product = make_product(slug="barrier-balm")
    make_lot(product, 10)
    user = make_user(email="pat@example.com")
    db.session.add(
        BasketItem(
            user_id=user.id, item_key=f"product:{product.id}", product_id=product.id, quantity=1
        )
    )
    db.session.commit()
    added = client.post(
        "/basket/add", data={"kind": "product", "slug": "barrier-balm", "quantity": 2}
    )
    assert added.status_code == 303
    client.post("/account/login", data={"email": "pat@example.com", "password": DEFAULT_PASSWORD})
    item = db.session.execute(select(BasketItem).where(BasketItem.user_id == user.id)).scalar_one()
    assert item.quantity == 3


def test_a_signed_in_session_replayed_from_another_browser_is_signed_out(client, app_ctx):
    log_in(client, make_user(email="replayed@example.com"))
    assert client.get("/account").status_code == 200
    # The same cookie from another browser: strong session protection drops the user.
    response = client.get("/account", headers={"User-Agent": "Another browser/1.0"})
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
