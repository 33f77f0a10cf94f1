"""Controlled vocabularies stored in the database.

The clinical ones (treatments, categories, actives, UV filters, skin types, concerns) are the
aftercare engine's own: they are defined once, in the engine's pure vocabulary module, which
imports nothing, and read from there.
"""

from shop.aftercare.vocabulary import (
    ACTIVES,
    CATEGORIES,
    CONCERNS,
    SKIN_TYPES,
    TREATMENTS,
    UV_FILTERS,
)

__all__ = [
    "ACTIVES",
    "ALLOCATION_STATES",
    "CATEGORIES",
    "CONCERNS",
    "CONCERN_SOURCES",
    "CONCERN_STATUSES",
    "CONSULTATION_STATUSES",
    "DESK_PAYMENT_METHODS",
    "EMAIL_STATUSES",
    "FULFILMENT_METHODS",
    "KIT_PRICE_RULES",
    "ORDER_LINE_KINDS",
    "ORDER_STATUSES",
    "PAYMENT_METHODS",
    "PAYMENT_STATUSES",
    "RECOMMENDATION_STATUSES",
    "REFUND_STATUSES",
    "ROLES",
    "SKIN_TYPES",
    "STOCK_MOVEMENT_KINDS",
    "TREATMENTS",
    "UV_FILTERS",
]


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
# How a pay-at-clinic order was paid at the desk.
DESK_PAYMENT_METHODS = ("card", "cash")
ORDER_LINE_KINDS = ("product", "kit")
ALLOCATION_STATES = ("held", "committed", "released", "returned")
PAYMENT_STATUSES = ("pending", "succeeded", "failed", "expired", "refunded", "partially_refunded")
REFUND_STATUSES = ("pending", "succeeded", "failed")
EMAIL_STATUSES = ("pending", "sent", "failed")
CONSULTATION_STATUSES = ("open", "contacted", "booked", "closed")
RECOMMENDATION_STATUSES = ("draft", "sent", "revoked")
# A concern a patient reported: new until a clinician has spoken to them, then resolved.
CONCERN_STATUSES = ("new", "contacted", "resolved")
# Which plan page the concern was sent from.
CONCERN_SOURCES = ("plan_link", "saved_plan", "recommendation")
