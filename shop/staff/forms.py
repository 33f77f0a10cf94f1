"""Forms of the staff back office: stock, catalogue, orders, reports and the audit filter."""

from __future__ import annotations

from flask_wtf.file import FileField, FileRequired
from wtforms import (
    DateField,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    AnyOf,
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from models.vocabulary import DESK_PAYMENT_METHODS, FULFILMENT_METHODS, ORDER_STATUSES
from shop.forms import BoundedFieldList, CheckboxField, MultiCheckboxField, ShopForm, select_choices
from shop.labels import (
    ACTIVE_LABELS,
    CATEGORY_LABELS,
    CONCERN_LABELS,
    FITZPATRICK_ROMAN,
    SKIN_TYPE_LABELS,
)
from shop.money import parse_pounds
from shop.services.inventory import ADJUSTMENT_REASONS, MAX_UNITS_PER_LINE
from shop.services.orders import DESK_PAYMENT_LABELS, ORDER_STATUS_LABELS


class PoundsField(StringField):
    """An amount typed in pounds ("12.50"); `pence` holds it in whole pence once valid."""

    pence: int | None = None

    def pre_validate(self, form) -> None:
        """Turn the text into pence, or explain the format expected."""
        text = (self.data or "").strip().lstrip("£")
        self.pence = None
        if not text:
            return
        try:
            self.pence = parse_pounds(text)
        except ValueError as error:
            raise ValidationError("Enter an amount in pounds, e.g. 12.50.") from error


def _required_pounds(form, field) -> None:
    if field.pence is None:
        raise ValidationError("Enter an amount in pounds, e.g. 12.50.")


def _positive_int(label: str) -> list:
    return [
        InputRequired(message=f"Enter the {label}."),
        NumberRange(min=1, max=MAX_UNITS_PER_LINE, message=f"Enter 1 to {MAX_UNITS_PER_LINE}."),
    ]


# --- stock -------------------------------------------------------------------------------


class ReceiveLineForm(Form):
    """One lot of a delivery (no CSRF token of its own: the outer form carries it)."""

    product = SelectField("Product", coerce=str, validate_choice=False, default="")
    lot_number = StringField("Lot number", validators=[Optional(), Length(max=60)])
    expiry_date = DateField("Expiry date", validators=[Optional()])
    quantity = IntegerField(
        "Quantity",
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_UNITS_PER_LINE, message=f"Enter 1 to {MAX_UNITS_PER_LINE}."),
        ],
    )
    unit_cost = PoundsField("Unit cost (£)", validators=[Optional()])

    def is_blank(self) -> bool:
        """Tell whether staff left this line empty (it is then ignored)."""
        return not (
            self.product.data
            or (self.lot_number.data or "").strip()
            or (self.expiry_date.raw_data or [""])[0]
            or (self.quantity.raw_data or [""])[0]
        )


# A delivery form starts with this many lines; "Add another line" adds one at a time.
RECEIVE_FIRST_LINES = 3
RECEIVE_MAX_LINES = 40


class ReceiveForm(ShopForm):
    """A delivery: supplier details and as many lots as it has, up to RECEIVE_MAX_LINES."""

    supplier = StringField("Supplier", validators=[Optional(), Length(max=120)])
    reference = StringField("Delivery note reference", validators=[Optional(), Length(max=80)])
    note = TextAreaField("Note", validators=[Optional(), Length(max=1000)])
    lines = BoundedFieldList(
        FormField(ReceiveLineForm), min_entries=RECEIVE_FIRST_LINES, max_entries=RECEIVE_MAX_LINES
    )

    def add_line(self) -> bool:
        """Add one empty line (the no-JavaScript "Add another line"); False when full."""
        if len(self.lines.entries) >= RECEIVE_MAX_LINES:
            return False
        self.lines.append_entry()
        return True

    def validate_lines(self, field) -> None:
        """Each line that is not blank must be complete."""
        filled = 0
        for entry in field.entries:
            line = entry.form
            if line.is_blank():
                continue
            filled += 1
            if not line.product.data or not line.product.data.isdigit():
                line.product.errors = [*line.product.errors, "Choose a product."]
            if not (line.lot_number.data or "").strip():
                line.lot_number.errors = [*line.lot_number.errors, "Enter the lot number."]
            if line.expiry_date.data is None and not line.expiry_date.errors:
                line.expiry_date.errors = [*line.expiry_date.errors, "Enter the expiry date."]
            if line.quantity.data is None and not line.quantity.errors:
                line.quantity.errors = [*line.quantity.errors, "Enter the quantity."]
        if not filled:
            raise ValidationError("Fill in at least one line.")
        if any(entry.form.errors for entry in field.entries):
            raise ValidationError("Some lines need attention.")


