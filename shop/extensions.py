"""Flask extensions, created unbound here and initialised by the application factory."""

from flask import Flask, session
from flask.sessions import SecureCookieSessionInterface
from flask_bootstrap import Bootstrap5
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate

from shop.csrf import MaskedCSRFProtect
from shop.signing import LeanTimedSerializer


class ShopLoginManager(LoginManager):
    """Flask-Login's manager, whose session protection looks only at sessions with a user."""

    def _session_protection_failed(self) -> bool:
        # A signed-out session (a form token, a guest basket) has no user to protect. Under
        # "strong" protection Flask-Login would still find its identifier missing, clear it
        # and mark it changed on every request, so every page sent it again with a cookie
        # clearing "remember me"; a request with no session at all is never checked either.
        if "_user_id" not in session:
            return False
        return super()._session_protection_failed()


class ShopSessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, signed by a serializer made once per set of keys.

    The serializer is Flask's, but lean: a session of under 1 KiB is not run through zlib
    (setting it up cost more than signing a new visitor's session). Cookies read the same.
    """

    def __init__(self) -> None:
        self._serializers: dict[tuple, LeanTimedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> LeanTimedSerializer | None:
        """Return the serializer for the app's current keys (Flask makes one per request)."""
        if not app.secret_key:
            return None
        fallbacks = tuple(app.config["SECRET_KEY_FALLBACKS"] or ())
        keys = (*fallbacks, app.secret_key)  # itsdangerous signs with the last key
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = LeanTimedSerializer(
                list(keys),
                salt=self.salt,
                serializer=self.serializer,
                signer_kwargs={
                    "key_derivation": self.key_derivation,
                    "digest_method": self.digest_method,
                },
            )
        return serializer


class ShopLimiter(Limiter):
    """Flask-Limiter, which lets a request its filters exempt go before doing any work."""

    def _check_request_limit(
        self, callable_name: str | None = None, in_middleware: bool = True
    ) -> None:
        # Flask-Limiter asks its filters only after naming the request and gathering and
        # sorting its limits: on a page served from the cache, that was a twentieth of it.
        if in_middleware and any(exempt() for exempt in self._request_filters):
            return
        super()._check_request_limit(callable_name, in_middleware)


login_manager = ShopLoginManager()
# Flask-WTF's CSRF protection, with the token masked per use (pages are compressed: BREACH).
csrf = MaskedCSRFProtect()
migrate = Migrate()
bootstrap = Bootstrap5()
# The shared (Redis) layer of the catalogue caches; CACHE_* settings choose its backend.
shared_cache = Cache()
# Brotli, else gzip, for pages, styles, scripts, SVG and JSON (COMPRESS_* settings).
compress = Compress()
# Storage and the on/off switch come from the app config (RATELIMIT_* settings).
limiter = ShopLimiter(key_func=get_remote_address)
