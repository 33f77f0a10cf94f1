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
    """Flask's signed-cookie sessions, with the signing serializer made once per set of keys."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, object] = {}

    def get_signing_serializer(self, app: Flask):
        """Return the serializer for the app's current keys (Flask makes one per request)."""
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = super().get_signing_serializer(app)
        return serializer


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
limiter = Limiter(key_func=get_remote_address)
