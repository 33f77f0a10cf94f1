"""Product photos: checked by content and size, resized and stored as WebP."""

from __future__ import annotations

import io
import secrets
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from shop.services.audit import record
from shop.services.catalogue_admin.common import (
    IMAGE_FILENAME,
    IMAGE_FORMATS,
    IMAGE_MAX_PIXELS,
    IMAGE_MAX_SIDE,
    CatalogueError,
    ImageError,
)
from shop.services.catalogue_admin.products import get_product
from shop.services.unit_of_work import unit_of_work


def _products_folder(upload_folder: str) -> Path:
    folder = Path(upload_folder) / "products"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def image_path(upload_folder: str, filename: str) -> Path | None:
    """Return where a product image lives, or None for a name the shop never writes."""
    if not IMAGE_FILENAME.match(filename):
        return None
    path = Path(upload_folder) / "products" / filename
    return path if path.is_file() else None


def _resized_webp(data: bytes, max_side: int = IMAGE_MAX_SIDE) -> bytes:
    """Check an upload is really a JPEG, PNG or WebP image and return it resized as WebP."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format not in IMAGE_FORMATS:
                raise ImageError("Upload a JPEG, PNG or WebP image.", "image")
            if image.width * image.height > IMAGE_MAX_PIXELS:
                raise ImageError("That image has too many pixels; use a smaller one.", "image")
            image.load()
            picture = ImageOps.exif_transpose(image)
            picture = picture.convert("RGBA" if "A" in picture.getbands() else "RGB")
            picture.thumbnail((max_side, max_side))
            output = io.BytesIO()
            picture.save(output, format="WEBP", quality=85, method=4)
            return output.getvalue()
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as error:
        raise ImageError(
            "That file is not a JPEG, PNG or WebP image we can read.", "image"
        ) from error


def checked_webp(data: bytes, max_bytes: int, max_side: int = IMAGE_MAX_SIDE) -> bytes:
    """Check an uploaded photo's size and content; return it as a fresh WebP without metadata.

    Raises ImageError (field "image") for an empty, oversized or unreadable file, or one that
    is not a JPEG, PNG or WebP image whatever its name says.
    """
    if not data:
        raise ImageError("Choose an image file to upload.", "image")
    if len(data) > max_bytes:
        raise ImageError(
            f"The image is larger than {max_bytes // (1024 * 1024)} MB; use a smaller one.",
            "image",
        )
    return _resized_webp(data, max_side)


def store_product_image(
    product_id: int,
    data: bytes,
    *,
    upload_folder: str,
    max_bytes: int,
    user_id: int | None,
) -> str:
    """Check, resize and save a product's photo, then point the product at it; commits."""
    product = get_product(product_id)
    if product is None:
        raise CatalogueError("That product does not exist.")
    webp = checked_webp(data, max_bytes)
    folder = _products_folder(upload_folder)
    filename = f"{product.slug[:120]}-{secrets.token_hex(6)}.webp"
    path = folder / filename
    path.write_bytes(webp)
    old = product.image_filename
    try:
        with unit_of_work():
            product.image_filename = filename
            record(
                user_id,
                "product.image",
                "product",
                product.id,
                {"image_filename": old},
                {"image_filename": filename},
            )
    except Exception:
        # The new file must not outlive a change that was not stored.
        path.unlink(missing_ok=True)
        raise
    if old:
        old_path = image_path(upload_folder, old)
        if old_path is not None:
            old_path.unlink(missing_ok=True)
    return filename
