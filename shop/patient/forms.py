"""Forms on the patient's recommendation page."""

from flask_wtf import FlaskForm
from wtforms import BooleanField
from wtforms.validators import DataRequired


class AcknowledgeForm(FlaskForm):
    """The patient confirms they were given and have read the advice."""

    confirm = BooleanField(
        "I have been given and have read this aftercare advice",
        validators=[DataRequired("Please tick the box to confirm.")],
    )


class BuyForm(FlaskForm):
    """Buy the recommended kit (CSRF only)."""
