"""Every /staff view refuses anonymous visitors, customers and clinicians."""

from __future__ import annotations

import re

import pytest

from app import create_app
from tests.factories import make_user

_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
STAFF_RULES = sorted(
    (rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}), rule.endpoint)
    for rule in _app.url_map.iter_rules()
    if rule.rule.startswith("/staff")
)
CASES = [(rule, method, endpoint) for rule, methods, endpoint in STAFF_RULES for method in methods]


def concrete(rule: str) -> str:
    """Fill the URL's variables with plausible values."""
    rule = rule.replace("<grouping>", "daily")
    return re.sub(r"<(?:int:)?[a-z_]+>", "1", rule)


def test_the_back_office_has_its_areas():
    rules = {rule for rule, _, _ in STAFF_RULES}
    for expected in (
        "/staff/",
        "/staff/stock",
        "/staff/stock/receive",
        "/staff/stock/count",
        "/staff/stock/recall",
        "/staff/stock/import",
        "/staff/products",
        "/staff/kits",
        "/staff/orders",
        "/staff/pick-list",
        "/staff/reports",
        "/staff/audit",
    ):
        assert expected in rules


@pytest.mark.parametrize(("rule", "method", "endpoint"), CASES)
def test_every_staff_view_is_guarded_by_a_role(rule, method, endpoint):
    view = _app.view_functions[endpoint]
    roles = getattr(view, "required_roles", ())
    assert "staff" in roles or "admin" in roles


@pytest.mark.parametrize(("rule", "method", "endpoint"), CASES)
def test_anonymous_visitors_are_sent_to_sign_in(client, rule, method, endpoint):
    response = client.open(concrete(rule), method=method)
    assert response.status_code == 302
    assert "/account/login" in response.headers["Location"]


@pytest.mark.parametrize("role", ["customer", "clinician"])
@pytest.mark.parametrize(("rule", "method", "endpoint"), CASES)
def test_customers_and_clinicians_get_403(client, login, role, rule, method, endpoint):
    login(make_user(role=role))
    response = client.open(concrete(rule), method=method)
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_get_in(client, login, role):
    login(make_user(role=role))
    for rule, methods, _ in STAFF_RULES:
        if "GET" in methods and "<" not in rule and not rule.startswith("/staff/users"):
            assert client.get(rule).status_code == 200, rule
