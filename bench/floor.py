"""Measure each storefront page's requests/s against a bare Flask route under the same gunicorn.

Run from the project folder (a fresh clone works after `make venv`):

    .venv/bin/python bench/floor.py [--database-url postgresql://...] [--redis-url redis://...]
                                    [--seconds 5] [--rounds 3] [--connections 4] [--threads 1]
                                    [--accept-encoding "gzip, deflate, br"]

It prepares a demo database (a throw-away SQLite file by default, or the PostgreSQL URL given:
an empty database it may fill, or one it filled before), migrates and seeds it with the shop's
own `flask db upgrade` and `flask seed --if-empty`, then starts two gunicorn servers with
2 sync workers each, as in production: a bare Flask app whose one route returns "ok", and the
shop (`app:create_app()` with SHOP_ENV=production). With two CPUs the servers run on CPU 0 and
wrk on CPU 1 (taskset), so the load generator does not take the workers' time.

wrk measures in interleaved rounds (trivial, page, trivial, page, ...) so that drift from other
work on the machine is shared by both sides of each ratio. It prints, per page, the median
requests/s, the median ratio to the trivial route over the rounds, and whether the floor target
(ratio >= 0.25) is met; it exits 1 when any page misses it, and 2 when it cannot measure (no
wrk, a page not answering 200, or non-2xx answers during a run).

wrk sends no Accept-Encoding unless --accept-encoding is given; with the value a browser sends,
each page is measured as it is sent to browsers, compressed (both servers get the header; the
trivial route's two bytes are never compressed).

Rate limits stay on with the shop's limiter and storage (memory per worker, or Redis with
--redis-url, as production runs), so their per-request cost is counted. Only the plan API's
per-address limit is raised for the run: at its production value (120 per minute) nearly every
benchmark request would be a cheap 429 and the figure would measure the error page, not the API.

wrk is Debian's `wrk` package (`apt-get install wrk`).
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TRIVIAL_PORT = 5203
SHOP_PORT = 5204
TARGET = 0.25
AIM = 0.5
WORKERS = 2
# The plan API limit during the run (see the docstring): high enough that no request is refused.
BENCH_PLAN_API_LIMIT = "10000000 per minute"
STOREFRONT = (
    "/",
    "/products",
    "/products/umbra-sheer-mineral-fluid-spf50",
    "/kits",
    "/kits/microneedling-recovery-kit",
    "/treatments/microneedling",
    "/kit-finder",
    "/api/v1/aftercare-plan?treatment=microneedling&treated_on={today}&fitzpatrick=5",
)
_REQUESTS_PER_SECOND = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET_ERRORS = re.compile(r"Socket errors:.*")


def trivial_app():
    """Return a bare Flask app with one route answering "ok": the floor every page is held to."""
    from flask import Flask

    app = Flask("floor")

    @app.route("/")
    def ok() -> str:
        return "ok"

    return app


def shop_environment(database_url: str, redis_url: str) -> dict[str, str]:
    """Return the environment the shop runs under for the benchmark: production settings."""
    env = dict(os.environ)
    env.update(
        SHOP_ENV="production",
        SECRET_KEY=secrets.token_hex(32),
        DATABASE_URL=database_url,
        PLAN_API_RATE_LIMIT=BENCH_PLAN_API_LIMIT,
        LOG_LEVEL="WARNING",
        FLASK_APP="app",
    )
    env.pop("REDIS_URL", None)
    if redis_url:
        env["REDIS_URL"] = redis_url
    return env


def prepare_database(env: dict[str, str]) -> None:
    """Migrate the database and seed the demo catalogue if it has none, as `make run` does."""
    flask = [sys.executable, "-m", "flask", "--app", "app"]
    for command in (["db", "upgrade"], ["seed", "--if-empty"]):
        done = subprocess.run(
            [*flask, *command], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
        )
        if done.returncode != 0:
            sys.exit(f"flask {' '.join(command)} failed:\n{done.stdout}{done.stderr}")


def pinned(command: list[str], cpus: str | None) -> list[str]:
    """Run `command` on the given CPUs when pinning is on."""
    return ["taskset", "-c", cpus, *command] if cpus else command


def start_gunicorn(app_spec: str, port: int, env: dict[str, str], cpus: str | None, log: Path):
    """Start gunicorn with the production worker setup serving `app_spec` on 127.0.0.1:`port`."""
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--pythonpath",
        str(PROJECT_ROOT / "bench"),
        app_spec,
    ]
    handle = log.open("w")
    return subprocess.Popen(
        pinned(command, cpus),
        cwd=PROJECT_ROOT,
        env=env,
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def refuse_busy_port(port: int) -> None:
    """Stop when something already listens on `port`: wrk would measure that instead."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            sys.exit(
                f"Port {port} is already in use; choose another with --trivial-port/--shop-port."
            )


