"""The shop's `flask` commands: demo data and stock checks."""

from __future__ import annotations

from datetime import date

import click
from flask import Flask, current_app

from shop import clock
from shop.account import commands as account_commands
from shop.checkout import commands as checkout_commands
from shop.services import inventory, seeding


def _treatment_seed_data() -> list[dict]:
    """Read the versioned protocol data and shape it for the treatments table."""
    from shop.aftercare.protocols import load_protocols, protocol_to_dict

    rows = []
    for protocol in load_protocols().values():
        rows.append(
            {
                "slug": protocol.slug,
                "name": protocol.name,
                "summary": protocol.summary,
                "version": protocol.version,
                "reviewed_by_clinician": protocol.reviewed_by_clinician,
                "reviewed_on": date.fromisoformat(protocol.reviewed_on)
                if protocol.reviewed_on
                else None,
                "protocol": protocol_to_dict(protocol),
            }
        )
    return rows


def register(app: Flask) -> None:
    """Attach the command groups to `app`."""
    checkout_commands.register(app)
    account_commands.register(app)

    @app.cli.command("seed")
    @click.option("--if-empty", is_flag=True, help="Only seed a shop that has no products yet.")
    def seed_command(if_empty: bool) -> None:
        """Load the treatments, demo catalogue, kits, stock and (in development) demo users."""
        from shop.seed.demo_catalogue import KITS, LOTS, PRODUCTS

        if if_empty and not seeding.catalogue_is_empty():
            click.echo("The shop already has a catalogue; nothing seeded.")
            return
        production = current_app.config["SHOP_ENV"] == "production"
        report = seeding.seed_demo(
            treatments=_treatment_seed_data(),
            products=PRODUCTS,
            kits=KITS,
            lots=LOTS,
            today=clock.today(),
            with_users=not production,
            password=current_app.config["DEMO_PASSWORD"] or None,
        )
        click.echo(
            f"Seeded {report.treatments} treatments, {report.products} products, "
            f"{report.kits} kits and {report.lots} stock lots."
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
