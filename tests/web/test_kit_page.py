"""The kit page: price and basket first on a phone, and which kit fits a visitor's plan."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from factories import screening_form_data

from shop.aftercare import Screening
from shop.basket.session import VIEWED_PLAN_KEY
from shop.services import kit_fit, plan_links
from shop.services.plans import PlanRequest

KIT = "/kits/microneedling-recovery-kit"  # made for Fitzpatrick I-III
DEEPER_KIT = "microneedling-recovery-kit-deeper-skin"  # made for IV-VI


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output


def _open_plan(client, fitzpatrick: int, treated_on: date | None = None) -> str:
    answers = {
        "treatment": "microneedling",
        "treated_on": (treated_on or date.today() - timedelta(days=2)).isoformat(),
        "fitzpatrick": str(fitzpatrick),
        **screening_form_data(),
    }
    path = client.post("/kit-finder", data=answers).headers["Location"]
    assert client.get(path).status_code == 200
    return path


def test_price_and_add_to_basket_come_before_the_item_list(client, seeded):
    html = client.get(KIT).get_data(as_text=True)
    assert html.index("Add to basket") < html.index("What is in the kit")
    assert html.index('class="price') < html.index("What is in the kit")


def test_a_visitor_whose_plan_is_type_v_is_told_which_kit_fits(client, seeded):
    _open_plan(client, 5)
    response = client.get(KIT)
    html = response.get_data(as_text=True)
    assert "This kit is made for Fitzpatrick I-III skin" in html
    assert "your aftercare plan is for Fitzpatrick V" in html
    assert f'href="/kits/{DEEPER_KIT}">Micro-needling Recovery Kit (Fitzpatrick IV-VI)</a>' in html
    # A page about the visitor's plan is kept by no cache.
    assert response.headers["Cache-Control"] == "no-store"


def test_the_note_is_the_visitor_s_alone_on_the_shared_page(app, client, seeded):
    _open_plan(client, 5)
    assert "kit-fit-note" in client.get(KIT).get_data(as_text=True)
    stranger = app.test_client()
    response = stranger.get(KIT)
    assert "kit-fit-note" not in response.get_data(as_text=True)
    assert "<!--personal:" not in response.get_data(as_text=True)
    assert "no-store" not in response.headers.get("Cache-Control", "")


def test_no_note_when_the_kit_fits_the_plan(client, seeded):
    _open_plan(client, 2)
    assert "kit-fit-note" not in client.get(KIT).get_data(as_text=True)
    _open_plan(client, 5)
    assert "kit-fit-note" not in client.get(f"/kits/{DEEPER_KIT}").get_data(as_text=True)


def test_a_plan_that_put_its_kit_together_links_to_the_plan(client, seeded, monkeypatch):
    path = _open_plan(client, 5)
    real = kit_fit.plan_links.open_plan_link

    def assembled(token, today):
        # As if no curated kit suited: the plan's own products are the answer.
        answers, result = real(token, today)
        kit = replace(result.plan.kit, slug=None)
        return answers, replace(result, plan=replace(result.plan, kit=kit))

    monkeypatch.setattr(kit_fit.plan_links, "open_plan_link", assembled)
    html = client.get(KIT).get_data(as_text=True)
    assert f'href="{path}">open your aftercare plan</a>' in html


@pytest.mark.parametrize("token", ["not-a-token", "", "x" * 5000, "\u2603"])
def test_a_session_plan_that_is_not_ours_gives_no_note(client, seeded, token):
    with client.session_transaction() as session:
        session[VIEWED_PLAN_KEY] = token
    response = client.get(KIT)
    assert response.status_code == 200
    assert "kit-fit-note" not in response.get_data(as_text=True)


def test_an_expired_plan_gives_no_note(app, client, seeded):
    long_ago = date.today() - timedelta(days=app.config["PLAN_LINK_DAYS"] + 5)
    token = plan_links.make_plan_token(
        PlanRequest("microneedling", long_ago, 5, frozenset(), Screening())
    )
    with client.session_transaction() as session:
        session[VIEWED_PLAN_KEY] = token
    assert "kit-fit-note" not in client.get(KIT).get_data(as_text=True)


def test_opening_a_plan_does_not_tie_the_next_order_to_it(client, seeded):
    _open_plan(client, 5)
    client.post("/basket/add", data={"kind": "kit", "slug": DEEPER_KIT, "quantity": "1"})
    # Only an addition from the plan itself offers to keep the plan link with the order.
    assert "Put the link to my aftercare plan" not in client.get("/checkout").get_data(as_text=True)
