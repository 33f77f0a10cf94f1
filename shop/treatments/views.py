"""Treatment pages: what each treatment is, who it is not for, recovery and its aftercare kits."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from shop import clock
from shop.aftercare import rules
from shop.services import catalogue, plans

blueprint = Blueprint("treatments", __name__)


@blueprint.get("/treatments")
def index():
    """List the treatments the clinic offers, with the way into each page."""
    return render_template("treatments/index.html", treatments=catalogue.list_treatments())


@blueprint.get("/treatments/<slug>")
def detail(slug: str):
    """Show a treatment: information, 'not suitable if', recovery, aftercare and its kits."""
    try:
        treatment, protocol = plans.treatment_with_protocol(slug)
    except plans.UnknownTreatment:
        abort(404, description="We do not offer a treatment at that address.")
    return render_template(
        "treatments/detail.html",
        treatment=treatment,
        protocol=protocol,
        not_suitable_if=rules.not_suitable_if(protocol),
        kits=catalogue.list_kits(clock.today(), treatment_slug=slug),
    )
