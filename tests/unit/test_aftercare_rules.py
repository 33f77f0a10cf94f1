"""The one clinical rule checker: windows, answers, skin types, kit placement and warnings."""

from __future__ import annotations

from dataclasses import replace

import pytest
from aftercare_fixtures import product

from shop.aftercare import rules
from shop.aftercare.inputs import Profile, Screening
from shop.aftercare.protocols import Need, load_protocols
from shop.aftercare.vocabulary import SCREENING_BAR_TEXT, TREATMENTS
from shop.aftercare.wording import day_words

PROTOCOLS = load_protocols()
NEEDLING = PROTOCOLS["microneedling"]
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
BHA_CLEANSER = product("bha-cleanser", "cleanser", 900, actives={"bha"})
CREAM = product("barrier-cream", "moisturiser", 1200)
SPF30 = product("daily-spf30", "sunscreen", 1500, spf=30, uv_filter="chemical")
SPF50 = product("mineral-spf50", "sunscreen", 2400, spf=50, uv_filter="mineral")
UNSAFE_SPF50 = product("unsafe-spf50", "sunscreen", 2400, spf=50, pregnancy_safe=False)
MIST = product("thermal-mist", "mist", 800)
SCENTED_MIST = product("rose-mist", "mist", 800, fragrance_free=False)
ARNICA = product("arnica-cream", "bruise-cream", 700, actives={"arnica"})
RETINOL_SERUM = product("retinol-serum", "serum", 2500, actives={"retinoid"})
BHA_SERUM = product("bha-serum", "serum", 2500, actives={"bha"})

# The last day each active is refused after each treatment, from the clinic's reference
# (cautious values where sources differ or say nothing for an active that stings healing skin).
STINGING = ("retinoid", "vitamin-c", "aha", "bha", "benzoyl-peroxide", "physical-exfoliant")
LAST_DAY = {
    slug: {**dict.fromkeys(STINGING, day), **exceptions}
    for slug, day, exceptions in (
        ("microneedling", 7, {}),
        ("chemical-peel-superficial", 10, {"physical-exfoliant": 7}),
        ("chemical-peel-medium", 10, {}),
        ("laser-ablative", 14, {}),
        ("laser-non-ablative", 7, {}),
        ("ipl", 7, {}),
        ("dermaplaning", 3, {"physical-exfoliant": 14}),
        ("microdermabrasion", 7, {}),
        ("hydrafacial", 2, {}),
        ("rf-microneedling", 7, {}),
        ("botulinum-toxin", 1, {}),
        ("dermal-filler", 1, {}),
    )
}
ISOTRETINOIN_MONTHS = {
    "microneedling": 3,
    "chemical-peel-superficial": 12,
    "chemical-peel-medium": 12,
    "laser-ablative": 12,
    "laser-non-ablative": 12,
    "ipl": 6,
    "dermaplaning": 12,
    "microdermabrasion": 12,
    "hydrafacial": 12,
    "rf-microneedling": 6,
}


def misfit_on_day(protocol, item, day, profile=FAIR, screening=NO):
    """Ask the checker about `item` used on one day only (a one-day need of its category)."""
    need = Need(
        id="probe",
        category=item.category,
        label="Probe",
        reason="Probe.",
        how="probe",
        from_day=day,
        until_day=day,
    )
    return rules.misfit(item, rules.effective_need(need, protocol, profile, screening))


def test_every_treatment_has_a_window_for_each_stinging_active():
    assert set(LAST_DAY) == set(TREATMENTS)


@pytest.mark.parametrize(
    ("slug", "active", "last_day"),
    [(slug, active, day) for slug, windows in LAST_DAY.items() for active, day in windows.items()],
)
def test_an_active_is_refused_through_its_last_day_and_allowed_the_day_after(
    slug, active, last_day
):
    protocol = PROTOCOLS[slug]
    serum = product(f"{active}-serum", "serum", 2000, actives={active})
    for day in (last_day - 1, last_day):
        problem = misfit_on_day(protocol, serum, day)
        assert problem is not None, (slug, active, day)
        assert f"up to and including {day_words(last_day)}" in problem
    assert misfit_on_day(protocol, serum, last_day + 1) is None


def test_the_reason_names_the_active_and_the_rule():
    problem = misfit_on_day(NEEDLING, RETINOL_SERUM, 0)
    assert problem == (
        "contains retinoid, and retinoids and vitamin C (L-ascorbic acid) serums are avoided "
        "up to and including the 7th day after treatment"
    )