def wait_until_up(url: str, server: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    """Wait for `url` to answer 200, or stop with the server's log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    sys.exit(f"{url} did not come up; server log:\n{log.read_text()}")


def check_page(url: str, accept_encoding: str = "") -> str:
    """Refuse to measure a page that does not answer 200; return the cookie it set, if any."""
    headers = {"Accept-Encoding": accept_encoding} if accept_encoding else {}
    try:
        with urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=30
        ) as response:
            response.read()
            status = response.status
            cookie = response.headers.get("Set-Cookie", "").split(";", 1)[0]
    except urllib.error.HTTPError as error:
        status, cookie = error.code, ""
    if status != 200:
        print(f"{url} answers {status}, not 200; not measuring.", file=sys.stderr)
        sys.exit(2)
    return cookie


@dataclass(frozen=True)
class Visit:
    """One row of the table: a page, as a first-time visitor or with a returning one's cookie."""

    path: str
    cookie: str = ""

    @property
    def label(self) -> str:
        """The row's name in the table."""
        return f"`{self.path}`" + (" (returning visitor)" if self.cookie else "")


def run_wrk(
    url: str,
    seconds: int,
    threads: int,
    connections: int,
    cpus: str | None,
    cookie: str = "",
    accept_encoding: str = "",
) -> float:
    """Run wrk against `url` and return its requests/s; stop if any answer was not 2xx/3xx."""
    command = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        *(["-H", f"Cookie: {cookie}"] if cookie else []),
        *(["-H", f"Accept-Encoding: {accept_encoding}"] if accept_encoding else []),
        url,
    ]
    done = subprocess.run(pinned(command, cpus), capture_output=True, text=True)
    output = done.stdout + done.stderr
    found = _REQUESTS_PER_SECOND.search(output)
    if done.returncode != 0 or not found:
        print(f"wrk failed on {url}:\n{output}", file=sys.stderr)
        sys.exit(2)
    non_2xx = _NON_2XX.search(output)
    if non_2xx:
        print(f"{url}: {non_2xx.group(1)} answers were not 2xx/3xx:\n{output}", file=sys.stderr)
        sys.exit(2)
    errors = _SOCKET_ERRORS.search(output)
    if errors:
        print(f"{url}: {errors.group(0)}", file=sys.stderr)
    return float(found.group(1))


def stop(server: subprocess.Popen) -> None:
    """Stop a gunicorn master and its workers (its own process group only)."""
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def parse_arguments() -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="\n".join(__doc__.splitlines()[2:]),
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL URL of an empty database to fill (default: a throw-away SQLite file)",
    )
    parser.add_argument(
        "--redis-url", default="", help="Redis for the rate-limit counts (default: memory)"
    )
    parser.add_argument("--seconds", type=int, default=5, help="length of each wrk run")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds per page")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections")
    parser.add_argument("--trivial-port", type=int, default=TRIVIAL_PORT)
    parser.add_argument("--shop-port", type=int, default=SHOP_PORT)
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin the servers and wrk to separate CPUs"
    )
    parser.add_argument(
        "--accept-encoding",
        default="",
        help='send this Accept-Encoding, e.g. "gzip, deflate, br" as browsers do (default: none)',
    )
    parser.add_argument(
        "--only", action="append", default=[], help="measure only pages containing this text"
    )
    return parser.parse_args()


