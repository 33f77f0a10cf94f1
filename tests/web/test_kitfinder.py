"""The kit finder form, the plan page it leads to, and the treatment pages."""

from datetime import date, timedelta

import pytest
from factories import screening_form_data

from models import Treatment, db

NO_TO_ALL = screening_form_data()


@pytest.fixture
def seeded(runner):
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 0, result.output


def _answers(**changes):
    answers = {
        "treatment": "microneedling",
        "treated_on": (date.today() - timedelta(days=3)).isoformat(),
        "fitzpatrick": "2",
        **NO_TO_ALL,
    }
    answers.update(changes)
    return {k: v for k, v in answers.items() if v is not None}


def test_finder_form_lists_treatments_skin_types_and_questions(client, seeded):
    html = client.get("/kit-finder").get_data(as_text=True)
    assert "Micro-needling" in html
    assert "Type VI" in html and "burns" in html
    assert "isotretinoin" in html.lower()
    assert "pregnant" in html.lower()


def test_treatment_link_preselects_the_treatment(client, seeded):
    html = client.get("/kit-finder?treatment=ipl").get_data(as_text=True)
    assert 'value="ipl" selected' in html or 'selected value="ipl"' in html


def test_plan_page_shows_kit_avoid_list_and_today(client, seeded):
    response = client.post("/kit-finder", follow_redirects=True, data=_answers())
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Micro-needling Recovery Kit" in html
    assert "What to avoid" in html
    assert "Today: Day 4 of 15" in html  # the day of treatment is day 1 for patients
    assert 'aria-current="date"' in html and '<span class="badge today-badge">Today</span>' in html
    assert "£53.55" in html


def test_future_treatment_has_no_today_in_the_timeline(client, seeded):
    html = client.post(
        "/kit-finder",
        follow_redirects=True,
        data=_answers(treated_on=(date.today() + timedelta(days=5)).isoformat()),
    ).get_data(as_text=True)
    assert "Your treatment is in 5 days" in html
    assert 'aria-current="date"' not in html


PLANNED = (date.today() + timedelta(days=7)).isoformat()


def test_before_the_treatment_a_bar_leads_to_the_clinic_not_a_kit(client, seeded):
    html = client.post(
        "/kit-finder",
        follow_redirects=True,
        data=_answers(screening_pregnant_or_breastfeeding="yes", treated_on=PLANNED),
    ).get_data(as_text=True)
    assert "Please speak to the clinic" in html
    assert "Micro-needling Recovery Kit" not in html


def test_after_the_treatment_a_bar_still_gives_the_aftercare_and_says_call_today(client, seeded):
    html = client.post(
        "/kit-finder",
        follow_redirects=True,
        data=_answers(screening_pregnant_or_breastfeeding="yes"),
    ).get_data(as_text=True)
    assert "Please tell the clinic today" in html and 'href="tel:' in html
    assert "not offered during pregnancy" in html
    assert "Today: Day 4 of 15" in html and "What to avoid" in html
    assert "Retinoids, leave-on salicylic acid (BHA) and hydroquinone" in html
    assert "Add kit to basket" in html or "Add these products" in html


@pytest.mark.parametrize(("answer", "refused"), [("3-6", False), ("under-3", True)])
def test_the_isotretinoin_answer_is_judged_by_the_treatment_s_window(
    client, seeded, answer, refused
):
    html = client.post(
        "/kit-finder",
        follow_redirects=True,
        data=_answers(screening_isotretinoin_recent=answer, treated_on=PLANNED),
    ).get_data(as_text=True)
    assert ("3 months since your last dose" in html) is refused


