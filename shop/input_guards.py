"""Checks every request passes before any view reads it: NUL bytes, JSON depth, API body size."""

from __future__ import annotations

from typing import Any

from flask import Flask, abort, request
from flask.json.provider import DefaultJSONProvider

NUL = "\x00"
NUL_MESSAGE = (
    "The request contains a NUL character (\\0), which no field or address may hold. "
    "Nothing was saved; please remove it and try again."
)


class DepthSafeJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, but JSON nested too deeply to parse is invalid JSON, not a crash.

    Python's parser recurses once per level and raises RecursionError on a body such as
    `[[[[...]]]]`; as a ValueError it takes the path every other unparsable body takes (the
    plan API answers 400 in its own error shape).
    """

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        """Parse JSON, turning a nesting too deep for the parser into a ValueError."""
        try:
            return super().loads(s, **kwargs)
        except RecursionError as error:
            raise ValueError("The JSON is nested too deeply.") from error


def _has_nul(values) -> bool:
    """Tell whether any key or value of a MultiDict holds a NUL character."""
    return any(NUL in key or NUL in value for key, value in values.items(multi=True))


def init_app(app: Flask) -> None:
    """Install the JSON provider and the checks that run before every view."""
    app.json = DepthSafeJSONProvider(app)

    @app.before_request
    def cap_api_body() -> None:
        # The API takes a handful of short fields; a big body is only ever an attack.
        if request.path.startswith("/api/"):
            request.max_content_length = app.config["API_MAX_CONTENT_LENGTH"]

    @app.before_request
    def refuse_nul_bytes() -> None:
        # PostgreSQL cannot store NUL in text and raises on any query holding one, so one
        # check here covers every form field, query parameter and path a view might use.
        # The webhook reads its raw body itself (the signature covers the exact bytes).
        if NUL in request.path or _has_nul(request.args):
            abort(400, description=NUL_MESSAGE)
        reads_form = request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        )
        if reads_form and request.blueprint != "webhooks" and _has_nul(request.form):
            abort(400, description=NUL_MESSAGE)
