"""Views of the staff blueprint: the dashboard here, the other areas in sibling modules."""

from __future__ import annotations

from flask import Blueprint, render_template

from shop import clock
from shop.auth import staff_required
from shop.services import reports
from shop.staff import catalogue_views, order_views, report_views, stock_views

blueprint = Blueprint("staff", __name__, url_prefix="/staff")


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


for _module in (stock_views, catalogue_views, order_views, report_views):
    _module.register(blueprint)
