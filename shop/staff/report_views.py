"""Staff reports (sales, best sellers, treatments, stock value) and the audit log."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Response, abort, current_app, render_template, request

from shop import clock
from shop.auth import staff_required
from shop.services import audit_log, reports
from shop.staff.blueprint import blueprint
from shop.staff.forms import AuditFilterForm, ReportForm


def _report_range() -> tuple[ReportForm, date | None, date | None]:
    """Read the date range (default: the last 30 days); 400 on nonsense."""
    form = ReportForm(request.args)
    if not form.validate():
        return form, None, None
    end = form.end.data or clock.today()
    start = form.start.data or end - timedelta(days=current_app.config["REPORT_DEFAULT_DAYS"] - 1)
    if (end - start).days >= reports.MAX_RANGE_DAYS:
        form.end.errors = [f"Choose a range of at most {reports.MAX_RANGE_DAYS} days."]
        return form, None, None
    if start > end:
        form.start.errors = ["The start date is after the end date."]
        return form, None, None
    # The fields show the range in use, the default one included.
    form.start.data, form.end.data = start, end
    return form, start, end


@blueprint.get("/reports")
@staff_required
def report_index():
    """Show the reports for a date range, the per-item tables a page each."""
    form, start, end = _report_range()
    if start is None:
        return render_template("staff/reports.html", form=form, report=None), 400
    pages = {
        "products": form.products_page.data or 1,
        "kits": form.kits_page.data or 1,
        "stock": form.stock_page.data or 1,
    }
    report = reports.build_report(
        start, end, pages, per_page=current_app.config["REPORT_ROWS_PER_PAGE"]
    )
    chart_args = {"start": start.isoformat(), "end": end.isoformat()}
    # Each table's page links keep the range and the other tables' pages.
    page_args = chart_args | {
        f"{name}_page": report_page
        for name, report_page in (
            ("products", report.best["product"].page),
            ("kits", report.best["kit"].page),
            ("stock", report.stock.page),
        )
    }
    return render_template(
        "staff/reports.html",
        form=form,
        report=report,
        chart_args=chart_args,
        page_args=page_args,
    )


@blueprint.get("/reports/sales-<grouping>.svg")
@staff_required
def report_chart(grouping: str):
    """Serve the sales chart as SVG drawn on the server (no script inside)."""
    if grouping not in ("daily", "weekly"):
        abort(404)
    _form, start, end = _report_range()
    if start is None:
        abort(400, description="Those dates do not make sense.")
    daily = reports.sales_by_day(start, end)
    points = daily if grouping == "daily" else reports.sales_by_week(daily)
    title = "Sales by day" if grouping == "daily" else "Sales by week (weeks start on Monday)"
    response = Response(reports.sales_chart_svg(points, title), mimetype="image/svg+xml")
    # The SVG may style itself but never run anything, even when opened on its own.
    response.headers["Content-Security-Policy"] = (
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'self'"
    )
    return response


@blueprint.get("/reports/download.csv")
@staff_required
def report_csv():
    """Download one table of the report as CSV."""
    form, start, end = _report_range()
    if start is None:
        abort(400, description="Those dates do not make sense.")
    table = form.table.data or "daily"
    report = reports.build_report(start, end)
    filename = f"{table}-{start.isoformat()}-to-{end.isoformat()}.csv"
    return Response(
        reports.report_csv(report, table),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blueprint.get("/audit")
@staff_required
def audit():
    """Show the audit log, newest first, filtered by user, action, record type and dates."""
    actions, targets = audit_log.known_values()
    form = AuditFilterForm(request.args)
    form.action.choices = [("", "Any action")] + [(a, a) for a in actions]
    form.target_type.choices = [("", "Any record")] + [(t, t) for t in targets]
    if not form.validate():
        return render_template("staff/audit.html", form=form, listing=None), 400
    filters = audit_log.AuditFilters(
        user_email=form.user.data or "",
        action=form.action.data or "",
        target_type=form.target_type.data or "",
        start=form.start.data,
        end=form.end.data,
    )
    listing = audit_log.list_entries(filters, page=form.page.data or 1)
    args = {k: v for k, v in request.args.items() if k != "page" and k in form and v}
    return render_template("staff/audit.html", form=form, listing=listing, query_args=args)
