"""Treatment pages: what each treatment is, who it is not for, recovery and its aftercare kits."""

from __future__ import annotations

from flask import Blueprint, abort
from flask_login import current_user

from shop import clock, shared_pages
from shop.aftercare import rules
from shop.services import catalogue, plans

blueprint = Blueprint("treatments", __name__)


@blueprint.get("/treatments")
def index():
    """List the treatments the clinic offers, with the way into each page."""
    return shared_pages.render(
        "treatments/index.html",
        "treatments",
        (),
        lambda: {"treatments": catalogue.list_treatments()},
        stock=False,
    )


@blueprint.get("/treatments/<slug>")
def detail(slug: str):
    """Show a treatment: information, 'not suitable if', recovery, aftercare and its kits."""

    def context() -> dict | None:
        try:
            treatment, protocol = plans.treatment_with_protocol(slug)
        except plans.UnknownTreatment:
            return None
        return {
            "treatment": treatment,
            "protocol": protocol,
            "not_suitable_if": rules.not_suitable_if(protocol),
            "kits": catalogue.list_kits(clock.today(), treatment_slug=slug),
        }

    # Staff and clinicians also see whether the protocol was reviewed: a page of their own.
    clinical = current_user.is_authenticated and (
        current_user.has_role("staff") or current_user.has_role("clinician")
    )
    page = shared_pages.render("treatments/detail.html", "treatment", (slug, clinical), context)
    if page is None:
        abort(404, description="We do not offer a treatment at that address.")
    return page
