"""Forms of the account area: register, sign in, passwords, saved plans and erasure."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    InputRequired,
    Length,
    Optional,
    ValidationError,
)

from shop.forms import CheckboxField, select_choices
from shop.labels import CONCERN_LABELS, FITZPATRICK_ROMAN
from shop.services.accounts import AccountError, normalise_email, password_problems

HEALTH_CONSENT_LABEL = (
    "I agree that the clinic may keep the aftercare plans I choose to save (treatment, date "
    "and skin profile). This is health information; I can delete it at any time."
)


class EmailShape:
    """Check the email's shape with email-validator and keep the normalised, lower-case form."""

    def __call__(self, form, field) -> None:
        """Replace the typed email by its normalised form, or fail with a clear message."""
        try:
            field.data = normalise_email(field.data or "")
        except AccountError as error:
            raise ValidationError(str(error)) from error


class StrongPassword:
    """Apply the shop's password rule; `email_field` names the field holding the email."""

    def __init__(self, email_field: str | None = None) -> None:
        self.email_field = email_field

    def __call__(self, form, field) -> None:
        """Fail with every problem the password has."""
        email = ""
        if self.email_field:
            email = form[self.email_field].data or ""
        elif getattr(form, "account_email", None):
            email = form.account_email
        problems = password_problems(field.data or "", email)
        if problems:
            raise ValidationError(" ".join(problems))


class RegisterForm(FlaskForm):
    """Open a customer account."""

    # Where to go once the account exists (only a page of the shop): e.g. back to a plan.
    next = HiddenField()

    email = EmailField("Email", validators=[DataRequired("Please enter your email."), EmailShape()])
    name = StringField(
        "Your name",
        validators=[DataRequired("Please tell us your name."), Length(max=120)],
    )
    password = PasswordField(
        "Password",
        validators=[DataRequired("Please choose a password."), StrongPassword("email")],
        description="At least 10 characters, mixing letters with numbers or symbols.",
    )
    confirm = PasswordField(
        "Repeat the password",
        validators=[
            DataRequired("Please repeat the password."),
            EqualTo("password", "The two passwords are not the same."),
        ],
    )
    health_data_consent = CheckboxField(
        HEALTH_CONSENT_LABEL,
        validators=[DataRequired("We need your agreement to keep aftercare plans for you.")],
    )
    marketing_consent = CheckboxField(
        "Send me occasional emails about offers and new products (optional)."
    )


class LoginForm(FlaskForm):
    """Sign in with email and password."""

    email = EmailField("Email", validators=[DataRequired("Please enter your email.")])
    password = PasswordField("Password", validators=[DataRequired("Please enter your password.")])
    remember = CheckboxField("Keep me signed in on this device")
    next = HiddenField()


class PasswordResetRequestForm(FlaskForm):
    """Ask for a password reset link."""

    email = EmailField("Email", validators=[DataRequired("Please enter your email."), EmailShape()])


class PasswordResetForm(FlaskForm):
    """Choose a new password from a reset link."""

    account_email = ""  # set by the view, so the password rule can refuse the email itself

    password = PasswordField(
        "New password",
        validators=[DataRequired("Please choose a password."), StrongPassword()],
        description="At least 10 characters, mixing letters with numbers or symbols.",
    )
    confirm = PasswordField(
        "Repeat the new password",
        validators=[
            DataRequired("Please repeat the password."),
            EqualTo("password", "The two passwords are not the same."),
        ],
    )


class ChangePasswordForm(PasswordResetForm):
    """Change the password while signed in."""

    current_password = PasswordField(
        "Current password", validators=[DataRequired("Please enter your current password.")]
    )


class SavePlanForm(FlaskForm):
    """Keep a kit-finder plan; the kit-finder page posts these fields to /account/plans."""

    treatment = StringField(
        "Treatment", validators=[DataRequired("Please say which treatment."), Length(max=60)]
    )
    treated_on = DateField(
        "Treatment date", validators=[InputRequired("Please give the treatment date.")]
    )
    fitzpatrick = SelectField(
        "Skin type (Fitzpatrick)",
        choices=select_choices(
            [(str(n), f"Type {roman}") for n, roman in FITZPATRICK_ROMAN.items()]
        ),
        validators=[InputRequired("Please choose a skin type.")],
    )
    concerns = SelectMultipleField(
        "Skin concerns", choices=select_choices(CONCERN_LABELS.items()), validate_choice=True
    )
    pregnant_or_breastfeeding = CheckboxField("I am pregnant or breastfeeding")
    # Set when the plan comes from a clinician's link, so the saved plan points back to it.
    recommendation_token = HiddenField(validators=[Optional(), Length(max=100)])
    consent = CheckboxField(
        "I agree that the clinic keeps this plan (treatment, date and skin profile) in my "
        "account. I can delete it at any time.",
        validators=[DataRequired("Please tick the box to agree to us keeping this plan.")],
    )


class ConfirmForm(FlaskForm):
    """A button that changes something (CSRF only)."""


class EraseAccountForm(FlaskForm):
    """Delete the account and its personal and health data."""

    password = PasswordField(
        "Your password", validators=[DataRequired("Please enter your password to confirm.")]
    )
    understood = CheckboxField(
        "I understand my account, saved plans and personal details will be erased for good.",
        validators=[DataRequired("Please tick the box to confirm.")],
    )
