"""What the PostgreSQL race tests share: a second app whose pool has a connection per racer."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from app import create_app
from models import db


@contextmanager
def second_app(postgres_url: str, connections: int, **config) -> Iterator:
    """Yield another app on the test database, with `connections` pooled connections.

    Each racing thread gets its own connection and transaction, as separate workers would.
    """
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": postgres_url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": connections, "max_overflow": 0},
            "SECRET_KEY": "race",
            "SERVER_NAME": "shop.test",
            **config,
        }
    )
    try:
        yield application
    finally:
        with application.app_context():
            db.session.remove()
            db.engine.dispose()
