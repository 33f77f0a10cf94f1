"""Reporting a concern from a plan page, and the clinic following it up."""

from __future__ import annotations

import base64
import io
import logging
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from clinic_support import clinic_catalogue, create_recommendation, sent_token
from factories import DEFAULT_PASSWORD, make_treatment_with_protocol, make_user
from PIL import Image
from sqlalchemy import select

from models import AuditEntry, OutboxEmail, PatientConcern, SavedPlan, db
from shop import clock
from shop.aftercare import Screening
from shop.security import AccessLogQueryFilter
from shop.services import plan_links
from shop.services.concerns import ConcernInput, ConcernSource, report_concern
from shop.services.plans import PlanRequest
from tests.conftest import log_in

TREATED_ON = date.today() - timedelta(days=3)
DETAILS = "The left cheek has gone hot and sore since last night"


@pytest.fixture(autouse=True)
def photo_folder(app, tmp_path, monkeypatch):
    """Concern photos go to a folder of this test's own."""
    folder = tmp_path / "concern-photos"
    monkeypatch.setitem(app.config, "CONCERN_PHOTO_FOLDER", str(folder))
    return folder


def _plan_path(slug: str = "microneedling", treated_on: date = TREATED_ON) -> str:
    treatment = make_treatment_with_protocol(slug)
    token = plan_links.make_plan_token(
        PlanRequest(
            treatment=treatment.slug,
            treated_on=treated_on,
            fitzpatrick=2,
            concerns=frozenset(),
            screening=Screening(),
        )
    )
    return f"/plans/{token}/concern"


def _form(**changes) -> dict:
    data = {
        "other_signs": ["dryness"],
        "started_on": (TREATED_ON + timedelta(days=1)).isoformat(),
        "details": DETAILS,
        "name": "Ada Patient",
        "email": "ada@example.com",
        "phone": "07700 900123",
        "consent": "y",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def _png(size: int = 40) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (size, size), (200, 120, 110)).save(output, format="PNG")
    return output.getvalue()


def _concerns() -> list[PatientConcern]:
    db.session.expire_all()
    return list(db.session.execute(select(PatientConcern).order_by(PatientConcern.id)).scalars())


def _acknowledgements() -> list[OutboxEmail]:
    return list(
        db.session.execute(
            select(OutboxEmail).where(OutboxEmail.kind == "concern_received")
        ).scalars()
    )


def _html(response) -> str:
    return response.get_data(as_text=True)


def _notice(page: str) -> str:
    """Return the call-now notice's opening tag and text (it is the first alert on the page)."""
    match = re.search(r"<div class=\"alert call-now[^>]*>.*?</div>\s*<p.*?</div>", page, re.S)
    assert match, page
    return match.group(0)


def _pin_today(monkeypatch, day: date) -> None:
    moment = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    monkeypatch.setattr(clock, "_system_now", lambda: moment)


# --- the plan link's form --------------------------------------------------------------------


def test_the_form_lists_red_flags_and_ordinary_signs_and_is_private(client):
    path = _plan_path()
    response = client.get(path)
    assert response.status_code == 200
    page = _html(response)
    assert "Pus, yellow crusts" in page and "Dryness, tightness" in page
    assert 'data-urgency="urgent"' in page and 'data-urgency="emergency"' in page
    # Injection signs are asked about only after injectables.
    assert "change in your vision" not in page and "dusky" not in page
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    # The live notice is a static script (the CSP forbids inline ones), hidden until needed.
    assert re.search(r'<script src="/static/js/concern\.js\?v=[0-9a-f]{12}"', page)
    assert not re.search(r"<script(?![^>]*\bsrc=)", page)
    assert "data-concern-alert hidden" in page


def test_after_filler_the_form_asks_about_vision_and_skin_colour(client):
    page = _html(client.get(_plan_path("dermal-filler")))
    assert "change in your vision" in page and "dusky" in page


