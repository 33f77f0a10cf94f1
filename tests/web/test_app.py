"""The application shell: health check, error pages, configuration."""

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


def test_bad_whole_number_setting_is_refused(monkeypatch):
    monkeypatch.setenv("PRODUCTS_PER_PAGE", "many")
    with pytest.raises(ConfigError, match="PRODUCTS_PER_PAGE"):
        create_app({"TESTING": True})
