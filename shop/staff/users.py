"""The admin screen /staff/users: list accounts, change roles, deactivate and reactivate."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms import Form, IntegerField, SearchField, SelectField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from models.vocabulary import ROLES
from shop.auth import admin_required
from shop.forms import ShopForm, select_choices
from shop.services import accounts
from shop.services.accounts import AccountError
from shop.staff.blueprint import blueprint

ROLE_LABELS = {
    "customer": "Customer",
    "clinician": "Clinician",
    "staff": "Staff",
    "admin": "Admin",
}


class UserFilterForm(Form):
    """Filters of the user list, read from the query string (bad values are ignored)."""

    role = SelectField(
        "Role", choices=select_choices([("", "All roles"), *ROLE_LABELS.items()]), default=""
    )
    q = SearchField("Email contains", validators=[Optional(), Length(max=254)])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1)], default=1)


class RoleForm(ShopForm):
    """Give an account another role."""

    role = SelectField(
        "Role",
        choices=select_choices(ROLE_LABELS.items()),
        validators=[DataRequired("Please choose a role.")],
    )


class ActiveForm(ShopForm):
    """Deactivate or reactivate an account."""

    active = SelectField(
        "Account",
        choices=select_choices([("1", "Active"), ("0", "Deactivated")]),
        validators=[DataRequired("Please say whether the account is active.")],
    )


@blueprint.get("/users")
@admin_required
def users():
    """List accounts, filtered by role and by part of the email."""
    form = UserFilterForm(request.args)
    if not form.validate():
        flash("Some filters were not valid and were ignored.", "warning")
        for name in form.errors:
            form[name].data = form[name].default
    listing = accounts.list_users(
        page=form.page.data or 1,
        per_page=current_app.config["USERS_PER_PAGE"],
        role=form.role.data or None,
        search=form.q.data or "",
    )
    return render_template(
        "staff/users.html",
        form=form,
        listing=listing,
        role_form=RoleForm(formdata=None),
        active_form=ActiveForm(formdata=None),
        role_labels=ROLE_LABELS,
        query_args={k: v for k, v in request.args.items() if k in ("role", "q") and v},
    )


def _refused(user_id: int, error: AccountError):
    """Answer a refused change: 404 for no such user, else the list with the reason (409)."""
    if accounts.get_user(user_id) is None:
        abort(404, description="There is no such user.")
    flash(str(error), "error")
    return users(), 409


@blueprint.post("/users/<int:user_id>/role")
@admin_required
def change_role(user_id: int):
    """Change an account's role (recorded in the audit log)."""
    form = RoleForm()
    if not form.validate_on_submit():
        abort(400, description="Please choose one of the roles: " + ", ".join(ROLES) + ".")
    try:
        user = accounts.change_role(current_user.id, user_id, form.role.data)
    except AccountError as error:
        return _refused(user_id, error)
    flash(f"{user.email} is now {ROLE_LABELS[user.role].lower()}.", "success")
    return redirect(url_for("staff.users"), 303)


@blueprint.post("/users/<int:user_id>/active")
@admin_required
def set_active(user_id: int):
    """Deactivate (signing the user out everywhere) or reactivate an account."""
    form = ActiveForm()
    if not form.validate_on_submit():
        abort(400, description="Please say whether the account should be active.")
    try:
        user = accounts.set_active(current_user.id, user_id, form.active.data == "1")
    except AccountError as error:
        return _refused(user_id, error)
    state = "reactivated" if user.active else "deactivated and signed out everywhere"
    flash(f"{user.email} is {state}.", "success")
    return redirect(url_for("staff.users"), 303)
