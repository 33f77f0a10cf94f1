"""The kit finder's private plan link: a bookmarkable address that stores and shows no answer."""

from __future__ import annotations

import base64
import html as html_lib
import logging
import re
import secrets
from datetime import UTC, date, datetime, timedelta

import pytest
from factories import DEFAULT_PASSWORD, make_user, screening_form_data

from models import db
from shop import clock
from shop.security import AccessLogQueryFilter

TREATED_ON = date.today() - timedelta(days=3)


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output


def _answers(**changes):
    answers = {
        "treatment": "microneedling",
        "treated_on": TREATED_ON.isoformat(),
        "fitzpatrick": "2",
        **screening_form_data(),
        "screening_pregnant_or_breastfeeding": "yes",
        "concerns": ["sensitive"],
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def _plan_path(client, **changes) -> str:
    response = client.post("/kit-finder", data=_answers(**changes))
    assert response.status_code == 303
    return response.headers["Location"]


def _token(path: str) -> str:
    assert path.startswith("/plans/")
    return path.removeprefix("/plans/")


def _pin_today(monkeypatch, day: date) -> None:
    # Noon UTC is the same date in the clinic's time zone all year round.
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    monkeypatch.setattr(clock, "_system_now", lambda: moment)


def test_valid_answers_answer_303_to_a_private_plan_link(client, seeded):
    path = _plan_path(client)
    assert len(_token(path)) >= 100  # far more than 128 bits of it is random or authenticated


def test_the_link_shows_the_plan_to_any_browser_and_survives_a_reload(app, client, seeded):
    path = _plan_path(client)
    stranger = app.test_client()  # no session, no cookies: a bookmark opened on another phone
    for visitor in (client, stranger, stranger):
        response = visitor.get(path)
        assert response.status_code == 200
        html = response.get_data(as_text=True)
        assert "Micro-needling" in html and "Today: Day 4 of 15" in html
        assert "Please tell the clinic today" in html  # the pregnancy answer travelled too


def test_follow_the_form_straight_to_the_plan(client, seeded):
    response = client.post("/kit-finder", data=_answers(), follow_redirects=True)
    assert response.status_code == 200
    assert response.request.path.startswith("/plans/")
    assert "Micro-needling Recovery Kit" in response.get_data(as_text=True)


def test_the_token_reveals_none_of_the_answers(client, seeded):
    token = _token(_plan_path(client))
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for answer in (
        "microneedling",
        TREATED_ON.isoformat(),
        TREATED_ON.strftime("%Y%m%d"),
        "pregnant",
        "sensitive",
        "fitzpatrick",
    ):
        assert answer not in token.lower()
        assert answer.encode() not in raw.lower()


def test_the_same_answers_give_a_different_token_each_time(client, seeded):
    assert _plan_path(client) != _plan_path(client)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-6],
        lambda t: t[:30],
        lambda t: t[:50] + ("x" if t[50] != "x" else "y") + t[51:],
        lambda t: t + "Zz",
        lambda t: secrets.token_urlsafe(len(t) * 3 // 4),
        lambda t: "not-a-plan",
    ],
    ids=["truncated", "short", "altered", "extended", "random", "words"],
)
def test_a_forged_or_garbled_token_is_404_with_no_data(client, seeded, mangle):
    response = client.get("/plans/" + mangle(_token(_plan_path(client))))
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "We could not find that page" in html
    assert "Micro-needling" not in html and "pregnan" not in html.lower()
    assert response.headers["Cache-Control"] == "no-store"


def test_the_link_works_for_plan_link_days_after_the_treatment_then_410(
    app, client, seeded, monkeypatch
):
    path = _plan_path(client)
    days = app.config["PLAN_LINK_DAYS"]
    assert days == 90
    _pin_today(monkeypatch, TREATED_ON + timedelta(days=days))
    assert client.get(path).status_code == 200
    _pin_today(monkeypatch, TREATED_ON + timedelta(days=days + 1))
    response = client.get(path)
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "This link has expired" in html and "kit finder" in html
    assert "Micro-needling" not in html
    assert response.headers["Cache-Control"] == "no-store"


