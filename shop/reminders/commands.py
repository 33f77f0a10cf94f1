"""`flask reminders send`: queue the reminder emails due today (cron, every 15 minutes)."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask, current_app

from shop import clock
from shop.labels import counted
from shop.services import reminders
from shop.services.plan_calendar import long_date


def register(app: Flask) -> None:
    """Attach the reminders command group to `app`."""
    group = click.Group("reminders", help="Reminder emails for the days a plan changes.")
    app.cli.add_command(group)

    @group.command("send")
    @click.option(
        "--on",
        "on",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        metavar="YYYY-MM-DD",
        help="Queue everything due on this date (today or earlier), whatever the time now.",
    )
    def send_command(on: datetime | None) -> None:
        """Queue into the outbox the reminders due today, from REMINDER_SEND_FROM_HOUR.

        Safe to run while another run is going (each reminder is queued once), then ends the
        subscriptions whose last key day has passed. `flask outbox send` delivers them.
        """
        today = clock.today()
        if on is None:
            from_hour = current_app.config["REMINDER_SEND_FROM_HOUR"]
            if clock.now().hour < from_hour:
                click.echo(
                    f"Reminders go out from {from_hour:02d}:00 clinic time; nothing queued yet."
                )
                ended = reminders.end_finished_subscriptions(today)
                click.echo(f"Ended {counted(ended, 'subscription')}.")
                return
            day = today
        else:
            day = on.date()
            if day > today:
                raise click.BadParameter(
                    f"{day.isoformat()} is after today ({today.isoformat()}); reminders are "
                    "never sent early.",
                    param_hint="'--on'",
                )
        report = reminders.queue_reminders(day)
        click.echo(
            f"Queued {counted(report.queued, 'reminder')} for "
            f"{long_date(day)} ({report.already_queued} already queued)."
        )
        ended = reminders.end_finished_subscriptions(today)
        click.echo(f"Ended {counted(ended, 'subscription')}.")
