"""The kit finder form: treatment, date, skin type, concerns and the screening questions."""

from __future__ import annotations

from wtforms import DateField, RadioField, SelectField
from wtforms.validators import InputRequired

from shop.forms import (
    MultiCheckboxField,
    ShopForm,
    TreatmentProfileMixin,
    fitzpatrick_choices,
    select_choices,
    with_screening_questions,
)
from shop.labels import CONCERN_LABELS


@with_screening_questions("Please answer yes or no.")
class KitFinderForm(TreatmentProfileMixin, ShopForm):
    """What the kit finder asks; the answers build a plan and are not stored."""

    treatment = SelectField("Your treatment", validators=[InputRequired("Choose your treatment.")])
    treated_on = DateField(
        "Treatment date",
        validators=[InputRequired("Enter the date of your treatment (or the planned date).")],
    )
    fitzpatrick = RadioField(
        "Your skin in the sun",
        choices=fitzpatrick_choices(),
        validators=[InputRequired("Choose the description closest to your skin.")],
    )
    concerns = MultiCheckboxField(
        "Anything else about your skin? (optional)",
        choices=select_choices(CONCERN_LABELS.items()),
    )

    def __init__(self, *args, treatments: list[tuple[str, str]] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.treatment.choices = select_choices([("", "Choose a treatment"), *treatments])
