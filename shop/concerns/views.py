"""Views of the concern forms: one per plan page, each the plan's own key to its concern form.

The plan link and the clinician's link are opened by their token (404 forged, 410 expired) and
share those links' rate limits; a saved plan only by its signed-in owner (404 for anyone
else). What the patient wrote is never logged, and these pages are never cached.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required

from shop import clock
from shop.aftercare.vocabulary import concern_urgency
from shop.concerns.forms import ConcernForm
from shop.extensions import limiter
from shop.ratelimits import form_limits
from shop.security import keep_private
from shop.services import concerns
from shop.services.concerns import ConcernError, ConcernInput, ConcernSource
from shop.services.plan_links import PlanLinkExpired, PlanLinkInvalid
from shop.services.recommendations import LinkGone, LinkNotFound

blueprint = Blueprint("concerns", __name__)

# Each concern sends an email, so the form must not become a way to flood someone's inbox.
concern_limits = form_limits("CONCERN_RATE_LIMIT", "concern")
# The token routes count against the budgets of the links they hang from (no token guessing).
plan_link_limit = limiter.shared_limit(
    lambda: current_app.config["PLAN_LINK_RATE_LIMIT"], scope="plan-link-concern"
)
recommendation_link_limit = limiter.shared_limit(
    lambda: current_app.config["RECOMMENDATION_LINK_RATE_LIMIT"], scope="recommendation-link"
)
# Tells the next GET of the same form that it was just sent, and how pressing it was; only
# the urgency, never what was ticked (the session cookie is readable by its holder).
SENT_KEY = "concern_sent"


@blueprint.after_request
def private_page(response):
    """Keep tokens and what the patient wrote out of caches, referrers and search engines."""
    return keep_private(response)


@blueprint.errorhandler(413)
def too_large(_error):
    """A body over MAX_CONTENT_LENGTH: say what to do, and to call if it is urgent."""
    limit_mb = current_app.config["MAX_CONTENT_LENGTH"] // (1024 * 1024)
    return render_template("concerns/refused.html", code=413, limit_mb=limit_mb), 413


@blueprint.errorhandler(429)
def too_many(_error):
    """Too many concerns sent from one address: never leave an urgent one without a phone."""
    return render_template("concerns/refused.html", code=429, limit_mb=None), 429


def _concern_form(source: ConcernSource, back_url: str):
    """Show the form, take a valid concern, then show the thank-you page (after a redirect)."""
    sent = session.get(SENT_KEY)
    if request.method == "GET" and sent and sent.get("path") == request.path:
        session.pop(SENT_KEY)
        return render_template(
            "concerns/thanks.html",
            urgency=sent.get("urgency", "routine"),
            back_url=back_url,
            red_flags=[
                label
                for _, label, urgency, _ in concerns.checklist(source.treatment_slug)
                if urgency != "routine"
            ],
        )
    form = ConcernForm(treatment=source.treatment_slug, treated_on=source.treated_on)
    if request.method == "GET":
        form.name.data = source.name
        form.email.data = source.email
    if form.validate_on_submit():
        try:
            concerns.report_concern(
                source,
                ConcernInput(
                    symptoms=form.ticked(),
                    started_on=form.started_on.data,
                    details=form.details.data or "",
                    photo=form.photo_bytes(),
                    name=form.name.data,
                    email=form.email.data,
                    phone=form.phone.data,
                    consent=bool(form.consent.data),
                ),
            )
        except ConcernError as error:
            # The service names its own fields; the checklist is two groups on the form.
            name = "red_flags" if error.field == "symptoms" else error.field
            field = form._fields.get(name or "")
            if field is not None:
                field.errors = [*field.errors, str(error)]
            else:
                form.form_errors.append(str(error))
        else:
            session[SENT_KEY] = {"path": request.path, "urgency": concern_urgency(form.ticked())}
            return redirect(request.path, 303)
    # Without JavaScript, a ticked red flag is answered by the server: the call-now notice
    # comes first on the page, whatever else is wrong with the form.
    urgency = concern_urgency(form.ticked()) if request.method == "POST" else "routine"
    return render_template(
        "concerns/form.html",
        form=form,
        source=source,
        urgency=urgency,
        back_url=back_url,
        action=request.path,
        today=clock.today(),
    ), 422 if request.method == "POST" else 200


@blueprint.route("/plans/<token>/concern", methods=["GET", "POST"])
@plan_link_limit
@concern_limits
def plan_link_concern(token: str):
    """Report a concern from a kit finder plan link: 404 forged, 410 once the link expired."""
    try:
        source = concerns.source_for_plan_link(token, clock.today())
    except PlanLinkExpired:
        abort(
            410,
            "This plan link has expired. If you are worried about your skin, call the clinic "
            f"on {current_app.config['CLINIC_PHONE']}.",
        )
    except PlanLinkInvalid:
        abort(404)
    return _concern_form(source, url_for("kitfinder.plan_link", token=token))


@blueprint.route("/r/<token>/concern", methods=["GET", "POST"])
@recommendation_link_limit
@concern_limits
def recommendation_concern(token: str):
    """Report a concern from a clinician's recommendation link."""
    try:
        source = concerns.source_for_recommendation(token)
    except LinkGone as error:
        return render_template("patient/link_unavailable.html", reason=error.reason), 410
    except LinkNotFound:
        return render_template("patient/link_unavailable.html", reason="unknown"), 404
    return _concern_form(source, url_for("patient.recommendation", token=token))


@blueprint.route("/account/plans/<int:plan_id>/concern", methods=["GET", "POST"])
@login_required
@concern_limits
def saved_plan_concern(plan_id: int):
    """Report a concern about one of the signed-in customer's saved plans (404 for others')."""
    source = concerns.source_for_saved_plan(current_user.id, plan_id)
    if source is None:
        abort(404, description="You have no saved plan at that address.")
    return _concern_form(source, url_for("account.saved_plan", plan_id=plan_id))