def test_the_plan_page_links_to_its_concern_form(client):
    path = _plan_path()
    plan_page = _html(client.get(path.removesuffix("/concern")))
    assert f'href="{path}"' in plan_page and "Report a concern" in plan_page


def test_a_routine_concern_is_kept_acknowledged_and_thanked(client, app):
    path = _plan_path()
    response = client.post(path, data=_form())
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    [concern] = _concerns()
    assert not concern.urgent and concern.status == "new" and concern.source == "plan_link"
    assert concern.symptoms == ["dryness"] and concern.details == DETAILS
    assert concern.treated_on == TREATED_ON and concern.treatment.slug == "microneedling"
    assert concern.health_consent_at is not None and concern.photo_filename is None
    [email] = _acknowledgements()
    assert email.to_address == "ada@example.com"
    body = email.body_text
    assert "received your message" in body and app.config["CLINIC_PHONE"] in body
    assert "next working day" in body and "999" in body
    # No health detail in an inbox: not what was written, ticked, or the treatment.
    for word in ("cheek", "Dryness", "Micro-needling", "microneedling"):
        assert word not in body and word not in email.subject

    thanks = client.get(path)
    page = _html(thanks)
    assert thanks.status_code == 200 and "we have your message" in page
    assert "data-concern-alert hidden" in page
    # The thank-you page shows once; reloading shows an empty form, nothing is sent twice.
    assert "Send to the clinic" in _html(client.get(path)) and len(_concerns()) == 1


def test_a_red_flag_is_urgent_and_the_call_now_notice_comes_first(client, app):
    path = _plan_path()
    client.post(path, data=_form(red_flags=["pus"]))
    [concern] = _concerns()
    assert concern.urgent and concern.symptoms == ["pus", "dryness"]
    page = _html(client.get(path))
    main = page[page.index('<main id="main"') :]
    notice = _notice(main)
    # Before anything else on the page: the notice precedes the thank-you heading.
    assert main.index(notice) < main.index("<h1")
    assert "Call the clinic now" in notice
    assert f'href="tel:{app.config["CLINIC_PHONE"].replace(" ", "")}"' in notice
    assert "data-concern-999 hidden" in notice


@pytest.mark.parametrize(
    ("slug", "sign"), [("microneedling", "breathing"), ("dermal-filler", "vision-change")]
)
def test_breathing_or_vision_signs_say_call_999(client, slug, sign):
    path = _plan_path(slug)
    client.post(path, data=_form(red_flags=[sign]))
    assert _concerns()[0].urgent
    notice = _notice(_html(client.get(path)))
    assert "Call 999 now" in notice and "data-concern-999 hidden" not in notice
    assert "Call the clinic now" in notice


def test_without_consent_nothing_is_kept_but_a_red_flag_still_says_call_now(client):
    path = _plan_path()
    response = client.post(path, data=_form(consent=None, red_flags=["fever"]))
    assert response.status_code == 422
    page = _html(response)
    assert "Please agree to us keeping this information" in page
    notice = _notice(page)
    assert "data-concern-alert hidden" not in notice and "Call the clinic now" in notice
    assert page.index(notice) < page.index("<h1")
    assert _concerns() == [] and _acknowledgements() == []


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"started_on": (date.today() + timedelta(days=1)).isoformat()}, "cannot be in the future"),
        (
            {"started_on": (TREATED_ON - timedelta(days=1)).isoformat()},
            "cannot be before your treatment",
        ),
        ({"started_on": None}, "Please give the date it started"),
        ({"started_on": "yesterday"}, "Not a valid date value"),
        ({"details": "x" * 2001}, "under 2000 characters"),
        ({"other_signs": None, "details": "  "}, "Tick what is happening"),
        ({"red_flags": ["vision-change"]}, "is not a valid choice"),
        ({"other_signs": ["made-up"]}, "is not a valid choice"),
        ({"email": "not-an-email"}, "valid email address"),
        ({"phone": None}, "Please give a phone number"),
        ({"phone": "call me maybe"}, "digits, spaces"),
        ({"name": ""}, "Please tell us your name"),
        ({"consent": "no"}, "Tick the box or leave it empty"),
    ],
)
def test_bad_answers_are_refused_with_a_message_and_nothing_kept(client, changes, message):
    path = _plan_path()
    response = client.post(path, data=_form(**changes))
    assert response.status_code == 422
    assert message in _html(response)
    assert _concerns() == [] and _acknowledgements() == []


