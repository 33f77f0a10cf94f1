"""Serve product pictures: uploaded photos (only names the shop wrote) and drawn packs."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, request, send_file, url_for

from shop.services import pictures
from shop.services.catalogue_admin import image_path
from shop.services.product_drawings import DrawingFacts, drawing_digest

blueprint = Blueprint("media", __name__, url_prefix="/media")

# An address that carries the drawing's current digest never changes content: keep it a year.
YEAR = 60 * 60 * 24 * 365
# An address with an old or no digest is answered with today's drawing, kept only briefly.
BRIEFLY = 60 * 5


@blueprint.app_template_global()
def product_picture_url(product) -> str:
    """Return the address of a product's picture: its photo if it has one, else its drawing."""
    if product.image_filename:
        return url_for("media.product_image", filename=product.image_filename)
    return url_for(
        "media.product_drawing", slug=product.slug, v=drawing_digest(DrawingFacts.of(product))
    )


@blueprint.get("/products/<filename>")
def product_image(filename: str):
    """Send a product photo, cached for a long time (names change when the photo does)."""
    path = image_path(current_app.config["UPLOAD_FOLDER"], filename)
    if path is None:
        abort(404, description="There is no such image.")
    response = send_file(path, mimetype="image/webp", max_age=YEAR)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@blueprint.get("/drawings/<slug>.svg")
def product_drawing(slug: str):
    """Send the drawing of a product's pack, with caching headers and an ETag."""
    drawing = pictures.product_drawing(slug)
    if drawing is None:
        abort(404, description="There is no such picture.")
    response = Response(drawing.svg, mimetype="image/svg+xml")
    response.set_etag(drawing.digest)
    response.cache_control.public = True
    if request.args.get("v") == drawing.digest:
        response.cache_control.max_age = YEAR
        response.cache_control.immutable = True
    else:
        response.cache_control.max_age = BRIEFLY
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response.make_conditional(request)
