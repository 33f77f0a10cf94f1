"""Reading a signed webhook event: its shape and each field, checked for its type."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


class MalformedEvent(Exception):
    """A correctly signed webhook whose body is not an event the shop can read."""


def checked_event(event: Any) -> dict[str, Any]:
    """Return the event if it has the shape every handler relies on, else raise MalformedEvent."""
    if not isinstance(event, dict):
        raise MalformedEvent("The event is not a JSON object.")
    if not text_field(event, "id") or not text_field(event, "type", max_length=120):
        raise MalformedEvent("The event has no id or type.")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise MalformedEvent("The event has no data object.")
    return event


def text_field(obj: Mapping[str, Any], key: str, *, max_length: int = 255) -> str | None:
    """Read an optional string field of an event, refusing any other type (MalformedEvent)."""
    value = obj.get(key)
    if value is None:
        return None
    # Lengths match the columns the values are stored in; PostgreSQL refuses NUL in text.
    if not isinstance(value, str) or len(value) > max_length or "\x00" in value:
        raise MalformedEvent(f"The event's {key} is not a valid string.")
    return value


def whole_field(obj: Mapping[str, Any], key: str) -> int | None:
    """Read an optional whole-number field of an event, refusing any other type."""
    value = obj.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedEvent(f"The event's {key} is not a whole number.")
    return value


def object_field(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """Read an optional object field of an event (empty when missing), refusing other types."""
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise MalformedEvent(f"The event's {key} is not an object.")
    return value
