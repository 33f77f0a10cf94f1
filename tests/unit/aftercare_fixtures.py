"""A small fixture catalogue and invariant checks for the aftercare engine tests."""

from __future__ import annotations

from dataclasses import replace

from shop.aftercare import Catalogue, CatalogueKit, CatalogueProduct, Plan, Profile
from shop.aftercare.protocols import Protocol
from shop.aftercare.timeline import overlaps

ALL_SKIN = frozenset({"normal", "dry", "oily", "combination", "sensitive", "acne-prone"})


def product(slug: str, category: str, price_pence: int, **attrs) -> CatalogueProduct:
    """Build a product with safe defaults; tests override only what they exercise."""
    values = {
        "name": slug.replace("-", " ").title(),
        "spf": None,
        "uv_filter": None,
        "tinted": False,
        "fragrance_free": True,
        "non_comedogenic": False,
        "occlusive": False,
        "alcohol_free": True,
        "pregnancy_safe": True,
        "actives": frozenset(),
        "skin_types": frozenset({"normal"}),
        "days_per_unit": 30,
        "sellable": 20,
        "is_licensed_medicine": False,
    }
    values.update(attrs)
    values["actives"] = frozenset(values["actives"])
    values["skin_types"] = frozenset(values["skin_types"])
    return CatalogueProduct(slug=slug, category=category, price_pence=price_pence, **values)


def products() -> list[CatalogueProduct]:
    """Return a catalogue covering every need of every shipped protocol, plus traps."""
    return [
        # Sunscreens: two mineral (one tinted), a cheap scented chemical one, a chemical SPF50.
        product(
            "mineral-spf50",
            "sunscreen",
            2400,
            name="Mineral Fluid SPF50",
            spf=50,
            uv_filter="mineral",
            non_comedogenic=True,
            skin_types={"normal", "dry", "sensitive"},
        ),
        product(
            "tinted-mineral-spf50",
            "sunscreen",
            2600,
            name="Tinted Mineral Fluid SPF50",
            spf=50,
            uv_filter="mineral",
            tinted=True,
            non_comedogenic=True,
            skin_types={"normal", "dry", "sensitive", "combination"},
        ),
        product(
            "silky-spf30",
            "sunscreen",
            1800,
            name="Silky Day Cream SPF30",
            spf=30,
            uv_filter="chemical",
            fragrance_free=False,
            non_comedogenic=True,
            alcohol_free=False,
            actives={"silicone"},
            skin_types={"normal", "oily", "combination"},
        ),
        product(
            "light-spf50",
            "sunscreen",
            2000,
            name="Light Fluid SPF50",
            spf=50,
            uv_filter="chemical",
            non_comedogenic=True,
            alcohol_free=False,
            actives={"silicone"},
            skin_types={"oily", "acne-prone"},
        ),
        # Cleansers.
        product(
            "gentle-cream-cleanser",
            "cleanser",
            1200,
            name="Gentle Cream Cleanser",
            non_comedogenic=True,
            actives={"ceramides"},
            skin_types={"normal", "dry", "sensitive"},
            days_per_unit=60,
        ),
        product(
            "salicylic-gel-cleanser",
            "cleanser",
            1000,
            name="Clarifying Gel Cleanser",
            non_comedogenic=True,
            alcohol_free=False,
            actives={"bha"},
            skin_types={"oily", "acne-prone"},
            days_per_unit=60,
        ),
        # Moisturisers, including traps: scented, retinol, a licensed medicine.
        product(
            "ceramide-moisturiser",
            "moisturiser",
            1500,
            name="Ceramide Repair Cream",
            actives={"ceramides"},
            skin_types={"normal", "dry", "sensitive"},
        ),
        product(
            "oil-free-gel-cream",
            "moisturiser",
            1400,
            name="Oil-free Gel Cream",
            non_comedogenic=True,
            actives={"niacinamide", "hyaluronic-acid"},
            skin_types={"oily", "acne-prone", "combination"},
        ),
        product(
            "rich-rose-cream",
            "moisturiser",
            900,
            name="Rich Rose Cream",
            fragrance_free=False,
            occlusive=True,
            actives={"essential-oils"},
            skin_types={"dry"},
        ),
        product(
            "retinol-night-cream",
            "moisturiser",
            1100,
            name="Retinol Night Cream",
            non_comedogenic=True,
            pregnancy_safe=False,
            actives={"retinoid"},
            skin_types={"normal"},
        ),
        product(
            "tretinoin-cream",
            "moisturiser",
            500,
            name="Tretinoin Cream",
            pregnancy_safe=False,
            actives={"retinoid"},
            skin_types=ALL_SKIN,
            is_licensed_medicine=True,
        ),
        # Balms and ointments.
        product(
            "cica-balm",
            "balm",
            1100,
            name="Cica Barrier Balm",
            actives={"panthenol"},
            skin_types={"normal", "dry", "sensitive"},
            days_per_unit=20,
        ),
        product(
            "petrolatum-ointment",
            "ointment",
            600,
            name="Healing Ointment",
            occlusive=True,
            actives={"petrolatum"},
            skin_types={"normal", "dry", "sensitive"},
            days_per_unit=10,
        ),
        # Serums.
        product(
            "ha-serum",
            "serum",
            1600,
            name="Hyaluronic Serum",
            non_comedogenic=True,
            actives={"hyaluronic-acid"},
            skin_types=ALL_SKIN,
        ),
        product(
            "bha-serum",
            "serum",
            1200,
            name="BHA Hydrating Serum",
            non_comedogenic=True,
            actives={"bha", "hyaluronic-acid"},
            skin_types={"oily", "acne-prone"},
        ),
        product(
            "vitamin-c-serum",
            "serum",
            1400,
            name="Vitamin C Glow Serum",
            non_comedogenic=True,
            actives={"vitamin-c", "hyaluronic-acid"},
            skin_types={"normal", "combination"},
        ),
        product(
            "hydroquinone-serum",
            "serum",
            400,
            name="Hydroquinone Serum",
            pregnancy_safe=False,
            actives={"hyaluronic-acid"},
            skin_types=ALL_SKIN,
            is_licensed_medicine=True,
        ),
        # Everything else.
        product("cold-compress", "compress", 900, name="Cold Compress", days_per_unit=None),
        product(
            "hydrogel-mask",
            "sheet-mask",
            700,
            name="Sterile Hydrogel Mask",
            actives={"hyaluronic-acid"},
            days_per_unit=1,
        ),
        product("arnica-cream", "bruise-cream", 650, name="Arnica Cream", actives={"arnica"}),
        product("mineral-makeup", "makeup", 2200, name="Mineral Cover"),
        product("sun-hat", "accessory", 1800, name="Wide-brim Sun Hat", days_per_unit=None),
    ]


