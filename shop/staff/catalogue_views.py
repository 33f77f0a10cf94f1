"""Staff catalogue views: products with every attribute and a photo, and kits."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from shop import clock
from shop.auth import staff_required
from shop.money import plain_pounds
from shop.services import catalogue_admin
from shop.services.catalogue_admin import CatalogueError, KitItemInput
from shop.staff.blueprint import blueprint
from shop.staff.forms import ConfirmForm, ImageForm, KitForm, ProductForm


def _apply_error(form, error: CatalogueError) -> None:
    """Show a service refusal next to the field it concerns (or on the form)."""
    field = getattr(form, error.field, None) if error.field else None
    if field is None:
        form.form_errors.append(str(error))
    else:
        field.errors = [*field.errors, str(error)]


@blueprint.get("/products")
@staff_required
def products():
    """List every product, on sale or not, with sellable stock."""
    search = request.args.get("q", "")[:80]
    status = request.args.get("status", "")
    if status not in ("", "active", "inactive"):
        abort(400, description="Unknown status filter.")
    page = request.args.get("page", "1")
    listing = catalogue_admin.list_products(
        clock.today(),
        page=int(page) if page.isascii() and page.isdigit() else 1,
        per_page=current_app.config["STAFF_ROWS_PER_PAGE"],
        search=search,
        status=status,
    )
    return render_template(
        "staff/products.html",
        listing=listing,
        search=search,
        status=status,
        query_args={k: v for k, v in (("q", search), ("status", status)) if v},
    )


def _product_form_page(form, product=None, status: int = 200):
    image_form = ImageForm(formdata=None) if product is not None else None
    return render_template(
        "staff/product_form.html",
        form=form,
        product=product,
        image_form=image_form,
        toggle_form=ConfirmForm(formdata=None),
    ), status


@blueprint.route("/products/new", methods=["GET", "POST"])
@staff_required
def product_new():
    """Create a product."""
    form = ProductForm()
    if request.method == "GET":
        return _product_form_page(form)
    if form.validate_on_submit():
        try:
            product = catalogue_admin.create_product(
                form.values(), list(form.skin_types.data or []), current_user.id
            )
        except CatalogueError as error:
            _apply_error(form, error)
        else:
            flash(f"{product.name} created.", "success")
            return redirect(url_for("staff.product_edit", product_id=product.id))
    return _product_form_page(form, status=422)


@blueprint.route("/products/<int:product_id>", methods=["GET", "POST"])
@staff_required
def product_edit(product_id: int):
    """Edit a product's attributes."""
    product = catalogue_admin.get_product(product_id)
    if product is None:
        abort(404, description="There is no such product.")
    if request.method == "GET":
        form = ProductForm(obj=product)
        form.price.data = plain_pounds(product.price_pence)
        form.vat_rate_bp.data = str(product.vat_rate_bp)
        form.uv_filter.data = product.uv_filter or ""
        form.skin_types.data = product.skin_types
        return _product_form_page(form, product)
    form = ProductForm()
    if form.validate_on_submit():
        try:
            catalogue_admin.update_product(
                product.id, form.values(), list(form.skin_types.data or []), current_user.id
            )
        except CatalogueError as error:
            _apply_error(form, error)
        else:
            flash("Product saved.", "success")
            return redirect(url_for("staff.product_edit", product_id=product.id))
    return _product_form_page(form, catalogue_admin.get_product(product_id), 422)


