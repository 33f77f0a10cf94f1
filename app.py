"""Application factory of the clinic aftercare shop; `flask --app app` and gunicorn use it."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy import exc as sa_exc
from sqlalchemy import select
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix

from models import User, db
from shop import assets, input_guards, security
from shop.config import INSTANCE_DIR, PROJECT_ROOT, load_config
from shop.extensions import (
    ShopSessionInterface,
    bootstrap,
    compress,
    csrf,
    limiter,
    login_manager,
    migrate,
    shared_cache,
)
from shop.services import shared_cache as shared_cache_service

ERROR_TITLES = {
    400: "That request did not make sense",
    403: "You do not have access to this page",
    404: "We could not find that page",
    405: "That action is not allowed here",
    410: "This link has expired",
    413: "That upload is too large",
    429: "Too many requests",
    500: "Something went wrong on our side",
    503: "The shop is briefly unavailable",
}
# What each error page says when the view that stopped gave no reason of its own: the shop's
# words, never the framework's stock text.
ERROR_DESCRIPTIONS = {
    400: "Something in what your browser sent was not in a form we could read. Please go back "
    "and try again.",
    403: "This page is for another kind of account. Sign in with the account it is for, or call "
    "us if you think you should see it.",
    404: "The address may be mistyped, or the page may have moved. Our front page and kits are "
    "a good place to start again.",
    405: "This address does not take that kind of request. Please use the buttons and links on "
    "our pages.",
    410: "It no longer works. Ask us for a new one, or start again from the front page.",
    413: "Please send something smaller.",
    429: "You have tried this many times in a short while. Please wait a minute and try again.",
    500: "We have been told about it. Please try again in a moment; if it keeps happening, "
    "call us.",
    503: "Please try again in a minute.",
}
CSRF_TITLE = "This form has expired"
CSRF_DESCRIPTION = (
    "For your safety a form stops working after a while, or when you sign in or out in another "
    "tab. Nothing was sent or changed: please go back, reload the page and try again."
)
# What a lost or overloaded database raises: worth a retry, not a 500.
DATABASE_UNAVAILABLE_ERRORS = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)
# Seconds a client is told to wait before trying again while the database is unavailable.
DATABASE_RETRY_AFTER_SECONDS = 30


def _keep_the_database_wait(response):
    """Keep a 503's Retry-After at the database wait at least.

    The rate limiter merges its own reset into an existing Retry-After and rounds the sum
    down, so "30" could leave it as "29"; this runs after it (registered before it).
    """
    if g.get("database_unavailable"):
        told = response.headers.get("Retry-After", "")
        if not told.isdigit() or int(told) < DATABASE_RETRY_AFTER_SECONDS:
            response.headers["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    return response


# The main menu; an entry shows once its blueprint is registered.
NAV_LINKS = (
    ("treatments.index", "Treatments"),
    ("kitfinder.finder", "Kit finder"),
    ("storefront.kits", "Kits"),
    ("storefront.products", "Products"),
    ("consultation.request_form", "Free consultation"),
)


# Each module defines `blueprint`; the URL prefixes live in the modules.
BLUEPRINT_MODULES = (
    "shop.storefront.views",
    "shop.treatments.views",
    "shop.kitfinder.views",
    "shop.api.views",
    "shop.basket.views",
    "shop.checkout.views",
    "shop.webhooks.views",
    "shop.account.views",
    "shop.staff.views",
    "shop.clinic.views",
    "shop.clinic.bookings",
    "shop.consultation.views",
    "shop.patient.views",
    "shop.concerns.views",
    "shop.ops.views",
    "shop.media.views",
    "shop.reminders.views",
)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Create and configure the shop; `config` overrides settings read from the environment."""
    app = Flask(
        __name__,
        instance_path=str(INSTANCE_DIR),
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    app.config.update(load_config(config))
    if app.config["PROXY_FIX_X_FOR"]:
        # Behind a load balancer every request comes from the balancer's address; trust the
        # X-Forwarded-For entries those proxies add, and only theirs, so rate limits and
        # session protection see each client's own address.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["PROXY_FIX_X_FOR"])
    INSTANCE_DIR.mkdir(exist_ok=True)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_template_helpers(app)
    register_commands(app)
    security.configure_logging(app)
    return app


def register_extensions(app: Flask) -> None:
    """Bind the extensions to this app."""
    security.init_app(app)  # first, so even a rate-limited answer carries the headers
    input_guards.init_app(app)  # before any view or extension reads the request's fields
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    bootstrap.init_app(app)
    shared_cache.init_app(app)
    shared_cache_service.init_app(app)
    assets.init_app(app)
    compress.init_app(app)
    app.after_request(_keep_the_database_wait)  # before the limiter, so it runs after it
    limiter.init_app(app)
    login_manager.init_app(app)
    app.session_interface = ShopSessionInterface()
    login_manager.session_protection = "strong"
    login_manager.login_view = "account.login"
    login_manager.login_message = "Please sign in to see that page."
    login_manager.login_message_category = "info"

    @login_manager.user_loader
    def load_user(user_id: str) -> User | None:
        """Reload the signed-in user from the session."""
        return db.session.execute(
            # A deactivated account is signed out even if its token were somehow kept.
            select(User).where(User.session_token == user_id, User.active.is_(True))
        ).scalar_one_or_none()


def register_blueprints(app: Flask) -> None:
    """Import and mount the blueprints (imported here to keep the import graph one-way)."""
    from importlib import import_module

    for module_name in BLUEPRINT_MODULES:
        app.register_blueprint(import_module(module_name).blueprint)


def register_errorhandlers(app: Flask) -> None:
    """Answer errors with the shop's own pages (or JSON for API clients), never a traceback."""

    def wants_json() -> bool:
        return request.path.startswith(("/api/", "/webhooks/", "/healthz"))

    def render_error(code: int, description: str | None = None, title: str | None = None):
        title = title or ERROR_TITLES.get(code, "Something went wrong")
        description = description or ERROR_DESCRIPTIONS.get(code)
        if wants_json():
            return jsonify(error={"status": code, "title": title, "detail": description}), code
        return render_template(
            "errors/error.html", code=code, title=title, description=description
        ), code

    @app.errorhandler(CSRFError)
    def handle_csrf_error(_error: CSRFError):
        return render_error(400, CSRF_DESCRIPTION, CSRF_TITLE)

    @app.errorhandler(HTTPException)
    def handle_http_error(error: HTTPException):
        code = error.code or 500
        # A reason the shop gave (abort(404, "...")) is shown; the framework's stock one is not,
        # nor the rate limiter's (a limit such as "10 per 1 minute").
        own = error.description if error.description != type(error).description else None
        response = render_error(code, own if code not in (429, 500) else None)
        if code == 405 and getattr(error, "valid_methods", None):
            body, status = response
            return body, status, {"Allow": ", ".join(error.valid_methods)}
        return response

    def handle_database_unavailable(error: Exception):
        app.logger.error(
            "Database unavailable on %s %s: %s",
            request.method,
            security.AccessLogQueryFilter.redact(request.path),
            type(error.orig if isinstance(error, sa_exc.DBAPIError) else error).__name__,
        )
        try:
            db.session.rollback()
        except sa_exc.SQLAlchemyError:
            db.session.close()  # the connection is gone; let the pool replace it
        # Render as a visitor: the page must not need the database that could not be reached.
        g._login_user = login_manager.anonymous_user()
        g.database_unavailable = True
        body, code = render_error(
            503, "We cannot reach our records just now. Please try again in a minute."
        )
        return body, code, {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}

    for error_class in DATABASE_UNAVAILABLE_ERRORS:
        app.register_error_handler(error_class, handle_database_unavailable)

    @app.errorhandler(Exception)
    def handle_unexpected_error(error: Exception):
        app.logger.exception(
            "Unhandled error on %s %s",
            request.method,
            security.AccessLogQueryFilter.redact(request.path),
        )
        db.session.rollback()
        return render_error(500)


def register_template_helpers(app: Flask) -> None:
    """Make money formatting and shop details available to every template."""
    from shop import labels
    from shop.aftercare import today, vocabulary, wording
    from shop.money import format_pence
    from shop.services.orders import ORDER_STATUS_LABELS

    app.jinja_env.filters["money"] = lambda pence: format_pence(
        pence, app.config["CURRENCY"], app.config["LOCALE"]
    )

    app.jinja_env.globals.update(
        category_label=lambda code: labels.CATEGORY_LABELS.get(code, code),
        skin_type_label=lambda code: labels.SKIN_TYPE_LABELS.get(code, code),
        concern_label=lambda code: labels.CONCERN_LABELS.get(code, code),
        active_label=lambda code: labels.ACTIVE_LABELS.get(code, code),
        # One wording of an order's status on every page ("Awaiting payment", not the code).
        order_status_label=lambda code: ORDER_STATUS_LABELS.get(code, code),
        fitzpatrick_range=labels.fitzpatrick_range,
        counted=labels.counted,
        plural=labels.plural,
        screening_summary=labels.screening_summary,
        # One wording of aftercare days and windows for every customer page.
        window_words=wording.window_words,
        day_words=wording.day_words,
        plan_day_label=wording.plan_day_label,
        today_step=today.today_step,
        warning_signs=vocabulary.warning_signs,
    )
    app.jinja_env.filters["long_date"] = wording.long_date
    app.jinja_env.filters["sentence_start"] = wording.sentence_start

    app.jinja_env.add_extension("jinja2.ext.do")

    @app.context_processor
    def shop_details() -> dict[str, Any]:
        endpoints = app.view_functions.keys()
        return {
            "endpoints": endpoints,
            "nav_links": [(e, label) for e, label in NAV_LINKS if e in endpoints],
            "shop_name": app.config["SHOP_NAME"],
            "clinic_address": app.config["CLINIC_ADDRESS"],
            "clinic_phone": app.config["CLINIC_PHONE"],
            "clinic_email": app.config["CLINIC_EMAIL"],
        }


def register_commands(app: Flask) -> None:
    """Add the shop's `flask` commands."""
    from shop.cli import register

    register(app)
