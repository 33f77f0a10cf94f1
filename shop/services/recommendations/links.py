"""The patient's link: tokens, sending, resending, revoking, resolving, print tokens, QR."""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping, MutableMapping
from datetime import datetime, timedelta
from typing import Any

import qrcode
import qrcode.image.svg
from flask import current_app
from sqlalchemy import select

from models import Recommendation, db
from shop import clock
from shop.services import audit
from shop.services.notifications import queue_email
from shop.services.recommendations.records import (
    Actor,
    LinkGone,
    LinkNotFound,
    RecommendationError,
    clinician_name,
    get_recommendation,
    with_items,
)
from shop.services.tokens import hash_token
from shop.services.unit_of_work import unit_of_work

# secrets.token_urlsafe(32) gives 43 characters; anything else is not one of our links.
_TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{20,100}$")


def link_url(token: str) -> str:
    """Return the full address of a recommendation link for emails and QR codes."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/r/{token}"


def qr_svg(text: str) -> str:
    """Return an inline SVG QR code of `text` (no script, no style attribute: CSP-safe)."""
    image = qrcode.make(
        text,
        image_factory=qrcode.image.svg.SvgPathImage,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=10,
    )
    svg = image.to_string(encoding="unicode")
    return svg.replace(
        "<svg ", '<svg class="qr-code" role="img" aria-label="QR code of your plan link" ', 1
    )


# --- sending, resending, revoking ---------------------------------------------------------------


def send_recommendation(
    rec_id: int, actor: Actor, now: datetime | None = None
) -> tuple[Recommendation, str]:
    """Make a new link, email it to the patient through the outbox, and return the plain token.

    Only the token's hash is stored, so the caller gets the one chance to print it. Sending
    again (a resend) replaces the token: the old link stops working at once.
    """
    rec = get_recommendation(rec_id, actor)
    if rec.status == "revoked":
        raise RecommendationError(
            "This recommendation was revoked; create a new one for the patient."
        )
    moment = now or clock.utc_now()
    token = secrets.token_urlsafe(32)
    resend = rec.status == "sent"
    expires_at = moment + timedelta(days=current_app.config["RECOMMENDATION_LINK_DAYS"])
    with unit_of_work():
        rec.token_hash = hash_token(token)
        rec.status = "sent"
        rec.sent_at = moment
        rec.expires_at = expires_at
        rec.updated_at = moment
        queue_email(
            rec.patient_email,
            "Your personal aftercare plan",
            "recommendation_link",
            patient_name=rec.patient_name,
            clinician_name=clinician_name(rec) or "your clinician",
            link=link_url(token),
            expires_on=expires_at.date(),
            suitable=rec.suitable,
            has_kit=bool(rec.items),
        )
        action = "recommendation.resend" if resend else "recommendation.send"
        audit.record(actor.user_id, action, "recommendation", rec.id)
    return rec, token


def revoke_recommendation(rec_id: int, actor: Actor, now: datetime | None = None) -> Recommendation:
    """Stop the link working for good (it answers 410 Gone); commits."""
    rec = get_recommendation(rec_id, actor)
    if rec.status == "revoked":
        raise RecommendationError("This recommendation is already revoked.")
    with unit_of_work():
        rec.status = "revoked"
        rec.updated_at = now or clock.utc_now()
        audit.record(actor.user_id, "recommendation.revoke", "recommendation", rec.id)
    return rec


def token_matches(rec: Recommendation, token: str | None) -> bool:
    """Tell whether a plain token is the recommendation's current one (constant time)."""
    if not token or not rec.token_hash or rec.status != "sent":
        return False
    return secrets.compare_digest(hash_token(token), rec.token_hash)


# --- resolving a link -------------------------------------------------------------------------


def resolve_link(token: str, now: datetime) -> Recommendation:
    """Return the live recommendation of a token, or raise LinkNotFound / LinkGone."""
    if not _TOKEN_PATTERN.match(token or ""):
        raise LinkNotFound(token)
    rec = db.session.execute(
        select(Recommendation)
        .where(Recommendation.token_hash == hash_token(token))
        .options(*with_items())
    ).scalar_one_or_none()
    if rec is None or rec.status == "draft":
        raise LinkNotFound(token)
    if rec.status == "revoked":
        raise LinkGone("revoked")
    expires_at = clock.aware_utc(rec.expires_at)
    if expires_at is None or expires_at <= now:
        raise LinkGone("expired")
    return rec


def live_recommendation_id(token: str, now: datetime | None = None) -> int | None:
    """Return the id behind a live link token, or None; reading it changes nothing."""
    try:
        return resolve_link(token, now or clock.utc_now()).id
    except (LinkNotFound, LinkGone):
        return None


# --- print tokens kept for the clinician ------------------------------------------------------

PRINT_SESSION_KEY = "clinic_print_link"
PRINT_WINDOW = timedelta(minutes=30)


def remember_print_token(
    session: MutableMapping[str, Any], rec_id: int, token: str, now: datetime | None = None
) -> None:
    """Keep the just-sent token in the clinician's session so the sheet can be printed now.

    Only one (the latest) is kept, and only for PRINT_WINDOW: the database never has it.
    """
    session[PRINT_SESSION_KEY] = {
        "rec": rec_id,
        "token": token,
        "at": (now or clock.utc_now()).isoformat(),
    }


def print_token(
    session: Mapping[str, Any], rec: Recommendation, now: datetime | None = None
) -> str | None:
    """Return the printable token of `rec` from the session, if it is recent and still current."""
    kept = session.get(PRINT_SESSION_KEY)
    if not isinstance(kept, Mapping) or kept.get("rec") != rec.id:
        return None
    try:
        kept_at = datetime.fromisoformat(str(kept.get("at")))
    except ValueError:
        return None
    if clock.aware_utc(kept_at) + PRINT_WINDOW < (now or clock.utc_now()):
        return None
    token = kept.get("token")
    return token if isinstance(token, str) and token_matches(rec, token) else None
