"""Forms of the clinic's schedule page and booking actions."""

from __future__ import annotations

from wtforms import DateField, HiddenField, IntegerField, StringField, TimeField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from shop.forms import ShopForm
from shop.services.bookings.schedule import SETTING_LIMITS, WEEKDAYS

DAY_PARTS = (
    ("starts", "Opens"),
    ("ends", "Closes"),
    ("break_starts", "Break from"),
    ("break_ends", "Break until"),
)


class WeekForm(ShopForm):
    """Weekly hours: for each weekday an opening and closing time and an optional break."""

    def day_fields(self, weekday: int) -> list:
        """Return the weekday's four time fields in order."""
        return [self[f"d{weekday}_{part}"] for part, _ in DAY_PARTS]


for _weekday, _day in enumerate(WEEKDAYS):
    for _part, _label in DAY_PARTS:
        setattr(
            WeekForm,
            f"d{_weekday}_{_part}",
            TimeField(
                f"{_day}: {_label.lower()}",
                validators=[Optional()],
                format="%H:%M",
                render_kw={"step": 300},
            ),
        )
del _weekday, _day, _part, _label


class DayOffForm(ShopForm):
    """A day the clinician takes no bookings."""

    day = DateField("Day off", validators=[InputRequired("Please give the date of the day off.")])
    note = StringField(
        "Note (optional)",
        validators=[Optional(), Length(max=120, message="Keep the note under 120 characters.")],
    )


def _setting(label: str, name: str) -> IntegerField:
    low, high = SETTING_LIMITS[name]
    return IntegerField(
        label,
        validators=[
            InputRequired(f"{label} is needed."),
            NumberRange(low, high, f"{label} must be from {low} to {high}."),
        ],
    )


class SettingsForm(ShopForm):
    """The clinic's booking settings (admins)."""

    consultation_minutes = _setting("Consultation length (minutes)", "consultation_minutes")
    gap_minutes = _setting("Gap after each consultation (minutes)", "gap_minutes")
    horizon_days = _setting("How far ahead patients may book (days)", "horizon_days")
    notice_minutes = _setting("Shortest notice to book, move or cancel (minutes)", "notice_minutes")


class AttendanceForm(ShopForm):
    """Mark a booking attended or did not attend."""

    status = HiddenField(
        validators=[
            DataRequired("Choose attended or did not attend."),
            AnyOf(("attended", "no_show"), "Choose attended or did not attend."),
        ]
    )


class MoveBookingForm(ShopForm):
    """The new time of a booking the clinic moves."""

    slot = StringField(
        "New time",
        validators=[
            DataRequired("Please choose one of the times listed."),
            Length(max=40, message="Please choose one of the times listed."),
        ],
    )
