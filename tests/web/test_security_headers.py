"""Security headers on every response, request ids in logs, no health data in access logs."""

from __future__ import annotations

import base64
import hashlib
import logging
import re

import pytest

from app import create_app
from shop.security import AccessLogQueryFilter, RequestIdFilter

STRICT_CSP_PARTS = [
    "default-src 'self'",
    "img-src 'self' data:",
    "style-src 'self'",
    "script-src 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
]


@pytest.mark.parametrize(
    "path", ["/", "/account/login", "/no/such/page", "/healthz", "/static/css/shop.css"]
)
def test_every_response_carries_the_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    for part in STRICT_CSP_PARTS:
        assert part in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "form-action 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_error_and_redirect_responses_carry_them_too(client):
    assert "Content-Security-Policy" in client.post("/products").headers  # 405
    assert "Content-Security-Policy" in client.get("/account").headers  # redirect to login


def test_no_hsts_in_development(client):
    assert "Strict-Transport-Security" not in client.get("/").headers


def test_hsts_outside_development(database_url, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    production = create_app(
        {"SHOP_ENV": "production", "SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True}
    )
    response = production.test_client().get("/healthz", base_url="https://shop.test")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_pages_have_no_inline_script_and_only_the_style_the_csp_names(client, login):
    from tests.factories import make_user

    login(make_user())
    for path in ("/", "/account", "/account/plans", "/account/data", "/account/login"):
        response = client.get(path, follow_redirects=True)
        html = response.get_data(as_text=True)
        assert "<script>" not in html, path
        assert " style=" not in html and " onclick=" not in html and "onload=" not in html, path
        # The one inline stylesheet is the site CSS, allowed by its exact hash.
        (css,) = re.findall(r"<style>(.*?)</style>", html, re.S)
        digest = base64.b64encode(hashlib.sha256(css.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in response.headers["Content-Security-Policy"], path


def test_a_request_id_is_made_or_kept(client):
    made = client.get("/").headers["X-Request-ID"]
    assert len(made) == 32
    assert client.get("/").headers["X-Request-ID"] != made
    kept = client.get("/", headers={"X-Request-ID": "lb-1234abcd"}).headers["X-Request-ID"]
    assert kept == "lb-1234abcd"


@pytest.mark.parametrize("bad", ["short", "has space in it", "x" * 200, 'quote"injected"1234'])
def test_a_strange_request_id_is_replaced(client, bad):
    assert client.get("/", headers={"X-Request-ID": bad}).headers["X-Request-ID"] != bad


def test_log_records_carry_the_request_id(app_ctx, caplog):
    caplog.handler.addFilter(RequestIdFilter())
    caplog.set_level(logging.INFO)

    def logs_something():
        logging.getLogger("shop.test").info("hello from a view")
        return "ok"

    with app_ctx.test_request_context("/", headers={"X-Request-ID": "req-12345678"}):
        logs_something()
    record = next(r for r in caplog.records if r.getMessage() == "hello from a view")
    assert record.request_id == "req-12345678"
    logging.getLogger("shop.test").info("outside a request")
    assert caplog.records[-1].request_id == "-"


def test_access_log_lines_lose_their_query_strings():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '%s - - "%s" %s %s',
        (
            "127.0.0.1",
            "GET /api/v1/aftercare-plan?treatment=ipl&fitzpatrick=5&pregnant=true HTTP/1.1",
            "200",
            "-",
        ),
        None,
    )
    AccessLogQueryFilter().filter(record)
    line = record.getMessage()
    assert "fitzpatrick" not in line and "pregnant" not in line and "ipl" not in line
    assert "GET /api/v1/aftercare-plan?[redacted] HTTP/1.1" in line


def test_access_log_lines_lose_password_reset_tokens():
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /account/password-reset/eyJ1IjoxfQ.abc.def HTTP/1.1", "200", "-"),
        None,
    )
    AccessLogQueryFilter().filter(record)
    assert "eyJ1IjoxfQ" not in record.getMessage()


@pytest.mark.parametrize(
    ("line", "redacted"),
    [
        ("GET /r/Zx9Q-secret_token_value HTTP/1.1", "/r/[redacted]"),
        ("POST /r/Zx9Q-secret_token_value/acknowledge HTTP/1.1", "/r/[redacted]/acknowledge"),
        ("GET /plans/Zx9Q-secret_token_value HTTP/1.1", "/plans/[redacted]"),
        (
            "GET /account/confirm-email/Zx9Q-secret_token_value HTTP/1.1",
            "/account/confirm-email/[redacted]",
        ),
    ],
)
def test_link_tokens_in_paths_are_redacted(line, redacted):
    assert "Zx9Q-secret_token_value" not in AccessLogQueryFilter.redact(line)
    assert redacted in AccessLogQueryFilter.redact(line)


def test_werkzeug_logger_has_the_redaction_filter(app_ctx):
    filters = logging.getLogger("werkzeug").filters
    assert any(isinstance(f, AccessLogQueryFilter) for f in filters)
