"""The patient's personal recommendation link: read the plan, confirm the advice, buy the kit.

No account is needed: the unguessable token in the address is the key. Every route here is
rate-limited per client address (one shared budget) so tokens cannot be guessed by trying.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user

from shop import clock
from shop.basket.session import current_store
from shop.extensions import limiter
from shop.patient.forms import AcknowledgeForm, BuyForm
from shop.security import keep_private
from shop.services import recommendations
from shop.services.basket import BasketError
from shop.services.recommendations import LinkGone, LinkNotFound, RecommendationError

blueprint = Blueprint("patient", __name__)

# Where the order placed after "buy this kit" learns which recommendation it came from.
# Checkout reads session["recommendation_id"] into CheckoutDetails.recommendation_id.
RECOMMENDATION_SESSION_KEY = "recommendation_id"

link_limit = limiter.shared_limit(
    lambda: current_app.config["RECOMMENDATION_LINK_RATE_LIMIT"], scope="recommendation-link"
)


@blueprint.after_request
def private_page(response):
    """Keep the token out of caches, referrers and search engines."""
    return keep_private(response)


def _unavailable(error: LookupError):
    """A clear page with no data: 410 for an expired or revoked link, 404 for an unknown one."""
    if isinstance(error, LinkGone):
        return render_template("patient/link_unavailable.html", reason=error.reason), 410
    return render_template("patient/link_unavailable.html", reason="unknown"), 404


def _render(rec, token: str, status: int = 200, ack_form=None, buy_problem: str | None = None):
    today = clock.today()
    return render_template(
        "patient/recommendation.html",
        token=token,
        today=today,
        patient=recommendations.patient_plan(rec, today),
        ack_form=ack_form or AcknowledgeForm(formdata=None),
        buy_form=BuyForm(formdata=None),
        buy_problem=buy_problem,
        can_save_plan=current_user.is_authenticated
        and current_user.has_role("customer")
        and "account.save_plan" in current_app.view_functions,
    ), status


@blueprint.get("/r/<token>")
@link_limit
def recommendation(token: str):
    """Show the patient's plan (and note the first time it was opened)."""
    try:
        rec = recommendations.open_link(token)
    except (LinkNotFound, LinkGone) as error:
        return _unavailable(error)
    return _render(rec, token)


@blueprint.post("/r/<token>/acknowledge")
@link_limit
def acknowledge(token: str):
    """Record, with the time, that the patient was given and read the advice."""
    form = AcknowledgeForm()
    if not form.validate_on_submit():
        try:
            rec = recommendations.open_link(token)
        except (LinkNotFound, LinkGone) as error:
            return _unavailable(error)
        return _render(rec, token, 422, ack_form=form)
    try:
        recommendations.acknowledge(token)
    except (LinkNotFound, LinkGone) as error:
        return _unavailable(error)
    flash("Thank you: we have noted that you have read your aftercare advice.", "success")
    return redirect(url_for("patient.recommendation", token=token))


@blueprint.post("/r/<token>/buy")
@link_limit
def buy(token: str):
    """Put exactly the recommended kit in the basket and go to checkout."""
    form = BuyForm()
    try:
        rec = recommendations.open_link(token)
    except (LinkNotFound, LinkGone) as error:
        return _unavailable(error)
    if not form.validate_on_submit():
        return _render(rec, token, 400, buy_problem="The form expired; please try again.")
    try:
        recommendations.buy_kit(token, current_store(), clock.today())
    except (LinkNotFound, LinkGone) as error:
        return _unavailable(error)
    except (RecommendationError, BasketError) as error:
        return _render(rec, token, 409, buy_problem=str(error))
    session[RECOMMENDATION_SESSION_KEY] = rec.id
    flash("Your recommended kit is in your basket.", "success")
    return redirect(url_for("checkout.start"), 303)
