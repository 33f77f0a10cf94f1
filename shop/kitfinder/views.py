"""The kit finder: a short form, then the personal plan with the kit and the day-by-day timeline.

The answers are not stored: they are encrypted into the private plan link the form leads to.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)

from shop import clock, shared_pages
from shop.aftercare.timeline import Phase, TimelineDay, group_into_phases
from shop.basket.session import remember_viewed_plan
from shop.extensions import limiter
from shop.kitfinder.forms import KitFinderForm
from shop.security import keep_private
from shop.services import catalogue, plan_calendar, plan_links
from shop.services.plan_links import PlanLinkExpired, PlanLinkInvalid
from shop.services.plans import PlanRequest

blueprint = Blueprint("kitfinder", __name__)

# The plan link and its calendar file carry the token in their address.
PRIVATE_ENDPOINTS = frozenset({"kitfinder.plan_link", "kitfinder.plan_calendar_file"})

# One budget per client address across the plan link and its calendar, so guessing tokens
# through either address counts the same.
plan_link_limit = limiter.shared_limit(
    lambda: current_app.config["PLAN_LINK_RATE_LIMIT"], scope="plan-link"
)


@blueprint.after_request
def private_plan_link(response):
    """Keep a plan link's token out of caches, referrers and search engines, as /r/ pages do."""
    # Runs for its error pages too (404, 410, 429): they carry the token in their address.
    if request.endpoint in PRIVATE_ENDPOINTS:
        keep_private(response)
    return response


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
    """Show the kit finder form (shared: a treatment chosen from a link is part of the key)."""
    wanted = request.args.get("treatment", "")
    chosen = wanted if wanted in catalogue.treatment_slugs() else ""
    return shared_pages.render(
        "kitfinder/finder.html", "kit-finder", (chosen,), lambda: {"form": _form()}, stock=False
    )


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


def _open_or_abort(token: str, today: date):
    """Return the answers and plan behind `token`: 404 for a forged one, 410 once expired."""
    try:
        return plan_links.open_plan_link(token, today)
    except PlanLinkExpired:
        abort(410, "This plan link has expired. You can make a new plan in the kit finder.")
    except PlanLinkInvalid:
        abort(404)


@blueprint.get("/plans/<token>")
@plan_link_limit
def plan_link(token: str):
    """Show the plan behind a private link: 404 for a forged one, 410 once it has expired."""
    today = clock.today()
    answers, result = _open_or_abort(token, today)
    remember_viewed_plan(token)
    return render_template(
        "kitfinder/plan.html", result=result, answers=answers, today=today, plan_token=token
    )


@blueprint.get("/plans/<token>.ics")
@plan_link_limit
def plan_calendar_file(token: str):
    """Send the plan's key days as a calendar file (all-day events); 404 forged, 410 expired."""
    _, result = _open_or_abort(token, clock.today())
    config = current_app.config
    link = config["PUBLIC_BASE_URL"] + url_for("kitfinder.plan_link", token=token)
    body = plan_calendar.plan_calendar(result.plan, link, config["CLINIC_PHONE"], clock.utc_now())
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="aftercare-plan.ics"'},
    )
