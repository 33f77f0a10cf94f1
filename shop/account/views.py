"""Views of the account blueprint: sign-up, sign-in, passwords, history, plans and personal data."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_required, login_user, logout_user

from models import User
from shop import clock
from shop.account.forms import (
    SAVE_PLAN_CONSENT,
    ChangePasswordForm,
    ConfirmForm,
    EraseAccountForm,
    LoginForm,
    PasswordResetForm,
    PasswordResetRequestForm,
    RegisterForm,
    SavePlanForm,
)
from shop.basket.session import absorb_guest_basket, current_store
from shop.ratelimits import login_limits, password_reset_limits, registration_limits
from shop.security import keep_private
from shop.services import accounts, plan_calendar
from shop.services.accounts import AccountError, AccountInactive, InvalidResetToken, PlanSourceGone
from shop.services.basket import BasketError

blueprint = Blueprint("account", __name__, url_prefix="/account")

# Characters that make browsers treat a "relative" path as another site, or that hide one.
_UNSAFE_IN_NEXT = re.compile(r"[\\\x00-\x20\x7f]")


def safe_next(target: str | None) -> str | None:
    """Return `target` when it is a path inside the shop, else None (no open redirects).

    Only "/something" is accepted: no scheme, no host, no "//" or "/\\" (browsers read both as
    another site), no backslashes, spaces or control characters (browsers drop or rewrite them).
    """
    if not target or not isinstance(target, str) or len(target) > 2000:
        return None
    if _UNSAFE_IN_NEXT.search(target) or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def landing_page(user: User) -> str:
    """Return where a user lands after signing in with no page asked for: their own work area.

    Staff (and admins, whose role includes staff) start in the back office, clinicians in the
    clinic, everyone else on their account page.
    """
    if user.has_role("staff"):
        return url_for("staff.dashboard")
    if user.has_role("clinician"):
        return url_for("clinic.dashboard")
    return url_for("account.overview")


def after_sign_in(user: User) -> None:
    """What follows every sign-in: the guest basket in the session joins the saved basket."""
    absorb_guest_basket(user)


def _sign_in(user: User, remember: bool = False) -> None:
    login_user(user, remember=remember)
    after_sign_in(user)


# Pages that show a saved plan's health answers: kept out of referrers and search engines too.
_SAVED_PLAN_ENDPOINTS = {"account.saved_plan", "account.buy_again", "account.saved_plan_calendar"}


@blueprint.after_request
def keep_out_of_caches(response: Response) -> Response:
    """Account pages hold personal data: no browser or proxy may keep a copy."""
    response.headers["Cache-Control"] = "no-store"
    if request.endpoint in _SAVED_PLAN_ENDPOINTS:
        # As on the private plan link: its error pages too (404 for someone else's plan).
        keep_private(response)
    return response


@blueprint.app_template_global("save_plan_consent")
def save_plan_consent() -> str:
    """Return the consent sentence for saving a plan (what is kept), for every plan page."""
    return SAVE_PLAN_CONSENT


# --- register, sign in, sign out ------------------------------------------------------------


@blueprint.route("/register", methods=["GET", "POST"])
@registration_limits
def register():
    """Open a customer account and sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("account.overview"))
    form = RegisterForm()
    if request.method == "GET":
        form.next.data = safe_next(request.args.get("next")) or ""
    if form.validate_on_submit():
        try:
            user = accounts.register(
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                health_data_consent=form.health_data_consent.data,
                marketing_consent=form.marketing_consent.data,
                confirmation=_email_confirmation(),
            )
        except AccountError as error:
            field = form.email if isinstance(error, accounts.EmailTaken) else form.password
            field.errors = [*field.errors, str(error)]
        else:
            _sign_in(user)
            flash(
                f"Welcome! Your account is ready. We have emailed {user.email} a link to "
                "confirm the address is yours.",
                "success",
            )
            return redirect(safe_next(form.next.data) or url_for("account.overview"))
    status = 422 if form.is_submitted() else 200
    return render_template("account/register.html", form=form), status


@blueprint.route("/login", methods=["GET", "POST"])
@login_limits
def login():
    """Sign in, then go back to the page asked for (only inside the shop)."""
    next_url = safe_next(request.values.get("next"))
    if current_user.is_authenticated:
        return redirect(next_url or landing_page(current_user))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = next_url or ""
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data)
        except AccountInactive as error:
            form.form_errors.append(str(error))
            status = 403
        except AccountError as error:
            form.form_errors.append(str(error))
            status = 401
        else:
            _sign_in(user, remember=form.remember.data)
            flash("You are signed in.", "success")
            return redirect(safe_next(form.next.data) or landing_page(user))
    elif form.is_submitted():
        status = 422
    return render_template("account/login.html", form=form), status


@blueprint.post("/logout")
def logout():
    """Sign out (POST only, so a link or image elsewhere cannot sign anyone out)."""
    logout_user()
    # Nothing of this visit stays in the browser's session cookie.
    session.clear()
    flash("You are signed out.", "info")
    return redirect(url_for("storefront.home"))


