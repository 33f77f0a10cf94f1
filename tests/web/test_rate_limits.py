"""Rate limits on sign-in, registration, password reset and the plan API."""

from __future__ import annotations

import pytest
from flask import Flask
from sqlalchemy import func, select

from app import create_app
from models import OutboxEmail, User, db
from shop.extensions import limiter
from tests.factories import DEFAULT_PASSWORD, make_user

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def tight_limits(app_ctx):
    """Make the limits small for one test, restoring them afterwards."""
    config = app_ctx.config
    saved = {k: config[k] for k in ("LOGIN_RATE_LIMIT", "REGISTER_RATE_LIMIT")}
    saved["PASSWORD_RESET_RATE_LIMIT"] = config["PASSWORD_RESET_RATE_LIMIT"]
    config.update(
        LOGIN_RATE_LIMIT="3 per minute",
        REGISTER_RATE_LIMIT="2 per minute",
        PASSWORD_RESET_RATE_LIMIT="2 per minute",
    )
    yield config
    config.update(saved)
    limiter.reset()


def wrong_login(client, email="pat@example.com", address="10.0.0.1"):
    return client.post(
        "/account/login",
        data={"email": email, "password": "Not-the-password-1"},
        environ_base={"REMOTE_ADDR": address},
    )


def test_repeated_failed_logins_for_one_account_get_429_from_any_address(client, tight_limits):
    make_user(email="pat@example.com")
    for address in ("10.0.0.1", "10.0.0.2", "10.0.0.3"):
        assert wrong_login(client, address=address).status_code == 401
    blocked = wrong_login(client, address="10.0.0.4")
    assert blocked.status_code == 429
    html = blocked.get_data(as_text=True)
    assert "Too many requests" in html and "Back to the shop" in html
    assert "Retry-After" in blocked.headers
    # Even the right password waits: the account is being guessed at.
    right = client.post(
        "/account/login",
        data={"email": "pat@example.com", "password": DEFAULT_PASSWORD},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    assert right.status_code == 429


def test_one_address_trying_many_accounts_gets_429(client, tight_limits):
    for number in range(3):
        assert wrong_login(client, email=f"user{number}@example.com").status_code == 401
    assert wrong_login(client, email="user9@example.com").status_code == 429
    # Another address is not affected.
    assert wrong_login(client, email="user9@example.com", address="10.9.9.9").status_code == 401


def test_without_trusted_proxies_x_forwarded_for_does_not_dodge_the_limit(client, tight_limits):
    for number in range(3):
        response = client.post(
            "/account/login",
            data={"email": f"user{number}@example.com", "password": "Not-the-password-1"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},
            headers={"X-Forwarded-For": f"203.0.113.{number}"},
        )
        assert response.status_code == 401
    assert wrong_login(client, email="user9@example.com").status_code == 429


@pytest.fixture
def behind_one_proxy(app_ctx, database_url):
    """An app told one trusted proxy (the load balancer) adds X-Forwarded-For."""
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "LOGIN_RATE_LIMIT": "3 per minute",
            "PROXY_FIX_X_FOR": 1,
        }
    )
    with application.app_context():
        yield application
        limiter.reset()
        db.session.remove()


def test_behind_a_trusted_proxy_each_client_has_its_own_limit(behind_one_proxy):
    client = behind_one_proxy.test_client()

    def attempt(email, client_address):
        return client.post(
            "/account/login",
            data={"email": email, "password": "Not-the-password-1"},
            environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the load balancer
            headers={"X-Forwarded-For": client_address},
        )

    for number in range(3):
        assert attempt(f"user{number}@example.com", "203.0.113.7").status_code == 401
    assert attempt("user9@example.com", "203.0.113.7").status_code == 429
    # Another patient behind the same balancer can still sign in.
    assert attempt("user9@example.com", "198.51.100.20").status_code == 401


def test_successful_logins_do_not_use_up_the_account_limit(client, tight_limits):
    make_user(email="pat@example.com")
    for number in range(5):
        response = client.post(
            "/account/login",
            data={"email": "pat@example.com", "password": DEFAULT_PASSWORD},
            environ_base={"REMOTE_ADDR": f"10.1.0.{number}"},
        )
        assert response.status_code == 302
        client.post("/account/logout")


def test_letter_case_does_not_dodge_the_account_limit(client, tight_limits):
    make_user(email="pat@example.com")
    for number, email in enumerate(["pat@example.com", "PAT@example.com", "Pat@Example.com"]):
        wrong_login(client, email=email, address=f"10.2.0.{number}")
    assert wrong_login(client, email="pAt@example.COM", address="10.2.0.9").status_code == 429


def test_viewing_the_login_page_is_not_limited(client, tight_limits):
    for _ in range(10):
        assert client.get("/account/login").status_code == 200


