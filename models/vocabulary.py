"""Controlled vocabularies stored in the database; a test keeps them equal to the engine's."""

TREATMENTS = (
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
CATEGORIES = (
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
ACTIVES = (
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
UV_FILTERS = ("mineral", "chemical")
SKIN_TYPES = ("normal", "dry", "oily", "combination", "sensitive", "acne-prone")
CONCERNS = ("sensitive", "acne-prone", "dry", "oily", "pigmentation-prone")
ROLES = ("customer", "clinician", "staff", "admin")
STOCK_MOVEMENT_KINDS = ("receipt", "sale", "return", "adjustment", "write_off", "count")
KIT_PRICE_RULES = ("fixed", "percent_off")
