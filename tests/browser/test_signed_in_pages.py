"""Signed-in areas in a real browser: account, staff back office and clinic pass axe checks."""

import pytest

from tests.browser.accessibility import serious_violations
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

AREAS = {
    "patient@clinic.example": ["/account", "/account/orders", "/account/plans", "/account/data"],
    "staff@clinic.example": [
        "/staff/",
        "/staff/orders",
        "/staff/stock",
        "/staff/stock/receive",
        "/staff/stock/count",
        "/staff/stock/expired",
        "/staff/stock/import",
        "/staff/products",
        "/staff/kits",
        "/staff/reports",
        "/staff/audit",
        "/staff/pick-list",
    ],
    "clinician@clinic.example": [
        "/clinic/",
        "/clinic/recommendations",
        "/clinic/recommendations/new",
        "/clinic/reports",
    ],
    "admin@clinic.example": ["/staff/users"],
}


@pytest.mark.parametrize("email", sorted(AREAS))
def test_signed_in_pages_render_cleanly_and_accessibly(live_server, page, email):
    sign_in(page, live_server, email)
    for path in AREAS[email]:
        response = page.goto(live_server + path)
        assert response.status == 200, path
        assert page.url.endswith(path), (path, page.url)  # not bounced to the sign-in page
        assert page.locator("main h1").count() >= 1, path
        assert page.console_problems == [], (path, page.console_problems)
        assert serious_violations(page) == [], path
