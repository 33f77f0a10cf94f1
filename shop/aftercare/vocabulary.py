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
    "physical-exfoliant",
)

# What each active is called on the shop's pages and in the reasons the rules give.
ACTIVE_LABELS: dict[str, str] = {
    "retinoid": "Retinoid",
    "aha": "AHA (glycolic or lactic acid)",
    "bha": "BHA (salicylic acid)",
    "vitamin-c": "Vitamin C",
    "benzoyl-peroxide": "Benzoyl peroxide",
    "azelaic-acid": "Azelaic acid",
    "tranexamic-acid": "Tranexamic acid",
    "niacinamide": "Niacinamide",
    "petrolatum": "Petrolatum",
    "silicone": "Silicone",
    "arnica": "Arnica",
    "hyaluronic-acid": "Hyaluronic acid",
    "ceramides": "Ceramides",
    "panthenol": "Panthenol",
    "essential-oils": "Essential oils",
    "physical-exfoliant": "Scrub particles or a cleansing brush",
}

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

# Worded for the kit-finder form: the patient answers yes or no (isotretinoin: when).
SCREENING_QUESTION_TEXT: dict[str, str] = {
    "isotretinoin_recent": "When did you last take isotretinoin (Roaccutane, an acne tablet)?",
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

# The answers to the isotretinoin question: (code, words, months since the last dose).
# The months are each band's lower bound, so a treatment's window is never under-counted.
ISOTRETINOIN_LAST_DOSE: tuple[tuple[str, str, int | None], ...] = (
    ("never", "Never", None),
    ("over-12", "More than 12 months ago", 12),
    ("6-12", "6 to 12 months ago", 6),
    ("3-6", "3 to 6 months ago", 3),
    ("under-3", "Less than 3 months ago, or I take it now", 0),
)
MAX_ISOTRETINOIN_MONTHS_AGO = 600

# A "yes" that bars a treatment, as the treatment page's "not suitable if" list says it.
SCREENING_BAR_TEXT: dict[str, str] = {
    "isotretinoin_recent": "You have taken isotretinoin (Roaccutane) in the last {months} months",
    "open_wounds": "There are open wounds, cuts or grazes in the area",
    "radiation_last_year": "The skin has had radiotherapy in the last year",
    "skin_infection": (
        "There is a skin infection, a flare of a skin condition or a cold sore in the area"
    ),
    "pregnant_or_breastfeeding": "You are pregnant or breastfeeding",
    "cold_sores": "You get cold sores",
    "blood_thinners": "You take blood thinners or anything else that makes you bleed easily",
}

# A declared concern that bars a treatment, in the same list's words.
CONCERN_BAR_TEXT: dict[str, str] = {
    "sensitive": "Your skin is sensitive or prone to rosacea",
    "acne-prone": "You have active, inflamed acne",
    "dry": "Your skin is very dry",
    "oily": "Your skin is very oily",
    "pigmentation-prone": "Your skin is prone to pigmentation or melasma",
}

FITZPATRICK_TYPES: tuple[int, ...] = (1, 2, 3, 4, 5, 6)

FITZPATRICK_ROMAN: dict[int, str] = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}

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

# Injected treatments: after these, vision changes or skin turning pale or dusky near the
# injection can mean a blocked blood vessel, so the concern form asks about them.
INJECTABLE_TREATMENTS: tuple[str, ...] = ("botulinum-toxin", "dermal-filler")

# How soon a patient reporting a concern must speak to someone.
CONCERN_URGENCIES: tuple[str, ...] = ("emergency", "urgent", "routine")

# What a patient can tick on the "report a concern" form: (code, words, urgency,
# injectables only). "emergency" means call 999 as well as the clinic; "urgent" means call
# the clinic now. When in doubt a sign is urgent: patient safety first.
CONCERN_SYMPTOMS: tuple[tuple[str, str, str, bool], ...] = (
    ("breathing", "Difficulty breathing or swallowing, or a tight throat", "emergency", False),
    (
        "vision-change",
        "Any change in your vision (blurred, dim, double or lost sight, or pain in the eye)",
        "emergency",
        True,
    ),
    (
        "skin-colour-change",
        "Skin near an injection turning white, grey, blue or dusky, or a lacy purple pattern",
        "urgent",
        True,
    ),
    (
        "allergic-reaction",
        "Signs of an allergic reaction: swelling of the lips, tongue, eyes or face, or hives",
        "urgent",
        False,
    ),
    ("spreading-redness", "Redness or heat that is spreading or getting worse", "urgent", False),
    ("pus", "Pus, yellow crusts or a bad smell from the treated skin", "urgent", False),
    ("fever", "A fever (38°C or higher), or feeling hot and shivery", "urgent", False),
    ("blisters", "Blisters on the treated skin", "urgent", False),
    (
        "severe-pain",
        "Severe pain or swelling, or pain or swelling that is getting worse, not better",
        "urgent",
        False,
    ),
    ("settling-redness", "Redness or pinkness that is settling", "routine", False),
    ("dryness", "Dryness, tightness, flaking or peeling", "routine", False),
    ("itching", "Mild itching or tingling", "routine", False),
    ("spots", "Spots, small bumps or white dots (milia)", "routine", False),
    ("bruising", "Bruising", "routine", False),
    ("colour-patches", "Darker or lighter patches of skin", "routine", False),
    ("product-question", "A question about a product or my routine", "routine", False),
    ("something-else", "Something else (tell us below)", "routine", False),
)

AVOID_KINDS: tuple[str, ...] = ("ingredient", "activity", "treatment")

RULE_ACTIONS: tuple[str, ...] = ("unsuitable", "warn")


def fitzpatrick_label(skin_type: int) -> str:
    """Return the display label ("Type IV") of a Fitzpatrick type number."""
    return FITZPATRICK_LABELS[skin_type]


def isotretinoin_band(months_ago: int | None, recent: bool = False) -> str:
    """Return the answer band ("never", "3-6", ...) that holds a last dose `months_ago`.

    Records that kept only "recent" read as the shortest gap, the cautious reading.
    """
    if months_ago is None:
        return "under-3" if recent else "never"
    bands = sorted(
        ((code, low) for code, _, low in ISOTRETINOIN_LAST_DOSE if low is not None),
        key=lambda band: -band[1],
    )
    return next(code for code, low in bands if months_ago >= low)


def concern_symptoms(treatment: str | None) -> tuple[tuple[str, str, str, bool], ...]:
    """Return the concern form's checklist for a treatment (injection signs for injectables)."""
    injectable = treatment in INJECTABLE_TREATMENTS
    return tuple(symptom for symptom in CONCERN_SYMPTOMS if injectable or not symptom[3])


def warning_signs(treatment: str | None) -> dict[str, tuple[str, ...]]:
    """Return the red-flag signs for a treatment by urgency ("emergency": 999, "urgent": call)."""
    signs: dict[str, tuple[str, ...]] = {"emergency": (), "urgent": ()}
    for _, text, urgency, _ in concern_symptoms(treatment):
        if urgency in signs:
            signs[urgency] += (text,)
    return signs


def concern_urgency(codes: tuple[str, ...] | list[str] | set[str] | frozenset[str]) -> str:
    """Return the most pressing urgency among ticked symptom codes ("routine" for none)."""
    ticked = {code: urgency for code, _, urgency, _ in CONCERN_SYMPTOMS if code in codes}
    for urgency in CONCERN_URGENCIES:
        if urgency in ticked.values():
            return urgency
    return "routine"
