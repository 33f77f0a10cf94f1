"""Today first: the top of a plan page, inclusive dates, ended rules folded, no day numbers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import pytest
from factories import screening_form_data

from shop import clock

TODAY = date(2026, 12, 3)  # a Thursday


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output


@pytest.fixture(autouse=True)
def pinned_today(monkeypatch):
    moment = datetime(TODAY.year, TODAY.month, TODAY.day, 12, tzinfo=UTC)
    monkeypatch.setattr(clock, "_system_now", lambda: moment)


def _plan_html(client, treated_on: date, treatment: str = "microneedling") -> str:
    response = client.post(
        "/kit-finder",
        data={
            "treatment": treatment,
            "treated_on": treated_on.isoformat(),
            "fitzpatrick": "2",
            **screening_form_data(),
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _section(html: str, css_class: str) -> str:
    match = re.search(rf'<section class="{css_class}"(.*?)</section>', html, re.S)
    assert match, css_class
    return match.group(1)


def _text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_page_opens_with_today_use_avoid_and_tomorrow(client, seeded):
    # Treated Monday 30 November: today is the 4th day; heat is fine again tomorrow.
    html = _plan_html(client, date(2026, 11, 30))
    main = html[html.index("<h1") :]
    after_heading = main[main.index("</h1>") + 5 :].lstrip()
    assert after_heading.startswith('<section class="plan-today"')
    today = _text(_section(html, "plan-today"))
    assert "Today: Day 4 of 15" in today and "Thursday 3 December" in today
    assert "Use today Harlow Clinic Gentle Cream Cleanser" in today
    assert "Avoid today" in today and "Sun exposure and sunbeds" in today
    assert "What changes tomorrow, Friday 4 December" in today
    assert "Fine again: Sauna, steam room and other heat treatments" in today
    assert "Stop: Harlow Clinic Thermal Water Mist" in today
    # The box comes before the kit and the save box.
    assert html.index("plan-today") < html.index("kit-heading") < html.index("avoid-heading")


def test_a_quiet_tomorrow_names_the_next_change(client, seeded):
    html = _plan_html(client, date(2026, 11, 27))  # day 6: nothing changes on day 7
    today = _text(_section(html, "plan-today"))
    assert "Nothing changes tomorrow. The next change is on Saturday 5 December." in today


def test_before_the_treatment_it_counts_the_days_and_lists_what_to_have_ready(client, seeded):
    today = _text(_section(_plan_html(client, date(2026, 12, 8)), "plan-today"))
    assert "Your treatment is in 5 days" in today
    assert "your treatment is on Tuesday 8 December" in today
    assert "Have ready before then Harlow Clinic Gentle Cream Cleanser" in today
    assert "From the day of treatment, avoid" in today


def test_after_the_plan_ends_it_says_so_and_folds_every_rule(client, seeded):
    html = _plan_html(client, date(2026, 11, 1))
    assert "Your aftercare plan is complete" in _text(_section(html, "plan-today"))
    avoid = _section(html, "plan-avoid")
    assert "Nothing on this list applies any more." in avoid
    assert "No longer needed" in avoid


def test_ended_rules_fold_under_no_longer_needed_and_the_rest_read_as_inclusive_dates(
    client, seeded
):
    html = _plan_html(client, date(2026, 11, 26))  # today is day 7
    avoid = _section(html, "plan-avoid")
    current, ended = avoid.split('<details class="avoid-ended')
    assert "No longer needed (5)" in ended
    assert "Sauna, steam room and other heat treatments" in ended
    assert "Make-up" in _text(ended) and "Make-up" not in _text(current)
    # Retinoids end on day 7 (today), so they still show, their last day included.
    assert "Retinoids and vitamin C" in current and "Retinoids and vitamin C" not in ended
    assert "Up to and including Thursday 3 December" in _text(current)
    assert "Up to and including Thursday 10 December" in _text(current)


def test_a_date_in_another_year_carries_its_year(client, seeded):
    html = _plan_html(client, date(2026, 11, 30), treatment="laser-ablative")
    assert "up to and including Tuesday 30 November 2027" in _text(html)


NOTATION = re.compile(r"\bD\d+\b|\b[Dd]ays? \d+ (?:to|-)|\bDay 0\b|\bday \d+\b")


def _visible(html: str) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", "", html, flags=re.S)
    return _text(html)


def test_customer_pages_use_no_day_number_notation(client, seeded):
    pages = [
        "/kits/microneedling-recovery-kit",
        "/kits/laser-resurfacing-recovery-kit",
        "/products/umbra-sheer-mineral-fluid-spf50",
        "/treatments/microneedling",
        "/treatments/laser-ablative",
    ]
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        found = NOTATION.findall(_visible(response.get_data(as_text=True)))
        assert found == [], (path, found)
    for treated_on in (date(2026, 11, 30), date(2026, 12, 8), date(2026, 11, 1)):
        found = NOTATION.findall(_visible(_plan_html(client, treated_on)))
        assert found == [], (treated_on, found)


def test_the_kit_page_and_the_plan_give_a_product_the_same_window(client, seeded):
    kit = _text(client.get("/kits/microneedling-recovery-kit").get_data(as_text=True))
    assert (
        "Harlow Clinic Thermal Water Mist" in kit
        and "From the day of treatment up to and including the 3rd day after treatment." in kit
    )
    plan = _text(_plan_html(client, date(2026, 11, 30)))
    # Day 3 of a plan treated on Monday 30 November is Thursday 3 December.
    assert (
        "Harlow Clinic Thermal Water Mist × 1 From Monday 30 November up to and including "
        "Thursday 3 December" in plan
    )


def test_the_treatment_page_words_windows_without_a_date(client, seeded):
    page = _text(client.get("/treatments/microneedling").get_data(as_text=True))
    assert "Sun exposure and sunbeds up to and including the 14th day after treatment" in page
    assert "from the day of treatment up to and including the 14th day after treatment" in page


def test_the_plan_keeps_the_clinic_phone_and_when_to_call(client, app, seeded):
    html = _text(_plan_html(client, date(2026, 11, 30)))
    assert "When to call the clinic" in html and app.config["CLINIC_PHONE"] in html
    assert "Call 999" in html and "Difficulty breathing" in html
    assert "Any change in your vision" not in html  # a sign after injections only
    filler = _text(_plan_html(client, date(2026, 12, 2), treatment="dermal-filler"))
    assert "white, grey, blue or dusky" in filler and "Any change in your vision" in filler
