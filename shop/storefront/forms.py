"""Forms of the storefront: the catalogue filter read from the query string."""

from wtforms import Form, IntegerField, SelectField
from wtforms.validators import NumberRange, Optional

from shop.forms import CheckboxField, select_choices
from shop.labels import CATEGORY_LABELS, SKIN_TYPE_LABELS


class ProductFilterForm(Form):
    """Catalogue filters; a GET form, so no CSRF token, and bad values are dropped, not fatal."""

    category = SelectField(
        "Category",
        choices=select_choices([("", "All categories"), *CATEGORY_LABELS.items()]),
        default="",
    )
    spf = SelectField(
        "Sun protection",
        choices=select_choices([("", "Any"), ("30", "SPF30 or higher"), ("50", "SPF50 or higher")]),
        default="",
    )
    skin_type = SelectField(
        "Skin type",
        choices=select_choices([("", "Any skin type"), *SKIN_TYPE_LABELS.items()]),
        default="",
    )
    fragrance_free = CheckboxField("Fragrance-free only")
    sort = SelectField(
        "Sort by",
        choices=select_choices(
            [
                ("name", "Name"),
                ("price-asc", "Price, low to high"),
                ("price-desc", "Price, high to low"),
            ]
        ),
        default="name",
    )
    page = IntegerField(
        "Page",
        validators=[Optional(), NumberRange(min=1, max=100000, message="Page must be 1 or more.")],
        default=1,
    )
