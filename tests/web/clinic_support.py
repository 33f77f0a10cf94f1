"""A small clinic catalogue and helpers shared by the consultation, clinic and link tests."""

from __future__ import annotations

import re
from datetime import date, timedelta

from factories import (
    make_kit,
    make_lot,
    make_product,
    make_treatment_with_protocol,
    screening_form_data,
)
from sqlalchemy import select

from models import OutboxEmail, Recommendation, db

LINK_PATTERN = re.compile(r"https?://\S+/r/([A-Za-z0-9_-]+)")


def clinic_catalogue() -> dict:
    """Create micro-needling with its protocol, products that do and do not fit it, and a kit.

    Every product is in stock; the curated kit (cleanser, cream, tinted SPF50) is what the
    engine proposes for a patient with no special needs.
    """
    treatment = make_treatment_with_protocol()
    common = {"days_per_unit": 60, "skin_types": ["normal", "dry", "sensitive"]}
    products = {
        "cleanser": make_product(
            slug="gentle-cleanser", name="Gentle Cleanser", category="cleanser", **common
        ),
        "scented-cleanser": make_product(
            slug="rose-cleanser",
            name="Rose Cleanser",
            category="cleanser",
            fragrance_free=False,
            **common,
        ),
        "cream": make_product(
            slug="barrier-cream", name="Barrier Cream", category="moisturiser", **common
        ),
        "acid-cream": make_product(
            slug="glow-cream",
            name="Glow Cream",
            category="moisturiser",
            actives=["aha"],
            **common,
        ),
        "spf50": make_product(
            slug="tinted-mineral-spf50",
            name="Tinted Mineral SPF50",
            category="sunscreen",
            spf=50,
            uv_filter="mineral",
            tinted=True,
            price_pence=2400,
            **common,
        ),
        "spf30": make_product(
            slug="daily-spf30",
            name="Daily SPF30",
            category="sunscreen",
            spf=30,
            uv_filter="chemical",
            price_pence=1500,
            **common,
        ),
        "retinol-spf50": make_product(
            slug="retinol-spf50",
            name="Retinol Day SPF50",
            category="sunscreen",
            spf=50,
            uv_filter="mineral",
            tinted=True,
            pregnancy_safe=False,
            actives=["retinoid"],
            **common,
        ),
        "hat": make_product(slug="sun-hat", name="Sun Hat", category="accessory", **common),
        "mist": make_product(slug="thermal-mist", name="Thermal Mist", category="mist", **common),
        "scented-mist": make_product(
            slug="rose-mist", name="Rose Mist", category="mist", fragrance_free=False, **common
        ),
    }
    for product in products.values():
        make_lot(product, 20)
    kit = make_kit(
        [(products["cleanser"], 1), (products["cream"], 1), (products["spf50"], 1)],
        slug="needling-kit",
        name="Micro-needling Kit",
        treatments=[treatment],
    )
    return {"treatment": treatment, "products": products, "kit": kit}


def recommendation_form(**overrides) -> dict:
    """Return valid create-form data; screening answers all "no" unless overridden."""
    data = {
        "patient_name": "Ada Patient",
        "patient_email": "ada@example.com",
        "treatment": "microneedling",
        "treated_on": date.today().isoformat(),
        "fitzpatrick": "2",
        "notes": "Keep the skin cool tonight.",
        "consent": "y",
    }
    data.update(screening_form_data())
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def create_recommendation(client, **overrides) -> Recommendation:
    """Create a recommendation through the form and return the newest one."""
    response = client.post("/clinic/recommendations/new", data=recommendation_form(**overrides))
    assert response.status_code == 302, response.get_data(as_text=True)
    return latest_recommendation()


def latest_recommendation() -> Recommendation:
    """Return the most recently created recommendation, read fresh."""
    db.session.expire_all()
    return db.session.execute(
        select(Recommendation).order_by(Recommendation.id.desc()).limit(1)
    ).scalar_one()


def send(client, rec_id: int, **data):
    """Send (or resend) a recommendation's link through the form."""
    return client.post(f"/clinic/recommendations/{rec_id}/send", data=data)


def link_emails() -> list[OutboxEmail]:
    """Return the recommendation-link emails in the outbox, oldest first."""
    return list(
        db.session.execute(
            select(OutboxEmail)
            .where(OutboxEmail.kind == "recommendation_link")
            .order_by(OutboxEmail.id)
        ).scalars()
    )


def token_from_email(email: OutboxEmail) -> str:
    """Return the link token written in an email."""
    match = LINK_PATTERN.search(email.body_text)
    assert match, email.body_text
    return match.group(1)


def sent_token(client, rec_id: int) -> str:
    """Send a recommendation and return the token of the link just emailed."""
    response = send(client, rec_id)
    assert response.status_code == 302, response.get_data(as_text=True)
    return token_from_email(link_emails()[-1])


def days_ago(days: int) -> str:
    """Return an ISO date `days` before today."""
    return (date.today() - timedelta(days=days)).isoformat()


def refusal_page(client, response, rec_id: int) -> str:
    """Check a kit change was refused by a redirect to the recommendation; return its page.

    The reason is shown there once, beside the form it belongs to.
    """
    assert response.status_code == 303, response.status_code
    assert response.headers["Location"] == f"/clinic/recommendations/{rec_id}#problem"
    page = client.get(f"/clinic/recommendations/{rec_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert '<div class="alert alert-danger" id="problem" role="alert">' in html
    return html


def refused_in_place(response, status: int = 422) -> str:
    """Check a malformed kit change was answered 4xx at its own address; return the page.

    The page never sends such a form, so nothing was refused by the rules: the request is
    answered where it was made, with the reason beside the form.
    """
    assert response.status_code == status, response.status_code
    html = response.get_data(as_text=True)
    assert '<div class="alert alert-danger" id="problem" role="alert">' in html
    return html
