"""Browser fixtures: the shop served on a free local port, driven by Debian's headless Chromium."""

from __future__ import annotations

import os
import shutil
import threading
from contextlib import contextmanager, nullcontext
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from app import create_app
from models import db
from shop.extensions import limiter
from tests.browser.accessibility import serious_violations

CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


PASSWORD = "Browser-demo-2026"
# The widths the shop is designed for: a phone and a laptop.
WIDTHS = (390, 1366)
# Set SCREENSHOTS_DIR to a folder to keep a picture of every page the tests look at.
SCREENSHOTS_DIR = os.environ.get("SCREENSHOTS_DIR", "")


@contextmanager
def serve_shop(folder, wrap=nullcontext):
    """Serve the seeded shop on a free local port with its own SQLite file; yield its base URL.

    `wrap(app)` is entered around serving, e.g. to point the shop at the fake Stripe.
    """
    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Chromium: apt-get install chromium (or set CHROMIUM_PATH)")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'shop.sqlite3'}",
            "DEMO_PASSWORD": PASSWORD,
            "RATELIMIT_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
    result = app.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0, result.output
    with wrap(app):
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield f"http://127.0.0.1:{server.server_port}"
        finally:
            server.shutdown()
            thread.join(timeout=5)


@pytest.fixture(autouse=True)
def _limits_off():
    """Serve every browser test with rate limits off, as its server was made.

    The limiter is one per process: a test of another file in this process may have
    switched it back on for its own app since the server started.
    """
    limiter.enabled = False


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """The seeded shop on 127.0.0.1 with its own SQLite file; yields its base URL."""
    with serve_shop(tmp_path_factory.mktemp("browser")) as url:
        yield url


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the session."""
    sync_api = pytest.importorskip("playwright.sync_api")
    if not os.path.exists(CHROMIUM):
        pytest.skip("needs Chromium: apt-get install chromium (or set CHROMIUM_PATH)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def recording_page(browser, width: int, height: int = 900):
    """Return (context, page) at `width`; the page records console errors in console_problems."""
    context = browser.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    page.width = width
    page.console_problems = []
    page.on(
        "console",
        lambda message: (
            page.console_problems.append(message.text) if message.type == "error" else None
        ),
    )
    return context, page


@pytest.fixture
def page(browser):
    """A fresh page that records console errors and blocked requests."""
    context, page = recording_page(browser, 1280)
    yield page
    context.close()


@pytest.fixture(params=WIDTHS, ids=lambda width: f"{width}px")
def screen(browser, request):
    """A fresh page at a phone's and at a laptop's width, recording console errors."""
    context, page = recording_page(browser, request.param)
    yield page
    context.close()


def sign_in(page, base_url: str, email: str) -> None:
    """Sign in through the real form as one of the demo accounts."""
    page.goto(base_url + "/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_load_state()


def keep_screenshot(page, name: str, **options) -> None:
    """Keep a full-page picture in SCREENSHOTS_DIR, when it is set, to look at."""
    if SCREENSHOTS_DIR:
        Path(SCREENSHOTS_DIR).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{SCREENSHOTS_DIR}/{name}.png", full_page=True, **options)


def scrolls_sideways(page) -> int:
    """Return how many pixels the page is wider than its window (0 or less: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def looks_right(page, name: str = "") -> None:
    """No sideways scroll, no console error and nothing axe calls serious; keep a screenshot."""
    if name:
        keep_screenshot(page, f"{name}-{page.viewport_size['width']}")
    assert scrolls_sideways(page) <= 0, (page.url, scrolls_sideways(page))
    assert page.console_problems == [], page.console_problems
    assert serious_violations(page) == [], page.url