# --- passwords ------------------------------------------------------------------------------


@blueprint.route("/password-reset", methods=["GET", "POST"])
@password_reset_limits
def password_reset_request():
    """Ask for a reset link; the answer is the same whether or not the email has an account."""
    form = PasswordResetRequestForm()
    if form.validate_on_submit():
        config = current_app.config
        accounts.request_password_reset(
            form.email.data,
            secret_key=config["SECRET_KEY"],
            link_for=lambda token: (
                config["PUBLIC_BASE_URL"] + url_for("account.password_reset", token=token)
            ),
            max_age=config["PASSWORD_RESET_MAX_AGE"],
        )
        return render_template("account/password_reset_sent.html", email=form.email.data)
    status = 422 if form.is_submitted() else 200
    return render_template("account/password_reset_request.html", form=form), status


@blueprint.route("/password-reset/<token>", methods=["GET", "POST"])
@password_reset_limits
def password_reset(token: str):
    """Choose a new password from an emailed link (expiring, single use)."""
    config = current_app.config
    try:
        user = accounts.user_for_reset_token(
            token, config["SECRET_KEY"], config["PASSWORD_RESET_MAX_AGE"]
        )
    except InvalidResetToken as error:
        return render_template("account/password_reset_invalid.html", message=str(error)), 400
    form = PasswordResetForm()
    form.account_email = user.email
    if form.validate_on_submit():
        try:
            accounts.reset_password(
                token, form.password.data, config["SECRET_KEY"], config["PASSWORD_RESET_MAX_AGE"]
            )
        except InvalidResetToken as error:
            return render_template("account/password_reset_invalid.html", message=str(error)), 400
        except AccountError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            logout_user()
            flash("Your password is changed. Please sign in with the new one.", "success")
            return redirect(url_for("account.login"))
    status = 422 if form.is_submitted() else 200
    return render_template("account/password_reset.html", form=form), status


@blueprint.route("/password", methods=["GET", "POST"])
@login_required
def change_password():
    """Change the password; every other session of the account ends."""
    form = ChangePasswordForm()
    form.account_email = current_user.email
    if form.validate_on_submit():
        try:
            user = accounts.change_password(
                current_user.id, form.current_password.data, form.password.data
            )
        except AccountError as error:
            form.current_password.errors = [*form.current_password.errors, str(error)]
        else:
            # The session id rotated; sign this browser in again under the new one.
            _sign_in(user)
            flash("Your password is changed. Other devices have been signed out.", "success")
            return redirect(url_for("account.overview"))
    status = 422 if form.is_submitted() else 200
    return render_template("account/change_password.html", form=form), status


# --- overview, orders and plans -------------------------------------------------------------


@blueprint.get("")
@login_required
def overview():
    """The account home: orders count and the plans running now with today's step."""
    return render_template(
        "account/overview.html", summary=accounts.overview(current_user.id, clock.today())
    )


@blueprint.get("/orders")
@login_required
def orders():
    """The customer's own orders, newest first."""
    page = request.args.get("page", 1, type=int) or 1
    listing = accounts.list_orders(
        current_user.id, page=page, per_page=current_app.config["ACCOUNT_ORDERS_PER_PAGE"]
    )
    return render_template("account/orders.html", listing=listing)


@blueprint.get("/plans")
@login_required
def plans():
    """The saved aftercare plans with today's step of each."""
    return render_template(
        "account/plans.html",
        plans=accounts.list_plans(current_user.id, clock.today()),
        delete_form=ConfirmForm(),
    )


@blueprint.post("/plans")
@login_required
def save_plan():
    """Keep the plan of a plan link or clinician's link (by its token); consent required."""
    form = SavePlanForm()
    if form.validate_on_submit():
        try:
            if form.plan_token.data:
                saved = accounts.save_plan_from_link(
                    current_user.id, form.plan_token.data, form.consent.data, clock.today()
                )
            else:
                saved = accounts.save_plan_from_recommendation(
                    current_user.id, form.recommendation_token.data, form.consent.data
                )
        except PlanSourceGone as error:
            abort(400, description=str(error))
        except AccountError as error:
            form.form_errors.append(str(error))
        else:
            flash("Your plan is saved. You can delete it here at any time.", "success")
            return redirect(url_for("account.saved_plan", plan_id=saved.id), 303)
    return render_template("account/plan_save.html", form=form), 422


def _saved_plan_page(plan_id: int, status: int = 200, buy_problem: str | None = None):
    """Render a customer's own saved plan in full (404 for anyone else's)."""
    try:
        full = accounts.saved_plan_in_full(current_user.id, plan_id, clock.today())
    except accounts.SavedPlanNotFound:
        abort(404, description="You have no saved plan at that address.")
    return render_template(
        "account/plan.html",
        full=full,
        today=clock.today(),
        buy_form=ConfirmForm(formdata=None),
        buy_problem=buy_problem,
    ), status


