"""The kit finder: a short form, then the personal plan with the kit and the day-by-day timeline.

The answers are not stored: they are encrypted into the private plan link the form leads to.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for

from shop import clock
from shop.aftercare.timeline import Phase, TimelineDay, group_into_phases
from shop.extensions import limiter
from shop.kitfinder.forms import KitFinderForm
from shop.services import catalogue, plan_links
from shop.services.plan_links import PlanLinkExpired, PlanLinkInvalid
from shop.services.plans import PlanRequest

blueprint = Blueprint("kitfinder", __name__)

PLAN_LINK_ENDPOINT = "kitfinder.plan_link"


@blueprint.after_request
def private_plan_link(response):
    """Keep a plan link's token out of caches, referrers and search engines, as /r/ pages do."""
    # Runs for its error pages too (404, 410, 429): they carry the token in their address.
    if request.endpoint == PLAN_LINK_ENDPOINT:
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@blueprint.app_template_filter("plus_days")
def plus_days(day: date, days: int) -> date:
    """Return the date `days` after `day` (aftercare day N falls on treatment date + N)."""
    return day + timedelta(days=days)


@blueprint.app_template_filter("phases")
def phases(days: tuple[TimelineDay, ...]) -> tuple[Phase, ...]:
    """Group a plan's timeline into runs of days with the same routine."""
    return group_into_phases(days)


def _form() -> KitFinderForm:
    treatments = [(t.slug, t.name) for t in catalogue.list_treatments() if t.protocol]
    form = KitFinderForm(treatments=treatments)
    if request.method == "GET":
        # Links from treatment pages pre-select the treatment; anything unknown is ignored.
        wanted = request.args.get("treatment", "")
        if wanted in dict(treatments):
            form.treatment.data = wanted
    return form


@blueprint.get("/kit-finder")
def finder():
    """Show the kit finder form."""
    return render_template("kitfinder/finder.html", form=_form())


@blueprint.post("/kit-finder")
def plan_page():
    """Send valid answers on to their private plan link (a bookmarkable GET); nothing is stored."""
    form = _form()
    if not form.validate_on_submit():
        return render_template("kitfinder/finder.html", form=form), 422
    token = plan_links.make_plan_token(
        PlanRequest(
            treatment=form.treatment.data,
            treated_on=form.treated_on.data,
            fitzpatrick=int(form.fitzpatrick.data),
            concerns=frozenset(form.concerns.data or ()),
            screening=form.screening(),
        )
    )
    return redirect(url_for("kitfinder.plan_link", token=token), 303)


@blueprint.get("/plans/<token>")
@limiter.limit(lambda: current_app.config["PLAN_LINK_RATE_LIMIT"])
def plan_link(token: str):
    """Show the plan behind a private link: 404 for a forged one, 410 once it has expired."""
    today = clock.today()
    try:
        answers, result = plan_links.open_plan_link(token, today)
    except PlanLinkExpired:
        abort(410, "This plan link has expired. You can make a new plan in the kit finder.")
    except PlanLinkInvalid:
        abort(404)
    return render_template(
        "kitfinder/plan.html", result=result, answers=answers, today=today, token=token
    )
