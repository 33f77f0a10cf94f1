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
    request,
    url_for,
)
from flask_login import current_user, login_required

from shop import clock
from shop.extensions import csrf, limiter
from shop.ratelimits import form_limits
from shop.reminders.forms import ConfirmForm, ReminderForm
from shop.security import keep_private
from shop.services import accounts, plan_links, reminders
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
    return keep_private(response)


def _subscribe(plan, plan_path: str, calendar_url: str, today, saved_plan_id: int | None = None):
    """Take the address and consent for `plan`'s reminders, then email the confirmation.

    On success back to the plan (where the message shows, at its top); otherwise the box again
    with what was wrong, 422, nothing stored.
    """
    form = ReminderForm()
    problem = None
    if form.validate_on_submit():
        try:
            reminders.subscribe(
                form.email.data,
                bool(form.consent.data),
                plan,
                plan_path,
                today,
                saved_plan_id=saved_plan_id,
            )
        except ReminderError as error:
            problem = str(error)
        else:
            flash(
                "We have emailed you a link to confirm your reminders. Nothing else is sent "
                "until you open it.",
                "success",
            )
            return redirect(plan_path, 303)
    return render_template(
        "reminders/subscribe.html",
        reminder_form=form,
        problem=problem,
        plan_url=plan_path,
        reminders_action=request.path,
        calendar_url=calendar_url,
    ), 422


@blueprint.post("/plans/<token>/reminders")
@plan_link_limit
@subscribe_limits
def subscribe(token: str):
    """Reminders for a private plan link's key days."""
    today = clock.today()
    try:
        _, result = plan_links.open_plan_link(token, today)
    except PlanLinkExpired:
        abort(410, "This plan link has expired. You can make a new plan in the kit finder.")
    except PlanLinkInvalid:
        abort(404)
    return _subscribe(
        result.plan,
        url_for("kitfinder.plan_link", token=token),
        url_for("kitfinder.plan_calendar_file", token=token),
        today,
    )


@blueprint.post("/account/plans/<int:plan_id>/reminders")
@login_required
@subscribe_limits
def saved_plan_subscribe(plan_id: int):
    """Reminders for one of the signed-in customer's saved plans (404 for anyone else's)."""
    today = clock.today()
    try:
        full = accounts.saved_plan_in_full(current_user.id, plan_id, today)
    except accounts.SavedPlanNotFound:
        abort(404, description="You have no saved plan at that address.")
    if full.plan is None:
        abort(404, description="This plan has no day-by-day steps to remind you of.")
    return _subscribe(
        full.plan,
        url_for("account.saved_plan", plan_id=plan_id),
        url_for("account.saved_plan_calendar", plan_id=plan_id),
        today,
        saved_plan_id=plan_id,
    )


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
