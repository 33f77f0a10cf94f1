"""Views of the staff blueprint: the dashboard here, the other areas in sibling modules."""

from __future__ import annotations

from flask import render_template

from shop import clock
from shop.auth import staff_required
from shop.services import reports

# The areas' modules decorate the same blueprint; importing them here mounts their routes.
from shop.staff import (  # noqa: F401
    catalogue_views,
    order_views,
    report_views,
    stock_views,
    users,
)
from shop.staff.blueprint import blueprint


@blueprint.get("/")
@staff_required
def dashboard():
    """Show work waiting (to pack, to collect), stock to act on and today's sales."""
    now = clock.utc_now()
    return render_template(
        "staff/dashboard.html",
        board=reports.build_dashboard(clock.today(), now),
        now_naive=now.replace(tzinfo=None),
    )
