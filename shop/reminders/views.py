"""Reminder views: sign up from a plan link, confirm the address, and unsubscribe in one click.

Every page here carries a token in its address, so none is cached, sent as a referrer or
indexed. The unsubscribe POST needs no session and no CSRF token (RFC 8058): mail programs
send it on the patient's behalf.
"""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)

from shop import clock
from shop.extensions import csrf, limiter
from shop.ratelimits import form_limits
from shop.reminders.forms import ConfirmForm, ReminderForm
from shop.services import plan_links, reminders
from shop.services.plan_links import PlanLinkExpired, PlanLinkInvalid
from shop.services.reminders import ReminderError, ReminderLinkExpired, ReminderLinkNotFound

blueprint = Blueprint("reminders", __name__)

# The same budget as the plan link itself, so its token cannot be guessed through this form.
plan_link_limit = limiter.shared_limit(
    lambda: current_app.config["PLAN_LINK_RATE_LIMIT"], scope="plan-link"
)
reminder_link_limit = limiter.shared_limit(
    lambda: current_app.config["REMINDER_LINK_RATE_LIMIT"], scope="reminder-link"
)
subscribe_limits = form_limits("REMINDER_SUBSCRIBE_RATE_LIMIT", "reminders")


@blueprint.after_request
def private_page(response):
    """Keep the tokens in these addresses out of caches, referrers and search engines."""
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@blueprint.post("/plans/<token>/reminders")
@plan_link_limit
@subscribe_limits
def subscribe(token: str):
    """Take the address and consent for a plan link's reminders, then email the confirmation."""
    today = clock.today()
    try:
        _, result = plan_links.open_plan_link(token, today)
    except PlanLinkExpired:
        abort(410, "This plan link has expired. You can make a new plan in the kit finder.")
    except PlanLinkInvalid:
        abort(404)
    form = ReminderForm()
    problem = None
    if form.validate_on_submit():
        try:
            reminders.subscribe(
                form.email.data,
                bool(form.consent.data),
                result.plan,
                url_for("kitfinder.plan_link", token=token),
                today,
            )
        except ReminderError as error:
            problem = str(error)
        else:
            flash(
                "We have emailed you a link to confirm your reminders. Nothing else is sent "
                "until you open it.",
                "success",
            )
            # To the top of the plan, where the message shows.
            return redirect(url_for("kitfinder.plan_link", token=token), 303)
    return render_template(
        "reminders/subscribe.html",
        reminder_form=form,
        problem=problem,
        plan_url=url_for("kitfinder.plan_link", token=token),
    ), 422


def _confirmation_or_abort(token: str):
    try:
        return reminders.check_confirmation(token)
    except ReminderLinkExpired:
        abort(
            410,
            "This confirmation link has expired or its reminders have ended. You can ask for "
            "reminders again from your plan.",
        )
    except ReminderLinkNotFound:
        abort(404)


@blueprint.get("/reminders/confirm/<token>")
@reminder_link_limit
def confirm_page(token: str):
    """Show the button that turns reminders on (or say they already are)."""
    subscription = _confirmation_or_abort(token)
    today = clock.today()
    return render_template(
        "reminders/confirm.html",
        form=ConfirmForm(),
        confirmed=subscription.status == "confirmed",
        next_on=reminders.first_reminder_on(subscription, today),
        today=today,
        just_confirmed=False,
    )


@blueprint.post("/reminders/confirm/<token>")
@reminder_link_limit
def confirm(token: str):
    """Turn the reminders on; confirming twice says so and changes nothing."""
    subscription = _confirmation_or_abort(token)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, "That form had expired. Please open the link from your email again.")
    was_confirmed = subscription.status == "confirmed"
    try:
        subscription = reminders.confirm(token)
    except ReminderLinkExpired:
        abort(410, "This confirmation link has expired or its reminders have ended.")
    except ReminderLinkNotFound:
        abort(404)
    today = clock.today()
    return render_template(
        "reminders/confirm.html",
        form=form,
        confirmed=True,
        next_on=reminders.first_reminder_on(subscription, today),
        today=today,
        just_confirmed=not was_confirmed,
    )


@blueprint.get("/reminders/unsubscribe/<token>")
@reminder_link_limit
def unsubscribe_page(token: str):
    """Show the one button that stops the reminders (or say they already stopped)."""
    try:
        subscribed = reminders.is_subscribed(token)
    except ReminderLinkNotFound:
        abort(404)
    return render_template("reminders/unsubscribe.html", subscribed=subscribed, done=False)


@blueprint.post("/reminders/unsubscribe/<token>")
@csrf.exempt
def unsubscribe(token: str):
    """Stop the reminders: no session, no CSRF token (mail programs post it); twice is fine.

    Not rate limited: mail providers post one-click unsubscribes from shared addresses, and a
    256-bit token cannot be guessed.
    """
    try:
        stopped_now = reminders.unsubscribe(token)
    except ReminderLinkNotFound:
        abort(404)
    return render_template(
        "reminders/unsubscribe.html", subscribed=False, done=True, stopped_now=stopped_now
    )


@blueprint.app_context_processor
def reminder_form_factory():
    """Let the plan page's reminders box make its own empty form."""
    return {"new_reminder_form": lambda: ReminderForm(formdata=None)}
