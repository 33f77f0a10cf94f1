"""Tests of the aftercare engine: suitability, kit choice, substitutions and timeline."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import date, timedelta
from itertools import pairwise

import pytest
from aftercare_fixtures import assert_plan_invariants, catalogue, product

from shop.aftercare import Catalogue, Profile, Screening, plan
from shop.aftercare.protocols import load_protocols
from shop.aftercare.timeline import Window, build_timeline, overlaps
from shop.aftercare.vocabulary import CONCERNS, SCREENING_QUESTIONS, TREATMENTS

TREATED = date(2026, 3, 2)
TODAY = date(2026, 3, 5)
# A treatment still to come: a bar then means "do not go ahead", with no kit to buy.
PLANNED = date(2026, 3, 12)
CLEAR = Screening()


@pytest.fixture(scope="module")
def protocols():
    return load_protocols()


@pytest.fixture
def shop():
    return catalogue()


def make_plan(protocols, slug, profile, screening=CLEAR, shop=None, treated=TREATED, today=TODAY):
    return plan(protocols[slug], profile, screening, treated, today, shop or catalogue())


def item_slugs(result):
    return [item.slug for item in result.kit.items]


def item_for(result, category, shop):
    return next(i for i in result.kit.items if shop.products[i.slug].category == category)


# --- every treatment, several profiles ------------------------------------------------------

PROFILES = {
    "fair-no-concerns": Profile(2),
    "medium-acne-oily": Profile(3, frozenset({"acne-prone", "oily"})),
    "deep-dry": Profile(5, frozenset({"dry"})),
    "deep-sensitive-pigment": Profile(4, frozenset({"sensitive", "pigmentation-prone"})),
}
# Profiles a treatment refuses by design (tested separately below).
REFUSED = {
    ("laser-ablative", "deep-dry"),
    ("laser-ablative", "deep-sensitive-pigment"),
    ("ipl", "deep-dry"),
    ("ipl", "deep-sensitive-pigment"),
    ("dermaplaning", "deep-sensitive-pigment"),
    ("microdermabrasion", "deep-sensitive-pigment"),
}
CASES = [(slug, name) for slug in TREATMENTS for name in PROFILES if (slug, name) not in REFUSED]


@pytest.mark.parametrize(("slug", "profile_name"), CASES)
def test_every_treatment_gives_a_safe_complete_plan(protocols, shop, slug, profile_name):
    profile = PROFILES[profile_name]
    result = make_plan(protocols, slug, profile, shop=shop)
    assert result.suitable, result.reasons
    assert result.reasons == ()
    assert_plan_invariants(result, protocols[slug], profile, False, shop)
    # The fixture catalogue can meet every required need, so nothing is left unmet.
    assert all(s.chosen is not None for s in result.substitutions if s.need != "kit")
    covered = {(i.use_from_day, i.use_until_day) for i in result.kit.items}
    for need in protocols[slug].needs:
        if not need.optional:
            assert (need.from_day, need.until_day) in covered, need.id


@pytest.mark.parametrize("slug", TREATMENTS)
def test_at_least_two_profiles_per_treatment_are_covered(slug):
    assert sum(1 for s, _ in CASES if s == slug) >= 2


@pytest.mark.parametrize("slug", TREATMENTS)
def test_pregnancy_gives_a_pregnancy_safe_plan_once_treated(protocols, shop, slug):
    """Whether or not pregnancy bars the treatment, after it the aftercare is pregnancy-safe."""
    pregnant = Screening(pregnant_or_breastfeeding=True)
    result = make_plan(protocols, slug, Profile(2), pregnant, shop=shop)
    bars = {c.screening: c.action for c in protocols[slug].contraindications}
    assert result.suitable == (bars.get("pregnant_or_breastfeeding") != "unsuitable")
    assert result.contact_clinic == (not result.suitable)
    assert_plan_invariants(result, protocols[slug], Profile(2), True, shop)


# --- rule 1 and 2: avoided actives and fragrance --------------------------------------------


def test_item_never_contains_an_active_avoided_while_it_is_used(protocols):
    # The retinol cream is the cheapest non-licensed moisturiser and fits everything else.
    shop = catalogue(
        **{"ceramide-moisturiser": {"sellable": 0}, "oil-free-gel-cream": {"sellable": 0}}
    )
    result = make_plan(protocols, "chemical-peel-superficial", Profile(2), shop=shop)
    assert "retinol-night-cream" not in item_slugs(result)
    assert_plan_invariants(result, protocols["chemical-peel-superficial"], Profile(2), False, shop)


def test_avoid_window_applies_on_its_last_day_and_not_after(protocols):
    # HydraFacial avoids retinoids D0-D2. Move the moisturiser window to start on D2, then D3.
    shop = catalogue(
        **{"oil-free-gel-cream": {"sellable": 0}, "ceramide-moisturiser": {"sellable": 0}}
    )
    base = protocols["hydrafacial"]
    retinoid_rule = next(a for a in base.avoid if "retinoid" in a.actives)
    assert retinoid_rule.until_day == 2

    def with_moisturiser_from(day):
        needs = tuple(
            replace(n, from_day=day) if n.category == "moisturiser" else n for n in base.needs
        )
        return replace(base, needs=needs)

    touching = plan(with_moisturiser_from(2), Profile(2), CLEAR, TREATED, TODAY, shop)
    assert "retinol-night-cream" not in item_slugs(touching)
    after = plan(with_moisturiser_from(3), Profile(2), CLEAR, TREATED, TODAY, shop)
    assert "retinol-night-cream" in item_slugs(after)


def test_fragrance_window_makes_every_item_used_in_it_fragrance_free(protocols):
    # A scented SPF50 that is the cheapest of the equally ranked sunscreens, and a rose cream
    # whose essential oils count as fragrance even when the label says fragrance-free.
    shop = catalogue(
        **{
            "silky-spf30": {"spf": 50, "price_pence": 1500},
            "rich-rose-cream": {"fragrance_free": True, "price_pence": 100},
            "ceramide-moisturiser": {"sellable": 0},
            "oil-free-gel-cream": {"sellable": 0},
        }
    )
    kits_off = Catalogue(products=shop.products, kits=())
    result = make_plan(protocols, "microneedling", Profile(2), shop=kits_off)
    assert "silky-spf30" not in item_slugs(result)
    assert "rich-rose-cream" not in item_slugs(result)
    for item in result.kit.items:
        if overlaps(item.use_from_day, item.use_until_day, 0, 5):
            sold = shop.products[item.slug]
            assert sold.fragrance_free and "essential-oils" not in sold.actives, item.slug
    # Outside any fragrance window the scented sunscreen is a fair choice.
    no_fragrance_rule = replace(
        protocols["microneedling"],
        avoid=tuple(a for a in protocols["microneedling"].avoid if not a.fragrance),
    )
    free = plan(no_fragrance_rule, Profile(2), CLEAR, TREATED, TODAY, kits_off)
    assert "silky-spf30" in item_slugs(free)


def test_essential_oils_break_a_fragrance_window_even_when_not_listed(protocols):
    # RF micro-needling's fragrance rule lists petrolatum and silicone, not essential oils.
    rule = next(a for a in protocols["rf-microneedling"].avoid if a.fragrance)
    assert "essential-oils" not in rule.actives
    shop = catalogue(**{"cica-balm": {"actives": frozenset({"panthenol", "essential-oils"})}})
    result = make_plan(protocols, "rf-microneedling", Profile(2), shop=shop)
    assert "cica-balm" not in item_slugs(result)
    assert next(s for s in result.substitutions if s.need == "balm").chosen is None


def test_curated_kit_with_an_avoided_active_is_rejected(protocols, shop):
    result = make_plan(protocols, "ipl", Profile(2), shop=shop)
    assert result.kit.slug is None
    kit_note = next(s for s in result.substitutions if s.need == "kit")
    assert kit_note.instead_of == "ipl-glow"
    assert "Retinol Night Cream" in kit_note.reason and "retinoid" in kit_note.reason


# --- rule 3: deeper skin tones --------------------------------------------------------------


@pytest.mark.parametrize("skin", [4, 5, 6])
@pytest.mark.parametrize(
    "slug", ["microneedling", "chemical-peel-medium", "laser-non-ablative", "rf-microneedling"]
)
def test_fitzpatrick_four_to_six_get_tinted_mineral_spf50(protocols, shop, slug, skin):
    result = make_plan(protocols, slug, Profile(skin), shop=shop)
    sunscreen = item_for(result, "sunscreen", shop)
    assert sunscreen.slug == "tinted-mineral-spf50"
    assert "SPF50" in sunscreen.reason


def test_fitzpatrick_five_never_gets_under_spf50_even_when_tint_is_out(protocols):
    shop = catalogue(**{"tinted-mineral-spf50": {"sellable": 0}, "mineral-spf50": {"sellable": 0}})
    result = make_plan(protocols, "chemical-peel-superficial", Profile(5), shop=shop)
    sunscreen = item_for(result, "sunscreen", shop)
    assert shop.products[sunscreen.slug].spf >= 50
    assert sunscreen.slug == "light-spf50"


def test_fitzpatrick_five_gets_no_sunscreen_rather_than_a_weak_one(protocols):
    out = {"sellable": 0}
    shop = catalogue(**{"tinted-mineral-spf50": out, "mineral-spf50": out, "light-spf50": out})
    result = make_plan(protocols, "chemical-peel-superficial", Profile(5), shop=shop)
    assert "silky-spf30" not in item_slugs(result)
    unmet = next(s for s in result.substitutions if s.need == "sunscreen")
    assert unmet.chosen is None
    assert unmet.instead_of == "tinted-mineral-spf50"


def test_fair_skin_may_get_spf30(protocols):
    shop = catalogue(**{"silky-spf30": {"fragrance_free": True}})
    result = make_plan(protocols, "chemical-peel-superficial", Profile(1), shop=shop)
    assert shop.products[item_for(result, "sunscreen", shop).slug].spf >= 30


def test_pigmentation_prone_gets_tinted_mineral_spf50_at_any_type(protocols, shop):
    profile = Profile(2, frozenset({"pigmentation-prone"}))
    result = make_plan(protocols, "ipl", profile, shop=shop)
    assert item_for(result, "sunscreen", shop).slug == "tinted-mineral-spf50"


# --- rule 4: acne-prone ---------------------------------------------------------------------


def test_acne_prone_gets_non_comedogenic_moisturiser(protocols, shop):
    profile = Profile(2, frozenset({"acne-prone"}))
    for slug in ("microneedling", "ipl", "hydrafacial", "microdermabrasion"):
        result = make_plan(protocols, slug, profile, shop=shop)
        moisturiser = item_for(result, "moisturiser", shop)
        assert shop.products[moisturiser.slug].non_comedogenic, slug


def test_acne_prone_keeps_ointment_only_within_the_healing_window(protocols, shop):
    profile = Profile(2, frozenset({"acne-prone"}))
    protocol = protocols["chemical-peel-medium"]
    result = plan(protocol, profile, CLEAR, TREATED, TODAY, shop)
    ointment = item_for(result, "ointment", shop)
    assert ointment.use_until_day <= protocol.healing_until_day
    later = item_for(result, "moisturiser", shop)
    assert later.use_from_day > protocol.healing_until_day
    assert not shop.products[later.slug].occlusive
    assert shop.products[later.slug].non_comedogenic


def test_occlusive_moisturiser_is_refused_after_healing_for_acne_prone_only(protocols):
    # Make the occlusive rose cream scent-free and non-comedogenic so only occlusion differs.
    shop = catalogue(
        **{
            "rich-rose-cream": {
                "fragrance_free": True,
                "actives": frozenset(),
                "non_comedogenic": True,
            }
        }
    )
    plain = make_plan(protocols, "laser-ablative", Profile(2), shop=shop)
    assert item_for(plain, "moisturiser", shop).slug == "rich-rose-cream"
    acne = make_plan(protocols, "laser-ablative", Profile(2, frozenset({"acne-prone"})), shop=shop)
    assert item_for(acne, "moisturiser", shop).slug == "oil-free-gel-cream"


# --- sensitive ------------------------------------------------------------------------------


def test_sensitive_skin_gets_mineral_fragrance_and_alcohol_free_products(protocols, shop):
    profile = Profile(2, frozenset({"sensitive"}))
    result = make_plan(protocols, "laser-non-ablative", profile, shop=shop)
    sunscreen = shop.products[item_for(result, "sunscreen", shop).slug]
    assert sunscreen.uv_filter == "mineral"
    for item in result.kit.items:
        sold = shop.products[item.slug]
        assert sold.fragrance_free and sold.alcohol_free
        assert "aha" not in sold.actives


# --- rule 5: pregnancy ----------------------------------------------------------------------


def test_pregnancy_removes_retinoids_leave_on_bha_and_unsafe_products(protocols):
    # Strip the protocol's own avoid list so only the pregnancy rule can exclude them.
    protocol = replace(protocols["dermaplaning"], avoid=(), contraindications=())
    shop = catalogue(
        **{
            "retinol-night-cream": {
                "category": "serum",
                "actives": frozenset({"retinoid", "hyaluronic-acid"}),
                "price_pence": 100,
            },
            "ha-serum": {"pregnancy_safe": False, "price_pence": 200},
            "salicylic-gel-cleanser": {"fragrance_free": True},
        }
    )
    pregnant = Screening(pregnant_or_breastfeeding=True)
    not_pregnant = plan(protocol, Profile(2), CLEAR, TREATED, TODAY, shop)
    assert item_for(not_pregnant, "serum", shop).slug == "retinol-night-cream"
    result = plan(protocol, Profile(2), pregnant, TREATED, TODAY, shop)
    serum = item_for(result, "serum", shop)
    assert serum.slug == "vitamin-c-serum"  # not the retinol, the unsafe HA or the BHA serum
    # A wash-off BHA cleanser stays allowed.
    protocol = replace(
        protocol,
        needs=tuple(replace(n, requires=replace(n.requires, excludes=())) for n in protocol.needs),
    )
    washed = plan(protocol, Profile(2, frozenset({"acne-prone"})), pregnant, TREATED, TODAY, shop)
    assert item_for(washed, "cleanser", shop).slug == "salicylic-gel-cleanser"
    assert_plan_invariants(washed, protocol, Profile(2, frozenset({"acne-prone"})), True, shop)


def test_pregnancy_adds_reason_for_treatments_that_list_it(protocols, shop):
    pregnant = Screening(pregnant_or_breastfeeding=True)
    result = make_plan(protocols, "microneedling", Profile(2), pregnant, shop=shop)
    assert not result.suitable
    assert any("pregnancy" in r for r in result.reasons)


def test_pregnancy_drops_hydroquinone_and_tretinoin_advice(protocols, shop):
    # Microdermabrasion is the one treatment that allows pregnancy; give it pigment advice.
    needling = protocols["microneedling"]
    protocol = replace(protocols["microdermabrasion"], advice=needling.advice)
    profile = Profile(5)
    before = plan(protocol, profile, CLEAR, TREATED, TODAY, shop)
    assert any("hydroquinone" in a for a in before.advice)
    pregnant = Screening(pregnant_or_breastfeeding=True)
    result = plan(protocol, profile, pregnant, TREATED, TODAY, shop)
    assert result.suitable
    assert not any("hydroquinone" in a or "tretinoin" in a for a in result.advice)
    assert any("azelaic acid (10%)" in a for a in result.advice)
    assert "pregnant" in " ".join(result.warnings)
    assert any("hydroquinone" in a.what for a in result.avoid)


# --- rule 6 and 7: stock and licensed medicines ---------------------------------------------


def test_out_of_stock_best_choice_is_replaced_and_explained(protocols):
    shop = catalogue(**{"tinted-mineral-spf50": {"sellable": 0}})
    result = make_plan(protocols, "rf-microneedling", Profile(5), shop=shop)
    sunscreen = item_for(result, "sunscreen", shop)
    assert sunscreen.slug == "mineral-spf50"
    note = next(s for s in result.substitutions if s.need == "sunscreen")
    assert (note.chosen, note.instead_of) == ("mineral-spf50", "tinted-mineral-spf50")
    assert "out of stock" in note.reason


def test_product_without_enough_units_for_the_window_counts_as_out_of_stock(protocols):
    # Three sheet masks are needed (D0-D2, one a day) but only two can be sold.
    shop = catalogue(**{"hydrogel-mask": {"sellable": 2}})
    result = make_plan(protocols, "rf-microneedling", Profile(2), shop=shop)
    assert "hydrogel-mask" not in item_slugs(result)
    assert next(s for s in result.substitutions if s.need == "sheet-mask").chosen is None


def test_in_stock_product_always_beats_an_out_of_stock_one(protocols):
    for slug in TREATMENTS:
        shop = catalogue(**{p: {"sellable": 0} for p in ("gentle-cream-cleanser", "mineral-spf50")})
        result = make_plan(protocols, slug, Profile(2), shop=shop)
        if result.kit is None:
            continue
        for item in result.kit.items:
            if result.kit.slug is None:
                assert shop.products[item.slug].sellable >= item.quantity


def test_licensed_medicines_are_never_kit_items(protocols, shop):
    for slug in TREATMENTS:
        for profile in PROFILES.values():
            result = make_plan(protocols, slug, profile, shop=shop)
            if result.kit is not None:
                assert "tretinoin-cream" not in item_slugs(result)
                assert "hydroquinone-serum" not in item_slugs(result)


def test_curated_kit_containing_a_licensed_medicine_is_rejected(protocols):
    shop = catalogue()
    kit = replace(
        shop.kits[0],
        items=(("gentle-cream-cleanser", 1), ("tretinoin-cream", 1), ("mineral-spf50", 1)),
    )
    shop = Catalogue(products=shop.products, kits=(kit,))
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    assert result.kit.slug is None
    assert "licensed medicine" in result.substitutions[0].reason


# --- rule 8: contraindications --------------------------------------------------------------

CONTRAINDICATIONS = [
    (slug, rule.screening, rule.action, rule.message)
    for slug, protocol in load_protocols().items()
    for rule in protocol.contraindications
]


@pytest.mark.parametrize(("slug", "key", "action", "message"), CONTRAINDICATIONS)
def test_each_screening_answer_bars_or_warns_as_the_protocol_says(
    protocols, shop, slug, key, action, message
):
    answers = Screening(**{key: True})
    result = make_plan(protocols, slug, Profile(2), answers, shop=shop, treated=PLANNED)
    if action == "unsuitable":
        assert result.suitable is False
        assert message in result.reasons
        assert result.kit is None and result.timeline == () and result.today_day is None
        assert "speak to the clinic" in result.reasons[-1]
        assert result.contact_clinic is False
    else:
        assert result.suitable is True
        assert message in result.warnings
        assert result.kit is not None


def test_every_bar_is_reported_when_several_answers_are_yes(protocols, shop):
    answers = Screening(isotretinoin_recent=True, open_wounds=True, skin_infection=True)
    result = make_plan(protocols, "microneedling", Profile(2), answers, shop=shop, treated=PLANNED)
    assert len(result.reasons) == 4  # three bars plus the speak-to-the-clinic line


def test_cold_sores_only_warn_for_microneedling_and_add_antiviral_advice(protocols, shop):
    result = make_plan(
        protocols, "microneedling", Profile(2), Screening(cold_sores=True), shop=shop
    )
    assert result.suitable
    assert any("cold sore" in w for w in result.warnings)
    assert any("antiviral" in a for a in result.advice)
    clear = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    assert not any("antiviral" in a for a in clear.advice)


# Words that speak of the treatment as still to come.
STILL_TO_COME = re.compile(
    r"before (the )?(treatment|peel|laser|lip filler|your appointment)|at your appointment"
    r"|will assess|check it first|treatment waits|is postponed|cover (is|may be) needed"
    r"|test patch first|to start before",
    re.IGNORECASE,
)


@pytest.mark.parametrize("slug", TREATMENTS)
def test_advice_and_warnings_for_a_treatment_done_today_speak_of_it_as_done(protocols, slug):
    warn_only = Screening(cold_sores=True, blood_thinners=True, isotretinoin_recent=True)
    for skin in range(1, 7):
        for answers in (warn_only, Screening(cold_sores=True)):
            result = make_plan(
                protocols, slug, Profile(skin, frozenset(CONCERNS)), answers, today=TREATED
            )
            for text in (*result.advice, *result.warnings):
                assert not STILL_TO_COME.search(text), text


def test_a_treatment_still_to_come_keeps_the_advice_for_before_it(protocols, shop):
    cold_sores = Screening(cold_sores=True)
    planned = make_plan(protocols, "microneedling", Profile(2), cold_sores, shop, treated=PLANNED)
    done = make_plan(protocols, "microneedling", Profile(2), cold_sores, shop, today=TREATED)
    assert any("antiviral tablets before treatment" in a for a in planned.advice)
    assert not any("before treatment" in a for a in done.advice)
    assert any("antiviral tablets in the days after treatment" in a for a in done.advice)
    laser = make_plan(protocols, "laser-ablative", Profile(2), cold_sores, shop, treated=PLANNED)
    assert any("antiviral cover is needed" in w for w in laser.warnings)


def test_blood_thinners_bar_fillers_but_only_warn_elsewhere(protocols, shop):
    thinners = Screening(blood_thinners=True)
    filler = make_plan(protocols, "dermal-filler", Profile(2), thinners, shop=shop)
    assert not filler.suitable
    for slug in ("microneedling", "rf-microneedling", "botulinum-toxin"):
        result = make_plan(protocols, slug, Profile(2), thinners, shop=shop)
        assert result.suitable, slug
        assert any("bruis" in w for w in result.warnings), slug


@pytest.mark.parametrize("skin", [5, 6])
def test_ipl_refuses_fitzpatrick_five_and_six(protocols, shop, skin):
    result = make_plan(protocols, "ipl", Profile(skin), shop=shop)
    assert not result.suitable
    assert "not offered" in result.reasons[0]


def test_ipl_for_fitzpatrick_four_waits_for_a_clinician(protocols, shop):
    result = make_plan(protocols, "ipl", Profile(4), shop=shop)
    assert not result.suitable
    assert "clinician" in result.reasons[0]
    assert make_plan(protocols, "ipl", Profile(3), shop=shop).suitable


@pytest.mark.parametrize("skin", [4, 5, 6])
def test_ablative_laser_for_fitzpatrick_four_to_six_is_clinician_only(protocols, shop, skin):
    result = make_plan(protocols, "laser-ablative", Profile(skin), shop=shop)
    assert not result.suitable
    assert "clinician" in result.reasons[0]


def test_fitzpatrick_caution_and_pigment_risk_are_warnings(protocols, shop):
    peel = make_plan(protocols, "chemical-peel-superficial", Profile(3), shop=shop)
    assert peel.suitable and any("Type III" in w for w in peel.warnings)
    needling = make_plan(protocols, "microneedling", Profile(4), shop=shop)
    assert any("dark marks" in w for w in needling.warnings)
    assert make_plan(protocols, "microneedling", Profile(2), shop=shop).warnings == ()


@pytest.mark.parametrize(
    ("slug", "concern"),
    [
        ("dermaplaning", "sensitive"),
        ("microdermabrasion", "sensitive"),
        ("microdermabrasion", "pigmentation-prone"),
    ],
)
def test_concern_level_contraindications_bar_the_treatment(protocols, shop, slug, concern):
    profile = Profile(2, frozenset({concern}))
    result = make_plan(protocols, slug, profile, shop=shop, treated=PLANNED)
    assert not result.suitable
    assert result.kit is None


@pytest.mark.parametrize(
    ("slug", "concern"),
    [
        ("dermaplaning", "acne-prone"),
        ("rf-microneedling", "acne-prone"),
        ("hydrafacial", "sensitive"),
        ("ipl", "pigmentation-prone"),
        ("laser-non-ablative", "pigmentation-prone"),
    ],
)
def test_concern_level_cautions_are_warnings(protocols, shop, slug, concern):
    result = make_plan(protocols, slug, Profile(2, frozenset({concern})), shop=shop)
    assert result.suitable
    # Already treated: each caution in its after-treatment words where it has them.
    shown = [r.once_treated or r.message for r in protocols[slug].concern_rules]
    assert any(text in result.warnings for text in shown)


# --- rule 9: kit choice ---------------------------------------------------------------------


def test_best_fitting_curated_kit_is_chosen_with_its_price(protocols, shop):
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    assert result.kit.slug == "needling-essentials"
    assert result.kit.price_pence == 5900
    assert result.substitutions == ()
    hat = next(i for i in result.kit.items if i.slug == "sun-hat")
    assert (hat.use_from_day, hat.use_until_day) == (0, 14)
    assert all(item.reason for item in result.kit.items)


def test_kit_for_the_patients_concern_wins_over_a_general_one(protocols, shop):
    profile = Profile(2, frozenset({"acne-prone"}))
    result = make_plan(protocols, "microneedling", profile, shop=shop)
    assert result.kit.slug == "needling-clear-skin"


def test_kit_covering_more_needs_wins(protocols, shop):
    # Both apply to dry skin; the essentials kit also brings the optional hat.
    clear = next(k for k in shop.kits if k.slug == "needling-clear-skin")
    both = replace(clear, concerns=frozenset(), slug="aaa-needling-basic")
    shop = Catalogue(products=shop.products, kits=(*shop.kits, both))
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    assert result.kit.slug == "needling-essentials"


def test_kit_outside_its_fitzpatrick_range_does_not_apply(protocols, shop):
    result = make_plan(protocols, "microneedling", Profile(5), shop=shop)
    assert result.kit.slug == "needling-deeper-skin"


def test_unavailable_kit_falls_back_to_an_assembled_kit(protocols):
    shop = catalogue()
    kits = tuple(
        replace(k, available=0) if k.slug == "needling-essentials" else k for k in shop.kits
    )
    shop = Catalogue(products=shop.products, kits=kits)
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    assert result.kit.slug is None
    note = next(s for s in result.substitutions if s.need == "kit")
    assert note.instead_of == "needling-essentials"
    assert "out of stock" in note.reason
    assert_plan_invariants(result, protocols["microneedling"], Profile(2), False, shop)


def test_kit_missing_a_required_need_is_not_chosen(protocols):
    shop = catalogue()
    kit = replace(shop.kits[0], items=(("gentle-cream-cleanser", 1), ("mineral-spf50", 1)))
    shop = Catalogue(products=shop.products, kits=(kit,))
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    assert result.kit.slug is None
    assert "intensive moisturiser" in result.substitutions[0].reason


def test_assembled_kit_is_priced_as_the_sum_of_its_items(protocols):
    shop = catalogue(**{"mineral-spf50": {"days_per_unit": 7}})
    result = make_plan(protocols, "dermaplaning", Profile(2), shop=shop)
    assert result.kit.slug is None
    assert result.kit.name
    total = sum(shop.products[i.slug].price_pence * i.quantity for i in result.kit.items)
    assert result.kit.price_pence == total
    sunscreen = item_for(result, "sunscreen", shop)
    assert sunscreen.quantity == 3  # D0-D14 is 15 days, 7 days a unit
    note = next(s for s in result.substitutions if s.need == "kit")
    assert note.instead_of is None


def test_quantity_is_one_for_items_that_last_the_whole_aftercare(protocols, shop):
    result = make_plan(protocols, "laser-ablative", Profile(2), shop=shop)
    compress = item_for(result, "compress", shop)
    assert compress.quantity == 1
    ointment = item_for(result, "ointment", shop)
    assert ointment.quantity == 1  # D0-D7 is 8 days; a tube lasts 10


def test_optional_needs_are_left_out_of_assembled_kits_but_kept_in_the_timeline(protocols, shop):
    result = make_plan(protocols, "rf-microneedling", Profile(2), shop=shop)
    assert "sun-hat" not in item_slugs(result)
    assert any("(optional)" in text for text in result.timeline[2].use)


# --- rule 10: determinism -------------------------------------------------------------------


def test_same_input_gives_the_same_plan_whatever_the_catalogue_order(protocols):
    shop = catalogue()
    reversed_shop = Catalogue.of(reversed(list(shop.products.values())), reversed(shop.kits))
    for slug in TREATMENTS:
        for profile in PROFILES.values():
            first = make_plan(protocols, slug, profile, shop=shop).to_dict()
            again = make_plan(protocols, slug, profile, shop=shop).to_dict()
            other = make_plan(protocols, slug, profile, shop=reversed_shop).to_dict()
            assert first == again == other


def test_ties_are_broken_by_price_then_slug(protocols):
    twin = {"price_pence": 2400}
    shop = catalogue(**{"tinted-mineral-spf50": {"tinted": False, **twin}})
    result = make_plan(protocols, "dermaplaning", Profile(1), shop=shop)
    assert item_for(result, "sunscreen", shop).slug == "mineral-spf50"


# --- timeline -------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", TREATMENTS)
def test_timeline_edges_match_every_window(protocols, shop, slug):
    protocol = protocols[slug]
    result = make_plan(protocols, slug, Profile(2), shop=shop)
    days = result.timeline
    assert [d.day for d in days] == list(range(protocol.last_day + 1))
    assert days[-1].date == TREATED + timedelta(days=protocol.last_day)
    for item in result.kit.items:
        text = next(t for t in days[item.use_from_day].use if t.startswith(item.name))
        assert text in days[item.use_until_day].use
        if item.use_from_day > 0:
            assert text not in days[item.use_from_day - 1].use
        if item.use_until_day < protocol.last_day:
            assert text not in days[item.use_until_day + 1].use
    for rule in protocol.avoid:
        assert rule.what in days[rule.from_day].avoid
        assert rule.what in days[rule.until_day].avoid
        if rule.until_day < protocol.last_day:
            assert rule.what not in days[rule.until_day + 1].avoid


def test_day_zero_lists_the_treatment_day_steps(protocols, shop):
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    first = result.timeline[0]
    assert first.day == 0 and first.date == TREATED
    assert "Make-up" in first.avoid
    assert "Make-up" not in result.timeline[1].avoid
    assert "Products with fragrance or essential oils" in result.timeline[5].avoid
    assert "Products with fragrance or essential oils" not in result.timeline[6].avoid


def test_past_treatment_marks_today(protocols, shop):
    result = make_plan(
        protocols, "microneedling", Profile(2), shop=shop, today=TREATED + timedelta(days=3)
    )
    assert result.today_day == 3
    assert [d.day for d in result.timeline if d.is_today] == [3]


def test_treatment_today_is_day_zero(protocols, shop):
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop, today=TREATED)
    assert result.today_day == 0 and result.timeline[0].is_today


def test_future_treatment_has_no_today(protocols, shop):
    result = make_plan(
        protocols, "microneedling", Profile(2), shop=shop, today=TREATED - timedelta(days=5)
    )
    assert result.today_day is None
    assert not any(d.is_today for d in result.timeline)


def test_treatment_long_past_the_timeline_has_no_today(protocols, shop):
    result = make_plan(
        protocols, "microneedling", Profile(2), shop=shop, today=TREATED + timedelta(days=15)
    )
    assert result.today_day is None
    assert (
        make_plan(
            protocols, "microneedling", Profile(2), shop=shop, today=TREATED + timedelta(days=14)
        ).today_day
        == 14
    )


def test_build_timeline_repeats_no_text_on_a_day():
    days = build_timeline(
        TREATED,
        TODAY,
        2,
        [Window("cream", 0, 2), Window("cream", 1, 1), Window("mask", 2, 2)],
        [Window("sun", 0, 0)],
    )
    assert [d.use for d in days] == [("cream",), ("cream",), ("cream", "mask")]
    assert [d.avoid for d in days] == [("sun",), (), ()]


# --- output shape and inputs ----------------------------------------------------------------


def test_to_dict_has_exactly_the_api_shape(protocols, shop):
    data = make_plan(
        protocols, "microneedling", Profile(4), Screening(cold_sores=True), shop=shop
    ).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert list(data) == [
        "treatment",
        "treated_on",
        "suitable",
        "reasons",
        "warnings",
        "kit",
        "substitutions",
        "avoid",
        "timeline",
        "today_day",
        "protocol_version",
        "advice",
        "contact_clinic",
    ]
    assert data["treatment"] == "microneedling"
    assert data["treated_on"] == "2026-03-02"
    assert data["protocol_version"] == protocols["microneedling"].version
    assert set(data["kit"]) == {"slug", "name", "price_pence", "items"}
    assert set(data["kit"]["items"][0]) == {
        "slug",
        "name",
        "quantity",
        "use_from_day",
        "use_until_day",
        "reason",
    }
    assert set(data["avoid"][0]) == {"what", "until_day", "reason"}
    assert set(data["timeline"][0]) == {"day", "date", "use", "avoid", "is_today"}
    assert data["timeline"][0]["date"] == "2026-03-02"


def test_substitution_dict_shape(protocols):
    shop = catalogue(**{"tinted-mineral-spf50": {"sellable": 0}})
    data = make_plan(protocols, "rf-microneedling", Profile(5), shop=shop).to_dict()
    assert all(set(s) == {"need", "chosen", "instead_of", "reason"} for s in data["substitutions"])


def test_unsuitable_plan_before_the_treatment_has_no_kit(protocols, shop):
    data = make_plan(protocols, "ipl", Profile(6), shop=shop, treated=PLANNED).to_dict()
    assert data["suitable"] is False
    assert data["kit"] is None
    assert data["reasons"]
    assert data["contact_clinic"] is False


@pytest.mark.parametrize("treated", [TODAY, TREATED])
def test_an_answer_that_bars_a_treatment_already_had_still_gives_full_aftercare(
    protocols, shop, treated
):
    """Treated today or earlier: the kit, timeline and avoid list, and "call the clinic"."""
    answers = Screening(open_wounds=True, pregnant_or_breastfeeding=True)
    result = make_plan(protocols, "microneedling", Profile(2), answers, shop=shop, treated=treated)
    assert result.suitable is False and result.contact_clinic is True
    assert any("open wounds" in reason for reason in result.reasons)
    assert result.kit is not None and result.timeline and result.avoid
    assert result.today_day == (TODAY - treated).days
    # The answer's product rules still apply: nothing unsafe in pregnancy.
    assert_plan_invariants(result, protocols["microneedling"], Profile(2), True, shop)
    assert any("pregnant" in a.reason for a in result.avoid)


@pytest.mark.parametrize("bad", [0, 7, True, "4"])
def test_profile_rejects_an_unknown_fitzpatrick_type(bad):
    with pytest.raises(ValueError, match="Fitzpatrick"):
        Profile(bad)


def test_profile_rejects_an_unknown_concern():
    with pytest.raises(ValueError, match="rosacea"):
        Profile(2, frozenset({"rosacea"}))


def test_screening_from_mapping_checks_keys_and_values():
    answers = Screening.from_mapping({"cold_sores": True, "isotretinoin_months_ago": 4})
    assert answers.cold_sores and answers.isotretinoin_months_ago == 4
    assert Screening.from_mapping(answers.to_mapping()) == answers
    with pytest.raises(ValueError, match="tattoos"):
        Screening.from_mapping({"tattoos": True})
    with pytest.raises(ValueError, match="true or false"):
        Screening.from_mapping({"cold_sores": "yes"})
    for months in (-1, 601, 2.5, True, "3"):
        with pytest.raises(ValueError, match="isotretinoin_months_ago"):
            Screening(isotretinoin_months_ago=months)


def test_screening_fields_are_the_shared_question_keys_and_the_months():
    fields = tuple(Screening.__dataclass_fields__)
    assert fields == (*SCREENING_QUESTIONS, "isotretinoin_months_ago")


def test_plan_rejects_a_date_that_is_not_a_date(protocols, shop):
    with pytest.raises(ValueError, match="dates"):
        plan(protocols["ipl"], Profile(2), CLEAR, "2026-03-02", TODAY, shop)


# --- curated kits: extras and preferences -----------------------------------------------------


def _with_mist(shop, **attrs):
    mist = product("thermal-mist", "mist", 900, name="Thermal Mist", **attrs)
    return [*shop.products.values(), mist]


def test_curated_kit_keeps_a_comfort_extra_that_breaks_no_rule(protocols):
    shop = catalogue()
    mist_kit = replace(
        shop.kits[0],
        slug="needling-with-mist",
        items=(*shop.kits[0].items, ("thermal-mist", 1)),
        purposes={"thermal-mist": "Spray on warm skin for the first days."},
    )
    shop = Catalogue.of(_with_mist(shop), (mist_kit,))
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    assert result.kit.slug == "needling-with-mist"
    mist = next(item for item in result.kit.items if item.slug == "thermal-mist")
    assert mist.reason == "Spray on warm skin for the first days."
    assert any("Thermal" in use for day in result.timeline[:2] for use in day.use)


def test_curated_kit_with_a_fragranced_extra_in_a_fragrance_window_is_refused(protocols):
    shop = catalogue()
    scented_kit = replace(
        shop.kits[0], slug="needling-scented", items=(*shop.kits[0].items, ("thermal-mist", 1))
    )
    shop = Catalogue.of(_with_mist(shop, fragrance_free=False), (scented_kit,))
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    assert result.kit.slug is None
    note = next(s for s in result.substitutions if s.need == "kit")
    assert "fragrance-free" in note.reason


def test_curated_kit_without_tint_loses_to_an_in_stock_tinted_sunscreen(protocols):
    shop = catalogue()
    untinted_for_all = replace(shop.kits[0], slug="needling-all-skin", fitzpatrick_max=6)
    shop = Catalogue.of(shop.products.values(), (untinted_for_all,))
    result = make_plan(protocols, "microneedling", Profile(5), shop=shop)
    assert result.kit.slug is None
    assert item_for(result, "sunscreen", shop).slug == "tinted-mineral-spf50"
    note = next(s for s in result.substitutions if s.need == "kit")
    assert "suits your skin better" in note.reason


def test_curated_kit_without_tint_is_fine_when_no_tinted_sunscreen_is_in_stock(protocols):
    shop = catalogue(**{"tinted-mineral-spf50": {"sellable": 0}})
    untinted_for_all = replace(shop.kits[0], slug="needling-all-skin", fitzpatrick_max=6)
    shop = Catalogue.of(shop.products.values(), (untinted_for_all,))
    result = make_plan(protocols, "microneedling", Profile(5), shop=shop)
    assert result.kit.slug == "needling-all-skin"


def test_timeline_groups_into_phases_of_identical_days(protocols, shop):
    from shop.aftercare.timeline import group_into_phases

    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    phases = group_into_phases(result.timeline)
    assert phases[0].first.day == 0
    assert phases[-1].last.day == result.timeline[-1].day
    covered = [d for p in phases for d in range(p.first.day, p.last.day + 1)]
    assert covered == [d.day for d in result.timeline]
    for before, after in pairwise(phases):
        assert (before.use, before.avoid) != (after.use, after.avoid)
    assert len(phases) < len(result.timeline)


def test_phase_keeps_today(protocols, shop):
    from shop.aftercare.timeline import group_into_phases

    result = plan(
        protocols["microneedling"], Profile(2), CLEAR, TODAY - timedelta(days=10), TODAY, shop
    )
    phases = group_into_phases(result.timeline)
    todays = [p for p in phases if p.today is not None]
    assert len(todays) == 1 and todays[0].today.day == 10
    assert todays[0].first.day <= 10 <= todays[0].last.day


def test_changes_name_each_day_something_starts_or_stops(protocols, shop):
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    found = result.changes()
    assert found[0].day == 0 and found[0].start_using == result.timeline[0].use
    by_day = {d.day: d for d in result.timeline}
    for change in found[1:-1]:
        before, after = by_day[change.day - 1], by_day[change.day]
        assert set(change.fine_again) == set(before.avoid) - set(after.avoid)
        assert set(change.start_using) == set(after.use) - set(before.use)
        assert change.date == result.treated_on + timedelta(days=change.day)
    # A day identical to the one before is no change.
    changed_days = {c.day for c in found}
    for before, after in pairwise(result.timeline):
        same = (before.use, before.avoid) == (after.use, after.avoid)
        assert (after.day in changed_days) is not same


def test_the_day_after_the_plan_ends_everything_still_running(protocols, shop):
    result = make_plan(protocols, "microneedling", Profile(2), shop=shop)
    last = result.changes()[-1]
    assert last.plan_over and last.day == result.timeline[-1].day + 1
    assert last.fine_again == result.timeline[-1].avoid
    assert last.stop_using == result.timeline[-1].use
