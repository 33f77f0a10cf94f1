"""Views of the basket: show it, add products and kits, change and remove lines."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, url_for

from shop import clock
from shop.basket.forms import AddItemsForm, AddToBasketForm, RemoveLineForm, UpdateLineForm
from shop.basket.session import basket_count, current_store, remember_plan_link
from shop.labels import counted
from shop.services import basket as basket_service
from shop.services import orders
from shop.services.basket import BasketError, NotInBasket

blueprint = Blueprint("basket", __name__)


@blueprint.app_context_processor
def inject_basket_count() -> dict:
    """Let the header ask for the number of things in the visitor's basket.

    A function, asked only where the badge is drawn: a page shared by every visitor is built
    without it, so building one never loads anybody's user or basket.
    """
    return {"basket_count": basket_count}


def _show(status: int = 200, problem: str | None = None, form_errors: list[str] | None = None):
    """Render the basket, optionally with a message about a refused change."""
    priced = basket_service.view_basket(current_store(), clock.today())
    config = current_app.config
    return render_template(
        "basket/view.html",
        basket=priced,
        problem=problem,
        form_errors=form_errors or [],
        delivery_offered=orders.card_payments_enabled(),
        delivery_fee=config["DELIVERY_FEE_PENCE"],
        free_delivery_from=config["FREE_DELIVERY_THRESHOLD_PENCE"],
        max_quantity=basket_service.MAX_LINE_QUANTITY,
    ), status


def _errors(form) -> list[str]:
    """Flatten a form's errors into sentences."""
    messages: list[str] = []

    def collect(errors):
        if isinstance(errors, dict):
            for value in errors.values():
                collect(value)
        elif isinstance(errors, list):
            for value in errors:
                collect(value)
        elif errors:
            messages.append(str(errors))

    collect(form.errors)
    return messages


@blueprint.get("/basket")
def view():
    """Show the basket with prices, VAT and any stock problems."""
    return _show()


@blueprint.post("/basket/add")
def add():
    """Add a product or a whole kit (kind=product|kit, slug, quantity)."""
    form = AddToBasketForm()
    if not form.validate():
        return _show(400, form_errors=_errors(form))
    try:
        name, quantity = basket_service.add_item(
            current_store(), form.kind.data, form.slug.data, form.quantity.data, clock.today()
        )
    except BasketError as error:
        return _show(409, problem=str(error))
    remember_plan_link(form.plan.data)
    flash(f"Added {name} to your basket (you now have {quantity}).", "success")
    return redirect(url_for("basket.view"), 303)


@blueprint.post("/basket/add-items")
def add_items():
    """Add several products at once, all or nothing (the kit finder's assembled kit)."""
    form = AddItemsForm()
    if not form.validate() or not form.items.entries:
        errors = _errors(form) or ["Choose at least one product to add."]
        return _show(400, form_errors=errors)
    wanted = [(entry.form.product.data, entry.form.quantity.data) for entry in form.items.entries]
    try:
        names = basket_service.add_products(current_store(), wanted, clock.today())
    except BasketError as error:
        return _show(409, problem=str(error))
    remember_plan_link(form.plan.data)
    flash(f"Added {counted(len(names), 'product')} to your basket.", "success")
    return redirect(url_for("basket.view"), 303)


@blueprint.post("/basket/update")
def update():
    """Change one line's quantity; 0 removes it."""
    form = UpdateLineForm()
    if not form.validate():
        return _show(400, form_errors=_errors(form))
    try:
        basket_service.set_quantity(
            current_store(), form.key.data, form.quantity.data, clock.today()
        )
    except NotInBasket as error:
        return _show(400, problem=str(error))
    except BasketError as error:
        return _show(409, problem=str(error))
    flash("Your basket is updated.", "success")
    return redirect(url_for("basket.view"), 303)


@blueprint.post("/basket/remove")
def remove():
    """Take one line out of the basket."""
    form = RemoveLineForm()
    if not form.validate():
        return _show(400, form_errors=_errors(form))
    try:
        basket_service.remove_item(current_store(), form.key.data)
    except NotInBasket as error:
        return _show(400, problem=str(error))
    except BasketError as error:
        return _show(409, problem=str(error))
    flash("Removed from your basket.", "success")
    return redirect(url_for("basket.view"), 303)