@pytest.mark.parametrize(("slug", "months"), ISOTRETINOIN_MONTHS.items())
def test_each_treatment_s_own_isotretinoin_window_decides(slug, months):
    protocol = PROTOCOLS[slug]
    inside = Screening(isotretinoin_months_ago=months - 1)
    outside = Screening(isotretinoin_months_ago=months)
    reasons, _ = rules.suitability(protocol, FAIR, inside)
    assert any("isotretinoin" in reason for reason in reasons)
    reasons, _ = rules.suitability(protocol, FAIR, outside)
    assert not any("isotretinoin" in reason for reason in reasons)


def test_stopping_isotretinoin_five_months_ago_allows_needling_but_not_a_peel():
    five = Screening(isotretinoin_months_ago=5)
    assert rules.suitability(NEEDLING, FAIR, five)[0] == []
    assert rules.suitability(PROTOCOLS["chemical-peel-superficial"], FAIR, five)[0]


def test_recent_isotretinoin_means_within_the_treatment_s_own_window():
    recent = Screening(isotretinoin_recent=True)
    assert "isotretinoin_recent" in rules.answered_yes(NEEDLING, recent)
    reasons, _ = rules.suitability(NEEDLING, FAIR, recent)
    assert reasons and "3 months" in reasons[0]


def test_injectables_only_warn_about_recent_isotretinoin():
    reasons, warnings = rules.suitability(
        PROTOCOLS["botulinum-toxin"], FAIR, Screening(isotretinoin_months_ago=2)
    )
    assert reasons == [] and any("isotretinoin" in w for w in warnings)


@pytest.mark.parametrize("slug", TREATMENTS)
def test_the_not_suitable_list_comes_from_the_same_bars_as_the_refusal(slug):
    protocol = PROTOCOLS[slug]
    listed = rules.not_suitable_if(protocol)
    for bar in protocol.contraindications:
        line = SCREENING_BAR_TEXT[bar.screening].format(months=bar.months)
        assert (line in listed) == (bar.action == "unsuitable"), (slug, bar.screening)
    # A free-text line never repeats what a screening question asks.
    for line in protocol.also_not_suitable_if:
        assert "isotretinoin" not in line.lower() and "pregnant" not in line.lower()


def test_deep_skin_types_appear_in_the_list_when_a_treatment_refuses_them():
    assert "Your skin is Fitzpatrick type V-VI" in rules.not_suitable_if(PROTOCOLS["ipl"])


def test_fragrance_and_essential_oils_are_refused_in_the_fragrance_window():
    """Micro-needling avoids fragrance D0-D5; essential oils count as fragrance (data)."""
    for scented in (SCENTED_CLEANSER, OILY_CLEANSER):
        problem = misfit_on_day(NEEDLING, scented, 5)
        assert problem.startswith("is not fragrance-free, and products with fragrance")
        assert misfit_on_day(NEEDLING, scented, 6) is None
    assert misfit_on_day(NEEDLING, CLEANSER, 0) is None


def test_spf_below_50_is_refused_for_fitzpatrick_iv_to_vi_only():
    assert rules.misfit_for_need(NEEDLING, FAIR, NO, SPF30, "sunscreen") is None
    assert rules.misfit_for_need(NEEDLING, DEEP, NO, SPF30, "sunscreen") == (
        "does not reach the SPF50 needed"
    )
    assert rules.misfit_for_need(NEEDLING, DEEP, NO, SPF50, "sunscreen") is None


def test_pregnancy_refuses_unsafe_products_retinoids_and_leave_on_bha_only():
    unsafe = rules.misfit_for_need(NEEDLING_NO_BARS, FAIR, PREGNANT, UNSAFE_SPF50, "sunscreen")
    assert unsafe == "is not marked safe in pregnancy or while breastfeeding"
    assert rules.misfit_for_need(NEEDLING_NO_BARS, FAIR, NO, UNSAFE_SPF50, "sunscreen") is None
    late = PROTOCOLS["botulinum-toxin"]
    assert misfit_on_day(late, RETINOL_SERUM, 20, screening=PREGNANT).startswith(
        "contains retinoid; these are not advised"
    )
    assert misfit_on_day(late, BHA_SERUM, 20, screening=PREGNANT).startswith(
        "contains leave-on BHA"
    )
    # Salicylic acid in a cleanser is washed off, so it stays allowed.
    assert misfit_on_day(late, BHA_CLEANSER, 20, screening=PREGNANT) is None
    assert misfit_on_day(late, RETINOL_SERUM, 20) is None


