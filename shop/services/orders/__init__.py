"""Orders: placing them with all-or-nothing stock reservation, and every status transition.

The package re-exports what callers outside it use; each submodule owns one part:
states (the state machine), stock (holding and releasing stock), placing, lifecycle (every
move after placing) and queries (reading orders).
"""

from shop.services.orders.lifecycle import (
    CARD_EXPIRY_GRACE,
    DESK_PAYMENT_LABELS,
    DESK_PAYMENT_PHRASES,
    cancel_order,
    expire_order,
    expire_stale_orders,
    mark_collected,
    mark_delivered,
    mark_paid,
    mark_paid_at_clinic,
    mark_ready_for_collection,
    mark_shipped,
    stale_order_ids,
)
from shop.services.orders.placing import (
    MIN_CHECKOUT_MINUTES,
    CheckoutDetails,
    EmptyBasket,
    PaymentMethodUnavailable,
    card_payments_enabled,
    checkout_minutes,
    delivery_fee,
    new_reference,
    payment_methods_for,
    place_order,
)
from shop.services.orders.queries import (
    can_view_order,
    get_order,
    get_order_by_reference,
    kit_components,
    latest_payment,
)
from shop.services.orders.states import (
    ORDER_STATUS_LABELS,
    REFUNDABLE_STATUSES,
    TRANSITIONS,
    IllegalTransition,
    OrderError,
    OrderNotFound,
)
from shop.services.orders.stock import InsufficientStock, commit_order_stock, release_order_stock

__all__ = [
    "CARD_EXPIRY_GRACE",
    "DESK_PAYMENT_LABELS",
    "DESK_PAYMENT_PHRASES",
    "MIN_CHECKOUT_MINUTES",
    "ORDER_STATUS_LABELS",
    "REFUNDABLE_STATUSES",
    "TRANSITIONS",
    "CheckoutDetails",
    "EmptyBasket",
    "IllegalTransition",
    "InsufficientStock",
    "OrderError",
    "OrderNotFound",
    "PaymentMethodUnavailable",
    "can_view_order",
    "cancel_order",
    "card_payments_enabled",
    "checkout_minutes",
    "commit_order_stock",
    "delivery_fee",
    "expire_order",
    "expire_stale_orders",
    "get_order",
    "get_order_by_reference",
    "kit_components",
    "latest_payment",
    "mark_collected",
    "mark_delivered",
    "mark_paid",
    "mark_paid_at_clinic",
    "mark_ready_for_collection",
    "mark_shipped",
    "new_reference",
    "payment_methods_for",
    "place_order",
    "release_order_stock",
    "stale_order_ids",
]
