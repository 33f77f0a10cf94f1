"""The rule checks behind a clinician's kit changes: the engine's rules, one product at a time."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from aftercare_fixtures import product

from shop.aftercare.checks import (
    PlacedItem,
    misfit_for_need,
    need_id_for,
    need_is_optional,
    need_label,
    place_for_swap,
    place_new_product,
    timeline_for_items,
    uncovered_needs,
    units_to_cover,
)
from shop.aftercare.engine import Profile, Screening
from shop.aftercare.protocols import load_protocols
from shop.aftercare.timeline import Window

NEEDLING = load_protocols()["microneedling"]
FAIR = Profile(fitzpatrick=2)
DEEP = Profile(fitzpatrick=5)
NO = Screening()
PREGNANT = Screening(pregnant_or_breastfeeding=True)
# Micro-needling bars pregnancy; to test the pregnancy product rules on their own, a copy
# of the protocol without its contraindications stands in for a treatment that only warns.
NEEDLING_NO_BARS = replace(NEEDLING, contraindications=())

CLEANSER = product("gentle-cleanser", "cleanser", 900)
SCENTED_CLEANSER = product("rose-cleanser", "cleanser", 900, fragrance_free=False)
OILY_CLEANSER = product("oil-cleanser", "cleanser", 900, actives={"essential-oils"})
CREAM = product("barrier-cream", "moisturiser", 1200)
ACID_CREAM = product("glow-cream", "moisturiser", 1200, actives={"aha"})
SPF30 = product("daily-spf30", "sunscreen", 1500, spf=30, uv_filter="chemical")
SPF50 = product("mineral-spf50", "sunscreen", 2400, spf=50, uv_filter="mineral")
RETINOL_SPF50 = product(
    "retinol-spf50", "sunscreen", 2400, spf=50, actives={"retinoid"}, pregnancy_safe=True
)
UNSAFE_SPF50 = product("unsafe-spf50", "sunscreen", 2400, spf=50, pregnancy_safe=False)
MIST = product("thermal-mist", "mist", 800)
SCENTED_MIST = product("rose-mist", "mist", 800, fragrance_free=False)
ARNICA = product("arnica-cream", "bruise-cream", 700, actives={"arnica"})


def test_a_fragranced_cleanser_is_refused_in_the_fragrance_window():
    """Micro-needling bans fragrance D0-D5, and the cleanser is used from D0."""
    assert misfit_for_need(NEEDLING, FAIR, NO, SCENTED_CLEANSER, "cleanser") == (
        "is not fragrance-free"
    )
    assert misfit_for_need(NEEDLING, FAIR, NO, OILY_CLEANSER, "cleanser") == (
        "is not fragrance-free"
    )
    assert misfit_for_need(NEEDLING, FAIR, NO, CLEANSER, "cleanser") is None


def test_an_avoided_active_is_refused_in_its_window():
    """Exfoliating acids are avoided D0-D7, when the moisturiser is used."""
    problem = misfit_for_need(NEEDLING, FAIR, NO, ACID_CREAM, "moisturiser")
    assert problem == "contains aha, which is to be avoided on those days"


def test_spf_below_50_is_refused_for_fitzpatrick_iv_to_vi_only():
    """SPF30 meets the need for fair skin; deeper skin needs SPF50."""
    assert misfit_for_need(NEEDLING, FAIR, NO, SPF30, "sunscreen") is None
    assert misfit_for_need(NEEDLING, DEEP, NO, SPF30, "sunscreen") == (
        "does not reach the SPF50 you need"
    )
    assert misfit_for_need(NEEDLING, DEEP, NO, SPF50, "sunscreen") is None


def test_pregnancy_refuses_products_not_marked_safe_and_retinoids():
    """Pregnancy removes products not marked safe, and retinoids whatever the label says."""
    assert misfit_for_need(NEEDLING_NO_BARS, FAIR, NO, UNSAFE_SPF50, "sunscreen") is None
    assert misfit_for_need(NEEDLING_NO_BARS, FAIR, PREGNANT, UNSAFE_SPF50, "sunscreen") == (
        "is not marked safe in pregnancy or while breastfeeding"
    )
    assert "retinoid" in misfit_for_need(
        NEEDLING_NO_BARS, FAIR, PREGNANT, RETINOL_SPF50, "sunscreen"
    )


def test_a_product_of_another_category_cannot_take_a_need():
    assert misfit_for_need(NEEDLING, FAIR, NO, CREAM, "cleanser") == "is not a cleanser"


def test_a_swap_takes_the_need_days_reason_and_enough_units():
    placed = place_for_swap(NEEDLING, DEEP, NO, replace(SPF50, days_per_unit=10), "sunscreen")
    assert placed.need_id == "sunscreen"
    assert (placed.use_from_day, placed.use_until_day) == (0, 14)
    assert placed.quantity == 2  # 15 days at 10 days a unit
    assert "SPF50" in placed.reason  # the Fitzpatrick note is part of the reason
    assert place_for_swap(NEEDLING, DEEP, NO, SPF30, "sunscreen") == (
        "does not reach the SPF50 you need"
    )


def test_an_added_product_fills_an_open_need_first_or_becomes_an_optional_extra():
    placed = place_new_product(NEEDLING, FAIR, NO, CREAM, covered_need_ids={"cleanser"})
    assert placed.need_id == "moisturiser" and not placed.optional
    extra = place_new_product(NEEDLING, FAIR, NO, MIST)
    assert extra.need_id == "extra:thermal-mist" and extra.optional
    assert (extra.use_from_day, extra.use_until_day) == (0, NEEDLING.healing_until_day)


def test_an_added_extra_must_pass_the_healing_window_rules():
    assert place_new_product(NEEDLING, FAIR, NO, SCENTED_MIST) == "is not fragrance-free"
    assert "arnica" in place_new_product(NEEDLING, FAIR, NO, ARNICA)


def test_an_added_product_that_fits_no_need_of_its_category_is_refused():
    assert place_new_product(NEEDLING, DEEP, NO, SPF30) == "does not reach the SPF50 you need"


@pytest.mark.parametrize(
    ("from_day", "until_day", "days_per_unit", "units"),
    [(0, 14, None, 1), (0, 14, 30, 1), (0, 14, 15, 1), (0, 14, 14, 2), (0, 6, 0, 1)],
)
def test_units_cover_the_window(from_day, until_day, days_per_unit, units):
    assert units_to_cover(from_day, until_day, days_per_unit) == units


def test_need_ids_are_found_from_an_engine_kit_item():
    assert need_id_for(NEEDLING, "sunscreen", 0, 14, "mineral-spf50") == "sunscreen"
    assert need_id_for(NEEDLING, "mist", 0, 3, "thermal-mist") == "extra:thermal-mist"
    assert need_label(NEEDLING, "extra:thermal-mist") == "Extra"
    assert need_is_optional(NEEDLING, "hat") and not need_is_optional(NEEDLING, "cleanser")
    assert need_is_optional(NEEDLING, "extra:thermal-mist")


def test_uncovered_needs_name_the_required_ones_only():
    assert uncovered_needs(NEEDLING, {"cleanser", "moisturiser", "sunscreen"}) == ()
    labels = uncovered_needs(NEEDLING, {"cleanser"})
    assert len(labels) == 2 and all(labels)


def test_the_timeline_uses_the_clinicians_products_and_highlights_today():
    treated_on = date(2026, 3, 2)
    items = [
        PlacedItem("Gentle Cleanser", "cleanser", 0, 14),
        PlacedItem("Thermal Mist", "extra:thermal-mist", 0, 3),
    ]
    avoid = [Window("Fragrance", 0, 5)]
    days = timeline_for_items(NEEDLING, items, avoid, treated_on, treated_on + timedelta(days=4))
    assert len(days) == NEEDLING.last_day + 1
    assert [d.day for d in days if d.is_today] == [4]
    day0 = days[0]
    assert any(text.startswith("Gentle Cleanser:") for text in day0.use)
    assert any(text.startswith("Thermal Mist:") for text in day0.use)
    assert "Fragrance" in day0.avoid and "Fragrance" not in days[6].avoid
    # A need with no product still shows, so the patient is never left without the step.
    assert any(text.startswith("Sun protection") or "SPF" in text for text in day0.use)
    assert not any(text.startswith("Thermal Mist:") for text in days[4].use)
