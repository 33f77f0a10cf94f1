"""Forms on the patient's recommendation page."""

from wtforms.validators import DataRequired

from shop.forms import CheckboxField, ShopForm


class AcknowledgeForm(ShopForm):
    """The patient confirms they were given and have read the advice."""

    confirm = CheckboxField(
        "I have been given and have read this aftercare advice",
        validators=[DataRequired("Please tick the box to confirm.")],
    )


class BuyForm(ShopForm):
    """Buy the recommended kit (CSRF only)."""
