"""Emails: rendered from templates/emails and written to the outbox in the caller's transaction."""

from __future__ import annotations

from typing import Any

from flask import render_template
from jinja2 import TemplateNotFound

from models import OutboxEmail, db


def queue_email(
    to_address: str,
    subject: str,
    template: str,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> OutboxEmail:
    """Render `emails/<template>.txt` (and `.html` when it exists) into a pending outbox row.

    `headers` are extra message headers by name (List-Unsubscribe, for instance).

    The caller's service commits it together with the change that caused it, so an email is
    never sent for a change that rolled back, and never lost when the mail server is down.
    """
    body_text = render_template(f"emails/{template}.txt", **context)
    try:
        body_html = render_template(f"emails/{template}.html", **context)
    except TemplateNotFound:
        body_html = ""
    email = OutboxEmail(
        to_address=to_address,
        subject=subject,
        body_text=body_text,
        body_html=body_html,
        kind=template,
        headers=dict(headers or {}),
    )
    db.session.add(email)
    return email
