"""The outbox sender: delivers pending emails over SMTP, retrying failures with backoff.

An email is claimed by a conditional UPDATE that pushes its next attempt into the future
before it is sent, so two senders running at once never send the same email twice in a
row, and a sender that dies mid-way leaves the email to be retried once the claim lapses
(at least once, never lost).
"""

from __future__ import annotations

import logging
import smtplib
import socket
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate
from typing import Any

from sqlalchemy import func, select, update

from models import OutboxEmail, db
from shop import clock
from shop.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

# How long a claimed email is left alone before another sender may try it.
CLAIM_SECONDS = 300
BACKOFF_BASE_SECONDS = 60
BACKOFF_MAX_SECONDS = 6 * 3600


@dataclass
class SendReport:
    """What one run of the sender did."""

    sent: int = 0
    retrying: int = 0
    gave_up: int = 0

    @property
    def attempted(self) -> int:
        """Return how many emails this run tried."""
        return self.sent + self.retrying + self.gave_up


def backoff(attempts: int) -> timedelta:
    """Return the wait after the `attempts`-th failure: 1, 2, 4, 8 ... minutes, up to 6 hours."""
    seconds = BACKOFF_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, BACKOFF_MAX_SECONDS))


def claim_email(email_id: int, now: datetime) -> bool:
    """Take one due email for this sender by moving its next attempt forward; commits."""
    with unit_of_work():
        table = OutboxEmail.__table__
        result = db.session.execute(
            update(table)
            .where(
                table.c.id == email_id,
                table.c.status == "pending",
                table.c.next_attempt_at <= now,
            )
            .values(next_attempt_at=now + timedelta(seconds=CLAIM_SECONDS))
        )
    return result.rowcount == 1


def build_message(email: OutboxEmail, sender: str) -> EmailMessage:
    """Build the MIME message: plain text, the HTML version as an alternative, extra headers."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = email.to_address
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False)
    # Stable per outbox row, so a resend after a crash can be recognised as the same email.
    domain = sender.rpartition("@")[2] or "localhost"
    message["Message-ID"] = f"<outbox-{email.id}@{domain}>"
    for name, value in (email.headers or {}).items():
        # The fixed headers above win; a stored one cannot replace From, To or Subject.
        if name not in message:
            message[name] = value
    message.set_content(email.body_text)
    if email.body_html:
        message.add_alternative(email.body_html, subtype="html")
    return message


def _connect(config: Mapping[str, Any]) -> smtplib.SMTP:
    """Open an SMTP connection with the MAIL_* settings."""
    timeout = config["MAIL_TIMEOUT"]
    if config["MAIL_USE_SSL"]:
        connection: smtplib.SMTP = smtplib.SMTP_SSL(
            config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout
        )
    else:
        connection = smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=timeout)
        if config["MAIL_USE_TLS"]:
            connection.starttls()
    if config["MAIL_USERNAME"]:
        connection.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"])
    return connection


def _record_failure(email: OutboxEmail, error: str, now: datetime, max_attempts: int) -> bool:
    """Count a failed attempt and schedule the next; returns True when it gave up."""
    with unit_of_work():
        table = OutboxEmail.__table__
        attempts = email.attempts + 1
        gave_up = attempts >= max_attempts
        db.session.execute(
            update(table)
            .where(table.c.id == email.id, table.c.status == "pending")
            .values(
                attempts=attempts,
                last_error=error[:1000],
                status="failed" if gave_up else "pending",
                next_attempt_at=now + backoff(attempts),
            )
        )
    return gave_up


def _record_sent(email: OutboxEmail, now: datetime) -> None:
    """Mark an email sent."""
    with unit_of_work():
        table = OutboxEmail.__table__
        db.session.execute(
            update(table)
            .where(table.c.id == email.id)
            .values(status="sent", sent_at=now, attempts=email.attempts + 1, last_error="")
        )


def send_due_emails(
    config: Mapping[str, Any], *, now: datetime | None = None, limit: int = 100
) -> SendReport:
    """Send every pending email whose time has come, oldest first; returns what happened.

    A failure (server down, address refused) leaves the email pending with its next attempt
    pushed back exponentially; after OUTBOX_MAX_ATTEMPTS tries it is marked failed.
    """
    now = now or clock.utc_now()
    report = SendReport()
    due_ids = list(
        db.session.execute(
            select(OutboxEmail.id)
            .where(OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= now)
            .order_by(OutboxEmail.next_attempt_at, OutboxEmail.id)
            .limit(limit)
        ).scalars()
    )
    db.session.rollback()
    if not due_ids:
        return report
    max_attempts = config["OUTBOX_MAX_ATTEMPTS"]
    connection: smtplib.SMTP | None = None
    connect_error = ""
    try:
        for email_id in due_ids:
            if not claim_email(email_id, now):
                continue  # another sender has it
            email = db.session.get(OutboxEmail, email_id)
            db.session.refresh(email)
            if connection is None and not connect_error:
                try:
                    connection = _connect(config)
                except (OSError, smtplib.SMTPException) as error:
                    connect_error = f"Could not reach the mail server: {error}"
                    log.warning("Outbox: %s", connect_error)
            if connection is None:
                gave_up = _record_failure(email, connect_error, now, max_attempts)
            else:
                try:
                    connection.send_message(build_message(email, config["MAIL_DEFAULT_SENDER"]))
                except (OSError, smtplib.SMTPException) as error:
                    gave_up = _record_failure(email, str(error), now, max_attempts)
                    if isinstance(error, (smtplib.SMTPServerDisconnected, socket.timeout)):
                        _close(connection)
                        connection = None
                        connect_error = f"Lost the mail server: {error}"
                else:
                    _record_sent(email, now)
                    report.sent += 1
                    continue
            if gave_up:
                report.gave_up += 1
                log.error("Outbox: gave up on email %s after %s attempts", email.id, max_attempts)
            else:
                report.retrying += 1
    finally:
        if connection is not None:
            _close(connection)
    return report


def _close(connection: smtplib.SMTP) -> None:
    """Say goodbye to the server, ignoring a connection that is already gone."""
    try:
        connection.quit()
    except (OSError, smtplib.SMTPException):
        connection.close()


def outbox_counts() -> dict[str, int]:
    """Return how many emails are pending, sent and failed."""
    rows = db.session.execute(
        select(OutboxEmail.status, func.count()).group_by(OutboxEmail.status)
    ).all()
    counts = {"pending": 0, "sent": 0, "failed": 0}
    counts.update(dict(rows))
    return counts
