"""Run the PostgreSQL-only tests when a server answers at the URL; say why they skip otherwise.

`make test` calls this after the SQLite run when TEST_DATABASE_URL is not set, so the
concurrency tests run on every developer machine that has PostgreSQL, and a machine without
it is told so rather than silently passing.
"""

from __future__ import annotations

import os
import subprocess
import sys

import psycopg
from sqlalchemy.engine import make_url


def unreachable_reason(url: str) -> str | None:
    """Return why no PostgreSQL database answers at `url`, or None when one does."""
    try:
        parsed = make_url(url)
    except Exception as error:  # any malformed URL is a reason to skip, reported as such
        return f"{url!r} is not a database URL ({error})"
    if not parsed.drivername.startswith("postgres"):
        return f"{parsed.render_as_string()} is not a PostgreSQL URL"
    where = {
        "host": parsed.host,
        "port": parsed.port,
        "user": parsed.username,
        "password": parsed.password,
        "connect_timeout": 3,
    }
    try:
        with psycopg.connect(dbname=parsed.database, **where):
            return None
    except psycopg.Error as error:
        problem = str(error).strip().splitlines()[0]
        # A server that answers but has no such database yet gets one, as createdb would.
        if f'database "{parsed.database}" does not exist' not in problem:
            return problem
    try:
        with psycopg.connect(dbname="postgres", autocommit=True, **where) as admin:
            admin.execute(f'CREATE DATABASE "{parsed.database}"')
    except psycopg.Error as error:
        return str(error).strip().splitlines()[0]
    return None


def main(argv: list[str]) -> int:
    """Run `pytest -m postgres` against argv[1] if it answers; return pytest's exit code."""
    url = argv[1]
    shown = make_url(url).render_as_string(hide_password=True) if "://" in url else url
    reason = unreachable_reason(url)
    if reason:
        print(
            f"Skipping the PostgreSQL tests: no database answers at {shown} ({reason}). "
            "Create it (createdb) or set TEST_DATABASE_URL to run them."
        )
        return 0
    print(f"Running the PostgreSQL tests on {shown}")
    env = {**os.environ, "TEST_DATABASE_URL": url}
    return subprocess.call([sys.executable, "-m", "pytest", "-m", "postgres", *argv[2:]], env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
