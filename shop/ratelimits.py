"""Rate limits for abusable endpoints: per client address and per account, from the settings.

Apply them as decorators under the route decorator, e.g.::

    @blueprint.route("/aftercare-plan", methods=["GET", "POST"])
    @plan_api_limit
    def aftercare_plan(): ...

Limits are counted in the limiter's storage: memory by default, Redis when REDIS_URL is set, so
several app servers share one count. A breach answers 429 with the shop's error page (or JSON
under /api/).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from flask import current_app, request
from flask_limiter.util import get_remote_address

from shop.extensions import limiter


def _setting(name: str) -> Callable[[], str]:
    """Read a limit string such as "10 per minute; 50 per hour" when the request comes in."""
    return lambda: current_app.config[name]


def submitted_email_key() -> str:
    """Key a limit by the email typed into the form (hashed: no addresses in the limit store)."""
    email = (request.form.get("email") or "").strip().lower()
    if not email:
        return "ip:" + get_remote_address()
    return "account:" + hashlib.sha256(email.encode()).hexdigest()[:32]


def _failed(response) -> bool:
    """Count only refused attempts, so a customer who signs in is not slowed down."""
    return response.status_code >= 400


def form_limits(setting: str, scope: str, failures_only_per_account: bool = False) -> Callable:
    """Limit POSTs of a form both per client address and per submitted email address."""
    per_ip = limiter.limit(_setting(setting), methods=["POST"], scope=f"{scope}:ip")
    per_account = limiter.limit(
        _setting(setting),
        methods=["POST"],
        key_func=submitted_email_key,
        scope=f"{scope}:account",
        deduct_when=_failed if failures_only_per_account else None,
    )

    def decorate(view: Callable) -> Callable:
        return per_ip(per_account(view))

    return decorate


# Sign-in: every attempt counts per address; per account only failures count, so someone
# guessing a password cannot lock the owner out for long with a few correct sign-ins of theirs.
login_limits = form_limits("LOGIN_RATE_LIMIT", "login", failures_only_per_account=True)
registration_limits = form_limits("REGISTER_RATE_LIMIT", "register")
password_reset_limits = form_limits("PASSWORD_RESET_RATE_LIMIT", "password-reset")


# The aftercare-plan API, per client address: it takes no cookies, so an address is all
# there is to count by.
plan_api_limit = limiter.limit(_setting("PLAN_API_RATE_LIMIT"), scope="plan-api:ip")


# Catalogue pages, served to everyone from the shared render: they declare no limit, and
# asking the limiter so on every request cost more than serving the page from the cache.
# tests/web/test_rate_limits.py fails if one of them is ever given a limit.
UNLIMITED_ENDPOINTS = frozenset(
    {
        "storefront.home",
        "storefront.products",
        "storefront.product",
        "storefront.kits",
        "storefront.kit",
        "treatments.index",
        "treatments.detail",
        "kitfinder.finder",
    }
)


@limiter.request_filter
def _declares_no_limit() -> bool:
    """Let the catalogue pages, which have no limit, skip the limiter's bookkeeping."""
    return request.endpoint in UNLIMITED_ENDPOINTS and request.method in ("GET", "HEAD")
