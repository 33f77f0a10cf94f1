"""The shop's `flask` commands: demo data, stock checks and the scheduled jobs."""

from __future__ import annotations

import click
from flask import Flask, current_app

from shop import clock
from shop.account import commands as account_commands
from shop.aftercare import ProtocolError, load_protocols
from shop.checkout import commands as checkout_commands
from shop.consultation import commands as booking_commands
from shop.reminders import commands as reminder_commands
from shop.seed.catalogue_data import DemoCatalogueError, load_demo_catalogue
from shop.services import inventory, seeding
from shop.services.protocols import ProtocolChanged


def register(app: Flask) -> None:
    """Attach the command groups to `app`."""
    checkout_commands.register(app)
    account_commands.register(app)
    reminder_commands.register(app)
    booking_commands.register(app)

    @app.cli.command("seed")
    @click.option(
        "--if-empty", is_flag=True, help="Only add the demo catalogue to a shop with no products."
    )
    def seed_command(if_empty: bool) -> None:
        """Load the treatments, demo catalogue, kits, stock and (in development) demo users.

        The treatments' protocols are brought up to the shipped versions every time.
        """
        try:
            protocols = list(load_protocols().values())
            if if_empty and not seeding.catalogue_is_empty():
                report = seeding.refresh_protocols(protocols)
                click.echo(
                    "The shop already has a catalogue; nothing else seeded "
                    f"({report.protocols_updated} protocols updated)."
                )
                return
            production = current_app.config["SHOP_ENV"] == "production"
            catalogue = load_demo_catalogue()
            report = seeding.seed_demo(
                protocols=protocols,
                products=catalogue.products,
                kits=catalogue.kits,
                lots=catalogue.lots,
                today=clock.today(),
                with_users=not production,
                password=current_app.config["DEMO_PASSWORD"] or None,
            )
        except (ProtocolError, DemoCatalogueError, ProtocolChanged) as error:
            raise click.ClickException(str(error)) from error
        click.echo(
            f"Seeded {report.treatments} treatments ({report.protocols_updated} protocols "
            f"updated), {report.products} products, {report.kits} kits and {report.lots} "
            "stock lots."
        )
        if report.users:
            click.echo("Demo accounts (shown once; set DEMO_PASSWORD to choose the password):")
            for email, role, password in report.users:
                click.echo(f"  {role:<10} {email:<28} {password}")
        elif production:
            click.echo("Production mode: no demo accounts created.")

    stock = click.Group("stock", help="Stock checks.")
    app.cli.add_command(stock)

    @stock.command("verify")
    def verify_command() -> None:
        """Check lots against their ledger and find units held for finished orders; exit 1."""
        differences = inventory.ledger_differences()
        for lot, ledger_total in differences:
            click.echo(
                f"Lot {lot.lot_number} (product {lot.product_id}): on hand "
                f"{lot.quantity_on_hand}, ledger says {ledger_total}",
                err=True,
            )
        stranded = inventory.stranded_reservations()
        for held in stranded:
            click.echo(
                f"Lot {held.lot_number} (product {held.product_id}) still holds {held.quantity} "
                f"for order {held.order_reference}, which is {held.order_status}",
                err=True,
            )
        if differences or stranded:
            raise SystemExit(1)
        click.echo("Every lot matches its ledger and holds stock only for live orders.")
