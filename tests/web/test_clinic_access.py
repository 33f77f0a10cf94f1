"""A clinician sees only their own recommendations, an admin every one; both reach each page.

Who is refused where is proven once, for every route, by test_access_matrix.py.
"""

from __future__ import annotations

import pytest
from clinic_support import clinic_catalogue, create_recommendation
from factories import make_user

from models import ConsultationRequest, Recommendation, db


def _clinic_urls(rec_id: int, item_id: int, request_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", "/clinic/"),
        ("GET", f"/clinic/requests/{request_id}"),
        ("POST", f"/clinic/requests/{request_id}"),
        ("GET", "/clinic/recommendations"),
        ("GET", "/clinic/recommendations/new"),
        ("POST", "/clinic/recommendations/new"),
        ("GET", f"/clinic/recommendations/{rec_id}"),
        ("GET", f"/clinic/recommendations/{rec_id}/edit"),
        ("POST", f"/clinic/recommendations/{rec_id}/edit"),
        ("POST", f"/clinic/recommendations/{rec_id}/items/{item_id}/swap"),
        ("POST", f"/clinic/recommendations/{rec_id}/items/{item_id}/quantity"),
        ("POST", f"/clinic/recommendations/{rec_id}/items/{item_id}/remove"),
        ("POST", f"/clinic/recommendations/{rec_id}/items"),
        ("POST", f"/clinic/recommendations/{rec_id}/send"),
        ("POST", f"/clinic/recommendations/{rec_id}/revoke"),
        ("GET", f"/clinic/recommendations/{rec_id}/print"),
        ("GET", "/clinic/reports"),
    ]


@pytest.fixture
def setup(client, login):
    """A clinician's draft recommendation and an open consultation request."""
    clinic_catalogue()
    owner = make_user(role="clinician", name="Dr Owner")
    login(owner)
    rec = create_recommendation(client)
    request = ConsultationRequest(name="Bo", email="bo@example.com", preferred_times="any")
    db.session.add(request)
    db.session.commit()
    with client.session_transaction() as session:
        session.clear()
    return {"owner": owner, "rec": rec, "item": rec.items[0], "request": request}


def test_another_clinician_gets_404_for_someone_elses_recommendation(client, login, setup):
    login(make_user(role="clinician", name="Dr Other"))
    rec_id, item_id = setup["rec"].id, setup["item"].id
    for method, url in _clinic_urls(rec_id, item_id, setup["request"].id):
        if f"/recommendations/{rec_id}" not in url:
            continue
        assert client.open(url, method=method).status_code == 404, (method, url)
    listing = client.get("/clinic/recommendations").get_data(as_text=True)
    assert "Ada Patient" not in listing
    db.session.expire_all()
    rec = db.session.get(Recommendation, rec_id)
    assert rec.status == "draft" and rec.token_hash is None


def test_an_admin_sees_and_manages_every_recommendation(client, login, setup):
    login(make_user(role="admin"))
    rec = setup["rec"]
    assert client.get(f"/clinic/recommendations/{rec.id}").status_code == 200
    listing = client.get("/clinic/recommendations").get_data(as_text=True)
    assert "Ada Patient" in listing and "Dr Owner" in listing
    assert client.post(f"/clinic/recommendations/{rec.id}/send").status_code == 302


def test_clinicians_and_admins_reach_every_page(client, login, setup):
    for user in (setup["owner"], make_user(role="admin")):
        login(user)
        for url in (
            "/clinic/",
            "/clinic/recommendations",
            "/clinic/recommendations/new",
            "/clinic/reports",
            f"/clinic/requests/{setup['request'].id}",
            f"/clinic/recommendations/{setup['rec'].id}",
            f"/clinic/recommendations/{setup['rec'].id}/edit",
        ):
            assert client.get(url).status_code == 200, url
