"""`flask users ...`: create accounts (the first admin too) and change roles from the shell."""

from __future__ import annotations

import click
from flask import Flask

from models.vocabulary import ROLES
from shop.services import accounts
from shop.services.accounts import AccountError


def register(app: Flask) -> None:
    """Attach the `users` command group to `app`."""
    users = click.Group("users", help="Create accounts and change roles.")
    app.cli.add_command(users)

    @users.command("create")
    @click.option("--email", required=True, help="The account's email address.")
    @click.option("--role", type=click.Choice(ROLES), default="customer", show_default=True)
    @click.option("--name", default="", help="The person's name.")
    @click.option(
        "--password",
        prompt=True,
        hide_input=True,
        confirmation_prompt=True,
        help="Asked for when left out (recommended: it keeps the password out of shell history).",
    )
    def create_command(email: str, role: str, name: str, password: str) -> None:
        """Create an account with the given role."""
        try:
            user = accounts.create_user(email=email, role=role, password=password, name=name)
        except AccountError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Created {user.role} account {user.email}.")

    @users.command("set-role")
    @click.option("--email", required=True, help="The account's email address.")
    @click.option("--role", type=click.Choice(ROLES), required=True)
    def set_role_command(email: str, role: str) -> None:
        """Give an existing account another role (the user must sign in again)."""
        try:
            user = accounts.set_role_by_email(email, role)
        except AccountError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"{user.email} is now {user.role}.")
