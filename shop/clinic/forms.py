"""Forms of the clinic: follow-ups, recommendations, kit changes and the report range."""

from __future__ import annotations

from wtforms import (
    DateField,
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from shop.forms import (
    CheckboxField,
    MultiCheckboxField,
    ShopForm,
    TreatmentProfileMixin,
    fitzpatrick_choices,
    select_choices,
    with_screening_questions,
)
from shop.labels import CONCERN_LABELS
from shop.services.basket import MAX_LINE_QUANTITY
from shop.services.concerns import FOLLOW_UP_STATUSES as CONCERN_FOLLOW_UP_STATUSES
from shop.services.concerns import STATUS_LABELS as CONCERN_STATUS_LABELS
from shop.services.consultations import FOLLOW_UP_STATUSES, STATUS_LABELS

# Reports cover at most two years at a time.
MAX_REPORT_DAYS = 731


class FollowUpForm(ShopForm):
    """Mark a consultation request contacted, booked or closed, with a note."""

    status = SelectField(
        "New status",
        choices=select_choices((s, STATUS_LABELS[s]) for s in FOLLOW_UP_STATUSES),
        validators=[InputRequired("Choose contacted, booked or closed.")],
    )
    note = TextAreaField(
        "Note (optional)",
        validators=[
            Optional(),
            Length(max=1000, message="Keep notes under 1000 characters."),
        ],
    )


@with_screening_questions("Record the patient's answer: yes or no.")
class RecommendationForm(TreatmentProfileMixin, ShopForm):
    """The patient's details and profile, recorded after a consultation with their consent."""

    consultation_id = HiddenField()
    patient_name = StringField(
        "Patient's name",
        validators=[DataRequired("Enter the patient's name."), Length(max=120)],
    )
    patient_email = EmailField(
        "Patient's email address",
        validators=[
            DataRequired("Enter the email address the link goes to."),
            Email("Enter a valid email address, like name@example.com."),
            Length(max=254),
        ],
    )
    treatment = SelectField("Treatment", validators=[InputRequired("Choose the treatment.")])
    treated_on = DateField(
        "Treatment date",
        validators=[InputRequired("Enter the treatment date (or the planned date).")],
    )
    fitzpatrick = RadioField(
        "Skin type (Fitzpatrick)",
        choices=fitzpatrick_choices(),
        validators=[InputRequired("Choose the patient's skin type.")],
    )
    concerns = MultiCheckboxField(
        "Skin concerns (optional)", choices=select_choices(CONCERN_LABELS.items())
    )
    notes = TextAreaField(
        "Your notes for the patient (optional)",
        validators=[
            Optional(),
            Length(max=2000, message="Keep notes under 2000 characters."),
        ],
    )
    consent = CheckboxField(
        "The patient agreed to this being recorded",
        validators=[DataRequired("Confirm that the patient agreed to this being recorded.")],
    )

    def __init__(self, *args, treatments: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.treatment.choices = select_choices([("", "Choose a treatment"), *treatments])

    def validate_consultation_id(self, field: HiddenField) -> None:
        """Accept only an empty value or a whole number."""
        if field.data and not str(field.data).isdigit():
            raise ValidationError("That consultation request is not valid.")

    def consultation(self) -> int | None:
        """Return the consultation request id, if the form came from one."""
        return int(self.consultation_id.data) if self.consultation_id.data else None


class SwapForm(ShopForm):
    """Swap a kit line's product for another of the same need."""

    product = SelectField("Swap for", validators=[InputRequired("Choose a product.")])


class QuantityForm(ShopForm):
    """Change how many of a line's product the patient buys."""

    quantity = IntegerField(
        "Quantity",
        validators=[
            InputRequired(f"Enter a quantity from 1 to {MAX_LINE_QUANTITY}."),
            NumberRange(1, MAX_LINE_QUANTITY, f"Enter a quantity from 1 to {MAX_LINE_QUANTITY}."),
        ],
    )


class AddItemForm(ShopForm):
    """Add a product to the kit."""

    product = SelectField("Product to add", validators=[InputRequired("Choose a product.")])
    quantity = IntegerField(
        "Quantity",
        default=1,
        validators=[
            InputRequired(f"Enter a quantity from 1 to {MAX_LINE_QUANTITY}."),
            NumberRange(1, MAX_LINE_QUANTITY, f"Enter a quantity from 1 to {MAX_LINE_QUANTITY}."),
        ],
    )


class ConfirmForm(ShopForm):
    """A button that changes something (CSRF only)."""


class SendForm(ShopForm):
    """Send (or resend) the link; optionally go straight to the printable sheet."""

    print_sheet = CheckboxField("Open the printable aftercare sheet after sending")


class ReportForm(Form):
    """The report's date range, read from the query string (no CSRF: it changes nothing)."""

    date_from = DateField("From", validators=[Optional()])
    date_to = DateField("To", validators=[Optional()])

    def validate_date_to(self, field: DateField) -> None:
        """Refuse a range that ends before it starts or spans more than two years."""
        start = self.date_from.data
        if start and field.data:
            if field.data < start:
                raise ValidationError("The end date must be on or after the start date.")
            if (field.data - start).days > MAX_REPORT_DAYS:
                raise ValidationError("Choose a range of at most two years.")


class ConcernFollowUpForm(ShopForm):
    """Mark a patient's concern contacted or resolved, with a note of what was done."""

    status = SelectField(
        "New status",
        choices=select_choices((s, CONCERN_STATUS_LABELS[s]) for s in CONCERN_FOLLOW_UP_STATUSES),
        validators=[InputRequired("Choose contacted or resolved.")],
    )
    note = TextAreaField(
        "Note",
        validators=[
            DataRequired("Add a note saying what was done or advised."),
            Length(max=1000, message="Keep notes under 1000 characters."),
        ],
    )
