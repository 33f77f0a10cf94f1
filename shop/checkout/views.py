"""Views of checkout: the checkout form, the order page, and Stripe's return pages."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    session,
    url_for,
)
from flask_login import current_user

from shop import clock, opening_hours
from shop.basket.session import (
    current_store,
    link_plan_to_order,
    placed_orders,
    plan_link_token,
    plan_token_for_order,
    remember_placed_order,
)
from shop.checkout.forms import CancelOrderForm, CheckoutForm
from shop.services import basket as basket_service
from shop.services import orders, payments, recommendations
from shop.services.orders import CheckoutDetails, OrderError
from shop.services.payments import GatewayError

blueprint = Blueprint("checkout", __name__)


@blueprint.app_template_global()
def order_status_label(status: str) -> str:
    """Return an order status as customers read it."""
    return orders.ORDER_STATUS_LABELS.get(status, status)


# How a card return page reads an order: one state at a time.
_PAYMENT_STATES = {"pending_payment": "confirming", "expired": "failed", "cancelled": "failed"}


@blueprint.app_template_global()
def order_payment_state(order) -> str:
    """Return "paid", "confirming" (no word from the payment provider yet) or "failed"."""
    return _PAYMENT_STATES.get(order.status, "paid")


def _clinic_map_url() -> str:
    """Return a plain map search for the clinic's address (a link, nothing embedded)."""
    return "https://www.openstreetmap.org/search?" + urlencode(
        {"query": current_app.config["CLINIC_ADDRESS"]}
    )


def _user_id() -> int | None:
    """Return the signed-in customer's id, if any."""
    return current_user.id if current_user.is_authenticated else None


def _return_urls(reference: str) -> tuple[str, str]:
    """Return the absolute addresses Stripe sends the customer back to."""
    base = current_app.config["PUBLIC_BASE_URL"]
    return (
        base + url_for("checkout.success", reference=reference),
        base + url_for("checkout.cancelled", reference=reference),
    )


FULFILMENT_TOTAL_LABELS = {"collect": "Collection at the clinic", "delivery": "UK delivery"}


def _totals(form: CheckoutForm, basket) -> dict[str, dict]:
    """Return the delivery charge and final total for each way of getting the order offered."""
    return {
        option: {
            "label": FULFILMENT_TOTAL_LABELS[option],
            "delivery_pence": (fee := orders.delivery_fee(basket.subtotal_pence, option)),
            "total_pence": basket.subtotal_pence + fee,
        }
        for option in (choice.value for choice in form.fulfilment.choices)
    }


def _render_checkout(form: CheckoutForm, basket, status: int = 200, problem: str | None = None):
    """Render the checkout page with the basket summary, its delivery line and total."""
    config = current_app.config
    totals = _totals(form, basket)
    return render_template(
        "checkout/checkout.html",
        form=form,
        basket=basket,
        problem=problem,
        totals=totals,
        # The choice sent back (a refused form), else collection, as the form preselects it.
        fulfilment=form.fulfilment.data if form.fulfilment.data in totals else "collect",
        delivery_fee=config["DELIVERY_FEE_PENCE"],
        free_delivery_from=config["FREE_DELIVERY_THRESHOLD_PENCE"],
        hold_days=config["COLLECTION_HOLD_DAYS"],
        checkout_minutes=orders.checkout_minutes(),
        offer_plan_link=plan_link_token() is not None,
    ), status


@blueprint.route("/checkout", methods=["GET", "POST"])
def start():
    """Collect contact, fulfilment and payment details, then place the order."""
    store = current_store()
    basket = basket_service.view_basket(store, clock.today())
    if basket.is_empty:
        flash("Your basket is empty, so there is nothing to check out yet.", "info")
        return redirect(url_for("basket.view"), 303)
    form = CheckoutForm(payment_methods=orders.payment_methods_for(None))
    if not form.is_submitted():
        _fill_contact(form)
        return _render_checkout(form, basket)
    if not form.validate():
        return _render_checkout(form, basket, 422)
    details = CheckoutDetails(
        name=form.name.data,
        email=form.email.data,
        phone=form.phone.data or "",
        fulfilment=form.fulfilment.data,
        payment_method=form.payment_method.data,
        address_line1=form.address_line1.data or "",
        address_line2=form.address_line2.data or "",
        town=form.town.data or "",
        postcode=form.postcode.data or "",
        user_id=_user_id(),
        recommendation_id=_recommendation_id(),
        plan_token=plan_link_token() if form.plan_link_in_email.data else None,
    )
    try:
        outcome = payments.place_and_pay(store, details, _return_urls)
    except GatewayError:
        return _render_checkout(
            form,
            basket_service.view_basket(store, clock.today()),
            503,
            "We could not open the card payment page just now, so nothing was charged and "
            "your basket is unchanged. Please try again in a moment"
            + (
                ", or choose to pay at the clinic."
                if "clinic" in orders.payment_methods_for(None)
                else "."
            ),
        )
    except OrderError as error:
        return _render_checkout(
            form, basket_service.view_basket(store, clock.today()), 409, str(error)
        )
    remember_placed_order(outcome.order.reference)
    link_plan_to_order(outcome.order.reference)
    # The recommendation link (shop.patient) set this for one purchase: later orders are not it.
    session.pop("recommendation_id", None)
    if outcome.payment_url:
        return redirect(outcome.payment_url, 303)
    return redirect(url_for("checkout.order", reference=outcome.order.reference), 303)


