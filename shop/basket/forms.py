"""Forms of the basket: add a product or kit, add an assembled kit, change a line."""

from __future__ import annotations

from wtforms import Form as PlainForm
from wtforms import FormField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, Regexp

from shop.forms import BoundedFieldList, ShopForm, select_choices
from shop.services.basket import MAX_LINE_QUANTITY

SLUG = Regexp(r"^[a-z0-9][a-z0-9-]*$", message="That is not a product or kit address.")


def _plan_field() -> HiddenField:
    """The private plan link an addition comes from (checked, and ignored if not genuine)."""
    return HiddenField(
        "Plan",
        validators=[Optional(), Length(max=4000, message="That is not a plan link of this shop.")],
    )


class AddToBasketForm(ShopForm):
    """Add a quantity of one product, or of one whole kit."""

    kind = SelectField(
        "Item type",
        choices=select_choices([("product", "Product"), ("kit", "Kit")]),
        default="product",
    )
    slug = StringField(
        "Item", validators=[DataRequired("Choose something to add."), Length(max=120), SLUG]
    )
    quantity = IntegerField(
        "Quantity",
        default=1,
        validators=[
            InputRequired("Enter how many you want."),
            NumberRange(1, MAX_LINE_QUANTITY, f"Choose a quantity from 1 to {MAX_LINE_QUANTITY}."),
        ],
    )
    plan = _plan_field()


class KitFinderItemForm(PlainForm):
    """One product of an assembled kit."""

    product = StringField(
        "Product", validators=[DataRequired("Each item needs a product."), Length(max=120), SLUG]
    )
    quantity = IntegerField(
        "Quantity",
        default=1,
        validators=[
            InputRequired("Each item needs a quantity."),
            NumberRange(1, MAX_LINE_QUANTITY, f"Choose quantities from 1 to {MAX_LINE_QUANTITY}."),
        ],
    )


class AddItemsForm(ShopForm):
    """Several products at once (items-0-product, items-0-quantity, ...): the kit finder's kit."""

    items = BoundedFieldList(FormField(KitFinderItemForm), min_entries=0, max_entries=30)
    plan = _plan_field()


class UpdateLineForm(ShopForm):
    """Change one basket line's quantity (0 removes it)."""

    key = HiddenField(
        "Line", validators=[DataRequired("Choose a line."), Regexp(r"^(product|kit):\d{1,12}$")]
    )
    quantity = IntegerField(
        "Quantity",
        validators=[
            InputRequired("Enter a quantity."),
            NumberRange(0, MAX_LINE_QUANTITY, f"Choose a quantity from 0 to {MAX_LINE_QUANTITY}."),
        ],
    )


class RemoveLineForm(ShopForm):
    """Take one line out of the basket."""

    key = HiddenField(
        "Line", validators=[DataRequired("Choose a line."), Regexp(r"^(product|kit):\d{1,12}$")]
    )
