"""Account use cases: register, sign in, reset passwords, roles, saved plans, export and erasure.

Callers import from here; each module below owns one group of use cases.
"""

from __future__ import annotations

from shop.services.accounts.auth import (
    ACCOUNT_EMAIL_KINDS,
    COMMON_PASSWORDS,
    EMAIL_CONFIRMATION_SALT,
    MIN_PASSWORD_LENGTH,
    PASSWORD_RESET_SALT,
    EmailConfirmation,
    authenticate,
    change_password,
    confirm_email_address,
    create_user,
    get_user,
    make_reset_token,
    normalise_email,
    password_problems,
    register,
    request_email_confirmation,
    request_password_reset,
    reset_password,
    user_by_email,
    user_for_reset_token,
)
from shop.services.accounts.errors import (
    AccountError,
    AccountInactive,
    EmailTaken,
    InvalidConfirmationLink,
    InvalidCredentials,
    InvalidResetToken,
    WeakPassword,
)
from shop.services.accounts.overview import Overview, list_orders, overview
from shop.services.accounts.plans import (
    PlanToday,
    delete_plan,
    list_plans,
    plans_with_treatments,
    save_plan,
)
from shop.services.accounts.privacy import (
    ERASED_DOMAIN,
    ERASED_NAME,
    ERASED_TEXT,
    erase_account,
    export_data,
)
from shop.services.accounts.users import change_role, list_users, set_active, set_role_by_email

__all__ = [
    "ACCOUNT_EMAIL_KINDS",
    "COMMON_PASSWORDS",
    "EMAIL_CONFIRMATION_SALT",
    "ERASED_DOMAIN",
    "ERASED_NAME",
    "ERASED_TEXT",
    "MIN_PASSWORD_LENGTH",
    "PASSWORD_RESET_SALT",
    "AccountError",
    "AccountInactive",
    "EmailConfirmation",
    "EmailTaken",
    "InvalidConfirmationLink",
    "InvalidCredentials",
    "InvalidResetToken",
    "Overview",
    "PlanToday",
    "WeakPassword",
    "authenticate",
    "change_password",
    "change_role",
    "confirm_email_address",
    "create_user",
    "delete_plan",
    "erase_account",
    "export_data",
    "get_user",
    "list_orders",
    "list_plans",
    "list_users",
    "make_reset_token",
    "normalise_email",
    "overview",
    "password_problems",
    "plans_with_treatments",
    "register",
    "request_email_confirmation",
    "request_password_reset",
    "reset_password",
    "save_plan",
    "set_active",
    "set_role_by_email",
    "user_by_email",
    "user_for_reset_token",
]
