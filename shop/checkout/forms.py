"""The checkout form: contact details, delivery or click-and-collect, payment method."""

from __future__ import annotations

import re

from wtforms import EmailField, RadioField, StringField, TelField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp, ValidationError

from shop.forms import CheckboxField, ShopForm, select_choices

# Outward code (area, district) then inward code (sector, unit); checked without spaces.
UK_POSTCODE = re.compile(r"^(GIR0AA|[A-Z]{1,2}[0-9][A-Z0-9]?[0-9][ABD-HJLNP-UW-Z]{2})$")
PHONE = re.compile(r"^\+?[0-9 ()-]{7,20}$")

FULFILMENT_CHOICES = [
    ("collect", "Click and collect at the clinic (free)"),
    ("delivery", "UK delivery"),
]
PAYMENT_LABELS = {
    "card": "Pay now by card (secure payment page)",
    "clinic": "Reserve now and pay at the clinic when you collect",
}


def normalise_postcode(value: str | None) -> str:
    """Return a UK postcode in its usual form ('sw1a1aa' -> 'SW1A 1AA'), or '' if not one."""
    compact = re.sub(r"\s+", "", value or "").upper()
    if not UK_POSTCODE.match(compact):
        return ""
    return f"{compact[:-3]} {compact[-3:]}"


def _strip(value):
    """Trim surrounding spaces from text input."""
    return value.strip() if isinstance(value, str) else value


class CheckoutForm(ShopForm):
    """Who is buying, how they get it, and how they pay."""

    name = StringField(
        "Full name",
        filters=[_strip],
        validators=[
            DataRequired("Enter your name."),
            Length(max=120, message="Use at most 120 characters."),
        ],
    )
    email = EmailField(
        "Email address",
        filters=[_strip],
        validators=[
            DataRequired("Enter your email address."),
            Length(max=254, message="That email address is too long."),
            Email("Enter an email address like name@example.com.", check_deliverability=False),
        ],
    )
    phone = TelField(
        "Phone (optional)",
        filters=[_strip],
        validators=[
            Optional(),
            Regexp(PHONE, message="Enter a phone number using digits, spaces and + only."),
        ],
    )
    fulfilment = RadioField(
        "How would you like to get your order?",
        choices=select_choices(FULFILMENT_CHOICES),
        default="collect",
        validators=[DataRequired("Choose collection or delivery.")],
    )
    address_line1 = StringField(
        "Address line 1",
        filters=[_strip],
        validators=[Length(max=120, message="Use at most 120 characters.")],
    )
    address_line2 = StringField(
        "Address line 2 (optional)",
        filters=[_strip],
        validators=[Length(max=120, message="Use at most 120 characters.")],
    )
    town = StringField(
        "Town or city",
        filters=[_strip],
        validators=[Length(max=80, message="Use at most 80 characters.")],
    )
    postcode = StringField(
        "Postcode",
        filters=[_strip],
        validators=[Length(max=10, message="A UK postcode has at most 8 characters.")],
    )
    payment_method = RadioField(
        "How would you like to pay?",
        validators=[DataRequired("Choose how to pay.")],
    )
    # Shown only when the basket came from a private plan link (opt-in: the link holds the
    # plan's answers, encrypted, so it is kept with the order only when asked for).
    plan_link_in_email = CheckboxField(
        "Put the link to my aftercare plan in my order confirmation email. The clinic keeps "
        "the link (which holds my plan answers, encrypted) with the order."
    )

    def __init__(self, *args, payment_methods: list[str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Delivered orders are paid by card, so without card payments only collection is offered.
        if "card" not in payment_methods:
            self.fulfilment.choices = select_choices(FULFILMENT_CHOICES[:1])
        self.payment_method.choices = select_choices(
            (method, PAYMENT_LABELS[method]) for method in payment_methods
        )
        if len(payment_methods) == 1 and not self.payment_method.data:
            self.payment_method.data = payment_methods[0]

    def validate(self, extra_validators=None) -> bool:
        """Check the form; for collection the address is dropped unread, whatever was typed.

        The address fields stay in the page for browsers without JavaScript (and are only
        hidden with it), so a collection order may arrive with an address it does not need.
        """
        if self.fulfilment.data != "delivery":
            for field in (self.address_line1, self.address_line2, self.town, self.postcode):
                field.data = ""
        return super().validate(extra_validators)

    def validate_address_line1(self, field) -> None:
        """Delivery needs a first address line."""
        if self.fulfilment.data == "delivery" and not field.data:
            raise ValidationError("Enter the first line of the delivery address.")

    def validate_town(self, field) -> None:
        """Delivery needs a town."""
        if self.fulfilment.data == "delivery" and not field.data:
            raise ValidationError("Enter the town or city.")

    def validate_postcode(self, field) -> None:
        """Delivery needs a valid UK postcode, stored in its usual form."""
        if self.fulfilment.data != "delivery":
            return
        if not field.data:
            raise ValidationError("Enter the postcode.")
        normalised = normalise_postcode(field.data)
        if not normalised:
            raise ValidationError("Enter a UK postcode, like SW1A 1AA.")
        field.data = normalised

    def validate_payment_method(self, field) -> None:
        """Paying at the clinic needs collection from the clinic."""
        if field.data == "clinic" and self.fulfilment.data != "collect":
            raise ValidationError(
                "Paying at the clinic is only possible when you collect your order."
            )


class CancelOrderForm(ShopForm):
    """The buyer's confirmation that an unpaid order should be cancelled."""

    confirm = CheckboxField(
        "Yes, cancel this order", validators=[DataRequired("Please tick the box to confirm.")]
    )
