"""The "report a concern" form: what is happening, since when, a photo, contact and consent."""

from __future__ import annotations

from datetime import date

from flask_wtf.file import FileField
from wtforms import DateField, EmailField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, InputRequired, Length, Regexp, ValidationError

from shop import clock
from shop.forms import CheckboxField, MultiCheckboxField, ShopForm, select_choices
from shop.services.concerns import MAX_DETAILS_LENGTH, checklist, started_on_problem


class ConcernForm(ShopForm):
    """A patient telling the clinic something is wrong after their treatment."""

    red_flags = MultiCheckboxField("Signs that need the clinic today")
    other_signs = MultiCheckboxField("Other things you have noticed")
    started_on = DateField(
        "When did it start?",
        validators=[InputRequired("Please give the date it started (roughly is fine).")],
    )
    details = TextAreaField(
        "Tell us what is happening",
        validators=[
            Length(
                max=MAX_DETAILS_LENGTH,
                message=f"Please keep this under {MAX_DETAILS_LENGTH} characters.",
            )
        ],
    )
    photo = FileField("A photo of the area (optional)")
    name = StringField(
        "Your name", validators=[DataRequired("Please tell us your name."), Length(max=120)]
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
        "Phone number",
        validators=[
            DataRequired("Please give a phone number: a clinician may need to call you."),
            Length(max=40, message="A phone number is at most 40 characters."),
            Regexp(
                r"^\+?[0-9 ()-]{7,40}$",
                message="Please enter a phone number using digits, spaces and + ( ) - only.",
            ),
        ],
    )
    consent = CheckboxField(
        "I agree that the clinic keeps what I have told it here, and any photo, with my "
        "health records, to look after my recovery. Only the clinic's clinicians see it.",
        validators=[
            DataRequired("Please agree to us keeping this information, or call us instead.")
        ],
    )

    def __init__(self, *args, treatment: str, treated_on: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.treated_on = treated_on
        signs = checklist(treatment)
        # The words, and how pressing each sign is, come from the one vocabulary.
        self.urgency_of = {code: urgency for code, _, urgency, _ in signs}
        self.red_flags.choices = select_choices(
            (code, label) for code, label, urgency, _ in signs if urgency != "routine"
        )
        self.other_signs.choices = select_choices(
            (code, label) for code, label, urgency, _ in signs if urgency == "routine"
        )

    def ticked(self) -> tuple[str, ...]:
        """Return every sign ticked, red flags first, keeping only codes on the checklist."""
        codes = [*(self.red_flags.data or ()), *(self.other_signs.data or ())]
        return tuple(code for code in codes if code in self.urgency_of)

    def validate_started_on(self, field) -> None:
        """Not in the future, and not before the treatment."""
        if field.data is None:
            return
        problem = started_on_problem(field.data, self.treated_on, clock.today())
        if problem:
            raise ValidationError(problem)

    def validate_details(self, field) -> None:
        """Something must say what is wrong: a ticked sign or a few words."""
        if not self.ticked() and not (field.data or "").strip():
            raise ValidationError("Tick what is happening, or tell us in your own words.")

    def photo_bytes(self) -> bytes | None:
        """Return the uploaded photo's bytes, or None when no file was chosen."""
        upload = self.photo.data
        if upload is None or not getattr(upload, "filename", ""):
            return None
        return upload.read()
