"""CSRF tokens under a fresh mask in every response, so no two pages repeat the secret (BREACH)."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import secrets

from flask import Flask, current_app, g, request, session
from flask_wtf.csrf import CSRFProtect
from markupsafe import Markup, escape

from shop.signing import LeanTimedSerializer

INVALID_TOKEN = "The CSRF token is invalid."
# What the form token is while a page shared by every visitor is being built: that page
# keeps this placeholder where each form's token goes, and every visitor's copy gets a masked
# token of their own in its place. Masked, it could not be found again, and every visitor
# would get the same dead token.
TOKEN_PLACEHOLDER = "personal-csrf-token-mark"
# Flask-WTF's salt for form tokens: its check (validate_csrf) reads what is signed with it.
_SALT = "wtf-csrf-token"


@functools.cache
def _signer_for(secret_key: str | bytes) -> LeanTimedSerializer:
    return LeanTimedSerializer(secret_key, salt=_SALT)


def _signer(secret_key: str | None = None) -> LeanTimedSerializer:
    """Return the form tokens' signer for `secret_key`, or for the app's CSRF key."""
    config = current_app.config
    return _signer_for(secret_key or config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key)


def signed_csrf_token(secret_key: str | None = None, token_key: str | None = None) -> str:
    """Return this request's signed CSRF token, made as Flask-WTF's generate_csrf makes it.

    The same random token kept in the session, signed with a time stamp under the same key
    and salt, so Flask-WTF checks it as its own; but by a serializer kept per key that skips
    zlib, where generate_csrf makes a serializer and sets zlib up on every page with a form.
    A value already in `g` (the placeholder of a shared page being built) is handed on.
    """
    field = token_key or current_app.config.get("WTF_CSRF_FIELD_NAME") or "csrf_token"
    if field not in g:
        raw = session.get(field)
        if not isinstance(raw, str):
            raw = session[field] = hashlib.sha1(os.urandom(64)).hexdigest()
        setattr(g, field, _signer(secret_key).dumps(raw))
    return g.get(field)


def mask_token(token: str) -> str:
    """Return `token` XORed with a fresh random pad, the pad in front, in URL-safe base64.

    A compressed page that reflects a visitor's input next to a constant secret leaks that
    secret byte by byte through the response size (BREACH); a masked token is different random
    bytes every time, while the secret it carries stays the same.
    """
    raw = token.encode("ascii")
    pad = secrets.token_bytes(len(raw))
    masked = (int.from_bytes(pad, "big") ^ int.from_bytes(raw, "big")).to_bytes(len(raw), "big")
    return base64.urlsafe_b64encode(pad + masked).decode("ascii").rstrip("=")


def masked_token_width() -> int:
    """Return how many characters a masked token of this app has (each has the same).

    Worked out from a token made as Flask-WTF makes one (a SHA-1 hex digest, signed with a
    time stamp). Shared pages count on it to compress around form tokens; each request
    checks its tokens have this width, so a different token format costs only that saving.
    """
    return len(mask_token(_signer().dumps(hashlib.sha1(b"").hexdigest())))


def unmask_token(masked: str) -> str | None:
    """Return the token `masked` carries, or None when it is not a token `mask_token` made."""
    try:
        data = base64.b64decode(masked + "=" * (-len(masked) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    half, odd = divmod(len(data), 2)
    if not half or odd:
        return None
    pad, body = data[:half], data[half:]
    raw = (int.from_bytes(pad, "big") ^ int.from_bytes(body, "big")).to_bytes(half, "big")
    try:
        return raw.decode("ascii")
    except UnicodeDecodeError:
        return None


# Where a request keeps its masked token (with the token it masks): on the request itself,
# not `g`, which may outlive a request when an app context was pushed around several.
_MASKED = "shop.masked_csrf_token"


def masked_csrf_token(secret_key: str | None = None, token_key: str | None = None) -> str:
    """Return this session's CSRF token under this response's mask.

    Every form of one response carries the same masked token and the next response another:
    BREACH needs a secret that stays the same from response to response, and the mask
    changes it each time, so a mask per form would only cost more. While a page shared by
    every visitor is being built, the placeholder is handed on as it is.
    """
    token = signed_csrf_token(secret_key, token_key)
    if token == TOKEN_PLACEHOLDER:
        return token
    kept = request.environ.get(_MASKED)
    # A token made afresh in this request (a new session at sign-in) gets a mask of its own.
    if kept is None or kept[0] != token:
        kept = request.environ[_MASKED] = (token, mask_token(token))
    return kept[1]


def masked_csrf_meta_tag() -> Markup:
    """Return a <meta name="csrf-token"> carrying a masked token, for scripts that post."""
    return Markup(f'<meta name="csrf-token" content="{escape(masked_csrf_token())}">')


class MaskedCSRFProtect(CSRFProtect):
    """Flask-WTF's CSRFProtect, giving templates masked tokens and unmasking what comes back."""

    def init_app(self, app: Flask) -> None:
        """Set CSRFProtect up, then replace its template helpers with the masked ones."""
        super().init_app(app)
        helpers = {"csrf_token": masked_csrf_token, "csrf_meta_tag": masked_csrf_meta_tag}
        app.jinja_env.globals.update(helpers)
        # Registered after CSRFProtect's own context processor, so these win in every template.
        app.context_processor(lambda: helpers)

    def _get_csrf_token(self) -> str | None:
        """Read the token from the form or header as Flask-WTF does, then take its mask off."""
        sent = super()._get_csrf_token()
        if sent is None:
            return None  # Flask-WTF answers "The CSRF token is missing."
        token = unmask_token(sent)
        if token is None:
            self._error_response(INVALID_TOKEN)
        return token
