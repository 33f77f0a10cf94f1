"""Plan link tokens: the answers come back exactly, and nothing else is accepted."""

from __future__ import annotations

import base64
from datetime import date

import pytest

from shop.aftercare import Screening
from shop.services.plan_links import PlanLinkInvalid, make_plan_token, read_plan_token
from shop.services.plans import PlanRequest

KEY = "unit-test-secret"
REQUEST = PlanRequest(
    treatment="microneedling",
    treated_on=date(2026, 11, 28),
    fitzpatrick=3,
    concerns=frozenset({"sensitive", "dry"}),
    screening=Screening(pregnant_or_breastfeeding=True, isotretinoin_months_ago=7),
)


def test_a_token_gives_back_exactly_the_answers_it_was_made_from():
    assert read_plan_token(make_plan_token(REQUEST, KEY), KEY) == REQUEST


def test_two_tokens_for_the_same_answers_differ():
    assert make_plan_token(REQUEST, KEY) != make_plan_token(REQUEST, KEY)


def test_the_token_is_url_safe_and_shows_no_answer():
    token = make_plan_token(REQUEST, KEY)
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    for answer in ("microneedling", "2026-11-28", "pregnant", "sensitive", "isotretinoin"):
        assert answer not in token
        assert answer.encode() not in raw


def test_a_token_made_with_another_key_is_refused():
    with pytest.raises(PlanLinkInvalid):
        read_plan_token(make_plan_token(REQUEST, "another-secret"), KEY)


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-5],
        lambda t: t[:20],
        lambda t: t[:40] + ("A" if t[40] != "A" else "B") + t[41:],
        lambda t: t + "A",
        lambda t: "",
        lambda t: "not a token at all",
        lambda t: "é" * 40,
    ],
    ids=["truncated", "short", "altered", "extended", "empty", "words", "non-ascii"],
)
def test_garbled_tokens_are_refused(mangle):
    with pytest.raises(PlanLinkInvalid):
        read_plan_token(mangle(make_plan_token(REQUEST, KEY)), KEY)
