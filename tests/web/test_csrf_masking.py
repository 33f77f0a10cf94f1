"""CSRF tokens are masked afresh in every response (BREACH) and still protect every form."""

from __future__ import annotations

import re

import pytest
from flask import g
from flask_wtf import FlaskForm
from flask_wtf.csrf import generate_csrf
from werkzeug.datastructures import MultiDict
from wtforms import StringField

from shop.csrf import TOKEN_PLACEHOLDER, mask_token, masked_csrf_token, unmask_token
from shop.forms import ShopForm
from tests.factories import DEFAULT_PASSWORD, make_user

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def csrf_on(app, monkeypatch):
    """Switch CSRF protection on, as it is outside tests."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)


def _tokens(html: str) -> list[str]:
    return TOKEN.findall(html)


def _sign_in_attempt(client, token: str | None, password: str = "wrong-password"):
    data = {"email": "ada@example.com", "password": password}
    if token is not None:
        data["csrf_token"] = token
    return client.post("/account/login", data=data)


def test_mask_and_unmask_round_trip_with_a_new_string_each_time():
    token = "ImFiYyI.aBcD.efGh-123_"
    masked = {mask_token(token) for _ in range(20)}
    assert len(masked) == 20
    assert all(unmask_token(m) == token for m in masked)
    assert all(token not in m for m in masked)


@pytest.mark.parametrize("junk", ["", "!!!", "abc", "A" * 7, "ImFiYyI.aBcD.efGh", "é" * 8])
def test_unmask_refuses_what_mask_never_made(junk):
    assert unmask_token(junk) is None


def test_two_renders_give_different_tokens_and_both_are_accepted(client, csrf_on):
    make_user(email="ada@example.com")
    first = _tokens(client.get("/account/login").get_data(as_text=True))
    second = _tokens(client.get("/account/login").get_data(as_text=True))
    assert len(first) == len(second) == 1 and first != second
    # 401 is the wrong password: the CSRF check passed. A refused token would be a 400.
    assert _sign_in_attempt(client, first[0]).status_code == 401
    assert _sign_in_attempt(client, second[0]).status_code == 401
    assert _sign_in_attempt(client, first[0], DEFAULT_PASSWORD).status_code in (302, 303)


def test_a_page_with_several_forms_carries_the_secret_only_under_its_own_mask(
    app, client, login, monkeypatch
):
    login(make_user())
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    html = client.get("/account/data").get_data(as_text=True)
    tokens = _tokens(html)  # the sign-out button's and the page's own forms'
    # One mask per response: BREACH needs a secret repeated from response to response.
    assert len(tokens) >= 2 and len(set(tokens)) == 1
    assert unmask_token(tokens[0]) is not None
    with client.session_transaction() as session:
        raw_secret = session["csrf_token"]
    assert raw_secret not in html and unmask_token(tokens[0]) not in html
    again = _tokens(client.get("/account/data").get_data(as_text=True))
    # Another mask over the same secret (Flask-WTF signs it with the time: compare the payload).
    assert set(again).isdisjoint(tokens)
    assert unmask_token(again[0]).split(".")[0] == unmask_token(tokens[0]).split(".")[0]


@pytest.mark.parametrize(
    "tamper",
    [
        lambda t: t[:-2] + ("AA" if t[-2:] != "AA" else "BB"),
        lambda t: t[:10] + t[11:],
        lambda t: t + "A",
        lambda t: "not a token",
        lambda t: unmask_token(t),  # the bare Flask-WTF token: the secret only travels masked
    ],
)
def test_a_tampered_token_is_refused_with_a_400(client, csrf_on, tamper):
    make_user(email="ada@example.com")
    (token,) = _tokens(client.get("/account/login").get_data(as_text=True))
    response = _sign_in_attempt(client, tamper(token), DEFAULT_PASSWORD)
    assert response.status_code == 400
    with client.session_transaction() as session:
        assert "_user_id" not in session


def test_a_missing_token_is_refused_with_a_400(client, csrf_on):
    client.get("/account/login")
    assert _sign_in_attempt(client, None).status_code == 400


def test_a_token_from_another_session_is_refused(app, client, csrf_on):
    (stranger_token,) = _tokens(app.test_client().get("/account/login").get_data(as_text=True))
    client.get("/account/login")
    assert _sign_in_attempt(client, stranger_token).status_code == 400


def test_a_masked_token_in_the_header_is_accepted(client, csrf_on):
    make_user(email="ada@example.com")
    (token,) = _tokens(client.get("/account/login").get_data(as_text=True))
    response = client.post(
        "/account/login",
        data={"email": "ada@example.com", "password": "wrong-password"},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 401


class _NameForm(ShopForm):
    name = StringField()


def test_a_form_checks_its_masked_token_where_no_request_hook_did(app, monkeypatch):
    # On a view without the global check (exempt, or the check switched off) the form's own
    # CSRF field does it; no before_request hook runs in a bare request context.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    with app.test_request_context("/", method="POST"):
        rendered = _NameForm(formdata=None).csrf_token.current_token
        assert unmask_token(rendered) == generate_csrf()
        good = mask_token(generate_csrf())
        assert _NameForm(formdata=_formdata(good)).validate()
        for bad, reason in [(good[:-3] + "xyz", "invalid"), ("", "missing"), ("%%%", "invalid")]:
            form = _NameForm(formdata=_formdata(bad))
            assert not form.validate()
            assert reason in form.csrf_token.errors[0]


def _formdata(token: str) -> MultiDict:
    return MultiDict({"csrf_token": token, "name": "Ada"})


def test_the_shared_page_placeholder_is_left_for_each_visitor_to_fill(app, csrf_on):
    with app.test_request_context("/"):
        g.csrf_token = TOKEN_PLACEHOLDER  # as while a page for every visitor is built
        assert masked_csrf_token() == TOKEN_PLACEHOLDER
        assert _NameForm(formdata=None).csrf_token.current_token == TOKEN_PLACEHOLDER
        del g.csrf_token
        assert unmask_token(masked_csrf_token()) == generate_csrf()


def test_every_form_of_the_shop_masks_its_token(app):
    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    shop_forms = [c for c in subclasses(FlaskForm) if c.__module__.startswith("shop.")]
    assert len(shop_forms) > 30  # the blueprints' forms are imported with the app
    plain = [f"{c.__module__}.{c.__name__}" for c in shop_forms if not issubclass(c, ShopForm)]
    assert plain == [], "derive these forms from shop.forms.ShopForm: " + ", ".join(plain)
