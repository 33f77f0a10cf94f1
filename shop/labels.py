"""Words the shop shows for its stored codes (categories, skin types, concerns)."""

from collections.abc import Mapping
from typing import Any

# The engine's reasons name actives and skin types too, so their words live with the engine.
from shop.aftercare.vocabulary import ACTIVE_LABELS as ACTIVE_LABELS
from shop.aftercare.vocabulary import FITZPATRICK_ROMAN as FITZPATRICK_ROMAN
from shop.aftercare.vocabulary import (
    ISOTRETINOIN_LAST_DOSE,
    SCREENING_QUESTIONS,
    isotretinoin_band,
)

CATEGORY_LABELS = {
    "sunscreen": "Sunscreens",
    "cleanser": "Cleansers",
    "moisturiser": "Moisturisers",
    "balm": "Barrier balms",
    "ointment": "Healing ointments",
    "serum": "Serums",
    "mist": "Soothing mists",
    "compress": "Cold compresses",
    "sheet-mask": "Sheet masks",
    "bruise-cream": "Bruise care",
    "makeup": "Mineral make-up",
    "accessory": "Sun accessories",
}
SKIN_TYPE_LABELS = {
    "normal": "Normal",
    "dry": "Dry",
    "oily": "Oily",
    "combination": "Combination",
    "sensitive": "Sensitive",
    "acne-prone": "Acne-prone",
}
CONCERN_LABELS = {
    "sensitive": "Sensitive or rosacea-prone",
    "acne-prone": "Acne-prone",
    "dry": "Dry",
    "oily": "Oily",
    "pigmentation-prone": "Prone to pigmentation or melasma",
}


def plural(count: int, one: str, many: str = "") -> str:
    """Return the words for one or for many ("lot" / "lots"; "lot expires" / "lots expire")."""
    return one if count == 1 else many or one + "s"


def counted(count: int, noun: str, many: str = "") -> str:
    """Return a count with its noun, one or many: "1 lot", "3 lots" (never "lot(s)")."""
    return f"{count} {plural(count, noun, many)}"


def fitzpatrick_range(low: int, high: int) -> str:
    """Describe a Fitzpatrick range for people, e.g. 'Fitzpatrick I-III' or 'all skin types'."""
    if low == 1 and high == 6:
        return "All skin types (Fitzpatrick I-VI)"
    if low == high:
        return f"Fitzpatrick {FITZPATRICK_ROMAN[low]}"
    return f"Fitzpatrick {FITZPATRICK_ROMAN[low]}-{FITZPATRICK_ROMAN[high]}"


def screening_summary(answers: Mapping[str, Any]) -> list[str]:
    """Describe stored screening answers for the clinician: each "yes", and the isotretinoin gap."""
    words = {code: text for code, text, _ in ISOTRETINOIN_LAST_DOSE}
    band = isotretinoin_band(
        answers.get("isotretinoin_months_ago"), bool(answers.get("isotretinoin_recent"))
    )
    gap = words[band][0].lower() + words[band][1:]
    summary = [] if band == "never" else [f"isotretinoin: {gap}"]
    summary += [
        key.replace("_", " ")
        for key in SCREENING_QUESTIONS
        if key != "isotretinoin_recent" and answers.get(key) is True
    ]
    return summary
