"""Error pages speak in the shop's own words, with a way back, never the framework's text."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from werkzeug.exceptions import InternalServerError, TooManyRequests

from shop.aftercare import Screening
from shop.extensions import limiter
from shop.services import plan_links
from shop.services.plans import PlanRequest
from tests.factories import make_user

STOCK_TEXTS = (
    "The requested URL was not found on the server",
    "The method is not allowed for the requested URL",
    "You don't have the permission",
    "The CSRF token",
    "The server encountered an internal error",
    "exceeded an allotted request count",
    "The requested URL is no longer available",
)


def _assert_shop_page(html: str, heading: str) -> None:
    assert f'<h1 class="h3">{heading}</h1>' in html
    assert 'href="/">Back to the shop</a>' in html
    for stock in STOCK_TEXTS:
        assert stock.lower() not in html.lower(), stock


def test_a_missing_page(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    _assert_shop_page(response.get_data(as_text=True), "We could not find that page")
    assert "may be mistyped" in response.get_data(as_text=True)


def test_a_missing_page_keeps_the_reason_the_shop_gave(client):
    response = client.get("/kits/no-such-kit")
    assert response.status_code == 404
    assert "We do not have a kit at that address." in response.get_data(as_text=True)


def test_a_wrong_method(client):
    response = client.post("/kits")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    _assert_shop_page(response.get_data(as_text=True), "That action is not allowed here")


def test_a_page_for_another_kind_of_account(client, login, app_ctx):
    login(make_user(email="pat@example.com", role="customer"))
    response = client.get("/staff/")
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    _assert_shop_page(html, "You do not have access to this page")
    assert "Sign in with the account it is for" in html


def test_an_expired_link(app, client):
    long_ago = date.today() - timedelta(days=app.config["PLAN_LINK_DAYS"] + 5)
    token = plan_links.make_plan_token(
        PlanRequest("microneedling", long_ago, 2, frozenset(), Screening())
    )
    response = client.get(f"/plans/{token}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    _assert_shop_page(html, "This link has expired")
    assert "You can make a new plan in the kit finder." in html


@pytest.mark.parametrize(
    ("error", "code", "heading", "words"),
    [
        (TooManyRequests(), 429, "Too many requests", "wait a minute"),
        (InternalServerError(), 500, "Something went wrong on our side", "call us"),
    ],
)
def test_errors_raised_anywhere_read_as_the_shop(app, error, code, heading, words):
    with app.test_request_context("/checkout"):
        body, status = app.handle_user_exception(error)
    assert status == code
    _assert_shop_page(body, heading)
    assert words in body


def test_the_api_answers_in_the_shop_s_words_too(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    detail = response.get_json()["error"]["detail"]
    assert "may be mistyped" in detail


def test_a_form_sent_without_its_token(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    response = client.post("/basket/add", data={"kind": "kit", "slug": "x", "quantity": "1"})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    _assert_shop_page(html, "This form has expired")
    assert "Nothing was sent or changed" in html
    assert client.get("/basket").get_data(as_text=True).count("Your basket is empty") == 1


def test_a_rate_limited_request(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "LOGIN_RATE_LIMIT", "1 per minute")
    data = {"email": "pat@example.com", "password": "Not-the-password-1"}
    try:
        client.post("/account/login", data=data)
        response = client.post("/account/login", data=data)
    finally:
        limiter.reset()
    assert response.status_code == 429
    html = response.get_data(as_text=True)
    _assert_shop_page(html, "Too many requests")
    assert "wait a minute" in html and "per 1 minute" not in html