def _fill_contact(form: CheckoutForm) -> None:
    """Start with the name and email a clinician recorded, else the signed-in customer's."""
    # Read on the server from the recommendation the link's basket came from: the personal
    # details are never passed in an address.
    rec_id = _recommendation_id()
    recorded = recommendations.checkout_contact(rec_id) if rec_id is not None else None
    if recorded is not None:
        form.name.data, form.email.data = recorded
    elif current_user.is_authenticated:
        form.name.data = form.name.data or current_user.name
        form.email.data = form.email.data or current_user.email


def _recommendation_id() -> int | None:
    """Return the clinician recommendation this basket came from, if the session has one."""
    value = session.get("recommendation_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _visible_order(reference: str):
    """Return the order if this visitor placed it here or owns it; 404 otherwise."""
    order = orders.get_order_by_reference(reference)
    if order is None or not orders.can_view_order(order, placed_orders(), _user_id()):
        abort(404, description="We could not find that order.")
    return order


def _render_order(template: str, order, status: int = 200):
    """Render an order page (confirmation, success or cancelled)."""
    return render_template(
        template,
        order=order,
        cancel_form=CancelOrderForm() if order.status == "pending_payment" else None,
        pay_url=payments.resume_url(order),
        reserved_until=clock.local(order.reserved_until),
        kit_items=orders.kit_components([line.kit_id for line in order.lines if line.kit_id]),
        plan_token=order.plan_token or plan_token_for_order(order.reference),
        opening_hours=opening_hours.describe(current_app.config["CLINIC_OPENINGS"]),
        clinic_map_url=_clinic_map_url(),
    ), status


@blueprint.get("/orders/<reference>")
def order(reference: str):
    """Show an order's status, lines, totals and collection or delivery details."""
    return _render_order("checkout/order.html", _visible_order(reference))


@blueprint.get("/checkout/success/<reference>")
def success(reference: str):
    """Where Stripe returns a paying customer: shows the state; the webhook changes it."""
    return _render_order("checkout/success.html", _visible_order(reference))


@blueprint.get("/checkout/cancelled/<reference>")
def cancelled(reference: str):
    """Where Stripe returns a customer who left the payment page; nothing changes."""
    return _render_order("checkout/cancelled.html", _visible_order(reference))


@blueprint.post("/orders/<reference>/cancel")
def cancel(reference: str):
    """Cancel an unpaid order for the visitor who placed it (or its owner), freeing its stock."""
    order = _visible_order(reference)
    form = CancelOrderForm()
    if not form.validate_on_submit():
        flash("Please tick the box to confirm that you want to cancel this order.", "error")
        return _render_order("checkout/order.html", order, status=400)
    try:
        payments.cancel_unpaid_order(order.id, user_id=_user_id())
    except (orders.IllegalTransition, payments.GatewayError) as error:
        flash(f"We could not cancel the order: {error}", "error")
        return _render_order("checkout/order.html", order, status=409)
    flash("Your order is cancelled and nothing has been charged.", "success")
    return redirect(url_for("checkout.order", reference=order.reference), 303)


@blueprint.post("/orders/<reference>/pay")
def pay(reference: str):
    """Send the customer back to the order's payment page while it is still open."""
    order = _visible_order(reference)
    url = payments.resume_url(order)
    if url is None:
        flash("This order can no longer be paid online.", "warning")
        return redirect(url_for("checkout.order", reference=order.reference), 303)
    return redirect(url, 303)
