"""Staff order views: list, order page, fulfilment actions, refunds and the pick list."""

from __future__ import annotations

from flask import Blueprint


def register(blueprint: Blueprint) -> None:
    """Attach the order views to the staff blueprint."""
