"""The payment gateway interface and its two ways of taking money: Stripe and the clinic desk."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import stripe
from flask import current_app

from models import Order, Payment
from shop.services import orders
from shop.services.payments.events import MalformedEvent, checked_event


class GatewayError(Exception):
    """The payment provider could not be reached or refused the request."""


class WebhookSignatureError(Exception):
    """A webhook's signature is missing, wrong, too old or dated in the future."""


@dataclass(frozen=True)
class HostedCheckout:
    """Where to send the customer to pay, and the provider's id for that page."""

    session_id: str
    url: str


class PaymentGateway(Protocol):
    """What the shop needs from a way of taking money."""

    provider: str

    def refund(self, payment: Payment, amount_pence: int, idempotency_key: str) -> str | None:
        """Give `amount_pence` back; returns the provider's refund id (None for the desk)."""


class ClinicGateway:
    """Payment taken in person at the clinic desk: nothing to call, staff record it."""

    provider = "clinic"

    def refund(self, payment: Payment, amount_pence: int, idempotency_key: str) -> str | None:
        """Refunds of desk payments are handed back at the desk; nothing to call."""
        return None


class StripeGateway:
    """Stripe through the official SDK's StripeClient, with a configurable API base."""

    provider = "stripe"

    def __init__(
        self,
        secret_key: str,
        webhook_secret: str,
        *,
        api_base: str = "",
        tolerance: int = 300,
        max_network_retries: int = 2,
    ) -> None:
        base_addresses = {"api": api_base.rstrip("/")} if api_base else None
        self.client = stripe.StripeClient(
            secret_key,
            base_addresses=base_addresses,
            max_network_retries=max_network_retries,
        )
        self.webhook_secret = webhook_secret
        self.tolerance = tolerance

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> StripeGateway:
        """Build the gateway from the app settings."""
        return cls(
            config["STRIPE_SECRET_KEY"],
            config["STRIPE_WEBHOOK_SECRET"],
            api_base=config["STRIPE_API_BASE"],
            tolerance=config["STRIPE_WEBHOOK_TOLERANCE"],
        )

    def create_checkout(
        self, order: Order, *, success_url: str, cancel_url: str, expires_at: datetime
    ) -> HostedCheckout:
        """Open a hosted Checkout Session for the order (idempotent per order)."""
        line_items = [
            {
                "quantity": line.quantity,
                "price_data": {
                    "currency": order.currency.lower(),
                    "unit_amount": line.unit_price_pence,
                    "product_data": {"name": line.name},
                },
            }
            for line in order.lines
        ]
        if order.delivery_pence:
            line_items.append(
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": order.currency.lower(),
                        "unit_amount": order.delivery_pence,
                        "product_data": {"name": "UK delivery"},
                    },
                }
            )
        params = {
            "mode": "payment",
            "line_items": line_items,
            "client_reference_id": order.reference,
            "metadata": {"order_reference": order.reference},
            "payment_intent_data": {"metadata": {"order_reference": order.reference}},
            "customer_email": order.email,
            "expires_at": int(expires_at.timestamp()),
            "success_url": success_url,
            "cancel_url": cancel_url,
        }
        try:
            session = self.client.v1.checkout.sessions.create(
                params=params, options={"idempotency_key": f"checkout-{order.reference}"}
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error.user_message or error)) from error
        return HostedCheckout(session_id=session.id, url=session.url)

    def expire_checkout(self, session_id: str) -> None:
        """Close a Checkout Session so it can no longer be paid."""
        try:
            self.client.v1.checkout.sessions.expire(session_id)
        except stripe.StripeError as error:
            raise GatewayError(str(error.user_message or error)) from error

    def refund(self, payment: Payment, amount_pence: int, idempotency_key: str) -> str | None:
        """Refund part or all of a card payment; the idempotency key makes retries safe."""
        if not payment.payment_intent_id:
            raise GatewayError("This card payment has no payment intent to refund.")
        try:
            refund = self.client.v1.refunds.create(
                params={
                    "payment_intent": payment.payment_intent_id,
                    "amount": amount_pence,
                    "metadata": {"order_reference": payment.order.reference},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise GatewayError(str(error.user_message or error)) from error
        return refund.id

    def verify_webhook(self, payload: bytes, signature: str | None) -> dict[str, Any]:
        """Check the signature on the raw body and return the event as plain data.

        Raises WebhookSignatureError for a bad signature or one dated more than the tolerance
        away from now in either direction, MalformedEvent for a signed body that is not an
        event with an id, a type and a data object.
        """
        try:
            stripe.WebhookSignature.verify_header(
                payload, signature, self.webhook_secret, self.tolerance
            )
        except (stripe.SignatureVerificationError, ValueError) as error:
            raise WebhookSignatureError(str(error)) from error
        # Stripe's SDK only refuses old signatures; one dated ahead could be replayed for as
        # long as it stays "recent", so it is refused too.
        if _signed_at(signature) > time.time() + self.tolerance:
            raise WebhookSignatureError("The signature is dated in the future.")
        try:
            event = json.loads(payload)
        except (ValueError, RecursionError) as error:
            raise MalformedEvent("The body is not JSON.") from error
        return checked_event(event)


def _signed_at(signature: str) -> int:
    """Return the timestamp of a Stripe-Signature header already verified (Stripe's own reading)."""
    for item in signature.split(","):
        key, _, value = item.partition("=")
        if key == "t":
            return int(value)
    raise WebhookSignatureError("The signature has no timestamp.")


def stripe_gateway() -> StripeGateway | None:
    """Return the Stripe gateway when card payments are configured, else None."""
    if not orders.card_payments_enabled():
        return None
    return StripeGateway.from_config(current_app.config)


def gateway_for(provider: str) -> PaymentGateway:
    """Return the gateway that took a payment."""
    if provider == "stripe":
        gateway = stripe_gateway()
        if gateway is None:
            raise GatewayError("Card payments are not configured, so they cannot be refunded.")
        return gateway
    return ClinicGateway()