class AdjustForm(ShopForm):
    """Add or remove units of one lot, with a reason."""

    reason = SelectField(
        "Reason",
        choices=select_choices(
            [("", "Choose a reason")]
            + [(code, label) for code, (label, _, _) in ADJUSTMENT_REASONS.items()]
        ),
        validators=[DataRequired(message="Choose a reason.")],
    )
    change = IntegerField(
        "Change in units (negative removes)",
        validators=[
            InputRequired(message="Enter the change, e.g. -2 or 3."),
            NumberRange(min=-MAX_UNITS_PER_LINE, max=MAX_UNITS_PER_LINE),
        ],
    )
    note = TextAreaField("Note", validators=[Length(max=500)])

    def validate_note(self, field) -> None:
        """A correction needs a note saying what was wrong."""
        if self.reason.data == "correction" and not (field.data or "").strip():
            raise ValidationError("Say what the correction is for.")


class ThresholdForm(ShopForm):
    """A product's low-stock threshold."""

    threshold = IntegerField(
        "Low-stock threshold",
        validators=[
            InputRequired(message="Enter a threshold."),
            NumberRange(min=0, max=MAX_UNITS_PER_LINE, message="Enter 0 or more."),
        ],
    )


class ConfirmForm(ShopForm):
    """A button that only needs the CSRF token (e.g. write off expired lots)."""


class StocktakeForm(ShopForm):
    """Counted quantities for many lots; count fields are added per lot by `for_lots`."""

    note = StringField("Note", validators=[Optional(), Length(max=200)])
    # Shown only once some counts differ from the books by more than the threshold.
    confirmed = CheckboxField("I have recounted these lots: book them as counted")

    @classmethod
    def for_lots(cls, lot_ids: list[int], **kwargs) -> StocktakeForm:
        """Build the form with one optional count field per lot."""

        class Bound(cls):
            pass

        for lot_id in lot_ids:
            setattr(
                Bound,
                f"count_{lot_id}",
                IntegerField(
                    "Counted",
                    validators=[
                        Optional(),
                        NumberRange(min=0, max=MAX_UNITS_PER_LINE, message="Enter 0 or more."),
                    ],
                ),
            )
        return Bound(**kwargs)

    def counts(self) -> dict[int, int]:
        """Return {lot id: counted} for the lots staff filled in."""
        return {
            int(name.removeprefix("count_")): field.data
            for name, field in self._fields.items()
            if name.startswith("count_") and field.data is not None
        }


class RecallForm(Form):
    """Look up a lot number (GET)."""

    lot = StringField("Lot number", validators=[InputRequired(), Length(min=1, max=60)])


class StockFilterForm(Form):
    """Filters of the stock list (GET)."""

    q = StringField("Search", validators=[Optional(), Length(max=80)])
    low = CheckboxField("Only low stock")
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class ImportForm(ShopForm):
    """A delivery CSV file to check."""

    file = FileField("CSV file", validators=[FileRequired(message="Choose a CSV file.")])
    supplier = StringField("Supplier", validators=[Optional(), Length(max=120)])
    reference = StringField("Delivery note reference", validators=[Optional(), Length(max=80)])


class ConfirmImportForm(ShopForm):
    """The checked CSV, sent back to be booked (it is checked again)."""

    csv_text = HiddenField("CSV", validators=[DataRequired()])
    supplier = HiddenField("Supplier", validators=[Optional(), Length(max=120)])
    reference = HiddenField("Reference", validators=[Optional(), Length(max=80)])


# --- catalogue ---------------------------------------------------------------------------

VAT_CHOICES = [("2000", "20% (standard)"), ("500", "5% (reduced)"), ("0", "0% (zero-rated)")]
FITZPATRICK_CHOICES = [(str(n), f"Type {roman}") for n, roman in FITZPATRICK_ROMAN.items()]


