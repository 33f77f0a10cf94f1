"""Checks every request passes before any view reads it: JSON depth and API body size."""

from __future__ import annotations

from typing import Any

from flask import Flask, request
from flask.json.provider import DefaultJSONProvider


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


def init_app(app: Flask) -> None:
    """Install the JSON provider and the checks that run before every view."""
    app.json = DepthSafeJSONProvider(app)

    @app.before_request
    def cap_api_body() -> None:
        # The API takes a handful of short fields; a big body is only ever an attack.
        if request.path.startswith("/api/"):
            request.max_content_length = app.config["API_MAX_CONTENT_LENGTH"]
