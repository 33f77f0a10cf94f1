"""Forms of the clinic: follow-ups, recommendations, kit changes and the report range."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
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
from wtforms.widgets import CheckboxInput, ListWidget

from shop.aftercare.vocabulary import (
    FITZPATRICK_DESCRIPTIONS,
    FITZPATRICK_LABELS,
    SCREENING_QUESTION_TEXT,
    SCREENING_QUESTIONS,
)
from shop.forms import select_choices
from shop.labels import CONCERN_LABELS
from shop.services.basket import MAX_LINE_QUANTITY
from shop.services.consultations import FOLLOW_UP_STATUSES, STATUS_LABELS

# Aftercare plans cover weeks, not years; a date further out is a typo.
MAX_DAYS_BEFORE = 366
MAX_DAYS_AHEAD = 366
# Reports cover at most two years at a time.
MAX_REPORT_DAYS = 731


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes returning the ticked values."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class FollowUpForm(FlaskForm):
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


class RecommendationForm(FlaskForm):
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
        choices=select_choices(
            (str(n), f"{FITZPATRICK_LABELS[n]}: {FITZPATRICK_DESCRIPTIONS[n]}") for n in range(1, 7)
        ),
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
    consent = BooleanField(
        "The patient agreed to this being recorded",
        validators=[DataRequired("Confirm that the patient agreed to this being recorded.")],
    )

    def __init__(self, *args, treatments: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.treatment.choices = select_choices([("", "Choose a treatment"), *treatments])

    def validate_treated_on(self, field: DateField) -> None:
        """Keep the treatment date within a year either side of today."""
        today = date.today()
        if field.data and field.data < today - timedelta(days=MAX_DAYS_BEFORE):
            raise ValidationError("Choose a treatment date within the last year.")
        if field.data and field.data > today + timedelta(days=MAX_DAYS_AHEAD):
            raise ValidationError("Choose a treatment date within the next year.")

    def validate_consultation_id(self, field: HiddenField) -> None:
        """Accept only an empty value or a whole number."""
        if field.data and not str(field.data).isdigit():
            raise ValidationError("That consultation request is not valid.")

    @property
    def screening_fields(self):
        """Return the screening question fields in question order."""
        return [self[f"screening_{key}"] for key in SCREENING_QUESTIONS]

    def screening_answers(self) -> dict[str, bool]:
        """Return the screening answers as {question key: yes?}."""
        return {key: self[f"screening_{key}"].data == "yes" for key in SCREENING_QUESTIONS}

    def consultation(self) -> int | None:
        """Return the consultation request id, if the form came from one."""
        return int(self.consultation_id.data) if self.consultation_id.data else None


# One yes/no question per screening key: the clinician records an explicit answer to each.
for _key in SCREENING_QUESTIONS:
    setattr(
        RecommendationForm,
        f"screening_{_key}",
        RadioField(
            SCREENING_QUESTION_TEXT[_key],
            choices=select_choices([("no", "No"), ("yes", "Yes")]),
            validators=[InputRequired("Record the patient's answer: yes or no.")],
        ),
    )


class SwapForm(FlaskForm):
    """Swap a kit line's product for another of the same need."""

    product = SelectField("Swap for", validators=[InputRequired("Choose a product.")])


class QuantityForm(FlaskForm):
    """Change how many of a line's product the patient buys."""

    quantity = IntegerField(
        "Quantity",
        validators=[
            InputRequired(f"Enter a quantity from 1 to {MAX_LINE_QUANTITY}."),
            NumberRange(1, MAX_LINE_QUANTITY, f"Enter a quantity from 1 to {MAX_LINE_QUANTITY}."),
        ],
    )


class AddItemForm(FlaskForm):
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


class ConfirmForm(FlaskForm):
    """A button that changes something (CSRF only)."""


class SendForm(FlaskForm):
    """Send (or resend) the link; optionally go straight to the printable sheet."""

    print_sheet = BooleanField("Open the printable aftercare sheet after sending")


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
