"""Staff order views: list, order page, fulfilment actions, refunds and the pick list."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user

from shop import clock
from shop.auth import staff_required
from shop.money import format_pence
from shop.services import fulfilment, orders, payments
from shop.staff.blueprint import blueprint
from shop.staff.forms import (
    CancelForm,
    CollectPaymentForm,
    ConfirmForm,
    OrderFilterForm,
    RefundForm,
    ShipForm,
)


@blueprint.get("/orders", endpoint="orders")
@staff_required
def order_list():
    """List orders with filters (status, fulfilment, dates, reference or email) and pages."""
    form = OrderFilterForm(request.args)
    if not form.validate():
        return render_template("staff/orders.html", form=form, listing=None), 400
    filters = fulfilment.OrderFilters(
        status=form.status.data or "",
        fulfilment=form.fulfilment.data or "",
        start=form.start.data,
        end=form.end.data,
        search=form.q.data or "",
    )
    listing = fulfilment.list_orders(
        filters, page=form.page.data or 1, per_page=current_app.config["STAFF_ROWS_PER_PAGE"]
    )
    args = {k: v for k, v in request.args.items() if k != "page" and k in form and v}
    return render_template(
        "staff/orders.html",
        form=form,
        listing=listing,
        query_args=args,
        labels=orders.ORDER_STATUS_LABELS,
    )


def _refund_form(detail, formdata=None) -> RefundForm:
    form = RefundForm(formdata=formdata) if formdata is not None else RefundForm(formdata=None)
    if formdata is None:
        for line in detail.order.lines:
            form.lines.append_entry({"line_id": str(line.id), "quantity": 0})
    return form


def _order_page(order_id: int, status: int = 200, error: str | None = None, **forms):
    detail = fulfilment.order_detail(order_id)
    if detail is None:
        abort(404, description="There is no such order.")
    lines_by_id = {line.id: line for line in detail.order.lines}
    refund_form = forms.get("refund_form") or _refund_form(detail)
    refund_rows = [
        (entry, lines_by_id.get(int(entry.form.line_id.data)))
        for entry in refund_form.lines.entries
        if (entry.form.line_id.data or "").isdigit()
    ]
    return render_template(
        "staff/order.html",
        detail=detail,
        order=detail.order,
        labels=orders.ORDER_STATUS_LABELS,
        error=error,
        ship_form=forms.get("ship_form") or ShipForm(formdata=None),
        cancel_form=forms.get("cancel_form") or CancelForm(formdata=None),
        refund_form=refund_form,
        refund_rows=refund_rows,
        confirm_form=ConfirmForm(formdata=None),
        collect_form=forms.get("collect_form") or CollectPaymentForm(formdata=None),
        pays_at_desk=_pays_at_desk(detail.order),
        desk_phrases=orders.DESK_PAYMENT_PHRASES,
    ), status


def _pays_at_desk(order) -> bool:
    """Tell whether collecting this order also takes its payment at the desk."""
    return (
        order.fulfilment == "collect"
        and order.payment_method == "clinic"
        and order.status == "pending_payment"
    )


@blueprint.get("/orders/<int:order_id>")
@staff_required
def order_detail(order_id: int):
    """Show an order: lines, lots allocated, payments, refunds and its history."""
    return _order_page(order_id)


def _act(order_id: int, action, success: str):
    """Run a fulfilment action; refusals re-show the order page with the reason (409)."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; please try again.")
    try:
        action()
    except orders.OrderNotFound:
        abort(404, description="There is no such order.")
    except orders.OrderError as error:
        return _order_page(order_id, 409, str(error))
    flash(success, "success")
    return redirect(url_for("staff.order_detail", order_id=order_id), 303)


@blueprint.post("/orders/<int:order_id>/pack")
@staff_required
def order_pack(order_id: int):
    """Record that the order is picked and packed."""
    return _act(
        order_id, lambda: fulfilment.mark_packed(order_id, current_user.id), "Marked as packed."
    )


@blueprint.post("/orders/<int:order_id>/ready")
@staff_required
def order_ready(order_id: int):
    """Mark a click-and-collect order ready and email the customer."""
    return _act(
        order_id,
        lambda: fulfilment.ready_for_collection(order_id, current_user.id),
        "Ready to collect; the customer has been emailed.",
    )