def test_pregnancy_drops_advice_about_medicines_it_rules_out():
    protocol = NEEDLING_NO_BARS
    shown = rules.advice(protocol, Profile(4, frozenset({"pigmentation-prone"})), NO)
    hidden = rules.advice(protocol, Profile(4, frozenset({"pigmentation-prone"})), PREGNANT)
    assert len(hidden) <= len(shown)
    assert not any("hydroquinone" in line.lower() for line in hidden)


def test_a_product_of_another_category_cannot_take_a_need():
    assert rules.misfit_for_need(NEEDLING, FAIR, NO, CREAM, "cleanser") == "is not a cleanser"


def test_a_swap_takes_the_need_days_reason_and_enough_units():
    placed = rules.place_for_swap(NEEDLING, DEEP, NO, replace(SPF50, days_per_unit=10), "sunscreen")
    assert placed.need_id == "sunscreen"
    assert (placed.use_from_day, placed.use_until_day) == (0, 14)
    assert placed.quantity == 2  # 15 days at 10 days a unit
    assert "SPF50" in placed.reason  # the Fitzpatrick note is part of the reason


def test_an_added_product_fills_an_open_need_first_or_becomes_an_optional_extra():
    placed = rules.place_new_product(NEEDLING, FAIR, NO, CREAM, covered_need_ids={"cleanser"})
    assert placed.need_id == "moisturiser" and not placed.optional
    extra = rules.place_new_product(NEEDLING, FAIR, NO, MIST)
    assert extra.need_id == "extra:thermal-mist" and extra.optional
    assert (extra.use_from_day, extra.use_until_day) == (0, NEEDLING.healing_until_day)


def test_an_added_extra_must_pass_the_healing_window_rules():
    assert rules.place_new_product(NEEDLING, FAIR, NO, SCENTED_MIST).startswith(
        "is not fragrance-free"
    )
    assert "arnica" in rules.place_new_product(NEEDLING, FAIR, NO, ARNICA)
    assert rules.place_new_product(NEEDLING, FAIR, NO, RETINOL_SERUM).startswith(
        "contains retinoid"
    )


@pytest.mark.parametrize(
    ("from_day", "until_day", "days_per_unit", "units"),
    [(0, 14, None, 1), (0, 14, 30, 1), (0, 14, 15, 1), (0, 14, 14, 2), (0, 6, 0, 1)],
)
def test_units_cover_the_window(from_day, until_day, days_per_unit, units):
    assert rules.units_to_cover(from_day, until_day, days_per_unit) == units


def test_need_labels_and_optional_needs():
    assert rules.need_label(NEEDLING, "extra:thermal-mist") == "Extra"
    assert rules.need_is_optional(NEEDLING, "hat")
    assert not rules.need_is_optional(NEEDLING, "cleanser")
    assert rules.need_is_optional(NEEDLING, "extra:thermal-mist")
    assert rules.uncovered_needs(NEEDLING, {"cleanser", "moisturiser", "sunscreen"}) == ()
    assert len(rules.uncovered_needs(NEEDLING, {"cleanser"})) == 2


def test_kit_warnings_check_every_skin_type_in_the_kit_s_range():
    items = [(CLEANSER, ""), (CREAM, ""), (SPF30, "")]
    warnings = rules.kit_warnings(NEEDLING, items, 1, 6)
    assert warnings == [
        "Daily Spf30 does not reach the SPF50 needed for Fitzpatrick IV-VI skin (Micro-needling)."
    ]
    assert rules.kit_warnings(NEEDLING, items, 1, 3) == []


def test_kit_warnings_name_an_active_in_its_window_and_missing_needs():
    warnings = rules.kit_warnings(NEEDLING, [(CLEANSER, ""), (RETINOL_SERUM, "")], 1, 3)
    assert warnings[0].startswith("Retinol Serum contains retinoid, and retinoids")
    assert warnings[1] == (
        "For Micro-needling the kit has nothing for: intensive moisturiser, "
        "broad-spectrum sunscreen."
    )
