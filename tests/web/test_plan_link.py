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


# --- buying from the plan, and coming back to it from the order -------------------------------


def _add_kit_from_plan(client, plan_html: str, plan_value: str | None = None) -> None:
    """Submit the plan page's "Add kit to basket" form as a browser would."""
    form = re.search(r'<form method="post" action="/basket/add"[^>]*>(.*?)</form>', plan_html, re.S)
    assert form, "the plan offers its kit"
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1)))
    if plan_value is not None:
        fields["plan"] = plan_value
    assert client.post("/basket/add", data=fields).status_code == 303


def _checkout(client, **extra):
    from checkout_helpers import COLLECT_FORM

    response = client.post("/checkout", data={**COLLECT_FORM, **extra})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    return response.headers["Location"]


def _order():
    from models import Order

    return db.session.execute(db.select(Order)).scalar_one()


def test_an_order_bought_from_the_plan_links_back_to_it_in_page_and_email(client, seeded):
    from checkout_helpers import emails

    path = _plan_path(client)
    page = client.get(path).get_data(as_text=True)
    _add_kit_from_plan(client, page)
    checkout = client.get("/checkout").get_data(as_text=True)
    assert "Put the link to my aftercare plan in my order confirmation email" in checkout
    order_path = _checkout(client, plan_link_in_email="y")
    assert f'href="{path}"' in client.get(order_path).get_data(as_text=True)
    (email,) = emails()
    assert (
        f"/plans/{_token(path)}" in email.body_text and f"/plans/{_token(path)}" in email.body_html
    )
    order = _order()
    assert order.plan_token == _token(path) and order.plan_link_consent_at is not None


def test_without_the_tick_the_link_is_shown_in_this_browser_but_never_kept(app, client, seeded):
    from checkout_helpers import emails

    path = _plan_path(client)
    _add_kit_from_plan(client, client.get(path).get_data(as_text=True))
    order_path = _checkout(client)
    assert f'href="{path}"' in client.get(order_path).get_data(as_text=True)
    assert "/plans/" not in emails()[0].body_text
    assert _order().plan_token is None


def test_a_forged_plan_value_adds_the_kit_but_links_no_plan(client, seeded):
    path = _plan_path(client)
    page = client.get(path).get_data(as_text=True)
    _add_kit_from_plan(client, page, plan_value=_token(path)[:-4] + "AAAA")
    assert "aftercare plan in my order" not in client.get("/checkout").get_data(as_text=True)
    # A tick sent anyway keeps nothing: there is no genuine plan link to keep.
    order_path = _checkout(client, plan_link_in_email="y")
    assert "/plans/" not in client.get(order_path).get_data(as_text=True)
    assert _order().plan_token is None


def test_the_kept_plan_link_is_exported_readable_and_erased(client, login, seeded):
    user = make_user(email="ada@example.com")
    login(user)
    path = _plan_path(client)
    _add_kit_from_plan(client, client.get(path).get_data(as_text=True))
    _checkout(client, plan_link_in_email="y")
    # Erasure reaches orders filed under the address once the address is confirmed.
    db.session.execute(
        db.update(type(user)).where(type(user).id == user.id).values(email_confirmed_at=clock.now())
    )
    db.session.commit()
    exported = client.get("/account/data/export").get_json()
    kept = exported["orders"][0]["aftercare_plan_link"]
    assert kept["url"].endswith(path)
    assert kept["answers"]["treatment"] == "microneedling"
    assert kept["answers"]["screening"]["pregnant_or_breastfeeding"] is True
    response = client.post(
        "/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"}
    )
    assert response.status_code == 302
    db.session.expire_all()
    order = _order()
    assert order.plan_token is None and order.plan_link_consent_at is None


def test_an_overlong_plan_value_is_refused_with_a_message_and_adds_nothing(client, seeded):
    path = _plan_path(client)
    page = client.get(path).get_data(as_text=True)
    form = re.search(r'<form method="post" action="/basket/add"[^>]*>(.*?)</form>', page, re.S)
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', form.group(1)))
    fields["plan"] = "A" * 5000
    response = client.post("/basket/add", data=fields)
    assert response.status_code == 400
    assert "That is not a plan link of this shop." in response.get_data(as_text=True)
    with client.session_transaction() as session:
        assert not session.get("basket") and "plan_token" not in session
