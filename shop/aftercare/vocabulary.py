"""Controlled vocabularies shared by the aftercare engine, its protocol data and the database."""

from __future__ import annotations

TREATMENTS: tuple[str, ...] = (
    "microneedling",
    "chemical-peel-superficial",
    "chemical-peel-medium",
    "laser-ablative",
    "laser-non-ablative",
    "ipl",
    "dermaplaning",
    "microdermabrasion",
    "hydrafacial",
    "rf-microneedling",
    "botulinum-toxin",
    "dermal-filler",
)

CATEGORIES: tuple[str, ...] = (
    "sunscreen",
    "cleanser",
    "moisturiser",
    "balm",
    "ointment",
    "serum",
    "mist",
    "compress",
    "sheet-mask",
    "bruise-cream",
    "makeup",
    "accessory",
)

ACTIVES: tuple[str, ...] = (
    "retinoid",
    "aha",
    "bha",
    "vitamin-c",
    "benzoyl-peroxide",
    "azelaic-acid",
    "tranexamic-acid",
    "niacinamide",
    "petrolatum",
    "silicone",
    "arnica",
    "hyaluronic-acid",
    "ceramides",
    "panthenol",
    "essential-oils",
)

UV_FILTERS: tuple[str, ...] = ("mineral", "chemical")

SKIN_TYPES: tuple[str, ...] = ("normal", "dry", "oily", "combination", "sensitive", "acne-prone")

CONCERNS: tuple[str, ...] = ("sensitive", "acne-prone", "dry", "oily", "pigmentation-prone")

SCREENING_QUESTIONS: tuple[str, ...] = (
    "isotretinoin_recent",
    "open_wounds",
    "radiation_last_year",
    "skin_infection",
    "pregnant_or_breastfeeding",
    "cold_sores",
    "blood_thinners",
)

# Worded for the kit-finder form: the patient answers yes or no.
SCREENING_QUESTION_TEXT: dict[str, str] = {
    "isotretinoin_recent": (
        "Have you taken isotretinoin (Roaccutane, an acne tablet) in the last 12 months?"
    ),
    "open_wounds": "Do you have any open wounds, cuts or grazes where you are being treated?",
    "radiation_last_year": "Has the skin been treated with radiotherapy in the last year?",
    "skin_infection": (
        "Do you have a skin infection, a flare of a skin condition, or an active cold sore "
        "in the area right now?"
    ),
    "pregnant_or_breastfeeding": "Are you pregnant or breastfeeding?",
    "cold_sores": "Do you ever get cold sores?",
    "blood_thinners": (
        "Do you take anything that makes you bleed or bruise more easily, such as aspirin, "
        "blood thinners or fish oil?"
    ),
}

FITZPATRICK_TYPES: tuple[int, ...] = (1, 2, 3, 4, 5, 6)

FITZPATRICK_LABELS: dict[int, str] = {
    1: "Type I",
    2: "Type II",
    3: "Type III",
    4: "Type IV",
    5: "Type V",
    6: "Type VI",
}

# Described by skin colour and how the skin reacts to sun, so patients can pick without photos.
FITZPATRICK_DESCRIPTIONS: dict[int, str] = {
    1: "Very pale skin that always burns in the sun and never goes brown.",
    2: "Pale skin that burns easily and only tans a little, with effort.",
    3: "Medium skin that sometimes burns a little and slowly tans.",
    4: "Light brown or olive skin that seldom burns and tans easily.",
    5: "Brown skin that hardly ever burns and tans very easily.",
    6: "Dark brown to black skin that does not burn.",
}

# Shown only as "ask your clinician" advice; the shop never puts them in a kit.
LICENSED_MEDICINES: tuple[str, ...] = (
    "tretinoin",
    "hydroquinone",
    "azelaic acid 20%",
    "oral antivirals",
    "aciclovir cream",
    "heparinoid cream",
)

# Advice naming these is dropped for pregnant or breastfeeding patients.
PREGNANCY_EXCLUDED_MEDICINES: tuple[str, ...] = ("tretinoin", "hydroquinone")

AVOID_KINDS: tuple[str, ...] = ("ingredient", "activity", "treatment")

RULE_ACTIONS: tuple[str, ...] = ("unsuitable", "warn")


def fitzpatrick_label(skin_type: int) -> str:
    """Return the display label ("Type IV") of a Fitzpatrick type number."""
    return FITZPATRICK_LABELS[skin_type]
