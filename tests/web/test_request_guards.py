"""Input every request survives: NUL bytes anywhere, deeply nested JSON, oversized API bodies."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models import db
from tests.checkout_helpers import COLLECT_FORM, add
from tests.factories import DEFAULT_PASSWORD, make_lot, make_product, make_user

NUL_WORDS = "NUL character"


def row_counts() -> dict[str, int]:
    """Return how many rows every table holds."""
    return {
        table.name: db.session.execute(select(func.count()).select_from(table)).scalar_one()
        for table in db.metadata.sorted_tables
    }


@pytest.fixture
def shop(client, login):
    """A product in stock, in the basket of a signed-in staff member (who may search)."""
    product = make_product(name="Guard Cream", price_pence=1500)
    make_lot(product, 5)
    login(make_user("staff", email="staff@example.com"))
    add(client, product.slug, 1)
    return product


NUL_REQUESTS = [
    (
        "post",
        "/account/register",
        {
            "email": "new\x00@example.com",
            "name": "New",
            "password": "Gentle-care-77",
            "confirm": "Gentle-care-77",
            "health_data_consent": "y",
        },
    ),
    ("post", "/account/login", {"email": "staff@example.com\x00", "password": DEFAULT_PASSWORD}),
    ("post", "/account/password-reset", {"email": "staff@example.com\x00"}),
    (
        "post",
        "/consultation",
        {"name": "Ada", "email": "ada@example.com", "consent": "y", "question": "Is it\x00ok"},
    ),
    ("post", "/checkout", {**COLLECT_FORM, "name": "Ada\x00Patient"}),
    ("post", "/checkout", {**COLLECT_FORM, "na\x00me": "Ada"}),
    ("get", "/staff/orders", {"search": "LS-\x00"}),
    ("get", "/staff/orders", {"status": "paid\x00"}),
    ("get", "/staff/stock", {"q": "cream\x00"}),
    ("get", "/staff/audit", {"action": "\x00"}),
    ("get", "/products", {"category": "sunscreen\x00"}),
    ("get", "/products/guard-cream%00", None),
    ("get", "/kit-finder", {"treatment": "\x00"}),
]


@pytest.mark.parametrize(("method", "path", "data"), NUL_REQUESTS)
def test_a_nul_byte_anywhere_gets_a_400_and_changes_nothing(client, shop, method, path, data):
    before = row_counts()
    if method == "post":
        response = client.post(path, data=data)
    else:
        response = client.get(path, query_string=data)
    assert response.status_code == 400
    assert NUL_WORDS in response.get_data(as_text=True)
    assert row_counts() == before


def test_a_nul_byte_in_an_api_query_gets_the_json_error(client):
    response = client.get("/api/v1/aftercare-plan", query_string={"treatment": "ipl\x00"})
    assert response.status_code == 400
    assert NUL_WORDS in response.get_json()["error"]["detail"]


def test_deeply_nested_json_gets_the_api_400(client):
    body = "[" * 5000 + "]" * 5000
    response = client.post("/api/v1/aftercare-plan", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["errors"] == [
        {"field": "body", "problem": "must be a JSON object"}
    ]


def test_an_api_body_over_the_cap_gets_a_json_413(client, runner, app):
    assert runner.invoke(args=["seed"]).exit_code == 0
    good = {"treatment": "ipl", "treated_on": date.today().isoformat(), "fitzpatrick": 2}
    assert client.post("/api/v1/aftercare-plan", json=good).status_code == 200
    padded = {**good, "padding": "x" * app.config["API_MAX_CONTENT_LENGTH"]}
    response = client.post("/api/v1/aftercare-plan", json=padded)
    assert response.status_code == 413
    assert response.get_json()["error"]["status"] == 413
