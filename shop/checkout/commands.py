"""`flask orders expire-stale` and `flask outbox send`: the jobs to run on a schedule."""

from __future__ import annotations

import click
from flask import Flask, current_app

from shop.labels import counted
from shop.services import orders, outbox


def _group(app: Flask, name: str, help_text: str) -> click.Group:
    """Return the app's command group `name`, creating it if no other module has yet."""
    group = app.cli.commands.get(name)
    if not isinstance(group, click.Group):
        group = click.Group(name, help=help_text)
        app.cli.add_command(group)
    return group


def register(app: Flask) -> None:
    """Attach the order and outbox commands to `app`."""
    orders_group = _group(app, "orders", "Order housekeeping.")
    outbox_group = _group(app, "outbox", "Emails waiting to be sent.")

    @orders_group.command("expire-stale")
    @click.option("--limit", default=500, show_default=True, help="Most orders to expire per run.")
    def expire_stale_command(limit: int) -> None:
        """Release the stock of unpaid orders whose reservation has lapsed (safe to overlap)."""
        expired = orders.expire_stale_orders(limit=limit)
        click.echo(f"Expired {counted(expired, 'unpaid order')}.")

    @outbox_group.command("send")
    @click.option("--limit", default=100, show_default=True, help="Most emails to send per run.")
    def send_command(limit: int) -> None:
        """Send pending emails over SMTP; failures are retried later with backoff.

        Exits 1 when MAIL_SERVER is unset, when an email was given up on, or when emails were
        due and not one could be sent (the mail server is down), so cron alerting notices.
        """
        config = current_app.config
        if not config["MAIL_SERVER"]:
            counts = outbox.outbox_counts()
            click.echo(
                "MAIL_SERVER is not set, so nothing was sent; "
                f"{counted(counts['pending'], 'email')} waiting in the outbox.",
                err=True,
            )
            raise SystemExit(1)
        report = outbox.send_due_emails(config, limit=limit)
        click.echo(
            f"Sent {report.sent}, will retry {report.retrying}, gave up on {report.gave_up}."
        )
        if report.attempted and not report.sent:
            click.echo(
                (
                    "The due email could not be sent"
                    if report.attempted == 1
                    else f"None of the {counted(report.attempted, 'due email')} could be sent"
                )
                + "; is the mail server down?",
                err=True,
            )
            raise SystemExit(1)
        if report.gave_up:
            raise SystemExit(1)

    @outbox_group.command("status")
    def status_command() -> None:
        """Show how many emails are pending, sent and failed."""
        counts = outbox.outbox_counts()
        click.echo(
            f"Pending {counts['pending']}, sent {counts['sent']}, failed {counts['failed']}."
        )
