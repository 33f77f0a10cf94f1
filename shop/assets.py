"""Static files: URLs carrying a digest of the file, cached for a year; the inlined site CSS."""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache
from pathlib import Path

from flask import Flask, Response, current_app, request
from markupsafe import Markup
from werkzeug.security import safe_join

# The endpoints that serve files: the shop's static folder and Bootstrap-Flask's.
STATIC_ENDPOINTS = ("static", "bootstrap.static")
VERSION_ARG = "v"
# A versioned URL names one content for ever: browsers keep it a year without asking again.
VERSIONED_CACHE_CONTROL = "public, max-age=31536000, immutable"
# Built by `make css`: the Bootstrap rules the templates use, then the shop's own CSS. Inlined
# in every page's <head>, so no stylesheet request holds up the first paint.
SITE_CSS = "css/site.css"


@lru_cache(maxsize=512)
def _digest(path: str, mtime_ns: int, size: int) -> str:
    """Return the first 12 hex digits of a file's SHA-256 (cached until the file changes)."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()[:12]


def _static_folder(app: Flask, endpoint: str) -> str | None:
    """Return the folder an endpoint of STATIC_ENDPOINTS serves files from."""
    if endpoint == "static":
        return app.static_folder
    blueprint = app.blueprints.get(endpoint.partition(".")[0])
    return blueprint.static_folder if blueprint else None


def file_version(app: Flask, endpoint: str, filename: str) -> str | None:
    """Return the version of a static file (a digest of its content), or None if it is absent."""
    folder = _static_folder(app, endpoint)
    path = safe_join(folder, filename) if folder else None
    if path is None:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return _digest(path, stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _read_stylesheet(path: str, mtime_ns: int) -> tuple[Markup, str]:
    """Return a stylesheet's text and its CSP source ('sha256-...'), cached until it changes."""
    css = Path(path).read_text(encoding="utf-8")
    if "</" in css:
        # It goes inside <style>; a closing tag in it would end the element early.
        raise ValueError(f"{path} must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(css.encode("utf-8")).digest()).decode("ascii")
    return Markup(css), f"'sha256-{digest}'"


def site_stylesheet(app: Flask) -> tuple[Markup, str]:
    """Return the site CSS to inline and the CSP hash source that allows exactly that text."""
    path = os.path.join(app.static_folder or "", SITE_CSS)
    return _read_stylesheet(path, os.stat(path).st_mtime_ns)


def init_app(app: Flask) -> None:
    """Version every static URL, cache versioned files for a year, and offer the inline CSS."""

    @app.url_defaults
    def add_file_version(endpoint: str, values: dict) -> None:
        if endpoint in STATIC_ENDPOINTS and "filename" in values and VERSION_ARG not in values:
            version = file_version(current_app, endpoint, values["filename"])
            if version:
                values[VERSION_ARG] = version

    @app.after_request
    def cache_versioned_files(response: Response) -> Response:
        if request.endpoint in STATIC_ENDPOINTS and response.status_code in (200, 304):
            sent = request.args.get(VERSION_ARG)
            filename = (request.view_args or {}).get("filename", "")
            # Only the current digest earns the long cache: a stale one names content that is
            # gone, and an unversioned URL may change at any deploy.
            if sent and sent == file_version(current_app, request.endpoint, filename):
                response.headers["Cache-Control"] = VERSIONED_CACHE_CONTROL
        return response

    # A function, not a value: only the pages that inline the CSS read the file's state.
    app.jinja_env.globals["site_css"] = lambda: site_stylesheet(app)[0]