def test_a_photo_is_kept_outside_static_under_a_random_name(client, photo_folder):
    path = _plan_path()
    data = _form(photo=(io.BytesIO(_png()), "cheek.png"))
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    [concern] = _concerns()
    assert re.fullmatch(r"[0-9a-f]{32}\.webp", concern.photo_filename)
    stored = photo_folder / concern.photo_filename
    assert Image.open(stored).format == "WEBP"
    assert "static" not in stored.parts
    # Not reachable through the public product photo route.
    assert client.get(f"/media/products/{concern.photo_filename}").status_code == 404


def test_a_file_that_is_not_an_image_is_refused_and_nothing_kept(client, photo_folder):
    path = _plan_path()
    data = _form(photo=(io.BytesIO(b"%PDF-1.4 not a picture"), "cheek.jpg"))
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "not a JPEG, PNG or WebP image" in _html(response)
    assert _concerns() == []
    assert not photo_folder.exists() or not any(photo_folder.iterdir())


def test_an_oversized_body_is_413_with_a_clear_page(client, app, monkeypatch):
    path = _plan_path()
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 64 * 1024)
    data = _form(photo=(io.BytesIO(b"\xff" * 100 * 1024), "big.jpg"))
    response = client.post(path, data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    page = _html(response)
    assert "too large to send" in page and "nothing was sent" in page
    assert app.config["CLINIC_PHONE"] in page
    assert _concerns() == []


def test_a_forged_plan_token_is_404(client):
    _plan_path()
    assert client.get("/plans/not-a-real-token/concern").status_code == 404
    assert client.post("/plans/not-a-real-token/concern", data=_form()).status_code == 404
    assert _concerns() == []


def test_an_expired_plan_link_is_410_and_gives_the_clinic_phone(client, app, monkeypatch):
    path = _plan_path()
    _pin_today(monkeypatch, TREATED_ON + timedelta(days=app.config["PLAN_LINK_DAYS"] + 1))
    response = client.post(path, data=_form())
    assert response.status_code == 410
    assert app.config["CLINIC_PHONE"] in _html(response)
    assert _concerns() == []


def test_concerns_are_rate_limited_per_address(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "CONCERN_RATE_LIMIT", "2 per hour")
    path = _plan_path()
    for number in range(2):
        client.post(path, data=_form(email=f"ada{number}@example.com"))
    response = client.post(path, data=_form(email="someone@example.com"))
    assert response.status_code == 429
    assert app.config["CLINIC_PHONE"] in _html(response) and "999" in _html(response)
    assert len(_concerns()) == 2


def test_nothing_the_patient_wrote_reaches_the_logs(client, caplog):
    path = _plan_path()
    with caplog.at_level(logging.DEBUG):
        client.post(path, data=_form(red_flags=["pus"]))
        client.get(path)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for secret in (DETAILS, "ada@example.com", "07700 900123", "Pus, yellow", "Ada Patient"):
        assert secret not in logged
    # Access log lines name no token of a plan or clinician's link.
    token = path.split("/")[2]
    for line in (f"POST {path} HTTP/1.1", f"GET /r/{token}/concern HTTP/1.1"):
        assert token not in AccessLogQueryFilter.redact(line)


# --- the clinician's link and saved plans -------------------------------------------------------


@pytest.fixture
def recommendation_path(client, login):
    clinic_catalogue()
    clinician = make_user(role="clinician", name="Dr Lane")
    login(clinician)
    rec = create_recommendation(client)
    token = sent_token(client, rec.id)
    client.post("/account/logout")
    return {"path": f"/r/{token}/concern", "rec": rec, "token": token, "clinician": clinician}


def test_a_concern_from_a_clinicians_link_starts_with_the_patients_details(
    client, recommendation_path
):
    path = recommendation_path["path"]
    plan_page = _html(client.get(f"/r/{recommendation_path['token']}"))
    assert f'href="{path}"' in plan_page
    form = _html(client.get(path))
    assert 'value="Ada Patient"' in form and 'value="ada@example.com"' in form
    started = date.today().isoformat()
    response = client.post(path, data=_form(started_on=started, red_flags=["blisters"]))
    assert response.status_code == 303
    [concern] = _concerns()
    assert concern.source == "recommendation" and concern.urgent
    assert concern.recommendation_id == recommendation_path["rec"].id


def test_a_forged_or_withdrawn_clinicians_link_takes_no_concern(client, login, recommendation_path):
    assert client.post("/r/" + "x" * 43 + "/concern", data=_form()).status_code == 404
    login(recommendation_path["clinician"])
    rec_id = recommendation_path["rec"].id
    assert client.post(f"/clinic/recommendations/{rec_id}/revoke").status_code == 302
    client.post("/account/logout")
    started = date.today().isoformat()
    response = client.post(recommendation_path["path"], data=_form(started_on=started))
    assert response.status_code == 410
    assert _concerns() == []


@pytest.fixture
def saved_plan(app_ctx):
    owner = make_user(email="owner@example.com", name="Olive Owner")
    treatment = make_treatment_with_protocol()
    plan = SavedPlan(
        user_id=owner.id, treatment_id=treatment.id, treated_on=TREATED_ON, fitzpatrick=3
    )
    db.session.add(plan)
    db.session.commit()
    return {"owner": owner, "plan": plan, "path": f"/account/plans/{plan.id}/concern"}


def test_the_owner_reports_a_concern_about_a_saved_plan(client, login, saved_plan):
    login(saved_plan["owner"])
    form = _html(client.get(saved_plan["path"]))
    assert 'value="Olive Owner"' in form and 'value="owner@example.com"' in form
    assert client.post(saved_plan["path"], data=_form()).status_code == 303
    [concern] = _concerns()
    assert concern.source == "saved_plan" and concern.user_id == saved_plan["owner"].id
    assert concern.saved_plan_id == saved_plan["plan"].id


def test_someone_elses_saved_plan_is_404_and_visitors_sign_in(client, login, saved_plan):
    assert client.get(saved_plan["path"]).headers["Location"].startswith("/account/login")
    login(make_user(email="nosy@example.com"))
    assert client.get(saved_plan["path"]).status_code == 404
    assert client.post(saved_plan["path"], data=_form()).status_code == 404
    assert client.get("/account/plans/987654/concern").status_code == 404
    assert _concerns() == []


# --- the clinic ------------------------------------------------------------------------------


def _report(name: str, signs: tuple[str, ...], at: datetime, photo: bytes | None = None):
    """File a concern straight through the service, at a given moment."""
    source = ConcernSource(
        kind="plan_link",
        treatment_slug="microneedling",
        treatment_name="Micro-needling",
        treated_on=at.date() - timedelta(days=2),
    )
    return report_concern(
        source,
        ConcernInput(
            symptoms=signs,
            started_on=at.date(),
            details=f"{name} writes",
            photo=photo,
            name=name,
            email=f"{name.lower()}@example.com",
            phone="01234 567890",
            consent=True,
        ),
        now=at,
    )


@pytest.fixture
def queue(app_ctx):
    make_treatment_with_protocol()
    now = datetime.now(UTC)
    return {
        "old_routine": _report("Rita", ("dryness",), now - timedelta(hours=5)),
        "new_urgent": _report("Una", ("pus",), now - timedelta(hours=1)),
        "old_urgent": _report("Oscar", ("breathing",), now - timedelta(hours=3)),
        "new_routine": _report("Nina", ("bruising",), now - timedelta(minutes=5), photo=_png()),
    }


def test_clinicians_see_urgent_first_then_oldest_first(client, login, queue, app, monkeypatch):
    login(make_user(role="clinician"))
    page = _html(client.get("/clinic/concerns"))
    order = [page.index(name) for name in ("Oscar", "Una", "Rita", "Nina")]
    assert order == sorted(order)
    assert "Urgent: 999 signs" in page
    monkeypatch.setitem(app.config, "CONCERNS_PER_PAGE", 3)
    second = _html(client.get("/clinic/concerns?page=2"))
    assert "Nina" in second and "Oscar" not in second


@pytest.mark.parametrize("query", ["status=closed", "page=0", "page=two"])
def test_a_bad_list_parameter_is_400(client, login, queue, query):
    login(make_user(role="clinician"))
    assert client.get(f"/clinic/concerns?{query}").status_code == 400


@pytest.mark.parametrize("who", ["customer", "staff"])
def test_the_clinic_concern_pages_refuse_customers_and_staff(client, login, queue, who):
    concern = queue["new_routine"]
    urls = [
        "/clinic/concerns",
        f"/clinic/concerns/{concern.id}",
        f"/clinic/concerns/{concern.id}/photo",
    ]
    for url in urls:
        assert client.get(url).headers["Location"].startswith("/account/login")
    login(make_user(role=who))
    for url in urls:
        assert client.get(url).status_code == 403
    response = client.post(urls[1], data={"status": "resolved", "note": "done"})
    assert response.status_code == 403
    assert _concerns()[-1].status == "new"


def test_the_detail_shows_everything_and_the_photo_only_to_clinicians(client, login, queue):
    concern = queue["new_routine"]
    login(make_user(role="clinician"))
    detail = client.get(f"/clinic/concerns/{concern.id}")
    page = _html(detail)
    assert detail.status_code == 200 and detail.headers["Cache-Control"] == "no-store"
    assert "Nina writes" in page and "Bruising" in page and "tel:01234567890" in page
    assert f'src="/clinic/concerns/{concern.id}/photo"' in page
    photo = client.get(f"/clinic/concerns/{concern.id}/photo")
    assert photo.status_code == 200 and photo.mimetype == "image/webp"
    assert photo.headers["Cache-Control"] == "no-store"
    assert photo.headers["X-Content-Type-Options"] == "nosniff"
    for response in (detail, photo):
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert response.headers["X-Robots-Tag"] == "noindex, nofollow"
    assert client.get(f"/clinic/concerns/{queue['old_routine'].id}/photo").status_code == 404
    assert client.get("/clinic/concerns/987654").status_code == 404


def test_an_urgent_concern_tells_the_clinician_to_call_now(client, login, queue):
    login(make_user(role="clinician"))
    page = _html(client.get(f"/clinic/concerns/{queue['old_urgent'].id}"))
    assert "Urgent: call Oscar now" in page and "needs 999" in page


def test_clinicians_mark_concerns_contacted_then_resolved_with_an_audited_note(
    client, login, queue
):
    clinician = make_user(role="clinician", name="Dr Lane")
    login(clinician)
    concern = queue["old_urgent"]
    url = f"/clinic/concerns/{concern.id}"
    note = "Rang Oscar, sent to A&E"
    response = client.post(url, data={"status": "contacted", "note": note})
    assert response.status_code == 303
    response = client.post(url, data={"status": "resolved", "note": "Seen, all well"})
    assert response.status_code == 303
    db.session.expire_all()
    stored = db.session.get(PatientConcern, concern.id)
    assert stored.status == "resolved" and stored.handled_by_id == clinician.id
    assert note in stored.clinic_note and "Seen, all well" in stored.clinic_note
    entries = list(
        db.session.execute(
            select(AuditEntry).where(AuditEntry.action == "concern.status").order_by(AuditEntry.id)
        ).scalars()
    )
    assert [e.after for e in entries] == [{"status": "contacted"}, {"status": "resolved"}]
    assert all(e.user_id == clinician.id and e.target_id == str(concern.id) for e in entries)
    # The audit log holds the status only, never the note or the signs.
    assert note not in str([(e.before, e.after) for e in entries])
    listed = '<span class="visually-hidden"> concern from Oscar</span>'
    assert listed not in _html(client.get("/clinic/concerns"))
    assert listed in _html(client.get("/clinic/concerns?status=resolved"))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"status": "closed", "note": "x"}, "Not a valid choice"),
        ({"status": "new", "note": "x"}, "Not a valid choice"),
        ({"status": "resolved", "note": ""}, "Add a note"),
        ({"status": "resolved", "note": "x" * 1001}, "under 1000 characters"),
    ],
)
def test_a_bad_follow_up_is_refused_and_changes_nothing(client, login, queue, data, message):
    login(make_user(role="clinician"))
    concern = queue["new_urgent"]
    response = client.post(f"/clinic/concerns/{concern.id}", data=data)
    assert response.status_code == 422 and message in _html(response)
    db.session.expire_all()
    assert db.session.get(PatientConcern, concern.id).status == "new"
    assert db.session.execute(select(AuditEntry)).first() is None


