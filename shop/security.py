"""Security headers on every response, a request id per request, and logs without health data."""

from __future__ import annotations

import logging
import re
import secrets

from flask import Flask, Response, has_request_context, request

from shop import assets

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from the load balancer is kept only when it looks like one (no log injection).
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
LOG_FORMAT = "%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"


def content_security_policy(form_action_hosts: str = "", style_hashes: tuple[str, ...] = ()) -> str:
    """Return the shop's CSP: its own files only, no inline script, no inline style but the
    ones whose hashes are given (the site CSS in <head>), no framing."""
    form_action = " ".join(["'self'", *form_action_hosts.split()])
    style_src = " ".join(["'self'", *style_hashes])
    return "; ".join(
        [
            "default-src 'self'",
            "img-src 'self' data:",
            f"style-src {style_src}",
            "script-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            "frame-ancestors 'none'",
            f"form-action {form_action}",
            "base-uri 'self'",
            "object-src 'none'",
        ]
    )


def security_headers(app: Flask) -> dict[str, str]:
    """Return the headers every response carries under this app's settings."""
    headers = {
        "Content-Security-Policy": content_security_policy(
            app.config["CSP_FORM_ACTION_HOSTS"], (assets.site_stylesheet(app)[1],)
        ),
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "Permissions-Policy": ("camera=(), microphone=(), geolocation=(), payment=(), usb=()"),
        "Cross-Origin-Opener-Policy": "same-origin",
    }
    if app.config["SHOP_ENV"] != "development":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def keep_private(response: Response) -> Response:
    """Mark a page that shows a private link's content or health data: no cache keeps it, no
    referrer carries its address on, and no search engine indexes it."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


def current_request_id() -> str:
    """Return the id of the request being handled (made on first use), or "-" outside one."""
    if not has_request_context():
        return "-"
    # Kept on the request itself (not `g`, which may outlive a request when an app context
    # was pushed around several requests).
    environ = request.environ
    if "shop.request_id" not in environ:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        environ["shop.request_id"] = (
            incoming if _VALID_REQUEST_ID.match(incoming) else secrets.token_hex(16)
        )
    return environ["shop.request_id"]


class RequestIdFilter(logging.Filter):
    """Add the current request id to every log record, as `request_id`."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Attach the id; never drops a record."""
        record.request_id = current_request_id()
        return True


class AccessLogQueryFilter(logging.Filter):
    """Drop query strings (and reset tokens) from access log lines.

    The kit finder and the plan API take the treatment, skin type and pregnancy answers as
    query parameters, and logs must not hold health data.
    """

    _QUERY = re.compile(r"\?[^\s\"]*")
    # Password-reset, email-confirmation, recommendation, plan and booking links carry their
    # token in the path; a log reader must not be able to use them.
    _TOKEN_PATH = re.compile(
        r"(/password-reset/|/confirm-email/|/r/|/plans/|/reminders/confirm/"
        r"|/reminders/unsubscribe/|/consultation/)[^\s\"/?]+"
    )

    @classmethod
    def redact(cls, text: str) -> str:
        """Return a request line (or any log text) without query strings or link tokens."""
        return cls._TOKEN_PATH.sub(r"\1[redacted]", cls._QUERY.sub("?[redacted]", text))

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record without query strings; never drops a record."""
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.redact(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        elif isinstance(record.args, dict):
            # gunicorn passes its access log atoms as a mapping.
            record.args = {
                key: self.redact(value) if isinstance(value, str) else value
                for key, value in record.args.items()
            }
        if isinstance(record.msg, str):
            record.msg = self.redact(record.msg)
        return True


def configure_logging(app: Flask) -> None:
    """Log with the request id on every line, and keep query strings out of access logs."""
    logging.basicConfig(level=app.config["LOG_LEVEL"], format=LOG_FORMAT)
    root = logging.getLogger()
    for handler in root.handlers:
        if not any(isinstance(f, RequestIdFilter) for f in handler.filters):
            handler.addFilter(RequestIdFilter())
    for name in ("werkzeug", "gunicorn.access"):
        access_logger = logging.getLogger(name)
        if not any(isinstance(f, AccessLogQueryFilter) for f in access_logger.filters):
            access_logger.addFilter(AccessLogQueryFilter())


def init_app(app: Flask) -> None:
    """Give every request an id and every response the security headers."""

    @app.before_request
    def assign_request_id() -> None:
        current_request_id()

    # Worked out once per value of the settings they depend on, not on every response.
    written: dict[tuple[str, str], list[tuple[str, str, str]]] = {}

    @app.after_request
    def add_security_headers(response: Response) -> Response:
        settings = (app.config["CSP_FORM_ACTION_HOSTS"], app.config["SHOP_ENV"])
        if settings not in written:
            written[settings] = [
                (name, name.lower(), value) for name, value in security_headers(app).items()
            ]
        headers = response.headers
        # A view's own value wins (as with setdefault), found in one pass over the headers.
        present = {name.lower() for name, _value in headers}
        headers.extend(
            [(name, value) for name, lower, value in written[settings] if lower not in present]
        )
        headers[REQUEST_ID_HEADER] = current_request_id()
        return response
