"""Staff stock views: levels, lots and ledger, receipts, adjustments, counts, recall, CSV."""

from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop import clock
from shop.auth import staff_required
from shop.labels import counted
from shop.services import inventory
from shop.services.catalogue_admin import product_choices
from shop.staff.blueprint import blueprint
from shop.staff.forms import (
    RECEIVE_MAX_LINES,
    AdjustForm,
    ConfirmForm,
    ConfirmImportForm,
    ImportForm,
    RecallForm,
    ReceiveForm,
    StockFilterForm,
    StocktakeForm,
    ThresholdForm,
)


@blueprint.get("/stock")
@staff_required
def stock_list():
    """List products with on hand, reserved, sellable and threshold; search and low-only."""
    form = StockFilterForm(request.args)
    if not form.validate():
        abort(400, description="Those filters do not make sense.")
    listing = inventory.list_stock(
        clock.today(),
        page=form.page.data or 1,
        per_page=current_app.config["STAFF_ROWS_PER_PAGE"],
        search=form.q.data or "",
        only_low=form.low.data,
    )
    args = {k: v for k, v in request.args.items() if k in ("q", "low")}
    return render_template("staff/stock_list.html", form=form, listing=listing, query_args=args)


def _product_page(product_id: int, threshold_form=None, status: int = 200):
    page = request.args.get("page", "1")
    stock = inventory.product_stock(
        product_id, clock.today(), page=int(page) if page.isdigit() else 1
    )
    if stock is None:
        abort(404, description="There is no such product.")
    form = threshold_form or ThresholdForm(
        formdata=None, threshold=stock.product.low_stock_threshold
    )
    return render_template(
        "staff/stock_product.html", stock=stock, threshold_form=form, today=clock.today()
    ), status


@blueprint.get("/stock/<int:product_id>")
@staff_required
def stock_product(product_id: int):
    """Show a product's lots and its movement ledger (who, when, why, which order)."""
    return _product_page(product_id)


@blueprint.post("/stock/<int:product_id>/threshold")
@staff_required
def stock_threshold(product_id: int):
    """Change a product's low-stock threshold."""
    form = ThresholdForm()
    if not form.validate_on_submit():
        return _product_page(product_id, form, 422)
    try:
        inventory.set_low_stock_threshold(product_id, form.threshold.data, current_user.id)
    except inventory.StockError as error:
        abort(404, description=str(error))
    flash("Low-stock threshold saved.", "success")
    return redirect(url_for("staff.stock_product", product_id=product_id))


@blueprint.route("/stock/lots/<int:lot_id>/adjust", methods=["GET", "POST"])
@staff_required
def stock_adjust(lot_id: int):
    """Add or remove units of a lot with a reason and a note."""
    lot = inventory.get_lot(lot_id)
    if lot is None:
        abort(404, description="There is no such lot.")
    form = AdjustForm()
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                inventory.adjust_lot(
                    lot.id,
                    form.change.data,
                    form.reason.data,
                    (form.note.data or "").strip(),
                    current_user.id,
                )
            except inventory.StockError as error:
                form.change.errors = [*form.change.errors, str(error)]
            else:
                flash(f"Lot {lot.lot_number} adjusted.", "success")
                return redirect(url_for("staff.stock_product", product_id=lot.product_id))
        lot = inventory.get_lot(lot_id)
        return render_template("staff/stock_adjust.html", form=form, lot=lot), 422
    return render_template("staff/stock_adjust.html", form=form, lot=lot)


def _with_product_choices(form: ReceiveForm) -> ReceiveForm:
    choices = [("", "Choose a product")] + [(str(i), label) for i, label in product_choices()]
    for entry in form.lines.entries:
        entry.form.product.choices = choices
    return form


def _receive_page(form: ReceiveForm, status: int = 200, notice: str = ""):
    return render_template(
        "staff/stock_receive.html",
        form=_with_product_choices(form),
        max_lines=RECEIVE_MAX_LINES,
        notice=notice,
    ), status


