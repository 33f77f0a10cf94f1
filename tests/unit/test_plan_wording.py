"""How days and windows read to patients, and where today falls in a plan."""

from datetime import date

import pytest

from shop.aftercare.wording import day_words, long_date, ordinal, window_words

TREATED = date(2026, 11, 30)  # a Monday


@pytest.mark.parametrize(
    ("number", "word"), [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (22, "22nd")]
)
def test_ordinals(number, word):
    assert ordinal(number) == word


def test_a_window_with_a_treatment_date_reads_as_inclusive_dates():
    assert window_words(None, 3, TREATED) == "up to and including Thursday 3 December"
    assert (
        window_words(1, 3, TREATED)
        == "from Tuesday 1 December up to and including Thursday 3 December"
    )
    assert window_words(2, 2, TREATED) == "on Wednesday 2 December only"


def test_a_window_without_a_date_reads_in_plain_words():
    assert (
        window_words(0, 5)
        == "from the day of treatment up to and including the 5th day after treatment"
    )
    assert window_words(None, 1) == "up to and including the day after treatment"
    assert day_words(0) == "the day of treatment"


def test_a_date_in_another_year_than_the_reference_names_its_year():
    assert long_date(date(2027, 1, 4), reference=TREATED) == "Monday 4 January 2027"
    assert long_date(date(2026, 12, 4), reference=TREATED) == "Friday 4 December"
