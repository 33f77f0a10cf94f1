"""Forms of the account area: register, sign in, passwords, saved plans and erasure."""

from __future__ import annotations

from wtforms import (
    EmailField,
    HiddenField,
    PasswordField,
    StringField,
)
from wtforms.validators import (
    DataRequired,
    EqualTo,
    Length,
    Optional,
    ValidationError,
)

from shop.forms import CheckboxField, ShopForm
from shop.services.accounts import AccountError, normalise_email, password_problems

HEALTH_CONSENT_LABEL = (
    "I agree that the clinic may keep the aftercare plans I choose to save (treatment and date, "
    "skin type and concerns, my answers to the health questions, and the products chosen for "
    "me). This is health information; I can delete it at any time."
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


class RegisterForm(ShopForm):
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


class LoginForm(ShopForm):
    """Sign in with email and password."""

    email = EmailField("Email", validators=[DataRequired("Please enter your email.")])
    password = PasswordField("Password", validators=[DataRequired("Please enter your password.")])
    remember = CheckboxField("Keep me signed in on this device")
    next = HiddenField()


class PasswordResetRequestForm(ShopForm):
    """Ask for a password reset link."""

    email = EmailField("Email", validators=[DataRequired("Please enter your email."), EmailShape()])


class PasswordResetForm(ShopForm):
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


# What saving keeps, word for word: the plan pages show it next to the box to tick.
SAVE_PLAN_CONSENT = (
    "I agree that the clinic keeps this plan in my account: the treatment and its date, my "
    "skin type and skin concerns, my answers to the health questions, and the products chosen "
    "for me with how many and on which days to use them. I can delete it at any time."
)


class SavePlanForm(ShopForm):
    """Keep a plan shown at a private plan link or a clinician's link, named by its token.

    The answers are read from the token, so the page never writes them into the form.
    """

    # A plan link token (/plans/<token>) is about 200-400 characters; a clinician's about 43.
    plan_token = HiddenField(validators=[Optional(), Length(max=2000)])
    recommendation_token = HiddenField(validators=[Optional(), Length(max=100)])
    consent = CheckboxField(
        SAVE_PLAN_CONSENT,
        validators=[DataRequired("Please tick the box to agree to us keeping this plan.")],
    )

    def validate(self, extra_validators=None) -> bool:
        """Also ask for exactly one of the two tokens: the plan to keep."""
        valid = super().validate(extra_validators)
        if bool(self.plan_token.data) == bool(self.recommendation_token.data):
            self.form_errors.append(
                "Please save the plan with the button on its page; we could not tell which plan "
                "you meant."
            )
            return False
        return valid


class ConfirmForm(ShopForm):
    """A button that changes something (CSRF only)."""


class EraseAccountForm(ShopForm):
    """Delete the account and its personal and health data."""

    password = PasswordField(
        "Your password", validators=[DataRequired("Please enter your password to confirm.")]
    )
    understood = CheckboxField(
        "I understand my account, saved plans and personal details will be erased for good.",
        validators=[DataRequired("Please tick the box to confirm.")],
    )