# --- export and erasure ----------------------------------------------------------------------


def test_export_and_erasure_include_concerns_and_delete_their_photos(
    client, login, saved_plan, photo_folder
):
    owner = saved_plan["owner"]
    owner.email_confirmed_at = datetime.now(UTC)
    db.session.commit()
    log_in(client, owner)
    data = _form(email="owner@example.com", photo=(io.BytesIO(_png()), "a.png"))
    assert (
        client.post(saved_plan["path"], data=data, content_type="multipart/form-data").status_code
        == 303
    )
    client.post("/account/logout")
    # From a plan link, no account needed: theirs by the confirmed address.
    assert (
        client.post(_plan_path("dermal-filler"), data=_form(email="Owner@Example.com")).status_code
        == 303
    )
    # Someone else's concern stays.
    client.post(_plan_path("ipl"), data=_form(email="other@example.com"))
    photos = [c.photo_filename for c in _concerns() if c.photo_filename]
    assert len(photos) == 1 and (photo_folder / photos[0]).is_file()

    log_in(client, owner)
    exported = client.get("/account/data/export").get_json()
    assert len(exported["concerns"]) == 2
    first = exported["concerns"][0]
    assert first["details"] == DETAILS and first["signs"] == ["dryness"]
    assert base64.b64decode(first["photo"]["data_base64"])[:4] == b"RIFF"
    assert "Concerns you reported" in _html(client.get("/account/data"))

    response = client.post(
        "/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"}
    )
    assert response.status_code == 302
    assert [c.email for c in _concerns()] == ["other@example.com"]
    assert not (photo_folder / photos[0]).exists()


def test_without_a_confirmed_email_only_the_saved_plans_concerns_are_the_accounts(
    client, login, saved_plan
):
    owner = saved_plan["owner"]
    log_in(client, owner)
    client.post(saved_plan["path"], data=_form(email="owner@example.com"))
    client.post("/account/logout")
    client.post(_plan_path("ipl"), data=_form(email="owner@example.com"))
    log_in(client, owner)
    assert len(client.get("/account/data/export").get_json()["concerns"]) == 1
    client.post("/account/data/delete", data={"password": DEFAULT_PASSWORD, "understood": "y"})
    assert [c.source for c in _concerns()] == ["plan_link"]


@pytest.mark.parametrize("suffix", ["", "/photo"])
def test_an_unknown_concern_is_404_for_a_clinician(client, login, suffix):
    login(make_user(role="clinician"))
    assert client.get(f"/clinic/concerns/999999{suffix}").status_code == 404
