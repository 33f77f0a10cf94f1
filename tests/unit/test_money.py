"""Money arithmetic and formatting in pence."""

from decimal import Decimal

import pytest
from babel.numbers import format_currency

from shop import money
from shop.money import format_pence, parse_pounds, percent_of, plain_pounds, vat_included


@pytest.mark.parametrize(
    ("pence", "text"),
    [(0, "£0.00"), (5, "£0.05"), (1999, "£19.99"), (123456, "£1,234.56")],
)
def test_prices_are_formatted_in_pounds(pence, text):
    assert format_pence(pence) == text


def test_missing_amount_formats_as_empty():
    assert format_pence(None) == ""


@pytest.mark.parametrize(
    ("pence", "currency", "locale"),
    [
        (-1250, "GBP", "en_GB"),
        (99999999, "GBP", "en_GB"),
        (1999, "EUR", "de_DE"),
        (1999, "GBP", "fr_FR"),
        (123456, "USD", "en_US"),
    ],
)
def test_remembered_prices_read_exactly_as_babel_writes_them(pence, currency, locale):
    expected = format_currency(Decimal(pence) / 100, currency, locale=locale)
    assert format_pence(pence, currency, locale) == expected
    assert format_pence(pence, currency, locale) == expected  # the remembered answer


def test_a_price_shown_again_is_not_formatted_again(monkeypatch):
    calls = []

    def counting_format_currency(*args, **kwargs):
        calls.append(args)
        return format_currency(*args, **kwargs)

    money._formatted_price.cache_clear()
    monkeypatch.setattr(money, "format_currency", counting_format_currency)
    try:
        assert [format_pence(4599) for _ in range(3)] == ["£45.99"] * 3
        assert format_pence(4599, "EUR", "de_DE") == "45,99\xa0€"
    finally:
        money._formatted_price.cache_clear()  # no answer from the counting stand-in stays
    assert len(calls) == 2


@pytest.mark.parametrize(
    ("pence", "percent", "expected"),
    [(1000, 10, 100), (4599, 15, 690), (1, 50, 1), (3, 10, 0), (0, 20, 0)],
)
def test_percentages_round_half_up_to_the_penny(pence, percent, expected):
    assert percent_of(pence, percent) == expected


@pytest.mark.parametrize(
    ("gross", "rate_bp", "vat"),
    [(1200, 2000, 200), (1999, 2000, 333), (1000, 0, 0), (105, 500, 5)],
)
def test_vat_is_extracted_from_inclusive_prices(gross, rate_bp, vat):
    assert vat_included(gross, rate_bp) == vat


@pytest.mark.parametrize(
    ("pence", "text"),
    [
        (0, "0.00"),
        (5, "0.05"),
        (1250, "12.50"),
        (123456, "1234.56"),
        (-1250, "-12.50"),
        (-5, "-0.05"),
    ],
)
def test_csv_amounts_are_bare_pounds_with_two_decimals(pence, text):
    assert plain_pounds(pence) == text


def test_missing_csv_amount_is_empty():
    assert plain_pounds(None) == ""


@pytest.mark.parametrize(
    ("text", "pence"),
    [("4", 400), ("4.5", 450), ("4.50", 450), ("0.01", 1), ("999999.99", 99999999)],
)
def test_pounds_typed_by_staff_are_read_into_pence(text, pence):
    assert parse_pounds(text) == pence


@pytest.mark.parametrize(
    "text", ["", "-1", "+1", "£4.50", "4.505", "1,000", "1234567", ".5", "4.", "abc", " 4"]
)
def test_anything_but_a_plain_pounds_amount_is_refused(text):
    with pytest.raises(ValueError):
        parse_pounds(text)