def kits() -> list[CatalogueKit]:
    """Return the curated kits used by the kit-choice tests."""
    everyone = frozenset()
    return [
        CatalogueKit(
            slug="needling-essentials",
            name="Micro-needling Essentials",
            price_pence=5900,
            treatments=frozenset({"microneedling"}),
            fitzpatrick_min=1,
            fitzpatrick_max=3,
            concerns=everyone,
            items=(
                ("gentle-cream-cleanser", 1),
                ("ceramide-moisturiser", 1),
                ("mineral-spf50", 1),
                ("sun-hat", 1),
            ),
            available=5,
        ),
        CatalogueKit(
            slug="needling-deeper-skin",
            name="Micro-needling Kit for Deeper Skin Tones",
            price_pence=5600,
            treatments=frozenset({"microneedling"}),
            fitzpatrick_min=4,
            fitzpatrick_max=6,
            concerns=everyone,
            items=(
                ("gentle-cream-cleanser", 1),
                ("ceramide-moisturiser", 1),
                ("tinted-mineral-spf50", 1),
            ),
            available=5,
        ),
        CatalogueKit(
            slug="needling-clear-skin",
            name="Micro-needling Kit for Blemish-prone Skin",
            price_pence=4700,
            treatments=frozenset({"microneedling"}),
            fitzpatrick_min=1,
            fitzpatrick_max=3,
            concerns=frozenset({"acne-prone", "oily"}),
            items=(
                ("gentle-cream-cleanser", 1),
                ("oil-free-gel-cream", 1),
                ("mineral-spf50", 1),
            ),
            available=5,
        ),
        CatalogueKit(
            slug="ipl-glow",
            name="IPL Glow Kit",
            price_pence=4000,
            treatments=frozenset({"ipl"}),
            fitzpatrick_min=1,
            fitzpatrick_max=4,
            concerns=everyone,
            items=(
                ("cold-compress", 1),
                ("gentle-cream-cleanser", 1),
                ("retinol-night-cream", 1),
                ("mineral-spf50", 1),
            ),
            available=5,
        ),
        CatalogueKit(
            slug="filler-recovery",
            name="Filler Recovery Kit",
            price_pence=1400,
            treatments=frozenset({"dermal-filler", "botulinum-toxin"}),
            fitzpatrick_min=1,
            fitzpatrick_max=6,
            concerns=everyone,
            items=(("cold-compress", 1), ("arnica-cream", 1)),
            available=0,
        ),
    ]


def catalogue(**changes: dict) -> Catalogue:
    """Return the fixture catalogue; changes maps a product slug to attribute overrides."""
    items = [replace(p, **changes.get(p.slug, {})) for p in products()]
    return Catalogue.of(items, kits())


def assert_plan_invariants(
    result: Plan, protocol: Protocol, profile: Profile, pregnant: bool, shop: Catalogue
) -> None:
    """Check the rules every suitable plan must keep, whatever the treatment and profile."""
    assert result.kit is not None
    assert result.kit.items
    for item in result.kit.items:
        sold = shop.products[item.slug]
        assert not sold.is_licensed_medicine, item.slug
        assert item.quantity >= 1
        for rule in protocol.avoid:
            if not overlaps(item.use_from_day, item.use_until_day, rule.from_day, rule.until_day):
                continue
            assert not sold.actives & set(rule.actives), (item.slug, rule.what)
            if rule.fragrance:
                assert sold.fragrance_free and "essential-oils" not in sold.actives, item.slug
            assert sold.category not in rule.categories, (item.slug, rule.what)
        if sold.category == "sunscreen" and (
            profile.fitzpatrick >= 4 or "pigmentation-prone" in profile.concerns
        ):
            assert (sold.spf or 0) >= 50, item.slug
        if "acne-prone" in profile.concerns:
            if sold.category == "moisturiser":
                assert sold.non_comedogenic, item.slug
            if item.use_from_day > protocol.healing_until_day and sold.category != "accessory":
                assert not sold.occlusive, item.slug
        if "sensitive" in profile.concerns and sold.category != "accessory":
            assert sold.fragrance_free and sold.alcohol_free, item.slug
        if pregnant:
            assert sold.pregnancy_safe, item.slug
            assert "retinoid" not in sold.actives, item.slug
            assert "bha" not in sold.actives or sold.category == "cleanser", item.slug
        if result.kit.slug is None:
            assert sold.sellable >= item.quantity, item.slug
    assert len(result.timeline) == protocol.last_day + 1
    assert result.timeline[0].date == result.treated_on
