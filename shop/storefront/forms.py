"""Forms of the storefront: the catalogue search and filters read from the query string."""

from wtforms import Form, IntegerField, SearchField, SelectField
from wtforms.validators import NumberRange, Optional

from shop.forms import CheckboxField, select_choices
from shop.labels import CATEGORY_LABELS, SKIN_TYPE_LABELS
from shop.services.catalogue import RECOMMENDED_SORT
from shop.services.product_search import MAX_SEARCH_LENGTH


class ProductFilterForm(Form):
    """Catalogue search and filters; a GET form, so no CSRF token.

    A bad filter value is dropped, not fatal; the search words are read, and refused when
    unusable, by the search service (shop.services.product_search.read_search).
    """

    q = SearchField("Search products", render_kw={"maxlength": MAX_SEARCH_LENGTH})

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
                (RECOMMENDED_SORT, "Recommended"),
                ("name", "Name"),
                ("price-asc", "Price, low to high"),
                ("price-desc", "Price, high to low"),
            ]
        ),
        default=RECOMMENDED_SORT,
    )
    page = IntegerField(
        "Page",
        validators=[Optional(), NumberRange(min=1, max=100000, message="Page must be 1 or more.")],
        default=1,
    )
