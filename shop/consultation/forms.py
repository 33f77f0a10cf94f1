"""The free consultation request form."""

from __future__ import annotations

from wtforms import EmailField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from shop.forms import CheckboxField, ShopForm, select_choices


class ConsultationForm(ShopForm):
    """Who wants a consultation, for what, when suits them, and consent to be contacted."""

    name = StringField(
        "Your name",
        validators=[DataRequired("Please tell us your name."), Length(max=120)],
    )
    email = EmailField(
        "Email address",
        validators=[
            DataRequired("Please give an email address so we can reply."),
            Email("Please enter a valid email address, like name@example.com."),
            Length(max=254),
        ],
    )
    phone = StringField(
        "Phone number (optional)",
        validators=[
            Optional(),
            Length(max=40, message="A phone number is at most 40 characters."),
            Regexp(
                r"^\+?[0-9 ()-]{7,40}$",
                message="Please enter a phone number using digits, spaces and + ( ) - only.",
            ),
        ],
    )
    treatment = SelectField("Treatment you are interested in")
    preferred_times = TextAreaField(
        "Preferred days and times",
        validators=[
            DataRequired("Please tell us which days and times suit you."),
            Length(max=500, message="Please keep this under 500 characters."),
        ],
    )
    question = TextAreaField(
        "Your question (optional)",
        validators=[
            Optional(),
            Length(max=2000, message="Keep this under 2000 characters."),
        ],
    )
    consent = CheckboxField(
        "I agree that the clinic contacts me by email or phone about this consultation.",
        validators=[DataRequired("Please agree to us contacting you, or we cannot reply.")],
    )

    def __init__(self, *args, treatments: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.treatment.choices = select_choices([("", "Not sure yet"), *treatments])


class BookingForm(ConsultationForm):
    """The request form's questions with a chosen time in place of preferred times."""

    preferred_times = None
    phone = StringField(
        "Phone number",
        validators=[
            DataRequired("Please give a phone number, so the clinic can reach you on the day."),
            Length(max=40, message="A phone number is at most 40 characters."),
            Regexp(
                r"^\+?[0-9 ()-]{7,40}$",
                message="Please enter a phone number using digits, spaces and + ( ) - only.",
            ),
        ],
    )
    slot = StringField(
        "Time",
        validators=[
            DataRequired("Please choose one of the times listed."),
            Length(max=40, message="Please choose one of the times listed."),
        ],
    )


class MoveForm(ShopForm):
    """A booked consultation's new time."""

    slot = StringField(
        "New time",
        validators=[
            DataRequired("Please choose one of the times listed."),
            Length(max=40, message="Please choose one of the times listed."),
        ],
    )


class CancelForm(ShopForm):
    """Confirm cancelling a booked consultation (the form carries only its CSRF token)."""
