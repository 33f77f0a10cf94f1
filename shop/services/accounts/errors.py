"""The errors of the account use cases; each message is safe to show the person asking."""

from __future__ import annotations


class AccountError(ValueError):
    """A request about an account that cannot be done; the message is safe to show."""


class EmailTaken(AccountError):
    """An account with that email (in any letter case) already exists."""


class InvalidCredentials(AccountError):
    """Wrong email or password."""


class AccountInactive(AccountError):
    """The account was deactivated by the clinic and may not sign in."""


class InvalidResetToken(AccountError):
    """A password reset link that is wrong, expired or already used."""


class InvalidConfirmationLink(AccountError):
    """An email confirmation link that is forged, expired or for an address no longer used."""


class WeakPassword(AccountError):
    """A password that does not meet the strength rule."""
