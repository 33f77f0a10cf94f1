"""The admin's side of accounts: the user list, roles and activation."""

from __future__ import annotations

from sqlalchemy import select

from models import User, db
from models.vocabulary import ROLES
from shop.services import audit
from shop.services.accounts.auth import user_by_email
from shop.services.accounts.errors import AccountError
from shop.services.pagination import Page, paginate
from shop.services.unit_of_work import unit_of_work


def list_users(page: int, per_page: int, role: str | None = None, search: str = "") -> Page:
    """Return one page of users, filtered by role and by part of the email; two queries."""
    query = select(User)
    if role:
        query = query.where(User.role == role)
    search = (search or "").strip().lower()
    if search:
        escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(User.email.like(f"%{escaped}%", escape="\\"))
    return paginate(query.order_by(User.email), page, per_page, scalars=True)


def change_role(actor_id: int | None, user_id: int, role: str) -> User:
    """Give a user another role, recorded in the audit log; an admin cannot demote themselves."""
    if role not in ROLES:
        raise AccountError(f"Unknown role {role!r}.")
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such user.")
    if actor_id is not None and user.id == actor_id and role != user.role:
        raise AccountError("You cannot change your own role; ask another admin.")
    if user.role == role:
        return user
    with unit_of_work():
        before = {"role": user.role}
        user.role = role
        # A new role means new permissions: make the user sign in again.
        user.end_all_sessions()
        audit.record(actor_id, "user.role_changed", "user", user.id, before, {"role": role})
    return user


def set_active(actor_id: int | None, user_id: int, active: bool) -> User:
    """Deactivate (ending every session) or reactivate an account, recorded in the audit log."""
    user = db.session.get(User, user_id)
    if user is None:
        raise AccountError("There is no such user.")
    if actor_id is not None and user.id == actor_id and not active:
        raise AccountError("You cannot deactivate your own account.")
    if user.active == active:
        return user
    user.active = active
    if not active:
        user.end_all_sessions()
    with unit_of_work():
        audit.record(
            actor_id,
            "user.activated" if active else "user.deactivated",
            "user",
            user.id,
            {"active": not active},
            {"active": active},
        )
    return user


def set_role_by_email(email: str, role: str) -> User:
    """Change the role of the account with that email (the `flask users set-role` command)."""
    user = user_by_email(email)
    if user is None:
        raise AccountError(f"There is no account for {email}.")
    return change_role(None, user.id, role)
