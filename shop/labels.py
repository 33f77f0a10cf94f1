"""Words the shop shows for its stored codes (categories, skin types, concerns)."""

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
ACTIVE_LABELS = {
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
}
FITZPATRICK_ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV", 5: "V", 6: "VI"}


def fitzpatrick_range(low: int, high: int) -> str:
    """Describe a Fitzpatrick range for people, e.g. 'Fitzpatrick I-III' or 'all skin types'."""
    if low == 1 and high == 6:
        return "All skin types (Fitzpatrick I-VI)"
    if low == high:
        return f"Fitzpatrick {FITZPATRICK_ROMAN[low]}"
    return f"Fitzpatrick {FITZPATRICK_ROMAN[low]}-{FITZPATRICK_ROMAN[high]}"