@pytest.mark.parametrize("answer", ["yes", "", "12", "over-24"])
def test_an_unknown_isotretinoin_answer_is_refused_with_a_message(client, seeded, answer):
    response = client.post(
        "/kit-finder", follow_redirects=True, data=_answers(screening_isotretinoin_recent=answer)
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Choose when the last dose of isotretinoin was" in html or "Not a valid choice" in html


def test_the_answers_are_not_stored(client, seeded):
    tables_before = {
        t.name: db.session.execute(t.select()).all() for t in db.metadata.sorted_tables
    }
    client.post(
        "/kit-finder",
        follow_redirects=True,
        data=_answers(screening_cold_sores="yes", concerns=["sensitive"]),
    )
    tables_after = {t.name: db.session.execute(t.select()).all() for t in db.metadata.sorted_tables}
    assert tables_before == tables_after


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"treatment": None}, "Choose your treatment."),
        ({"treatment": "tattoo"}, "Not a valid choice"),
        ({"treated_on": None}, "Enter the date of your treatment"),
        ({"treated_on": "31/02/2026"}, "Not a valid date value"),
        ({"treated_on": "2019-01-01"}, "within the last year"),
        ({"treated_on": (date.today() + timedelta(days=800)).isoformat()}, "within the next year"),
        ({"fitzpatrick": None}, "Choose the description closest to your skin."),
        ({"fitzpatrick": "9"}, "Not a valid choice"),
        ({"concerns": ["spots"]}, "not a valid choice"),
        ({"screening_open_wounds": None}, "Please answer yes or no."),
        ({"screening_cold_sores": "perhaps"}, "Not a valid choice"),
    ],
)
def test_bad_answers_are_shown_with_a_message_and_a_422(client, seeded, changes, message):
    response = client.post("/kit-finder", follow_redirects=True, data=_answers(**changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message.lower() in html.lower()
    assert "Please check the highlighted answers" in html


def test_treatments_index_and_detail(client, seeded):
    html = client.get("/treatments").get_data(as_text=True)
    assert "IPL photofacial" in html
    page = client.get("/treatments/microneedling")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Not suitable if" in html
    assert "Micro-needling Recovery Kit" in html
    assert "/kit-finder?treatment=microneedling" in html


def test_unknown_treatment_page_is_404(client, seeded):
    assert client.get("/treatments/tattoo-removal").status_code == 404


def test_treatment_without_protocol_is_404(client):
    db.session.add(Treatment(slug="microneedling", name="Micro-needling"))
    db.session.commit()
    assert client.get("/treatments/microneedling").status_code == 404


def test_kit_finder_and_treatment_pages_run_a_bounded_number_of_queries(
    client, seeded, count_queries
):
    # The first plan after a change reads the catalogue and the protocol; later ones do not.
    with count_queries() as first:
        client.post("/kit-finder", follow_redirects=True, data=_answers())
    with count_queries() as again:
        client.post("/kit-finder", follow_redirects=True, data=_answers(fitzpatrick="5"))
    with count_queries() as treatment:
        client.get("/treatments/microneedling")
    assert first.count <= 11, first.statements
    assert again.count <= 5, again.statements
    assert treatment.count <= 8, treatment.statements


def test_plan_page_offers_to_save_the_plan_to_a_signed_in_account(client, seeded, login):
    from tests.factories import make_user

    html = client.post(
        "/kit-finder", follow_redirects=True, data=_answers(concerns=["dry"])
    ).get_data(as_text=True)
    assert "create an account" in html
    login(make_user("customer"))
    html = client.post(
        "/kit-finder", follow_redirects=True, data=_answers(concerns=["dry"])
    ).get_data(as_text=True)
    assert 'action="/account/plans"' in html
    assert 'name="plan_token"' in html and 'name="consent"' in html
    # Only the token is posted: the page writes none of the answers into the form.
    assert 'name="concerns"' not in html.split('action="/account/plans"')[1]


def test_unsuitable_plan_offers_the_consultation_and_the_clinic_phone(client, seeded):
    html = client.post(
        "/kit-finder",
        follow_redirects=True,
        data=_answers(treatment="ipl", fitzpatrick="5", treated_on=PLANNED),
    ).get_data(as_text=True)
    assert "Please speak to the clinic" in html
    assert "/consultation" in html
    assert "window has ended" not in html


@pytest.mark.parametrize("value", ["tattoo-removal", "", "<script>", "x" * 500])
def test_unknown_treatment_in_the_finder_link_is_ignored(client, seeded, value):
    response = client.get("/kit-finder", query_string={"treatment": value})
    assert response.status_code == 200
    assert "selected" not in response.get_data(as_text=True).split('name="treatment"')[1][:2000]
