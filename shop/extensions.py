"""Flask extensions, created unbound here and initialised by the application factory."""

from flask_bootstrap import Bootstrap5
from flask_caching import Cache
from flask_compress import Compress
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate

from shop.csrf import MaskedCSRFProtect

login_manager = LoginManager()
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