@blueprint.post("/orders/<int:order_id>/collected")
@staff_required
def order_collected(order_id: int):
    """Record the collection; a pay-at-clinic order first shows what is booked, to confirm."""
    detail = fulfilment.order_detail(order_id)
    if detail is None:
        abort(404, description="There is no such order.")
    if not _pays_at_desk(detail.order):
        return _act(
            order_id,
            lambda: fulfilment.collected(order_id, current_user.id),
            "Collected; the order is complete.",
        )
    form = CollectPaymentForm()
    if not form.validate_on_submit():
        return _order_page(order_id, 422, collect_form=form)
    if not form.is_confirmed:
        return render_template(
            "staff/order_collect_confirm.html",
            order=detail.order,
            form=form,
            method_label=orders.DESK_PAYMENT_LABELS[form.desk_method.data],
            method_phrase=orders.DESK_PAYMENT_PHRASES[form.desk_method.data],
        )
    try:
        fulfilment.collected(order_id, current_user.id, desk_method=form.desk_method.data)
    except orders.OrderNotFound:
        abort(404, description="There is no such order.")
    except orders.OrderError as error:
        return _order_page(order_id, 409, str(error))
    amount = format_pence(
        detail.order.total_pence, current_app.config["CURRENCY"], current_app.config["LOCALE"]
    )
    method = orders.DESK_PAYMENT_PHRASES[form.desk_method.data]
    flash(f"Collected and paid: {amount} {method} booked; the order is complete.", "success")
    return redirect(url_for("staff.order_detail", order_id=order_id), 303)


@blueprint.get("/orders/<int:order_id>/packing-slip")
@staff_required
def order_packing_slip(order_id: int):
    """A printable packing slip: what goes in the bag, from which lots, and for whom."""
    detail = fulfilment.order_detail(order_id)
    if detail is None:
        abort(404, description="There is no such order.")
    return render_template(
        "staff/packing_slip.html",
        detail=detail,
        order=detail.order,
        now_text=clock.now().strftime("%d %b %Y %H:%M"),
    )


@blueprint.post("/orders/<int:order_id>/delivered")
@staff_required
def order_delivered(order_id: int):
    """Close a shipped order once it has arrived."""
    return _act(
        order_id,
        lambda: fulfilment.delivered(order_id, current_user.id),
        "Marked as delivered.",
    )


@blueprint.post("/orders/<int:order_id>/ship")
@staff_required
def order_ship(order_id: int):
    """Mark a delivery order shipped with its tracking reference; the customer is emailed."""
    form = ShipForm()
    if not form.validate_on_submit():
        return _order_page(order_id, 422, ship_form=form)
    try:
        fulfilment.ship(order_id, form.tracking.data, current_user.id)
    except orders.OrderNotFound:
        abort(404, description="There is no such order.")
    except orders.OrderError as error:
        return _order_page(order_id, 409, str(error), ship_form=form)
    flash("Shipped; the customer has been emailed the tracking reference.", "success")
    return redirect(url_for("staff.order_detail", order_id=order_id), 303)


@blueprint.post("/orders/<int:order_id>/cancel")
@staff_required
def order_cancel(order_id: int):
    """Cancel an unpaid order and release its stock."""
    form = CancelForm()
    if not form.validate_on_submit():
        return _order_page(order_id, 422, cancel_form=form)
    try:
        fulfilment.cancel(order_id, form.note.data.strip(), current_user.id)
    except orders.OrderNotFound:
        abort(404, description="There is no such order.")
    except orders.OrderError as error:
        return _order_page(order_id, 409, str(error), cancel_form=form)
    flash("Order cancelled; its stock is back on sale.", "success")
    return redirect(url_for("staff.order_detail", order_id=order_id), 303)


@blueprint.post("/orders/<int:order_id>/refund")
@staff_required
def order_refund(order_id: int):
    """Refund some or all lines through the payment gateway."""
    detail = fulfilment.order_detail(order_id)
    if detail is None:
        abort(404, description="There is no such order.")
    form = RefundForm()
    if not form.validate_on_submit():
        return _order_page(order_id, 422, refund_form=form)
    quantities = form.quantities()
    if not quantities and not form.include_delivery.data:
        form.lines.errors = ["Enter how many units of which lines to refund."]
        return _order_page(order_id, 422, refund_form=form)
    try:
        refund = fulfilment.refund(
            order_id,
            quantities,
            restock=form.stock.data == "restock",
            reason=form.reason.data.strip(),
            include_delivery=form.include_delivery.data,
            user_id=current_user.id,
        )
    except payments.RefundError as error:
        return _order_page(order_id, 409, str(error), refund_form=form)
    except payments.GatewayError as error:
        return _order_page(
            order_id, 502, f"The payment provider did not refund: {error}", refund_form=form
        )
    except orders.OrderError as error:
        return _order_page(order_id, 409, str(error), refund_form=form)
    amount = format_pence(
        refund.amount_pence, current_app.config["CURRENCY"], current_app.config["LOCALE"]
    )
    flash(f"Refunded {amount}.", "success")
    return redirect(url_for("staff.order_detail", order_id=order_id), 303)


@blueprint.get("/pick-list")
@staff_required
def pick_list():
    """A printable list of what to pick for orders waiting, by product and lot (FEFO)."""
    products, waiting = fulfilment.pick_list()
    now_text = clock.now().strftime("%d %b %Y %H:%M")
    return render_template(
        "staff/pick_list.html", products=products, waiting=waiting, now_text=now_text
    )
