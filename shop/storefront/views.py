"""Storefront views: thin wrappers that parse the request, call a service and render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, render_template, request

from shop import clock, shared_pages
from shop.basket.session import visitor_plan_token
from shop.security import keep_private
from shop.services import catalogue, kit_fit, orders, plans
from shop.services.catalogue import ProductFilters
from shop.storefront.forms import ProductFilterForm

blueprint = Blueprint("storefront", __name__)


@blueprint.get("/")
def home():
    """Show treatments, the way into the kit finder and the featured kits."""
    # What the page promises follows the settings: delivery only where it is offered.
    delivery_offered = orders.card_payments_enabled()
    return shared_pages.render(
        "storefront/home.html",
        "home",
        (delivery_offered,),
        lambda: {
            "delivery_offered": delivery_offered,
            "treatments": catalogue.list_treatments(),
            "featured": catalogue.list_kits(
                clock.today(), featured_only=True, limit=current_app.config["FEATURED_KITS"]
            ),
        },
    )


# The query parameters the catalogue listens to; any other is ignored, as before.
FILTER_FIELDS = frozenset(ProductFilterForm().data)


@blueprint.get("/products")
def products():
    """List active products with filters, sorting and pagination; bad values are ignored."""
    sent = {k: v for k, v in request.args.items() if k in FILTER_FIELDS}
    per_page = current_app.config["PRODUCTS_PER_PAGE"]

    def context():
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
            filters, page=form.page.data or 1, per_page=per_page, today=clock.today()
        )
        shown = {
            "form": form,
            "listing": listing,
            "problems": problems,
            "query_args": {k: v for k, v in sent.items() if k != "page"},
        }
        # A page that echoes values we refused is this request's alone; so is a page past
        # the end, which shows the last one and is not worth an entry of its own.
        mine = problems or listing.page != (form.page.data or 1)
        return shared_pages.Personal(shown) if mine else shown

    return shared_pages.render(
        "storefront/products.html", "products", (tuple(sorted(sent.items())), per_page), context
    )


@blueprint.get("/products/<slug>")
def product(slug: str):
    """Show one product with its availability and the kits that contain it."""

    def context() -> dict | None:
        found = catalogue.get_product(slug, clock.today())
        return None if found is None else {"card": found[0], "kits": found[1]}

    page = shared_pages.render("storefront/product.html", "product", (slug,), context)
    if page is None:
        abort(404, description="We do not sell a product at that address.")
    return page


@blueprint.get("/kits")
def kits():
    """List the aftercare kits a page at a time, optionally for one treatment."""
    wanted = request.args.get("treatment", "")
    slug = wanted if wanted in catalogue.treatment_slugs() else None
    if wanted and slug is None:
        flash("We do not know that treatment, so here are all our kits.", "warning")
    raw_page = request.args.get("page", "1")
    # Like /products: a page that is not a whole number from 1 shows the first page.
    page = min(max(int(raw_page), 1), 100000) if raw_page.isascii() and raw_page.isdigit() else 1

    def context():
        treatments = catalogue.list_treatments()
        listing = catalogue.page_kits(
            clock.today(),
            page=page,
            per_page=current_app.config["KITS_PER_PAGE"],
            treatment_slug=slug,
        )
        shown = {
            "listing": listing,
            "treatments": treatments,
            "selected_treatment": next((t for t in treatments if t.slug == slug), None),
            "query_args": {"treatment": slug} if slug else {},
        }
        # A page past the end shows the last one: not worth an entry of its own.
        return shown if listing.page == page else shared_pages.Personal(shown)

    return shared_pages.render("storefront/kits.html", "kits", (slug or "", page), context)


@blueprint.get("/kits/<slug>")
def kit(slug: str):
    """Show one kit: its items and what each is for, its price, saving and availability.

    A visitor who came from a plan whose skin type the kit is not made for is told which kit
    fits them, in a hole of the shared page filled for them alone.
    """

    def context() -> dict | None:
        card = catalogue.get_kit(slug, clock.today())
        return None if card is None else {"card": card, "windows": plans.kit_windows(card.kit)}

    token = visitor_plan_token()
    mismatch = kit_fit.kit_mismatch(slug, token, clock.today()) if token else None

    def fit_note() -> str:
        if mismatch is None:
            return ""
        return render_template("storefront/_kit_fit.html", mismatch=mismatch, plan_token=token)

    page = shared_pages.render(
        "storefront/kit.html", "kit", (slug,), context, holes={"kit_fit": fit_note}
    )
    if page is None:
        abort(404, description="We do not have a kit at that address.")
    response = make_response(page)
    # The note speaks of the visitor's plan (and may link to it): no cache may keep it.
    return keep_private(response) if mismatch is not None else response
