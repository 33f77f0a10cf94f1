"""Shared fixtures: an app on a test database (SQLite, or PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from flask import g
from jinja2 import StrictUndefined
from sqlalchemy import Engine, event
from sqlalchemy.engine import make_url

from app import create_app
from models import db
from tests.databases import new_postgres_database

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "")

# Tests work out expected dates with date.today(); run them in the clinic's time zone so that
# agrees with the shop's clock (shop.clock) at every hour, BST included.
os.environ["TZ"] = "Europe/London"
time.tzset()


def _is_postgres(url: str) -> bool:
    return url.startswith(("postgres://", "postgresql"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> Iterator[str]:
    """The database the suite runs on: TEST_DATABASE_URL, or a fresh SQLite file.

    Tests empty every table after themselves, so two processes of a parallel run (pytest -n)
    on one database would wipe each other's rows: each has `<name>_<worker>` of its own.
    SQLite files are per process already, as each has its own temporary folder.
    """
    # pytest-xdist names each of its processes (gw0, gw1 ...) in this variable.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if TEST_DATABASE_URL and _is_postgres(TEST_DATABASE_URL) and worker:
        name = f"{make_url(TEST_DATABASE_URL).database}_{worker}"
        with new_postgres_database(TEST_DATABASE_URL, name) as url:
            yield url
    elif TEST_DATABASE_URL:
        yield TEST_DATABASE_URL
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.sqlite3")


class StrictButCsrfUndefined(StrictUndefined):
    """Fail on any undefined template value, except the CSRF field the tests switch off."""

    def __str__(self) -> str:
        if self._undefined_name == "csrf_token":
            return ""
        return super().__str__()


@pytest.fixture(scope="session")
def app(database_url):
    """One application for the whole run, with the schema created once."""
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "WTF_CSRF_ENABLED": False,
            "SECRET_KEY": "test-secret-key",
            "SERVER_NAME": "shop.test",
        }
    )
    # A template that reads a variable nobody passed fails the test instead of rendering blank.
    application.jinja_env.undefined = StrictButCsrfUndefined
    with application.app_context():
        db.drop_all()
        db.create_all()

    @application.teardown_request
    def forget_signed_in_user(_error=None) -> None:
        # Tests keep one app context open, so `g` outlives a request; in production each
        # request has its own. Forget the cached user so the next request reads the session.
        g.pop("_login_user", None)
        g.pop("csrf_token", None)  # the form token Flask-WTF keeps for one request

    yield application
    with application.app_context():
        db.session.remove()
        db.drop_all()
        db.engine.dispose()


def _empty_all_tables() -> None:
    """Delete every row and restart every id so the next test starts from an empty shop."""
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        # One round trip of DELETEs and one setval per sequence: TRUNCATE of 36 tables took
        # about 80 ms a test here (new files for every table), this about 2 ms.
        statements = [f'DELETE FROM "{table.name}"' for table in tables] + [
            "SELECT setval(c.oid, 1, false) FROM pg_class c "
            "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
        ]
        db.session.connection().exec_driver_sql("; ".join(statements))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture
def app_ctx(app) -> Iterator:
    """An application context around one test, with every table emptied afterwards."""
    from shop.extensions import limiter

    with app.app_context():
        # The limiter is one per process and takes "enabled" from the last app made (the
        # browser tests' servers are made with limits off): give this test its app's own.
        limiter.enabled = app.config["RATELIMIT_ENABLED"]
        # Rate-limit counts are per process: start each test with none used up.
        limiter.reset()
        yield app
        db.session.rollback()
        _empty_all_tables()
        db.session.remove()


@pytest.fixture
def client(app_ctx):
    """A test client for the shop."""
    return app_ctx.test_client()


@pytest.fixture
def runner(app_ctx):
    """A runner for the shop's `flask` commands."""
    return app_ctx.test_cli_runner()


def log_in(client, user, password: str | None = None) -> None:
    """Sign `user` in on `client` through the real sign-in form (the factories' password)."""
    from tests.factories import DEFAULT_PASSWORD

    with client.session_transaction() as session:
        signed_in = "_user_id" in session
    if signed_in:
        # As a person would: sign the current account out before signing another in.
        client.post("/account/logout")
    response = client.post(
        "/account/login", data={"email": user.email, "password": password or DEFAULT_PASSWORD}
    )
    assert response.status_code in (302, 303), f"sign-in failed ({response.status_code})"


@pytest.fixture
def login(client):
    """Return a function that signs a user in on the test client."""

    def sign_in(user):
        log_in(client, user)
        return client

    return sign_in


@pytest.fixture
def fake_stripe(app_ctx):
    """Card payments on, with the Stripe SDK talking to a local fake of the Stripe API."""
    from tests.stripe_fake import FakeStripe, stripe_configured

    fake = FakeStripe().start()
    with stripe_configured(app_ctx, fake):
        yield fake
    fake.stop()


@pytest.fixture
def cream(app_ctx):
    """A £15 product with 10 units on the shelf (files needing another cream define their own)."""
    from tests.factories import make_lot, make_product

    product = make_product(name="Calm Cream", price_pence=1500)
    make_lot(product, 10)
    return product


@pytest.fixture
def postgres_url(database_url) -> str:
    """The PostgreSQL URL of the run; tests that need real concurrency skip without one."""
    if not _is_postgres(database_url):
        pytest.skip("needs PostgreSQL: set TEST_DATABASE_URL=postgresql://... to run")
    return database_url


class QueryCounter:
    """Counts the SQL statements the app sends while active."""

    def __init__(self) -> None:
        self.statements: list[str] = []

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app_ctx):
    """Return a context manager counting the statements run inside it, on every engine."""

    @contextmanager
    def counting():
        counter = QueryCounter()

        def record(conn, cursor, statement, parameters, context, executemany):
            counter.statements.append(statement)

        event.listen(Engine, "before_cursor_execute", record)
        try:
            yield counter
        finally:
            event.remove(Engine, "before_cursor_execute", record)

    return counting