def test_the_link_expiry_follows_the_setting(app, client, seeded, monkeypatch):
    path = _plan_path(client)
    monkeypatch.setitem(app.config, "PLAN_LINK_DAYS", 2)
    assert client.get(path).status_code == 410


def test_the_plan_page_is_private_uncached_and_not_indexable(client, seeded):
    response = client.get(_plan_path(client))
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert '<meta name="robots" content="noindex, nofollow">' in response.get_data(as_text=True)


def test_guessing_plan_links_is_rate_limited(app, client, seeded, monkeypatch):
    path = _plan_path(client)
    monkeypatch.setitem(app.config, "PLAN_LINK_RATE_LIMIT", "5 per minute")
    codes = [client.get(f"/plans/{secrets.token_urlsafe(120)}").status_code for _ in range(5)]
    assert codes == [404] * 5
    limited = client.get(path)
    assert limited.status_code == 429
    assert limited.headers["Cache-Control"] == "no-store"


def test_invalid_answers_still_answer_422_with_the_messages(client, seeded):
    response = client.post("/kit-finder", data=_answers(fitzpatrick=None))
    assert response.status_code == 422
    assert "Choose the description closest to your skin." in response.get_data(as_text=True)
    assert "Location" not in response.headers


def test_nothing_is_written_to_the_database(client, seeded):
    def snapshot():
        return {t.name: db.session.execute(t.select()).all() for t in db.metadata.sorted_tables}

    before = snapshot()
    client.get(_plan_path(client))
    assert snapshot() == before


def test_plan_link_tokens_are_kept_out_of_access_logs(client, seeded):
    token = _token(_plan_path(client))
    record = logging.LogRecord(
        "werkzeug",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        (f"GET /plans/{token} HTTP/1.1", "200", "-"),
        None,
    )
    AccessLogQueryFilter().filter(record)
    assert token not in record.getMessage()
    assert "GET /plans/[redacted] HTTP/1.1" in record.getMessage()


def _link_to(html: str, endpoint_path: str) -> str:
    """Return the href of the first link on the page to `endpoint_path` (HTML-unescaped)."""
    found = re.search(rf'href="({re.escape(endpoint_path)}\?[^"]+)"', html)
    assert found, endpoint_path
    return html_lib.unescape(found.group(1))


def test_signing_in_from_the_plan_comes_back_to_it(client, seeded):
    path = _plan_path(client)
    user = make_user(email="pat@example.com")
    sign_in = _link_to(client.get(path).get_data(as_text=True), "/account/login")
    form = client.get(sign_in).get_data(as_text=True)
    assert path in form
    response = client.post(
        sign_in,
        data={"email": user.email, "password": DEFAULT_PASSWORD, "next": path},
    )
    assert response.status_code == 302 and response.headers["Location"].startswith(path)


def test_creating_an_account_from_the_plan_comes_back_to_it(client, seeded):
    path = _plan_path(client)
    register = _link_to(client.get(path).get_data(as_text=True), "/account/register")
    form = client.get(register).get_data(as_text=True)
    assert f'value="{path}' in form
    data = {
        "email": "new.patient@example.com",
        "name": "New Patient",
        "password": "Gentle-care-77",
        "confirm": "Gentle-care-77",
        "health_data_consent": "y",
        "next": path,
    }
    response = client.post("/account/register", data=data)
    assert response.status_code == 302 and response.headers["Location"].startswith(path)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "javascript:x"])
def test_registration_never_sends_anyone_outside_the_shop(client, seeded, target):
    data = {
        "email": "new.patient@example.com",
        "name": "New Patient",
        "password": "Gentle-care-77",
        "confirm": "Gentle-care-77",
        "health_data_consent": "y",
        "next": target,
    }
    response = client.post("/account/register", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
