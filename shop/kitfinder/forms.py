"""The kit finder form: treatment, date, skin type, concerns and the screening questions."""

from __future__ import annotations

from datetime import date, timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, SelectMultipleField
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from shop.aftercare.vocabulary import (
    FITZPATRICK_DESCRIPTIONS,
    FITZPATRICK_LABELS,
    SCREENING_QUESTION_TEXT,
    SCREENING_QUESTIONS,
)
from shop.forms import select_choices
from shop.labels import CONCERN_LABELS

# How far from today a treatment date may be: plans older than this are over, and clinics
# do not book further ahead.
MAX_DAYS_BEFORE = 366
MAX_DAYS_AHEAD = 366


def validate_treatment_date(treated_on: date, today: date) -> str | None:
    """Return why a treatment date is out of range, or None when it is fine."""
    if treated_on < today - timedelta(days=MAX_DAYS_BEFORE):
        return "Choose a treatment date within the last year."
    if treated_on > today + timedelta(days=MAX_DAYS_AHEAD):
        return "Choose a treatment date within the next year."
    return None


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes returning the ticked values."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class KitFinderForm(FlaskForm):
    """What the kit finder asks; the answers build a plan and are not stored."""

    treatment = SelectField("Your treatment", validators=[InputRequired("Choose your treatment.")])
    treated_on = DateField(
        "Treatment date",
        validators=[InputRequired("Enter the date of your treatment (or the planned date).")],
    )
    fitzpatrick = RadioField(
        "Your skin in the sun",
        choices=select_choices(
            (str(n), f"{FITZPATRICK_LABELS[n]}: {FITZPATRICK_DESCRIPTIONS[n]}") for n in range(1, 7)
        ),
        validators=[InputRequired("Choose the description closest to your skin.")],
    )
    concerns = MultiCheckboxField(
        "Anything else about your skin? (optional)",
        choices=select_choices(CONCERN_LABELS.items()),
    )

    def __init__(self, *args, treatments: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.treatment.choices = select_choices([("", "Choose a treatment"), *treatments])

    def validate_treated_on(self, field: DateField) -> None:
        """Keep the treatment date within a year either side of today."""
        problem = validate_treatment_date(field.data, date.today()) if field.data else None
        if problem:
            raise ValidationError(problem)

    @property
    def screening_fields(self):
        """Return the screening question fields in question order."""
        return [self[f"screening_{key}"] for key in SCREENING_QUESTIONS]

    def screening_answers(self) -> dict[str, bool]:
        """Return the screening answers as {question key: yes?}."""
        return {key: self[f"screening_{key}"].data == "yes" for key in SCREENING_QUESTIONS}


# One yes/no question per screening key, each requiring an explicit answer.
for _key in SCREENING_QUESTIONS:
    setattr(
        KitFinderForm,
        f"screening_{_key}",
        RadioField(
            SCREENING_QUESTION_TEXT[_key],
            choices=select_choices([("no", "No"), ("yes", "Yes")]),
            validators=[InputRequired("Please answer yes or no.")],
        ),
    )
