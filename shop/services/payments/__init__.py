"""Payments: the gateway interface, Stripe hosted Checkout, pay at the clinic, webhooks, refunds.

Card data never reaches the shop: the customer pays on Stripe's page and the signed webhook
tells the shop. The package re-exports what callers outside it use; gateway, events,
checkout, webhooks and refunds each own one part.
"""

from shop.services.payments.checkout import (
    CheckoutOutcome,
    cancel_unpaid_order,
    place_and_pay,
    resume_url,
)
from shop.services.payments.events import MalformedEvent
from shop.services.payments.gateway import (
    ClinicGateway,
    GatewayError,
    HostedCheckout,
    PaymentGateway,
    StripeGateway,
    WebhookSignatureError,
    gateway_for,
    stripe_gateway,
)
from shop.services.payments.refunds import RefundError, refund_order
from shop.services.payments.webhooks import (
    EVENT_HANDLERS,
    handle_stripe_event,
    verify_stripe_webhook,
)

__all__ = [
    "EVENT_HANDLERS",
    "CheckoutOutcome",
    "ClinicGateway",
    "GatewayError",
    "HostedCheckout",
    "MalformedEvent",
    "PaymentGateway",
    "RefundError",
    "StripeGateway",
    "WebhookSignatureError",
    "cancel_unpaid_order",
    "gateway_for",
    "handle_stripe_event",
    "place_and_pay",
    "refund_order",
    "resume_url",
    "stripe_gateway",
    "verify_stripe_webhook",
]
