"""Storefront views: thin wrappers that parse the request, call a service and render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, render_template, request

from shop import clock
from shop.services import catalogue, plans
from shop.services.catalogue import ProductFilters
from shop.storefront.forms import ProductFilterForm

blueprint = Blueprint("storefront", __name__)


@blueprint.get("/")
def home():
    """Show treatments, the way into the kit finder and the featured kits."""
    today = clock.today()
    return render_template(
        "storefront/home.html",
        treatments=catalogue.list_treatments(),
        featured=catalogue.list_kits(
            today, featured_only=True, limit=current_app.config["FEATURED_KITS"]
        ),
    )


@blueprint.get("/products")
def products():
    """List active products with filters, sorting and pagination; bad values are ignored."""
    form = ProductFilterForm(request.args)
    problems: list[str] = []
    if not form.validate():
        for field_name, errors in form.errors.items():
            field = form[field_name]
            problems.append(f"{field.label.text}: {errors[0]} We ignored that value.")
            field.data = field.default
    filters = ProductFilters(
        category=form.category.data or None,
        min_spf=int(form.spf.data) if form.spf.data else None,
        fragrance_free=bool(form.fragrance_free.data),
        skin_type=form.skin_type.data or None,
        sort=form.sort.data or "name",
    )
    listing = catalogue.list_products(
        filters,
        page=form.page.data or 1,
        per_page=current_app.config["PRODUCTS_PER_PAGE"],
        today=clock.today(),
    )
    return render_template(
        "storefront/products.html",
        form=form,
        listing=listing,
        problems=problems,
        query_args={k: v for k, v in request.args.items() if k != "page" and k in form},
    )


@blueprint.get("/products/<slug>")
def product(slug: str):
    """Show one product with its availability and the kits that contain it."""
    found = catalogue.get_product(slug, clock.today())
    if found is None:
        abort(404, description="We do not sell a product at that address.")
    card, kits = found
    return render_template("storefront/product.html", card=card, kits=kits)


@blueprint.get("/kits")
def kits():
    """List the aftercare kits a page at a time, optionally for one treatment."""
    treatments = {treatment.slug: treatment for treatment in catalogue.list_treatments()}
    wanted = request.args.get("treatment", "")
    selected = treatments.get(wanted)
    if wanted and selected is None:
        flash("We do not know that treatment, so here are all our kits.", "warning")
    raw_page = request.args.get("page", "1")
    # Like /products: a page that is not a whole number from 1 shows the first page.
    page = int(raw_page) if raw_page.isascii() and raw_page.isdigit() else 1
    listing = catalogue.page_kits(
        clock.today(),
        page=min(max(page, 1), 100000),
        per_page=current_app.config["KITS_PER_PAGE"],
        treatment_slug=selected.slug if selected else None,
    )
    return render_template(
        "storefront/kits.html",
        listing=listing,
        treatments=list(treatments.values()),
        selected_treatment=selected,
        query_args={"treatment": selected.slug} if selected else {},
    )


@blueprint.get("/kits/<slug>")
def kit(slug: str):
    """Show one kit: its items and what each is for, its price, saving and availability."""
    card = catalogue.get_kit(slug, clock.today())
    if card is None:
        abort(404, description="We do not have a kit at that address.")
    return render_template("storefront/kit.html", card=card, windows=plans.kit_windows(card.kit))
