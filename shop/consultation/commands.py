"""`flask bookings remind`: queue the day-before reminders of booked consultations (cron)."""

from __future__ import annotations

import click
from flask import Flask

from shop.labels import counted
from shop.services.bookings import booking as bookings


def register(app: Flask) -> None:
    """Attach the bookings command group to `app`."""
    group = click.Group("bookings", help="Booked consultations.")
    app.cli.add_command(group)

    @group.command("remind")
    def remind_command() -> None:
        """Queue into the outbox a reminder for every consultation booked for tomorrow.

        Run it as often as you like (e.g. hourly): each booking's reminder is queued once,
        even by overlapping runs. `flask outbox send` delivers them.
        """
        queued, already = bookings.queue_day_before_reminders()
        click.echo(f"Queued {counted(queued, 'consultation reminder')} ({already} already queued).")
