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
    "physical-exfoliant",
)
UV_FILTERS = ("mineral", "chemical")
SKIN_TYPES = ("normal", "dry", "oily", "combination", "sensitive", "acne-prone")
CONCERNS = ("sensitive", "acne-prone", "dry", "oily", "pigmentation-prone")
ROLES = ("customer", "clinician", "staff", "admin")
STOCK_MOVEMENT_KINDS = ("receipt", "sale", "return", "adjustment", "write_off", "count")
KIT_PRICE_RULES = ("fixed", "percent_off")
ORDER_STATUSES = (
    "pending_payment",
    "paid",
    "ready_for_collection",
    "shipped",
    "completed",
    "expired",
    "cancelled",
    "refunded",
    "partially_refunded",
)
FULFILMENT_METHODS = ("collect", "delivery")
PAYMENT_METHODS = ("card", "clinic")
ORDER_LINE_KINDS = ("product", "kit")
ALLOCATION_STATES = ("held", "committed", "released", "returned")
PAYMENT_STATUSES = ("pending", "succeeded", "failed", "expired", "refunded", "partially_refunded")
REFUND_STATUSES = ("pending", "succeeded", "failed")
EMAIL_STATUSES = ("pending", "sent", "failed")
CONSULTATION_STATUSES = ("open", "contacted", "booked", "closed")
RECOMMENDATION_STATUSES = ("draft", "sent", "revoked")