@blueprint.post("/products/<int:product_id>/active")
@staff_required
def product_toggle(product_id: int):
    """Take a product off sale, or put it back."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; please try again.")
    product = catalogue_admin.get_product(product_id)
    if product is None:
        abort(404, description="There is no such product.")
    catalogue_admin.set_product_active(product.id, not product.is_active, current_user.id)
    flash(
        f"{product.name} is {'on sale again' if product.is_active else 'no longer on sale'}.",
        "success",
    )
    return redirect(url_for("staff.product_edit", product_id=product.id))


@blueprint.post("/products/<int:product_id>/image")
@staff_required
def product_image(product_id: int):
    """Upload a product photo: checked by content, resized and served by the shop."""
    product = catalogue_admin.get_product(product_id)
    if product is None:
        abort(404, description="There is no such product.")
    image_form = ImageForm()
    if image_form.validate_on_submit():
        data = image_form.image.data.read(current_app.config["MAX_IMAGE_BYTES"] + 1)
        try:
            catalogue_admin.store_product_image(
                product.id,
                data,
                upload_folder=current_app.config["UPLOAD_FOLDER"],
                max_bytes=current_app.config["MAX_IMAGE_BYTES"],
                user_id=current_user.id,
            )
        except CatalogueError as error:
            image_form.image.errors = [*image_form.image.errors, str(error)]
        else:
            flash("Photo saved.", "success")
            return redirect(url_for("staff.product_edit", product_id=product.id))
    form = ProductForm(obj=product)
    form.price.data = plain_pounds(product.price_pence)
    return render_template(
        "staff/product_form.html",
        form=form,
        product=product,
        image_form=image_form,
        toggle_form=ConfirmForm(formdata=None),
    ), 422


@blueprint.get("/kits")
@staff_required
def kits():
    """List the kits a page at a time with price, availability now and protocol warnings."""
    page = request.args.get("page", "1")
    listing = catalogue_admin.list_kits(
        clock.today(),
        page=int(page) if page.isascii() and page.isdigit() else 1,
        per_page=current_app.config["STAFF_KITS_PER_PAGE"],
    )
    return render_template("staff/kits.html", listing=listing)


def _kit_form(**kwargs) -> KitForm:
    form = KitForm(**kwargs)
    form.treatments.choices = [(str(i), name) for i, name in catalogue_admin.treatment_choices()]
    product_choices = [("", "No product")] + [
        (str(i), label) for i, label in catalogue_admin.product_choices()
    ]
    for entry in form.items.entries:
        entry.form.product.choices = product_choices
    return form


def _kit_page(form, overview=None, status: int = 200):
    return render_template(
        "staff/kit_form.html",
        form=form,
        overview=overview,
        toggle_form=ConfirmForm(formdata=None),
    ), status


def _kit_inputs(form: KitForm) -> tuple[list[KitItemInput], list[int]]:
    items = [KitItemInput(pid, qty, purpose) for pid, qty, purpose in form.item_inputs()]
    treatments = [int(t) for t in form.treatments.data or [] if str(t).isdigit()]
    return items, treatments


@blueprint.route("/kits/new", methods=["GET", "POST"])
@staff_required
def kit_new():
    """Create a kit."""
    form = _kit_form()
    if request.method == "GET":
        return _kit_page(form)
    if form.validate_on_submit():
        items, treatments = _kit_inputs(form)
        try:
            kit = catalogue_admin.create_kit(form.values(), items, treatments, current_user.id)
        except CatalogueError as error:
            _apply_error(form, error)
        else:
            flash(f"{kit.name} created.", "success")
            return redirect(url_for("staff.kit_edit", kit_id=kit.id))
    return _kit_page(form, status=422)


@blueprint.route("/kits/<int:kit_id>", methods=["GET", "POST"])
@staff_required
def kit_edit(kit_id: int):
    """Edit a kit; the page shows protocol warnings and availability now."""
    overview = catalogue_admin.kit_overview(kit_id, clock.today())
    if overview is None:
        abort(404, description="There is no such kit.")
    kit = overview.kit
    if request.method == "GET":
        form = _kit_form(obj=kit, formdata=None)
        form.fixed_price.data = (
            plain_pounds(kit.fixed_price_pence) if kit.fixed_price_pence is not None else ""
        )
        form.fitzpatrick_min.data = str(kit.fitzpatrick_min)
        form.fitzpatrick_max.data = str(kit.fitzpatrick_max)
        form.treatments.data = [str(t.id) for t in kit.treatments]
        for entry, item in zip(form.items.entries, kit.items, strict=False):
            entry.form.product.data = str(item.product_id)
            entry.form.quantity.data = item.quantity
            entry.form.purpose.data = item.purpose
        return _kit_page(form, overview)
    form = _kit_form()
    if form.validate_on_submit():
        items, treatments = _kit_inputs(form)
        try:
            catalogue_admin.update_kit(kit.id, form.values(), items, treatments, current_user.id)
        except CatalogueError as error:
            _apply_error(form, error)
        else:
            flash("Kit saved.", "success")
            return redirect(url_for("staff.kit_edit", kit_id=kit.id))
    return _kit_page(form, catalogue_admin.kit_overview(kit_id, clock.today()), 422)


@blueprint.post("/kits/<int:kit_id>/active")
@staff_required
def kit_toggle(kit_id: int):
    """Take a kit off sale, or put it back."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400, description="The form expired; please try again.")
    kit = catalogue_admin.get_kit(kit_id)
    if kit is None:
        abort(404, description="There is no such kit.")
    catalogue_admin.set_kit_active(kit.id, not kit.is_active, current_user.id)
    flash(f"{kit.name} is {'on sale' if kit.is_active else 'no longer on sale'}.", "success")
    return redirect(url_for("staff.kit_edit", kit_id=kit.id))
