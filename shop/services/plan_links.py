"""Private plan links: the kit finder's answers encrypted into an opaque token, nothing stored.

The token is a Fernet token (AES-128-CBC with HMAC-SHA256, a random 128-bit IV) over the
answers, so it is unguessable, cannot be altered, and shows no health answer to whoever reads
the address. The key is derived from SECRET_KEY, so every app server reads every link.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date, timedelta

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

from shop.aftercare import Screening
from shop.services import plans
from shop.services.plans import PlanRequest, PlanResult

# Changing the purpose (or the payload's version) invalidates every link made before.
_KEY_PURPOSE = b"shop.plan-link.v1"
_PAYLOAD_VERSION = 1


class PlanLinkInvalid(LookupError):
    """The token was not made by this shop (forged, garbled, truncated or for another key)."""


class PlanLinkExpired(LookupError):
    """The token is genuine but its plan is past the days a link is kept working."""


def _fernet(secret_key: str | None) -> Fernet:
    """Return the cipher keyed by SECRET_KEY (or `secret_key`), through HKDF for this purpose."""
    secret = secret_key if secret_key is not None else current_app.config["SECRET_KEY"]
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_KEY_PURPOSE).derive(
        secret.encode("utf-8")
    )
    return Fernet(base64.urlsafe_b64encode(raw))


def answers_mapping(request: PlanRequest) -> dict[str, object]:
    """Return a plan's answers as plain JSON data (inside a token, and in a data export)."""
    return {
        "treatment": request.treatment,
        "treated_on": request.treated_on.isoformat(),
        "fitzpatrick": request.fitzpatrick,
        "concerns": sorted(request.concerns),
        "screening": request.screening.to_mapping(),
    }


def make_plan_token(request: PlanRequest, secret_key: str | None = None) -> str:
    """Return the opaque, URL-safe token that carries `request`'s answers, encrypted."""
    payload = {"v": _PAYLOAD_VERSION, **answers_mapping(request)}
    data = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    # Fernet pads with "="; without it the address is shorter and needs no escaping anywhere.
    return _fernet(secret_key).encrypt(data).decode("ascii").rstrip("=")


def read_plan_token(token: str, secret_key: str | None = None) -> PlanRequest:
    """Return the answers inside `token`; raise PlanLinkInvalid for any token not made here."""
    padded = token + "=" * (-len(token) % 4)
    try:
        data = _fernet(secret_key).decrypt(padded.encode("ascii"))
        payload = json.loads(data)
        if payload["v"] != _PAYLOAD_VERSION:
            raise ValueError("unknown payload version")
        fitzpatrick = payload["fitzpatrick"]
        if not isinstance(fitzpatrick, int) or isinstance(fitzpatrick, bool):
            raise ValueError("fitzpatrick must be a whole number")
        return PlanRequest(
            treatment=str(payload["treatment"]),
            treated_on=date.fromisoformat(payload["treated_on"]),
            fitzpatrick=fitzpatrick,
            concerns=frozenset(str(c) for c in payload["concerns"]),
            screening=Screening.from_mapping(payload["screening"]),
        )
    except (InvalidToken, UnicodeError, binascii.Error, ValueError, KeyError, TypeError) as error:
        # One answer for every failure: a guesser learns nothing about why a token was refused.
        raise PlanLinkInvalid("not a plan link of this shop") from error


def plan_url(token: str) -> str:
    """Return the absolute address of the plan link page for `token`, for emails."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/plans/{token}"


def is_plan_token(token: str) -> bool:
    """Tell whether `token` is a genuine plan link token of this shop (expired or not)."""
    try:
        read_plan_token(token)
    except PlanLinkInvalid:
        return False
    return True


def link_works_until(treated_on: date) -> date:
    """Return the last day a plan link for a treatment on `treated_on` opens (PLAN_LINK_DAYS)."""
    return treated_on + timedelta(days=current_app.config["PLAN_LINK_DAYS"])


def open_plan_link(token: str, today: date) -> tuple[PlanRequest, PlanResult]:
    """Return the answers and the plan behind `token` as of `today`.

    Raises PlanLinkInvalid for a token this shop did not make (or whose treatment is gone) and
    PlanLinkExpired once the treatment is more than PLAN_LINK_DAYS in the past.
    """
    request = read_plan_token(token)
    if today > link_works_until(request.treated_on):
        raise PlanLinkExpired("plan link expired")
    try:
        result = plans.build_plan(request, today)
    except (plans.UnknownTreatment, ValueError) as error:
        raise PlanLinkInvalid("the plan behind this link no longer exists") from error
    return request, result
