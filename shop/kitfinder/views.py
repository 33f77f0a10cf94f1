"""The kit finder: a short form, then the personal plan with the kit and the day-by-day timeline."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, render_template, request

from shop import clock
from shop.aftercare.timeline import Phase, TimelineDay, group_into_phases
from shop.kitfinder.forms import KitFinderForm
from shop.services import catalogue, plans
from shop.services.plans import PlanRequest

blueprint = Blueprint("kitfinder", __name__)


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
    """Work out the plan from the answers and show it; the answers are not stored."""
    form = _form()
    if not form.validate_on_submit():
        return render_template("kitfinder/finder.html", form=form), 422
    today = clock.today()
    result = plans.build_plan(
        PlanRequest(
            treatment=form.treatment.data,
            treated_on=form.treated_on.data,
            fitzpatrick=int(form.fitzpatrick.data),
            concerns=frozenset(form.concerns.data or ()),
            screening=form.screening(),
        ),
        today,
    )
    return render_template("kitfinder/plan.html", result=result, form=form, today=today)
