"""Flask extensions, created unbound here and initialised by the application factory."""

from flask_bootstrap import Bootstrap5
from flask_caching import Cache
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_wtf.csrf import CSRFProtect

login_manager = LoginManager()
csrf = CSRFProtect()
migrate = Migrate()
bootstrap = Bootstrap5()
# The shared (Redis) layer of the catalogue caches; CACHE_* settings choose its backend.
shared_cache = Cache()
# Storage and the on/off switch come from the app config (RATELIMIT_* settings).
limiter = Limiter(key_func=get_remote_address)
