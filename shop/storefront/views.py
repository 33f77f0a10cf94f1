"""Storefront views: thin wrappers that parse the request, call a service and render."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, make_response, render_template, request
from werkzeug.datastructures import MultiDict

from shop import clock, shared_pages
from shop.basket.session import visitor_plan_token
from shop.security import keep_private
from shop.services import catalogue, kit_fit, orders, plans, product_search
from shop.services.catalogue import RECOMMENDED_SORT, ProductFilters
from shop.services.pagination import Page
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
# The filters a "remove the filters" link drops (the search words and the sort stay).
NARROWING_FIELDS = ("category", "spf", "skin_type", "fragrance_free")


@blueprint.get("/products")
def products():
    """List active products, searched, filtered, sorted and a page at a time.

    Bad filter values are ignored with a message; a search the shop cannot use (too long,
    no word in it) is refused with a 400 and says why. A search page depends on whatever was
    typed, so it is rendered for this request alone and never enters the shared page cache.
    """
    sent = {k: v for k, v in request.args.items() if k in FILTER_FIELDS}
    typed = sent.pop("q", "")
    try:
        search = product_search.read_search(typed)
    except product_search.UnusableSearch as refusal:
        return render_template(
            "storefront/products.html", **_products_context(sent, None, str(refusal))
        ), 400
    if search is not None:
        return render_template("storefront/products.html", **_products_context(sent, search))
    return shared_pages.render(
        "storefront/products.html",
        "products",
        (tuple(sorted(sent.items())), current_app.config["PRODUCTS_PER_PAGE"]),
        lambda: _shared_products_context(sent),
    )


def _shared_products_context(sent: dict[str, str]):
    """The catalogue page's context, wrapped as Personal when it must not be shared."""
    shown = _products_context(sent, None)
    # A page that echoes values we refused is this request's alone; so is a page past
    # the end, which shows the last one and is not worth an entry of its own.
    mine = shown["problems"] or shown["listing"].page != (shown["form"].page.data or 1)
    return shared_pages.Personal(shown) if mine else shown


def _products_context(
    sent: dict[str, str], search: product_search.Search | None, refusal: str | None = None
) -> dict:
    """Build what the product list shows for these filters and this search (or its refusal)."""
    form = ProductFilterForm(MultiDict(sent))
    form.q.data = search.text if search else ""
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
        sort=form.sort.data or RECOMMENDED_SORT,
        search=search,
    )
    per_page = current_app.config["PRODUCTS_PER_PAGE"]
    today = clock.today()
    if refusal is None:
        listing = catalogue.list_products(
            filters, page=form.page.data or 1, per_page=per_page, today=today
        )
    else:
        listing = Page(items=[], page=1, per_page=per_page, total=0)
    kept = {k: v for k, v in sent.items() if k != "page"}
    if search:
        kept["q"] = search.text
    narrowed = any(form[name].data for name in NARROWING_FIELDS)
    return {
        "form": form,
        "listing": listing,
        "problems": problems,
        "refusal": refusal,
        "search": search,
        "query_args": kept,
        "narrowed": narrowed,
        "without_filters": {k: v for k, v in kept.items() if k not in NARROWING_FIELDS},
        # Nothing to show: offer the clinic's featured kits instead of a blank page.
        "suggested_kits": []
        if listing.items
        else catalogue.list_kits(
            today, featured_only=True, limit=current_app.config["FEATURED_KITS"]
        ),
    }


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
