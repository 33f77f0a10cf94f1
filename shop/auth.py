"""Who may see what: the one permission decorator every staff and clinic view uses."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import abort
from flask_login import current_user

from shop.extensions import login_manager


def role_required(*roles: str) -> Callable:
    """Let through signed-in users whose role grants any of `roles` (admin grants staff too).

    Anonymous visitors are sent to sign in; signed-in users without the role get 403.
    """

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not any(current_user.has_role(role) for role in roles):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles  # read by the access-matrix test
        return wrapped

    return decorator


staff_required = role_required("staff")
clinician_required = role_required("clinician")
admin_required = role_required("admin")
