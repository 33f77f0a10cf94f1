"""The application shell: health check, error pages, configuration."""

from datetime import date

import pytest
from flask import abort

from app import create_app
from shop.config import ConfigError, load_config


def test_healthz_reports_the_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok"}


def test_unknown_page_is_a_friendly_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "We could not find that page" in html
    assert "Traceback" not in html


def test_wrong_method_is_405_with_allow_header(client):
    response = client.post("/products")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "That action is not allowed here" in response.get_data(as_text=True)


@pytest.fixture
def fresh_app(database_url):
    """A separate app, so a test can add routes before its first request."""
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": database_url})


def test_unexpected_errors_show_no_stack_trace(fresh_app):
    def boom():
        raise RuntimeError("secret internals")

    fresh_app.add_url_rule("/__boom", "boom", boom)
    response = fresh_app.test_client().get("/__boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Something went wrong on our side" in html
    assert "secret internals" not in html and "Traceback" not in html


@pytest.mark.parametrize(
    ("code", "title"),
    [
        (400, "That request did not make sense"),
        (403, "You do not have access"),
        (413, "That upload is too large"),
        (429, "Too many requests"),
    ],
)
def test_error_pages_use_the_shop_layout(fresh_app, code, title):
    fresh_app.add_url_rule("/__abort", "abort", lambda: abort(code))
    response = fresh_app.test_client().get("/__abort")
    assert response.status_code == code
    html = response.get_data(as_text=True)
    assert title in html
    assert "Back to the shop" in html


def test_production_requires_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("SHOP_ENV", "production")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config()


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("SHOP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 32)
    config = load_config()
    assert config["SESSION_COOKIE_SECURE"] is True
    assert config["SESSION_COOKIE_HTTPONLY"] is True
    assert config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_postgres_urls_use_psycopg(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h:5432/shop")
    assert load_config({"TESTING": True})["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://u@h:5432/shop"
    )


def test_pooled_server_connections_are_tested_before_use_sqlite_files_are_not(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h:5432/shop")
    assert load_config({"TESTING": True})["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    monkeypatch.setenv("DATABASE_URL", "sqlite:////tmp/shop.sqlite3")
    assert load_config({"TESTING": True})["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is False


def test_the_stock_csv_size_limit_is_one_mib_unless_set(monkeypatch):
    monkeypatch.delenv("STOCK_CSV_MAX_BYTES", raising=False)
    assert load_config({"TESTING": True})["STOCK_CSV_MAX_BYTES"] == 1024 * 1024
    monkeypatch.setenv("STOCK_CSV_MAX_BYTES", "2048")
    assert load_config({"TESTING": True})["STOCK_CSV_MAX_BYTES"] == 2048


def test_bad_whole_number_setting_is_refused(monkeypatch):
    monkeypatch.setenv("PRODUCTS_PER_PAGE", "many")
    with pytest.raises(ConfigError, match="PRODUCTS_PER_PAGE"):
        create_app({"TESTING": True})


@pytest.fixture
def app_without_database():
    """An app whose database server is down (nothing listens on its port)."""
    return create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": "postgresql://shop@127.0.0.1:1/shop"}
    )


@pytest.mark.parametrize("signed_in", [False, True])
def test_pages_answer_503_with_retry_after_when_the_database_is_down(
    app_without_database, signed_in
):
    client = app_without_database.test_client()
    if signed_in:
        with client.session_transaction() as session:
            session["_user_id"] = "some-session-token"
    response = client.get("/products")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    html = response.get_data(as_text=True)
    assert "The shop is briefly unavailable" in html and "Back to the shop" in html


def test_the_api_answers_json_503_when_the_database_is_down(app_without_database):
    response = app_without_database.test_client().get(
        "/api/v1/aftercare-plan",
        query_string={"treatment": "ipl", "treated_on": date.today().isoformat(), "fitzpatrick": 2},
    )
    assert response.status_code == 503
    # The API's rate limiter may push the wait out to the end of its window, never below it.
    assert int(response.headers["Retry-After"]) >= 30
    assert response.get_json()["error"]["status"] == 503


def test_a_negative_number_of_trusted_proxies_is_refused(monkeypatch):
    monkeypatch.setenv("PROXY_FIX_X_FOR", "-1")
    with pytest.raises(ConfigError, match="PROXY_FIX_X_FOR"):
        load_config()


def test_sessions_follow_a_rotated_secret_key(app, client, login, monkeypatch):
    from tests.factories import make_user

    login(make_user())
    assert client.get("/account").status_code == 200
    old_key = app.secret_key
    monkeypatch.setitem(app.config, "SECRET_KEY", "a-new-secret-key")
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [old_key])
    # Signed with the key now in fallback: still accepted.
    assert client.get("/account").status_code == 200
    monkeypatch.setitem(app.config, "SECRET_KEY_FALLBACKS", [])
    # The old key retired: the session it signed is no longer believed.
    response = client.get("/account")
    assert response.status_code == 302 and "/account/login" in response.headers["Location"]