@blueprint.route("/stock/receive", methods=["GET", "POST"])
@staff_required
def stock_receive():
    """Book a delivery of one or more lots; "Add another line" re-shows it one row longer."""
    form = ReceiveForm()
    if request.method == "GET":
        return _receive_page(form)
    if "add_line" in request.form:
        # Nothing is booked or checked: the delivery comes back as typed, one row longer.
        if "csrf_token" in form and not form.csrf_token.validate(form):
            return _receive_page(form, 400, "The form expired; please submit it again.")
        if form.lines.submitted_rows > RECEIVE_MAX_LINES or not form.add_line():
            return _receive_page(
                form,
                422,
                f"A delivery takes at most {RECEIVE_MAX_LINES} lines here; book these first, "
                "then the rest, or import a CSV file.",
            )
        return _receive_page(form)
    _with_product_choices(form)
    if form.validate_on_submit():
        filled = [entry.form for entry in form.lines.entries if not entry.form.is_blank()]
        lines = [
            inventory.DeliveryLine(
                product_id=int(line.product.data),
                lot_number=line.lot_number.data.strip(),
                expiry_date=line.expiry_date.data,
                quantity=line.quantity.data,
                unit_cost_pence=line.unit_cost.pence,
            )
            for line in filled
        ]
        try:
            receipt = inventory.receive_delivery(
                lines,
                today=clock.today(),
                user_id=current_user.id,
                supplier=(form.supplier.data or "").strip(),
                reference=(form.reference.data or "").strip(),
                note=form.note.data or "",
            )
        except inventory.DeliveryError as error:
            for problem in error.problems:
                target = getattr(filled[problem.index], problem.field, None)
                if target is None:
                    target = filled[problem.index].product
                target.errors = [*target.errors, problem.problem]
            form.lines.errors = ["Some lines need attention."]
        else:
            units = sum(line.quantity for line in lines)
            flash(
                f"Delivery booked: {counted(len(lines), 'lot')}, {counted(units, 'unit')} "
                f"(receipt {receipt.id}).",
                "success",
            )
            return redirect(url_for("staff.stock_list"))
    return _receive_page(form, 422)


@blueprint.route("/stock/count", methods=["GET", "POST"])
@staff_required
def stock_count():
    """Enter counted quantities for many lots; differences are booked as count movements."""
    search = request.args.get("q", "")[:80]
    lots = inventory.lots_for_count(clock.today(), search)
    form = StocktakeForm.for_lots([lot.id for lot in lots])
    status = 200
    problems: dict[int, str] = {}
    large: list[inventory.CountChange] = []
    threshold = current_app.config["STOCKTAKE_CONFIRM_UNITS"]
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            counts = form.counts()
            if not counts:
                form.note.errors = ["Enter at least one counted quantity."]
            else:
                try:
                    result = inventory.stocktake(
                        counts,
                        user_id=current_user.id,
                        note=(form.note.data or "").strip(),
                        confirm_over=None if form.confirmed.data else threshold,
                    )
                except inventory.LargeCountDifferences as error:
                    large, status = error.changes, 200
                except inventory.StocktakeError as error:
                    problems = error.problems
                else:
                    flash(_stocktake_summary(result), "success")
                    return redirect(url_for("staff.stock_count", q=search or None))
    return render_template(
        "staff/stock_count.html",
        form=form,
        lots=lots,
        problems=problems,
        search=search,
        large=large,
        large_ids={change.lot_id for change in large},
        threshold=threshold,
    ), status


# A flash names at most this many changed lots; the ledger and the audit log have them all.
SUMMARY_CHANGES = 8


