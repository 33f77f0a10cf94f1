"""Helpers shared by the shop's forms."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta

from flask import g
from flask_wtf import FlaskForm
from flask_wtf.csrf import validate_csrf
from wtforms import BooleanField, FieldList, RadioField, SelectChoice, SelectMultipleField
from wtforms.csrf.core import CSRF
from wtforms.validators import InputRequired, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from shop import clock
from shop.aftercare import Screening
from shop.aftercare.vocabulary import (
    FITZPATRICK_DESCRIPTIONS,
    FITZPATRICK_LABELS,
    ISOTRETINOIN_LAST_DOSE,
    SCREENING_QUESTION_TEXT,
    SCREENING_QUESTIONS,
    isotretinoin_band,
)
from shop.csrf import INVALID_TOKEN, masked_csrf_token, unmask_token

# The isotretinoin question asks when, not whether: each treatment's own window decides.
ISOTRETINOIN_KEY = "isotretinoin_recent"
_MONTHS_BY_ANSWER = {code: months for code, _, months in ISOTRETINOIN_LAST_DOSE}

# How far from today a treatment date may be: plans older than this are over, and clinics do
# not book further ahead, so a date outside is a typo.
MAX_DAYS_BEFORE = 366
MAX_DAYS_AHEAD = 366


class MaskedFormCSRF(CSRF):
    """A form's CSRF field: the response's masked token out, the sent one unmasked back in."""

    def setup_form(self, form):
        """Keep the form's meta: it holds the CSRF secret, field name and time limit."""
        self.meta = form.meta
        return super().setup_form(form)

    def generate_csrf_token(self, csrf_token_field) -> str:
        """Return the session's token (Flask-WTF's) under this response's mask."""
        return masked_csrf_token(self.meta.csrf_secret, self.meta.csrf_field_name)

    def validate_csrf_token(self, form, field) -> None:
        """Check the sent token, unless CSRFProtect already checked this request."""
        if g.get("csrf_valid", False):
            return
        token = unmask_token(field.data or "")
        if token is None:
            raise ValidationError(INVALID_TOKEN if field.data else "The CSRF token is missing.")
        validate_csrf(
            token, self.meta.csrf_secret, self.meta.csrf_time_limit, self.meta.csrf_field_name
        )


class ShopForm(FlaskForm):
    """The base of every form of the shop: a FlaskForm whose CSRF token is masked per response."""

    class Meta:
        """Swap in the masked CSRF field; the rest of FlaskForm's meta stays."""

        csrf_class = MaskedFormCSRF


def select_choices(pairs: Iterable[tuple[str, str]]) -> list[SelectChoice]:
    """Turn (value, label) pairs into WTForms select choices."""
    return [SelectChoice(value, label) for value, label in pairs]


def fitzpatrick_choices() -> list[SelectChoice]:
    """Return the six skin types as radio choices, each with its plain-language description."""
    return select_choices(
        (str(n), f"{FITZPATRICK_LABELS[n]}: {FITZPATRICK_DESCRIPTIONS[n]}") for n in range(1, 7)
    )


def treatment_date_problem(treated_on: date, today: date) -> str | None:
    """Return why a treatment date is out of range, or None when it is fine."""
    if treated_on < today - timedelta(days=MAX_DAYS_BEFORE):
        return "Choose a treatment date within the last year."
    if treated_on > today + timedelta(days=MAX_DAYS_AHEAD):
        return "Choose a treatment date within the next year."
    return None


class CheckboxField(BooleanField):
    """A checkbox that is ticked only by its own value ("y"); any other value is refused.

    WTForms' BooleanField counts every value but "" and "false" as ticked, so `consent=no`
    would have recorded consent.
    """

    TICKED = "y"  # what the rendered input sends (BooleanField's default value attribute)

    def process_formdata(self, valuelist: list) -> None:
        """Read the submitted value: ours means ticked, nothing (or empty) means not."""
        self.foreign_value = None
        value = valuelist[0] if valuelist else ""
        self.data = value == self.TICKED
        if value not in ("", self.TICKED):
            self.foreign_value = value

    def pre_validate(self, form) -> None:
        """Refuse a value the checkbox never sends."""
        if getattr(self, "foreign_value", None) is not None:
            raise StopValidation("Tick the box or leave it empty.")


class BoundedFieldList(FieldList):
    """A FieldList that refuses a submission with more rows than it takes.

    WTForms' FieldList silently keeps the first `max_entries` rows and drops the rest, so a
    delivery of 500 lines would have booked 20 and said nothing of the other 480.
    """

    def process(self, formdata, *args, **kwargs) -> None:
        """Count the rows submitted before FieldList trims them to max_entries."""
        self.submitted_rows = len(set(self._extract_indices(self.name, formdata or {})))
        super().process(formdata, *args, **kwargs)

    def validate(self, form, extra_validators=()) -> bool:
        """Validate the rows, failing the whole list when more were sent than it takes."""
        valid = super().validate(form, extra_validators)
        if self.max_entries and self.submitted_rows > self.max_entries:
            self.errors.append(
                f"At most {self.max_entries} rows can be sent at once, and this had "
                f"{self.submitted_rows}; nothing was saved. Split them over several submissions."
            )
            return False
        return valid


class MultiCheckboxField(SelectMultipleField):
    """A group of checkboxes returning the ticked values (usable without JavaScript)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class TreatmentProfileMixin:
    """What forms recording a treatment date and the screening answers have in common."""

    def validate_treated_on(self, field) -> None:
        """Keep the treatment date within a year either side of today."""
        problem = treatment_date_problem(field.data, clock.today()) if field.data else None
        if problem:
            raise ValidationError(problem)

    @property
    def screening_fields(self) -> list[RadioField]:
        """Return the screening question fields in question order."""
        return [self[f"screening_{key}"] for key in SCREENING_QUESTIONS]

    def screening(self) -> Screening:
        """Return the answers as the engine reads them (the isotretinoin answer as months)."""
        answers = {
            key: self[f"screening_{key}"].data == "yes"
            for key in SCREENING_QUESTIONS
            if key != ISOTRETINOIN_KEY
        }
        months = _MONTHS_BY_ANSWER.get(self[f"screening_{ISOTRETINOIN_KEY}"].data)
        return Screening(**answers, isotretinoin_months_ago=months)

    def fill_screening(self, screening: Screening) -> None:
        """Show stored answers in the form (months go back to the band that holds them)."""
        for key in SCREENING_QUESTIONS:
            if key != ISOTRETINOIN_KEY:
                self[f"screening_{key}"].data = "yes" if getattr(screening, key) else "no"
        self[f"screening_{ISOTRETINOIN_KEY}"].data = isotretinoin_band(
            screening.isotretinoin_months_ago, screening.isotretinoin_recent
        )


def with_screening_questions(required_message: str) -> Callable[[type], type]:
    """Add one required yes/no field per screening question (screening_<key>) to a form class."""

    def decorate(form_class: type) -> type:
        for key in SCREENING_QUESTIONS:
            answers = [("no", "No"), ("yes", "Yes")]
            message = required_message
            if key == ISOTRETINOIN_KEY:
                answers = [(code, words) for code, words, _ in ISOTRETINOIN_LAST_DOSE]
                message = "Choose when the last dose of isotretinoin was, or Never."
            setattr(
                form_class,
                f"screening_{key}",
                RadioField(
                    SCREENING_QUESTION_TEXT[key],
                    choices=select_choices(answers),
                    validators=[InputRequired(message)],
                ),
            )
        return form_class

    return decorate