@blueprint.get("/plans/<int:plan_id>")
@login_required
def saved_plan(plan_id: int):
    """One saved plan in full: the kept products and their days, print, and buy again."""
    return _saved_plan_page(plan_id)


@blueprint.get("/plans/<int:plan_id>.ics")
@login_required
def saved_plan_calendar(plan_id: int):
    """The saved plan's key days as a calendar file (all-day events); 404 for anyone else's."""
    try:
        full = accounts.saved_plan_in_full(current_user.id, plan_id, clock.today())
    except accounts.SavedPlanNotFound:
        abort(404, description="You have no saved plan at that address.")
    if full.plan is None:
        abort(404, description="This plan has no day-by-day steps to put in a calendar.")
    config = current_app.config
    link = config["PUBLIC_BASE_URL"] + url_for("account.saved_plan", plan_id=plan_id)
    body = plan_calendar.plan_calendar(full.plan, link, config["CLINIC_PHONE"], clock.utc_now())
    return Response(
        body,
        mimetype="text/calendar",
        headers={"Content-Disposition": 'attachment; filename="aftercare-plan.ics"'},
    )


@blueprint.post("/plans/<int:plan_id>/buy-again")
@login_required
def buy_again(plan_id: int):
    """Put the saved plan's products in the basket at today's prices, or say what stops it."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        return _saved_plan_page(plan_id, 400, "The form expired; please try again.")
    try:
        accounts.buy_again(current_user.id, plan_id, current_store(), clock.today())
    except accounts.SavedPlanNotFound:
        abort(404, description="You have no saved plan at that address.")
    except BasketError as error:
        return _saved_plan_page(plan_id, 409, str(error))
    flash("The products of your plan are in your basket, at today's prices.", "success")
    return redirect(url_for("basket.view"), 303)


@blueprint.post("/plans/<int:plan_id>/delete")
@login_required
def delete_plan(plan_id: int):
    """Delete one of the customer's own plans (anyone else's answers 404)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, description="Please use the delete button on the plans page.")
    if not accounts.delete_plan(current_user.id, plan_id):
        abort(404, description="You have no saved plan at that address.")
    flash("The plan is deleted.", "success")
    return redirect(url_for("account.plans"))


# --- personal data: export and erasure ------------------------------------------------------


def _email_confirmation() -> accounts.EmailConfirmation:
    """Sign confirmation links with the app's key, pointing at the shop's public address."""
    config = current_app.config
    return accounts.EmailConfirmation(
        secret_key=config["SECRET_KEY"],
        link_for=lambda token: (
            config["PUBLIC_BASE_URL"] + url_for("account.confirm_email", token=token)
        ),
        max_age=config["EMAIL_CONFIRMATION_MAX_AGE"],
    )


def _data_page(form: EraseAccountForm, status: int = 200):
    """Render what the shop holds, what deleting the account removes, and the forms."""
    held = accounts.export_data(current_user.id)
    return render_template(
        "account/data.html",
        held=held,
        email_confirmed=held["includes_records_sent_to_the_email"],
        form=form,
        confirm_form=ConfirmForm(),
    ), status


@blueprint.get("/data")
@login_required
def data():
    """What the shop holds about the customer, a download, and account deletion."""
    return _data_page(EraseAccountForm())


@blueprint.post("/data/confirm-email")
@login_required
def confirm_email_request():
    """Send a fresh link to the account's address; following it confirms the address."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, description="Please use the button on the data page.")
    accounts.request_email_confirmation(current_user.id, _email_confirmation())
    flash(f"We have sent a link to {current_user.email}.", "info")
    return redirect(url_for("account.data"), 303)


@blueprint.get("/confirm-email/<token>")
def confirm_email(token: str):
    """Follow the emailed link (in any browser): the account's address is confirmed."""
    config = current_app.config
    try:
        user = accounts.confirm_email_address(
            token, config["SECRET_KEY"], config["EMAIL_CONFIRMATION_MAX_AGE"]
        )
    except accounts.InvalidConfirmationLink as error:
        abort(400, description=str(error))
    flash(f"Thank you: {user.email} is confirmed as your email address.", "success")
    if current_user.is_authenticated and current_user.id == user.id:
        return redirect(url_for("account.data"))
    return redirect(url_for("account.login"))


@blueprint.get("/data/export")
@login_required
def export():
    """Download everything the shop holds about the customer as a JSON file."""
    held = accounts.export_data(current_user.id)
    body = json.dumps(held, indent=2, ensure_ascii=False)
    filename = f"my-data-{clock.today().isoformat()}.json"
    return Response(
        body,
        mimetype="application/json",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blueprint.post("/data/delete")
@login_required
def erase():
    """Delete the account: personal and health data erased, orders kept anonymised."""
    form = EraseAccountForm()
    if form.validate_on_submit():
        try:
            accounts.erase_account(current_user.id, form.password.data)
        except AccountError as error:
            form.password.errors = [*form.password.errors, str(error)]
        else:
            logout_user()
            session.clear()
            flash("Your account and personal data have been deleted.", "success")
            return redirect(url_for("storefront.home"))
    return _data_page(form, 422)