def main() -> int:
    """Prepare the database, start both servers, measure in interleaved rounds, print the table."""
    args = parse_arguments()
    if not shutil.which("wrk"):
        print("wrk is not installed: `apt-get install wrk` (Debian/Ubuntu).", file=sys.stderr)
        return 2
    pin = not args.no_pin and shutil.which("taskset") and (os.cpu_count() or 1) >= 2
    server_cpus, wrk_cpus = ("0", "1") if pin else (None, None)
    today = datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    pages = [page.format(today=today) for page in STOREFRONT]
    if args.only:
        pages = [page for page in pages if any(text in page for text in args.only)]
    with tempfile.TemporaryDirectory(prefix="floor-") as folder:
        database_url = args.database_url or f"sqlite:///{folder}/floor.sqlite3"
        env = shop_environment(database_url, args.redis_url)
        for port in (args.trivial_port, args.shop_port):
            refuse_busy_port(port)
        prepare_database(env)
        trivial_log, shop_log = Path(folder) / "trivial.log", Path(folder) / "shop.log"
        trivial_env = {**env, "PYTHONPATH": str(PROJECT_ROOT / "bench")}
        trivial = start_gunicorn(
            "floor:trivial_app()", args.trivial_port, trivial_env, server_cpus, trivial_log
        )
        shop = start_gunicorn("app:create_app()", args.shop_port, env, server_cpus, shop_log)
        try:
            trivial_url = f"http://127.0.0.1:{args.trivial_port}/"
            shop_url = f"http://127.0.0.1:{args.shop_port}"
            wait_until_up(trivial_url, trivial, trivial_log)
            wait_until_up(shop_url + "/", shop, shop_log)
            visits = []
            for page in pages:
                # Each worker compiles templates and fills its caches on first use.
                cookies = {
                    check_page(shop_url + page, args.accept_encoding) for _ in range(2 * WORKERS)
                }
                visits.append(Visit(page))
                # A page that starts a session (a form's token) costs a first-time visitor
                # more than one browsing on: both are measured.
                if cookies != {""}:
                    visits.append(Visit(page, cookies.pop()))
            load = (args.seconds, args.threads, args.connections, wrk_cpus)
            encoding = {"accept_encoding": args.accept_encoding}
            run_wrk(trivial_url, 1, *load[1:], **encoding)
            trivial_rates: dict[Visit, list[float]] = {visit: [] for visit in visits}
            page_rates: dict[Visit, list[float]] = {visit: [] for visit in visits}
            for _ in range(args.rounds):
                for visit in visits:
                    trivial_rates[visit].append(run_wrk(trivial_url, *load, **encoding))
                    page_rates[visit].append(
                        run_wrk(shop_url + visit.path, *load, visit.cookie, **encoding)
                    )
        finally:
            stop(trivial)
            stop(shop)
    return report(args, database_url, pin, visits, trivial_rates, page_rates)


def report(args, database_url, pin, visits, trivial_rates, page_rates) -> int:
    """Print the load, the table and the verdict; return the exit status."""
    engine = database_url.split(":", 1)[0]
    limits = "Redis" if args.redis_url else "memory"
    print(
        f"Load: wrk -t{args.threads} -c{args.connections} -d{args.seconds}s, {args.rounds} "
        f"interleaved rounds; gunicorn {WORKERS} sync workers per server"
        + (" on CPU 0, wrk on CPU 1" if pin else " (not pinned)")
        + f"; shop in production mode on {engine}, rate limits in {limits}; "
        + (
            f"Accept-Encoding: {args.accept_encoding}."
            if args.accept_encoding
            else "no Accept-Encoding (nothing compressed)."
        )
    )
    all_trivial = [rate for rates in trivial_rates.values() for rate in rates]
    print(f"Trivial route: median {statistics.median(all_trivial):.0f} req/s.")
    print("| page | req/s | ratio to trivial | target |")
    print("|---|---|---|---|")
    missed = 0
    for visit in visits:
        ratios = [p / t for p, t in zip(page_rates[visit], trivial_rates[visit], strict=True)]
        ratio = statistics.median(ratios)
        met = ratio >= TARGET
        missed += not met
        verdict = ("met" if met else "MISSED") + (" (aim met)" if ratio >= AIM else "")
        rate = statistics.median(page_rates[visit])
        print(f"| {visit.label} | {rate:.0f} | {ratio:.3f} | {verdict} |")
    print(
        f"Target: ratio >= {TARGET} (aim {AIM}), median over rounds. "
        f"{len(visits) - missed} of {len(visits)} met. A returning visitor sends the session "
        "cookie the page set on a first visit."
    )
    return 0 if missed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