class ProductForm(ShopForm):
    """Every attribute of a product the shop and the aftercare rules use."""

    name = StringField("Name", validators=[DataRequired(), Length(max=160)])
    slug = StringField("Web address name (slug)", validators=[DataRequired(), Length(max=120)])
    sku = StringField("SKU", validators=[DataRequired(), Length(max=40)])
    brand = StringField("Brand", validators=[DataRequired(), Length(max=80)])
    category = SelectField(
        "Category", choices=select_choices(CATEGORY_LABELS.items()), validators=[DataRequired()]
    )
    summary = StringField("Summary", validators=[Optional(), Length(max=300)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    how_to_use = TextAreaField("How to use", validators=[Optional(), Length(max=2000)])
    size_label = StringField("Size", validators=[Optional(), Length(max=40)])
    price = PoundsField("Price including VAT (£)", validators=[_required_pounds])
    vat_rate_bp = SelectField("VAT rate", choices=select_choices(VAT_CHOICES), default="2000")
    spf = IntegerField(
        "SPF", validators=[Optional(), NumberRange(min=1, max=100, message="SPF is 1 to 100.")]
    )
    uv_filter = SelectField(
        "UV filter",
        choices=select_choices([("", "None"), ("mineral", "Mineral"), ("chemical", "Chemical")]),
        default="",
    )
    tinted = CheckboxField("Tinted")
    fragrance_free = CheckboxField("Fragrance-free")
    non_comedogenic = CheckboxField("Non-comedogenic")
    occlusive = CheckboxField("Occlusive")
    alcohol_free = CheckboxField("Alcohol-free")
    pregnancy_safe = CheckboxField("Safe in pregnancy and breastfeeding")
    spf_test_on_file = CheckboxField("Independent SPF/UVA test data on file")
    actives = MultiCheckboxField(
        "Actives it contains", choices=select_choices(ACTIVE_LABELS.items())
    )
    skin_types = MultiCheckboxField(
        "Skin types it suits", choices=select_choices(SKIN_TYPE_LABELS.items())
    )
    days_per_unit = IntegerField(
        "Days one unit lasts",
        validators=[Optional(), NumberRange(min=1, max=3650, message="Enter 1 or more days.")],
    )
    low_stock_threshold = IntegerField(
        "Low-stock threshold",
        default=5,
        validators=[InputRequired(), NumberRange(min=0, max=MAX_UNITS_PER_LINE)],
    )
    is_active = CheckboxField("On sale", default=True)

    def values(self) -> dict:
        """Return the product attributes as the catalogue service takes them."""
        return {
            "name": self.name.data.strip(),
            "slug": self.slug.data.strip(),
            "sku": self.sku.data.strip(),
            "brand": self.brand.data.strip(),
            "category": self.category.data,
            "summary": (self.summary.data or "").strip(),
            "description": self.description.data or "",
            "how_to_use": self.how_to_use.data or "",
            "size_label": (self.size_label.data or "").strip(),
            "price_pence": self.price.pence,
            "vat_rate_bp": int(self.vat_rate_bp.data),
            "spf": self.spf.data,
            "uv_filter": self.uv_filter.data or None,
            "tinted": self.tinted.data,
            "fragrance_free": self.fragrance_free.data,
            "non_comedogenic": self.non_comedogenic.data,
            "occlusive": self.occlusive.data,
            "alcohol_free": self.alcohol_free.data,
            "pregnancy_safe": self.pregnancy_safe.data,
            "actives": list(self.actives.data or []),
            "days_per_unit": self.days_per_unit.data,
            "spf_test_on_file": self.spf_test_on_file.data,
            "low_stock_threshold": self.low_stock_threshold.data,
            "is_active": self.is_active.data,
        }


class ImageForm(ShopForm):
    """A product photo (JPEG, PNG or WebP; checked by content)."""

    image = FileField("Photo", validators=[FileRequired(message="Choose an image file.")])


class KitItemForm(Form):
    """One product of a kit (blank lines are ignored)."""

    product = SelectField("Product", coerce=str, validate_choice=False, default="")
    quantity = IntegerField(
        "Quantity",
        validators=[Optional(), NumberRange(min=1, max=20, message="Enter 1 to 20.")],
    )
    purpose = StringField("What it is for", validators=[Optional(), Length(max=300)])


class KitForm(ShopForm):
    """A kit: contents, price rule and where it applies."""

    name = StringField("Name", validators=[DataRequired(), Length(max=160)])
    slug = StringField("Web address name (slug)", validators=[DataRequired(), Length(max=120)])
    summary = StringField("Summary", validators=[Optional(), Length(max=300)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    price_rule = SelectField(
        "Price rule",
        choices=select_choices(
            [("percent_off", "Percentage off the items"), ("fixed", "Fixed price")]
        ),
        validators=[DataRequired()],
    )
    fixed_price = PoundsField("Fixed price (£)", validators=[Optional()])
    percent_off = IntegerField(
        "Percentage off",
        validators=[Optional(), NumberRange(min=1, max=99, message="Enter 1 to 99.")],
    )
    fitzpatrick_min = SelectField(
        "Lowest Fitzpatrick type", choices=select_choices(FITZPATRICK_CHOICES), default="1"
    )
    fitzpatrick_max = SelectField(
        "Highest Fitzpatrick type", choices=select_choices(FITZPATRICK_CHOICES), default="6"
    )
    concerns = MultiCheckboxField(
        "Made for these concerns (none: any)", choices=select_choices(CONCERN_LABELS.items())
    )
    treatments = MultiCheckboxField("Treatments", choices=[], coerce=str)
    cover_days = IntegerField(
        "Days of aftercare covered",
        default=14,
        validators=[InputRequired(), NumberRange(min=1, max=365, message="Enter 1 to 365.")],
    )
    position = IntegerField(
        "Display position", default=0, validators=[Optional(), NumberRange(min=0, max=10000)]
    )
    is_active = CheckboxField("On sale", default=True)
    is_featured = CheckboxField("Featured on the home page")
    items = BoundedFieldList(FormField(KitItemForm), min_entries=6, max_entries=12)

    def validate(self, extra_validators=None) -> bool:
        """Check the fields, then that the chosen price rule has its value."""
        valid = super().validate(extra_validators)
        if self.price_rule.data == "fixed" and self.fixed_price.pence is None:
            if not self.fixed_price.errors:
                self.fixed_price.errors = ["Enter the kit's price."]
            valid = False
        if self.price_rule.data == "percent_off" and self.percent_off.data is None:
            if not self.percent_off.errors:
                self.percent_off.errors = ["Enter the percentage off."]
            valid = False
        return valid

    def validate_items(self, field) -> None:
        """Every filled line needs a product and a quantity; at least one line."""
        filled = 0
        for entry in field.entries:
            line = entry.form
            if not line.product.data and not (line.quantity.raw_data or [""])[0]:
                continue
            filled += 1
            if not (line.product.data or "").isdigit():
                line.product.errors = [*line.product.errors, "Choose a product."]
            if line.quantity.data is None and not line.quantity.errors:
                line.quantity.errors = [*line.quantity.errors, "Enter the quantity."]
        if not filled:
            raise ValidationError("Add at least one product.")
        if any(entry.form.errors for entry in field.entries):
            raise ValidationError("Some products need attention.")

    def item_inputs(self) -> list[tuple[int, int, str]]:
        """Return (product id, quantity, purpose) for the filled lines."""
        return [
            (int(e.form.product.data), e.form.quantity.data, (e.form.purpose.data or "").strip())
            for e in self.items.entries
            if e.form.product.data
        ]

    def values(self) -> dict:
        """Return the kit attributes as the catalogue service takes them."""
        return {
            "name": self.name.data.strip(),
            "slug": self.slug.data.strip(),
            "summary": (self.summary.data or "").strip(),
            "description": self.description.data or "",
            "price_rule": self.price_rule.data,
            "fixed_price_pence": self.fixed_price.pence,
            "percent_off": self.percent_off.data,
            "fitzpatrick_min": int(self.fitzpatrick_min.data),
            "fitzpatrick_max": int(self.fitzpatrick_max.data),
            "concerns": list(self.concerns.data or []),
            "cover_days": self.cover_days.data,
            "position": self.position.data or 0,
            "is_active": self.is_active.data,
            "is_featured": self.is_featured.data,
        }


# --- reports, audit, orders ----------------------------------------------------------------


class DateRangeForm(Form):
    """A date range read from the query string (GET)."""

    start = DateField("From", validators=[Optional()])
    end = DateField("To", validators=[Optional()])

    def validate_end(self, field) -> None:
        """The range must not run backwards."""
        if field.data and self.start.data and field.data < self.start.data:
            raise ValidationError("The end date is before the start date.")


class ReportForm(DateRangeForm):
    """The reports' date range and grouping (GET)."""

    table = SelectField(
        "Download",
        choices=select_choices(
            [
                ("daily", "Sales by day"),
                ("weekly", "Sales by week"),
                ("products", "Best-selling products"),
                ("kits", "Best-selling kits"),
                ("treatments", "Revenue by treatment"),
                ("stock", "Stock value at cost"),
                ("short-dated", "Sold from lots expiring soon"),
            ]
        ),
        default="daily",
    )
    # Which page of each per-item table to show; the CSV always has every row.
    products_page = IntegerField(
        "Products page", validators=[Optional(), NumberRange(min=1, max=100000)], default=1
    )
    kits_page = IntegerField(
        "Kits page", validators=[Optional(), NumberRange(min=1, max=100000)], default=1
    )
    stock_page = IntegerField(
        "Stock page", validators=[Optional(), NumberRange(min=1, max=100000)], default=1
    )


class AuditFilterForm(DateRangeForm):
    """Filters of the audit log (GET)."""

    user = StringField("User email", validators=[Optional(), Length(max=254)])
    action = SelectField("Action", choices=[], validate_choice=True, default="")
    target_type = SelectField("Record type", choices=[], validate_choice=True, default="")
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class OrderFilterForm(DateRangeForm):
    """Filters of the staff order list (GET)."""

    status = SelectField(
        "Status",
        choices=select_choices(
            [("", "Any status"), ("to_pack", "Waiting to be packed")]
            + [(s, ORDER_STATUS_LABELS[s]) for s in ORDER_STATUSES]
        ),
        default="",
    )
    fulfilment = SelectField(
        "Fulfilment",
        choices=select_choices(
            [("", "Any")]
            + [
                (m, "Click and collect" if m == "collect" else "Delivery")
                for m in FULFILMENT_METHODS
            ]
        ),
        default="",
    )
    q = StringField("Reference or email", validators=[Optional(), Length(max=254)])
    page = IntegerField("Page", validators=[Optional(), NumberRange(min=1, max=100000)], default=1)


class ShipForm(ShopForm):
    """Mark an order shipped, with the carrier's tracking reference."""

    tracking = StringField(
        "Tracking reference",
        validators=[
            DataRequired(message="Enter the tracking reference."),
            Length(max=80, message="A tracking reference has at most 80 characters."),
        ],
    )


_CHOOSE_DESK_METHOD = "Choose how the customer paid: card at the desk or cash."


class CollectPaymentForm(ShopForm):
    """Collected and paid at the desk: how the customer paid, then a confirmation."""

    desk_method = RadioField(
        "How the customer paid",
        choices=select_choices((m, DESK_PAYMENT_LABELS[m]) for m in DESK_PAYMENT_METHODS),
        validate_choice=False,
        validators=[
            InputRequired(message=_CHOOSE_DESK_METHOD),
            AnyOf(DESK_PAYMENT_METHODS, message=_CHOOSE_DESK_METHOD),
        ],
    )
    # Sent only by the confirmation page's button: until then nothing is booked.
    confirmed = HiddenField("Confirmed", default="")

    def validate_confirmed(self, field) -> None:
        """Only the confirmation page's own value counts."""
        if field.data not in ("", "yes"):
            raise ValidationError("Confirm the payment on the confirmation page.")

    @property
    def is_confirmed(self) -> bool:
        """Tell whether the staff member has confirmed the payment."""
        return self.confirmed.data == "yes"


class CancelForm(ShopForm):
    """Cancel an order, saying why."""

    note = StringField(
        "Reason",
        validators=[DataRequired(message="Say why the order is cancelled."), Length(max=200)],
    )


class RefundLineForm(Form):
    """How many units of one line to refund."""

    line_id = HiddenField("Line")
    quantity = IntegerField(
        "Units to refund",
        default=0,
        validators=[Optional(), NumberRange(min=0, max=1000, message="Enter 0 or more.")],
    )


class RefundForm(ShopForm):
    """Refund some or all lines of an order, and say where the stock goes."""

    reason = StringField(
        "Reason", validators=[DataRequired(message="Say why you are refunding."), Length(max=200)]
    )
    stock = SelectField(
        "Returned units",
        choices=select_choices(
            [
                ("restock", "Back on the shelf (their lot)"),
                ("write_off", "Written off (opened or damaged; not put back)"),
            ]
        ),
        default="restock",
    )
    include_delivery = CheckboxField("Refund the delivery charge too")
    lines = BoundedFieldList(FormField(RefundLineForm), min_entries=0, max_entries=100)

    def quantities(self) -> dict[int, int]:
        """Return {order line id: units} for the lines with units to refund."""
        result = {}
        for entry in self.lines.entries:
            line_id = entry.form.line_id.data or ""
            if line_id.isdigit() and entry.form.quantity.data:
                result[int(line_id)] = entry.form.quantity.data
        return result
