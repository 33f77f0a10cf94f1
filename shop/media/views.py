"""Serve uploaded product photos: public, only names the shop wrote, never a path."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, send_file

from shop.services.catalogue_admin import image_path

blueprint = Blueprint("media", __name__, url_prefix="/media")


@blueprint.get("/products/<filename>")
def product_image(filename: str):
    """Send a product photo, cached for a long time (names change when the photo does)."""
    path = image_path(current_app.config["UPLOAD_FOLDER"], filename)
    if path is None:
        abort(404, description="There is no such image.")
    response = send_file(path, mimetype="image/webp", max_age=60 * 60 * 24 * 365)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
