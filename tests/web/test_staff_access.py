"""The back office has its areas, and staff and admins can open every page of it.

Who is refused where is proven once, for every route, by test_access_matrix.py.
"""

from __future__ import annotations

import pytest

from app import create_app
from tests.factories import make_user

_app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
STAFF_RULES = sorted(
    (rule.rule, sorted(rule.methods - {"HEAD", "OPTIONS"}), rule.endpoint)
    for rule in _app.url_map.iter_rules()
    if rule.rule.startswith("/staff")
)


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


@pytest.mark.parametrize("role", ["staff", "admin"])
def test_staff_and_admins_get_in(client, login, role):
    login(make_user(role=role))
    for rule, methods, _ in STAFF_RULES:
        if "GET" in methods and "<" not in rule and not rule.startswith("/staff/users"):
            assert client.get(rule).status_code == 200, rule
