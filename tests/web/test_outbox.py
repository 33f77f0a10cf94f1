"""The outbox sender against a real local SMTP server (aiosmtpd), including outages."""

from __future__ import annotations

import email
import socket
from datetime import UTC, datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from models import OutboxEmail, db
from shop.services import outbox


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler keeping every message it accepts; can refuse one address."""

    def __init__(self, refuse: str | None = None) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.refuse = refuse

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"


@pytest.fixture
def mail_config(app_ctx):
    """Point the app at a local SMTP port (nothing listens there until a server starts)."""
    port = free_port()
    keys = ("MAIL_SERVER", "MAIL_PORT", "MAIL_TIMEOUT")
    saved = {key: app_ctx.config[key] for key in keys}
    app_ctx.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_TIMEOUT=5)
    yield app_ctx.config
    app_ctx.config.update(saved)


def start_server(port: int, inbox: Inbox) -> Controller:
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def queue(to="patient@example.com", subject="Hello", html="<p>Hello</p>") -> OutboxEmail:
    row = OutboxEmail(
        to_address=to, subject=subject, body_text="Hello there", body_html=html, kind="test"
    )
    db.session.add(row)
    db.session.commit()
    return row


def reload(row: OutboxEmail) -> OutboxEmail:
    db.session.expire_all()
    return db.session.get(OutboxEmail, row.id)


def test_pending_emails_are_sent_and_marked_sent(runner, mail_config):
    inbox = Inbox()
    server = start_server(mail_config["MAIL_PORT"], inbox)
    try:
        first = queue(subject="Your order LS-1")
        second = queue(to="other@example.com", subject="Plain", html="")
        result = runner.invoke(args=["outbox", "send"])
    finally:
        server.stop()
    assert result.exit_code == 0, result.output
    assert "Sent 2, will retry 0, gave up on 0." in result.output
    assert reload(first).status == "sent" and reload(first).sent_at is not None
    assert reload(second).status == "sent"
    by_subject = {message["Subject"]: message for message in inbox.messages}
    message = by_subject["Your order LS-1"]
    assert message["To"] == "patient@example.com"
    assert message["From"] == mail_config["MAIL_DEFAULT_SENDER"]
    assert message["Message-ID"].startswith(f"<outbox-{first.id}@")
    assert message.get_body(("plain",)).get_content().strip() == "Hello there"
    assert message.get_body(("html",)).get_content().strip() == "<p>Hello</p>"
    assert by_subject["Plain"].get_body(("html",)) is None


def test_server_down_keeps_emails_pending_and_they_go_out_later(runner, mail_config):
    row = queue()
    down = runner.invoke(args=["outbox", "send"])
    # Nothing could be sent: cron must see a failure.
    assert down.exit_code == 1
    assert "will retry 1" in down.output and "The due email could not be sent" in down.output
    row = reload(row)
    assert row.status == "pending" and row.attempts == 1
    assert "Could not reach the mail server" in row.last_error
    due = row.next_attempt_at.replace(tzinfo=UTC)
    assert timedelta(seconds=50) < due - datetime.now(UTC) <= timedelta(seconds=60)
    # Not due yet: a second run leaves it alone, and has nothing to fail at.
    idle = runner.invoke(args=["outbox", "send"])
    assert idle.exit_code == 0 and "Sent 0, will retry 0" in idle.output
    assert reload(row).attempts == 1

    inbox = Inbox()
    server = start_server(mail_config["MAIL_PORT"], inbox)
    try:
        report = outbox.send_due_emails(mail_config, now=datetime.now(UTC) + timedelta(minutes=2))
    finally:
        server.stop()
    assert report.sent == 1
    row = reload(row)
    assert row.status == "sent" and row.attempts == 2 and row.last_error == ""
    assert len(inbox.messages) == 1


def test_failures_back_off_exponentially_then_give_up(mail_config):
    mail_config["OUTBOX_MAX_ATTEMPTS"], saved = 4, mail_config["OUTBOX_MAX_ATTEMPTS"]
    try:
        row = queue()
        now = datetime.now(UTC)
        waits = []
        for _ in range(4):
            outbox.send_due_emails(mail_config, now=now)
            row = reload(row)
            next_at = row.next_attempt_at.replace(tzinfo=UTC)
            waits.append(round((next_at - now).total_seconds()))
            now = next_at
    finally:
        mail_config["OUTBOX_MAX_ATTEMPTS"] = saved
    assert waits[:3] == [60, 120, 240]
    assert row.status == "failed" and row.attempts == 4


def test_a_refused_recipient_does_not_hold_up_the_others(mail_config):
    inbox = Inbox(refuse="nobody@example.com")
    server = start_server(mail_config["MAIL_PORT"], inbox)
    try:
        bad = queue(to="nobody@example.com")
        good = queue(to="somebody@example.com")
        report = outbox.send_due_emails(mail_config)
    finally:
        server.stop()
    assert report.sent == 1 and report.retrying == 1
    assert reload(good).status == "sent"
    bad = reload(bad)
    assert bad.status == "pending" and bad.attempts == 1 and "nobody@example.com" in bad.last_error


def test_an_email_claimed_by_one_sender_is_skipped_by_another(mail_config):
    row = queue()
    now = datetime.now(UTC)
    assert outbox.claim_email(row.id, now) is True
    assert outbox.claim_email(row.id, now) is False
    report = outbox.send_due_emails(mail_config, now=now)
    assert report.attempted == 0 and reload(row).status == "pending"


def test_without_a_mail_server_nothing_is_sent_and_the_command_says_why(runner, app_ctx):
    row = queue()
    result = runner.invoke(args=["outbox", "send"])
    assert result.exit_code == 1
    assert "MAIL_SERVER is not set" in result.output and "1 email waiting" in result.output
    assert reload(row).status == "pending" and reload(row).attempts == 0


def test_outbox_status_command(runner, app_ctx):
    queue()
    result = runner.invoke(args=["outbox", "status"])
    assert result.exit_code == 0
    assert "Pending 1, sent 0, failed 0." in result.output


def test_sent_emails_are_not_sent_again(runner, mail_config):
    inbox = Inbox()
    server = start_server(mail_config["MAIL_PORT"], inbox)
    try:
        queue()
        runner.invoke(args=["outbox", "send"])
        runner.invoke(args=["outbox", "send"])
        outbox.send_due_emails(mail_config, now=datetime.now(UTC) + timedelta(days=1))
    finally:
        server.stop()
    assert len(inbox.messages) == 1
    assert db.session.execute(select(OutboxEmail.status)).scalar_one() == "sent"


def test_order_confirmation_goes_out_through_the_outbox(client, runner, mail_config):
    from tests.checkout_helpers import COLLECT_FORM, add
    from tests.factories import make_lot, make_product

    cream = make_product(name="Mail Cream")
    make_lot(cream, 5)
    add(client, cream.slug)
    client.post("/checkout", data=COLLECT_FORM)
    inbox = Inbox()
    server = start_server(mail_config["MAIL_PORT"], inbox)
    try:
        result = runner.invoke(args=["outbox", "send"])
    finally:
        server.stop()
    assert "Sent 1" in result.output
    (message,) = inbox.messages
    assert "reserved for collection" in message["Subject"]
    assert "Mail Cream" in message.get_body(("plain",)).get_content()


def test_backoff_is_capped():
    assert outbox.backoff(1) == timedelta(minutes=1)
    assert outbox.backoff(3) == timedelta(minutes=4)
    assert outbox.backoff(30) == timedelta(hours=6)
