"""Every setting of the shop, read from the environment in this one place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from shop.opening_hours import OpeningHoursError, parse_opening_hours

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"


class ConfigError(RuntimeError):
    """A setting is missing or invalid; the shop refuses to start."""


def _flag(name: str, default: bool = False) -> bool:
    """Read a yes/no environment variable."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _int(name: str, default: int) -> int:
    """Read a whole-number environment variable, refusing nonsense loudly."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    try:
        return int(value)
    except ValueError as error:
        raise ConfigError(f"{name} must be a whole number, not {value!r}") from error


def _database_url(url: str) -> str:
    """Point SQLAlchemy at psycopg 3 for PostgreSQL URLs given in the common short forms."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _local_base_url(development: bool) -> str:
    """Return where a developer's own server answers: on PORT (`PORT=8000 make run`), else 5000.

    So links in emails and QR codes made in development open on whatever port is in use.
    """
    port = _int("PORT", 5000) if development else 5000
    if not 1 <= port <= 65535:
        raise ConfigError(f"PORT must be a port number from 1 to 65535, not {port}")
    return f"http://127.0.0.1:{port}"


def load_config(overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Build the Flask configuration from the environment, then apply `overrides`."""
    overrides = dict(overrides or {})
    env = overrides.pop("SHOP_ENV", None) or os.environ.get("SHOP_ENV", "development")
    testing = bool(overrides.get("TESTING", False))
    development = env == "development"
    secret_key = os.environ.get("SECRET_KEY", "")
    if not secret_key and (development or testing):
        # Good enough to sign a developer's session; production must set its own.
        secret_key = "dev-only-secret-key-change-me"

    default_db = "sqlite:///" + str(INSTANCE_DIR / "shop.sqlite3")
    config: dict[str, Any] = {
        "SHOP_ENV": env,
        "SECRET_KEY": secret_key,
        "SQLALCHEMY_DATABASE_URI": _database_url(os.environ.get("DATABASE_URL", default_db)),
        "SQLALCHEMY_RECORD_QUERIES": False,
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 5 * 1024 * 1024),
        # The JSON API takes a few short fields; its bodies are capped far lower.
        "API_MAX_CONTENT_LENGTH": _int("API_MAX_CONTENT_LENGTH", 16 * 1024),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not development,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": not development,
        "WTF_CSRF_TIME_LIMIT": None,
        "BOOTSTRAP_SERVE_LOCAL": True,
        # Response compression (Flask-Compress): Brotli for browsers that take it, else gzip.
        # Off when a proxy in front compresses instead.
        "COMPRESS_REGISTER": _flag("COMPRESS_RESPONSES", True),
        "COMPRESS_ALGORITHM": ["br", "gzip"],
        # Static files are sent as streams; they get the same choice.
        "COMPRESS_ALGORITHM_STREAMING": ["br", "gzip"],
        "COMPRESS_MIMETYPES": [
            "text/html",
            "text/css",
            "text/javascript",
            "application/javascript",
            "image/svg+xml",
            "application/json",
        ],
        # Every page is compressed as it is sent: these levels cost about a millisecond on a
        # product list and keep nearly all the gain of the slowest ones (README, Performance).
        "COMPRESS_BR_LEVEL": _int("COMPRESS_BR_LEVEL", 5),
        "COMPRESS_LEVEL": _int("COMPRESS_GZIP_LEVEL", 6),
        # Below this many bytes compression saves less than it costs.
        "COMPRESS_MIN_SIZE": 500,
        "SHOP_NAME": os.environ.get("SHOP_NAME", "Lumen Skin Clinic"),
        "CLINIC_ADDRESS": os.environ.get("CLINIC_ADDRESS", "14 Wellbeck Row, Bath BA1 2QH"),
        "CLINIC_PHONE": os.environ.get("CLINIC_PHONE", "01225 000 000"),
        "CLINIC_EMAIL": os.environ.get("CLINIC_EMAIL", "hello@clinic.example"),
        # When the desk is open to hand over click-and-collect orders; days not named are closed.
        "CLINIC_OPENING_HOURS": os.environ.get(
            "CLINIC_OPENING_HOURS", "Mon-Fri 09:00-18:00; Sat 10:00-14:00"
        ),
        "CURRENCY": "GBP",
        "LOCALE": os.environ.get("SHOP_LOCALE", "en_GB"),
        # The clinic's time zone: what "today" means for expiry, report days and holds.
        "SHOP_TIMEZONE": os.environ.get("SHOP_TIMEZONE", "Europe/London"),
        "PRODUCTS_PER_PAGE": _int("PRODUCTS_PER_PAGE", 12),
        "KITS_PER_PAGE": _int("KITS_PER_PAGE", 12),
        # The home page shows at most this many featured kits.
        "FEATURED_KITS": _int("FEATURED_KITS", 4),
        # Staff lists of orders, products and stock; kits are fewer a page, as each row runs
        # the protocol check.
        "STAFF_ROWS_PER_PAGE": _int("STAFF_ROWS_PER_PAGE", 25),
        "STAFF_KITS_PER_PAGE": _int("STAFF_KITS_PER_PAGE", 15),
        # Rows of each per-product report table on the page; the CSV has them all.
        "REPORT_ROWS_PER_PAGE": _int("REPORT_ROWS_PER_PAGE", 10),
        # A stocktake count more than this many units away from the books is booked only
        # once staff confirm it (a miscount or a typo costs a write-off).
        "STOCKTAKE_CONFIRM_UNITS": _int("STOCKTAKE_CONFIRM_UNITS", 5),
        # The staff and clinic reports open on this many days, today included.
        "REPORT_DEFAULT_DAYS": _int("REPORT_DEFAULT_DAYS", 30),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD", ""),
        # Public address of the shop, for links in emails and to Stripe (no trailing slash).
        "PUBLIC_BASE_URL": (
            os.environ.get("PUBLIC_BASE_URL") or _local_base_url(development)
        ).rstrip("/"),
        # Payments
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE", ""),
        "STRIPE_WEBHOOK_TOLERANCE": _int("STRIPE_WEBHOOK_TOLERANCE", 300),
        "CHECKOUT_SESSION_MINUTES": _int("CHECKOUT_SESSION_MINUTES", 45),
        "COLLECTION_HOLD_DAYS": _int("COLLECTION_HOLD_DAYS", 7),
        "DELIVERY_FEE_PENCE": _int("DELIVERY_FEE_PENCE", 395),
        "FREE_DELIVERY_THRESHOLD_PENCE": _int("FREE_DELIVERY_THRESHOLD_PENCE", 5000),
        # Email: written to the outbox; `flask outbox send` delivers over SMTP.
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", ""),
        "MAIL_PORT": _int("MAIL_PORT", 25),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME", ""),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD", ""),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS"),
        "MAIL_USE_SSL": _flag("MAIL_USE_SSL"),
        "MAIL_TIMEOUT": _int("MAIL_TIMEOUT", 10),
        "MAIL_DEFAULT_SENDER": os.environ.get("MAIL_DEFAULT_SENDER", "shop@clinic.example"),
        "OUTBOX_MAX_ATTEMPTS": _int("OUTBOX_MAX_ATTEMPTS", 8),
        # Accounts and links
        "PASSWORD_RESET_MAX_AGE": _int("PASSWORD_RESET_MAX_AGE", 3600),
        "EMAIL_CONFIRMATION_MAX_AGE": _int("EMAIL_CONFIRMATION_MAX_AGE", 3 * 24 * 3600),
        "RECOMMENDATION_LINK_DAYS": _int("RECOMMENDATION_LINK_DAYS", 60),
        # Per client address, shared by every /r/<token> page and button: stops token guessing.
        "RECOMMENDATION_LINK_RATE_LIMIT": os.environ.get(
            "RECOMMENDATION_LINK_RATE_LIMIT", "30 per minute; 300 per day"
        ),
        # The kit finder's private plan link opens until this many days after the treatment.
        "PLAN_LINK_DAYS": _int("PLAN_LINK_DAYS", 90),
        # Per client address on /plans/<token>: stops token guessing.
        "PLAN_LINK_RATE_LIMIT": os.environ.get(
            "PLAN_LINK_RATE_LIMIT", "30 per minute; 300 per day"
        ),
        # Reminder emails: queued from this hour of the clinic's day (0-23) by `reminders send`.
        "REMINDER_SEND_FROM_HOUR": _int("REMINDER_SEND_FROM_HOUR", 8),
        # Per client address and per submitted email on the reminders form.
        "REMINDER_SUBSCRIBE_RATE_LIMIT": os.environ.get(
            "REMINDER_SUBSCRIBE_RATE_LIMIT", "5 per minute; 20 per day"
        ),
        # Per client address on the confirmation and unsubscribe pages: stops token guessing.
        "REMINDER_LINK_RATE_LIMIT": os.environ.get(
            "REMINDER_LINK_RATE_LIMIT", "30 per minute; 300 per day"
        ),
        "CONSULTATION_RATE_LIMIT": os.environ.get(
            "CONSULTATION_RATE_LIMIT", "5 per minute; 20 per day"
        ),
        # Booked consultations: the defaults until an admin saves the clinic's own at
        # /clinic/schedule (length and gap in minutes, horizon in days, notice in minutes).
        "BOOKING_CONSULTATION_MINUTES": _int("BOOKING_CONSULTATION_MINUTES", 20),
        "BOOKING_GAP_MINUTES": _int("BOOKING_GAP_MINUTES", 10),
        "BOOKING_HORIZON_DAYS": _int("BOOKING_HORIZON_DAYS", 56),
        "BOOKING_NOTICE_MINUTES": _int("BOOKING_NOTICE_MINUTES", 120),
        # How many days with free times /consultation lists on one page.
        "BOOKING_DAYS_SHOWN": _int("BOOKING_DAYS_SHOWN", 5),
        # Per client address on /consultation/<token>: stops token guessing.
        "BOOKING_LINK_RATE_LIMIT": os.environ.get(
            "BOOKING_LINK_RATE_LIMIT", "30 per minute; 300 per day"
        ),
        # Per client address (and per email) on the "report a concern" forms: each sends an email.
        "CONCERN_RATE_LIMIT": os.environ.get("CONCERN_RATE_LIMIT", "10 per hour; 30 per day"),
        # Rate limits: in memory by default, shared through Redis when REDIS_URL is set.
        "REDIS_URL": os.environ.get("REDIS_URL", ""),
        # What every visitor shares (rendered catalogue fragments, the aftercare engine's
        # catalogue; never a basket, account, plan or form token) is kept in each process and,
        # with REDIS_URL, also in Redis so one worker's work serves all. Entries are keyed by
        # the catalogue and stock tokens, so a change shows on the next request.
        "CACHE_TYPE": "RedisCache" if os.environ.get("REDIS_URL") else "NullCache",
        "CACHE_REDIS_URL": os.environ.get("REDIS_URL", ""),
        "CACHE_KEY_PREFIX": "shop-shared:",
        "CACHE_NO_NULL_WARNING": True,
        # Seconds an entry is kept in Redis; a new token makes old entries unreachable anyway.
        "CACHE_DEFAULT_TIMEOUT": _int("CACHE_DEFAULT_TIMEOUT", 3600),
        # Entries each process keeps for itself (the oldest is dropped first).
        "SHARED_CACHE_LOCAL_ENTRIES": _int("SHARED_CACHE_LOCAL_ENTRIES", 512),
        # With REDIS_URL, seconds the mirrored tokens live in Redis: the longest a change can
        # go unseen if a worker dies between its commit and telling the mirror.
        "SHARED_CACHE_TOKEN_SECONDS": _int("SHARED_CACHE_TOKEN_SECONDS", 5),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "RATELIMIT_STORAGE_URI": os.environ.get("REDIS_URL", "") or "memory://",
        "RATELIMIT_HEADERS_ENABLED": True,
        # A sliding window counter lets no burst of twice the limit through where two fixed
        # windows meet, and counts a request and its headers in two round trips, not three.
        "RATELIMIT_STRATEGY": "sliding-window-counter",
        "LOGIN_RATE_LIMIT": os.environ.get("LOGIN_RATE_LIMIT", "10 per minute; 50 per hour"),
        "PLAN_API_RATE_LIMIT": os.environ.get("PLAN_API_RATE_LIMIT", "120 per minute"),
        "REGISTER_RATE_LIMIT": os.environ.get("REGISTER_RATE_LIMIT", "5 per minute; 30 per hour"),
        "PASSWORD_RESET_RATE_LIMIT": os.environ.get(
            "PASSWORD_RESET_RATE_LIMIT", "5 per minute; 20 per hour"
        ),
        # Accounts pages
        "ACCOUNT_ORDERS_PER_PAGE": _int("ACCOUNT_ORDERS_PER_PAGE", 10),
        "USERS_PER_PAGE": _int("USERS_PER_PAGE", 25),
        "RECOMMENDATIONS_PER_PAGE": _int("RECOMMENDATIONS_PER_PAGE", 25),
        "CONCERNS_PER_PAGE": _int("CONCERNS_PER_PAGE", 25),
        # Hosts a form may lead to besides the shop (CSP form-action): browsers also check the
        # redirect after a form post, and checkout answers its POST with a redirect to Stripe.
        "CSP_FORM_ACTION_HOSTS": os.environ.get(
            "CSP_FORM_ACTION_HOSTS", "https://checkout.stripe.com"
        ),
        # How many proxies in front of the shop add X-Forwarded-For; 0 ignores the header.
        "PROXY_FIX_X_FOR": _int("PROXY_FIX_X_FOR", 0),
        # Uploads
        "UPLOAD_FOLDER": os.environ.get("UPLOAD_FOLDER", str(INSTANCE_DIR / "uploads")),
        "MAX_IMAGE_BYTES": _int("MAX_IMAGE_BYTES", 4 * 1024 * 1024),
        # Patients' photos of a concern: health data, never under static/ or the public media.
        "CONCERN_PHOTO_FOLDER": os.environ.get(
            "CONCERN_PHOTO_FOLDER", str(INSTANCE_DIR / "concern-photos")
        ),
        "STOCK_CSV_MAX_BYTES": _int("STOCK_CSV_MAX_BYTES", 1024 * 1024),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "TESTING": testing,
    }
    config.update(overrides)
    # A server connection can drop while it waits in the pool, so each is tested as it is
    # taken out; a SQLite file cannot, and the test would be one more statement per request.
    config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS",
        {"pool_pre_ping": not config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite")},
    )
    if not config["SECRET_KEY"]:
        raise ConfigError("SECRET_KEY must be set outside development and testing")
    try:
        ZoneInfo(config["SHOP_TIMEZONE"])
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise ConfigError(
            f"SHOP_TIMEZONE must be a time zone name such as Europe/London, "
            f"not {config['SHOP_TIMEZONE']!r}"
        ) from error
    try:
        config["CLINIC_OPENINGS"] = parse_opening_hours(config["CLINIC_OPENING_HOURS"])
    except OpeningHoursError as error:
        raise ConfigError(f"CLINIC_OPENING_HOURS: {error}") from error
    if not 0 <= config["REMINDER_SEND_FROM_HOUR"] <= 23:
        raise ConfigError("REMINDER_SEND_FROM_HOUR must be an hour from 0 to 23")
    for name in ("BOOKING_CONSULTATION_MINUTES", "BOOKING_HORIZON_DAYS", "BOOKING_DAYS_SHOWN"):
        if config[name] < 1:
            raise ConfigError(f"{name} must be at least 1")
    for name in ("BOOKING_GAP_MINUTES", "BOOKING_NOTICE_MINUTES"):
        if config[name] < 0:
            raise ConfigError(f"{name} must be 0 or more")
    if not 0 <= config["COMPRESS_BR_LEVEL"] <= 11:
        raise ConfigError("COMPRESS_BR_LEVEL must be a Brotli quality from 0 to 11")
    if not 1 <= config["COMPRESS_LEVEL"] <= 9:
        raise ConfigError("COMPRESS_GZIP_LEVEL must be a gzip level from 1 to 9")
    if config["PROXY_FIX_X_FOR"] < 0:
        raise ConfigError("PROXY_FIX_X_FOR must be 0 or the number of proxies in front")
    return config