def _stocktake_summary(result: inventory.StocktakeResult) -> str:
    """Say in words what a stocktake booked."""
    if not result.changes:
        return (
            f"Stocktake booked: all {counted(result.unchanged, 'lot')} counted matched the books."
        )
    named = [change.describe() for change in result.changes[:SUMMARY_CHANGES]]
    more = len(result.changes) - len(named)
    text = "Stocktake booked. " + "; ".join(named)
    if more:
        text += f"; and {counted(more, 'more lot')} changed"
    if result.unchanged:
        text += f". {counted(result.unchanged, 'lot')} matched the books"
    return text + "."


@blueprint.route("/stock/expired", methods=["GET", "POST"])
@staff_required
def stock_expired():
    """List expired lots still on the shelf, and write their free units off in one step."""
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400, description="The form expired; please try again.")
        written = inventory.write_off_expired(clock.today(), current_user.id)
        units = sum(w.units for w in written)
        flash(
            f"Wrote off {counted(units, 'expired unit')} from {counted(len(written), 'lot')}.",
            "success",
        )
        return redirect(url_for("staff.stock_expired"))
    return render_template(
        "staff/stock_expired.html", lots=inventory.expired_lots_on_hand(clock.today()), form=form
    )


@blueprint.get("/stock/recall")
@staff_required
def stock_recall():
    """Find every order and customer that received units of a lot number."""
    form = RecallForm(request.args)
    result = None
    status = 200
    if "lot" in request.args:
        if form.validate():
            result = inventory.recall_lookup(form.lot.data)
        else:
            status = 400
    return render_template("staff/stock_recall.html", form=form, result=result), status


@blueprint.get("/stock/export.csv")
@staff_required
def stock_export():
    """Download every lot as CSV."""
    body = inventory.export_stock_csv(clock.today())
    filename = f"stock-{clock.today().isoformat()}.csv"
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@blueprint.route("/stock/import", methods=["GET", "POST"])
@staff_required
def stock_import():
    """Check a delivery CSV and show a preview with row-by-row problems; nothing is booked."""
    form = ImportForm()
    if request.method == "GET":
        return render_template("staff/stock_import.html", form=form, preview=None)
    if not form.validate_on_submit():
        return render_template("staff/stock_import.html", form=form, preview=None), 422
    limit = current_app.config["STOCK_CSV_MAX_BYTES"]
    raw = form.file.data.read(limit + 1)
    if len(raw) > limit:
        form.file.errors = [
            f"The file is larger than {limit / (1024 * 1024):g} MB; "
            "split it into smaller deliveries."
        ]
        return render_template("staff/stock_import.html", form=form, preview=None), 422
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        form.file.errors = [
            "The file is not UTF-8 text; save it from your spreadsheet as CSV UTF-8."
        ]
        return render_template("staff/stock_import.html", form=form, preview=None), 422
    preview = inventory.preview_delivery_csv(text, clock.today())
    confirm = ConfirmImportForm(
        formdata=None,
        csv_text=text,
        supplier=form.supplier.data or "",
        reference=form.reference.data or "",
    )
    status = 422 if preview.problems else 200
    return render_template(
        "staff/stock_import.html", form=form, preview=preview, confirm=confirm
    ), status


@blueprint.post("/stock/import/confirm")
@staff_required
def stock_import_confirm():
    """Book a checked delivery CSV: checked again, and booked only if every row is valid."""
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400, description="Nothing to import; upload the file again.")
    try:
        receipt = inventory.import_delivery_csv(
            form.csv_text.data,
            today=clock.today(),
            user_id=current_user.id,
            supplier=(form.supplier.data or "").strip(),
            reference=(form.reference.data or "").strip(),
        )
    except inventory.CsvImportError as error:
        preview = inventory.DeliveryPreview(lines=[], problems=error.problems)
        return render_template(
            "staff/stock_import.html", form=ImportForm(formdata=None), preview=preview, confirm=None
        ), 422
    except inventory.StockError as error:
        flash(str(error), "error")
        return redirect(url_for("staff.stock_import"))
    flash(f"Delivery imported (receipt {receipt.id}).", "success")
    return redirect(url_for("staff.stock_list"))