def test_limits_reset(client, tight_limits):
    for _ in range(3):
        wrong_login(client)
    assert wrong_login(client).status_code == 429
    limiter.reset()
    assert wrong_login(client).status_code == 401


def test_registration_is_limited_per_address(client, tight_limits):
    for number in range(2):
        client.post("/account/register", data={"email": f"a{number}@example.com"})
    response = client.post("/account/register", data={"email": "a9@example.com"})
    assert response.status_code == 429
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0


def test_password_reset_requests_are_limited_per_account(client, tight_limits):
    make_user(email="pat@example.com")
    for number in range(2):
        client.post(
            "/account/password-reset",
            data={"email": "pat@example.com"},
            environ_base={"REMOTE_ADDR": f"10.3.0.{number}"},
        )
    blocked = client.post(
        "/account/password-reset",
        data={"email": "pat@example.com"},
        environ_base={"REMOTE_ADDR": "10.3.0.9"},
    )
    assert blocked.status_code == 429
    # No flood of emails to the account holder.
    assert db.session.execute(select(func.count()).select_from(OutboxEmail)).scalar_one() == 2


def test_the_plan_api_is_limited_per_address_with_json_and_headers(client, app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "PLAN_API_RATE_LIMIT", "2 per minute")
    query = {"treatment": "microneedling", "treated_on": "2026-13-45", "fitzpatrick": "2"}

    def ask(address):
        return client.get(
            "/api/v1/aftercare-plan", query_string=query, environ_base={"REMOTE_ADDR": address}
        )

    try:
        first = ask("10.4.0.1")
        # Refused input counts too: a client cannot probe for free.
        assert first.status_code == 400
        assert first.headers["X-RateLimit-Limit"] == "2"
        assert first.headers["X-RateLimit-Remaining"] == "1"
        assert ask("10.4.0.1").status_code == 400
        blocked = ask("10.4.0.1")
        assert blocked.status_code == 429
        assert blocked.get_json()["error"]["status"] == 429
        assert int(blocked.headers["Retry-After"]) > 0
        assert ask("10.4.0.2").status_code == 400  # another address has its own count
    finally:
        limiter.reset()


# --- Redis ----------------------------------------------------------------------------------


def _redis_or_skip():
    redis = pytest.importorskip("redis")
    try:
        connection = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
        connection.ping()
    except redis.RedisError as error:
        pytest.skip(
            f"Redis is not reachable on {REDIS_URL} ({error}); the Redis limit test needs it"
        )
    return connection


@pytest.fixture
def redis_app(database_url) -> Flask:
    """An app counting its limits in the real Redis (database 15), put back to memory after."""
    connection = _redis_or_skip()
    # The limiter object is shared by every app in this process; keep the suite's storage.
    saved_storage, saved_strategy = limiter._storage, limiter._limiter
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "REDIS_URL": REDIS_URL,
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "LOGIN_RATE_LIMIT": "2 per minute",
        }
    )
    with application.app_context():
        db.create_all()
        limiter.reset()
        yield application
        limiter.reset()
        db.session.remove()
    connection.close()
    limiter._storage, limiter._limiter = saved_storage, saved_strategy


def test_limits_are_counted_in_redis_when_configured(redis_app):
    from limits.storage import RedisStorage

    assert isinstance(limiter.storage, RedisStorage)
    client = redis_app.test_client()
    for _ in range(2):
        assert wrong_login(client, email="someone@example.com").status_code == 401
    assert wrong_login(client, email="someone@example.com").status_code == 429
    connection = _redis_or_skip()
    assert connection.keys("LIMITS*"), "the counts should live in Redis"
    limiter.reset()
    assert not connection.keys("LIMITS*")
    assert wrong_login(client, email="someone@example.com").status_code == 401


def test_redis_url_alone_selects_redis_storage(monkeypatch):
    from shop.config import load_config

    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    assert load_config({"TESTING": True})["RATELIMIT_STORAGE_URI"] == REDIS_URL
    monkeypatch.delenv("REDIS_URL")
    assert load_config({"TESTING": True})["RATELIMIT_STORAGE_URI"] == "memory://"


def test_the_pages_that_skip_the_limiter_declare_no_limit(app_ctx):
    from flask_limiter.util import get_qualified_name

    from shop.ratelimits import UNLIMITED_ENDPOINTS

    manager = limiter.limit_manager
    assert not manager.default_limits and not manager.application_limits
    for endpoint in UNLIMITED_ENDPOINTS:
        view = app_ctx.view_functions[endpoint]  # a renamed page fails here, not silently
        assert manager.decorated_limits(get_qualified_name(view)) == [], endpoint
        assert manager.blueprint_limits(app_ctx, endpoint.split(".")[0]) == [], endpoint
