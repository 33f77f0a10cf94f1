"""The reminders form on a plan page: an email address and the consent tick."""

from __future__ import annotations

from wtforms import EmailField
from wtforms.validators import InputRequired, Length

from shop.forms import CheckboxField, ShopForm


class ReminderForm(ShopForm):
    """Where to send the reminders, and the patient's agreement that we keep what they need."""

    email = EmailField(
        "Email address",
        validators=[
            InputRequired("Enter the email address for your reminders."),
            Length(max=254, message="That email address is too long."),
        ],
    )
    # Checked by the service, so the refusal and its message live in one place.
    consent = CheckboxField("consent")


class ConfirmForm(ShopForm):
    """The button that turns reminders on (a POST, so a mail scanner opening the link cannot)."""
