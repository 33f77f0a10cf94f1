"""Every setting of the shop, read from the environment in this one place."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "SQLALCHEMY_RECORD_QUERIES": False,
        "MAX_CONTENT_LENGTH": _int("MAX_CONTENT_LENGTH", 5 * 1024 * 1024),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": not development,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": not development,
        "WTF_CSRF_TIME_LIMIT": None,
        "BOOTSTRAP_SERVE_LOCAL": True,
        "SHOP_NAME": os.environ.get("SHOP_NAME", "Lumen Skin Clinic"),
        "CLINIC_ADDRESS": os.environ.get("CLINIC_ADDRESS", "14 Wellbeck Row, Bath BA1 2QH"),
        "CLINIC_PHONE": os.environ.get("CLINIC_PHONE", "01225 000 000"),
        "CLINIC_EMAIL": os.environ.get("CLINIC_EMAIL", "hello@clinic.example"),
        "CURRENCY": "GBP",
        "LOCALE": os.environ.get("SHOP_LOCALE", "en_GB"),
        "PRODUCTS_PER_PAGE": _int("PRODUCTS_PER_PAGE", 12),
        "DEMO_PASSWORD": os.environ.get("DEMO_PASSWORD", ""),
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "INFO"),
        "TESTING": testing,
    }
    config.update(overrides)
    if not config["SECRET_KEY"]:
        raise ConfigError("SECRET_KEY must be set outside development and testing")
    return config
