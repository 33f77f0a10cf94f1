"""Paying for an order: opening Stripe's hosted page, resuming it, cancelling before payment."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from models import Order, db
from shop import clock
from shop.services import orders
from shop.services.basket import BasketStore
from shop.services.orders import CheckoutDetails
from shop.services.payments.gateway import GatewayError, stripe_gateway
from shop.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckoutOutcome:
    """The placed order and, for card payments, the page to pay on."""

    order: Order
    payment_url: str | None = None


def place_and_pay(
    store: BasketStore,
    details: CheckoutDetails,
    return_urls: Callable[[str], tuple[str, str]],
    *,
    now: datetime | None = None,
) -> CheckoutOutcome:
    """Place the order (holding its stock) and, for card payments, open Stripe's page.

    `return_urls(reference)` gives the absolute success and cancel addresses. If Stripe cannot
    be reached the order is cancelled at once, its stock released, and GatewayError raised.
    """
    now = now or clock.utc_now()
    order = orders.place_order(store, details, now=now)
    if order.payment_method != "card":
        return CheckoutOutcome(order)
    gateway = stripe_gateway()
    success_url, cancel_url = return_urls(order.reference)
    try:
        if gateway is None:
            raise GatewayError("Card payments are not configured.")
        hosted = gateway.create_checkout(
            order,
            success_url=success_url,
            cancel_url=cancel_url,
            expires_at=clock.local(order.reserved_until),
        )
    except GatewayError:
        log.warning("Could not open a card checkout for order %s", order.reference)
        orders.cancel_order(order.id, note="Card payment page could not be opened")
        raise
    with unit_of_work():
        payment = orders.latest_payment(order.id)
        payment.provider_reference = hosted.session_id
        payment.checkout_url = hosted.url
    return CheckoutOutcome(order, hosted.url)


def resume_url(order: Order, now: datetime | None = None) -> str | None:
    """Return the Stripe page where an unpaid card order can still be paid, if any."""
    now = now or clock.utc_now()
    if order.payment_method != "card" or order.status != "pending_payment":
        return None
    if clock.local(order.reserved_until) <= now:
        return None
    payment = orders.latest_payment(order.id)
    return payment.checkout_url if payment is not None else None


def cancel_unpaid_order(order_id: int, *, user_id: int | None = None) -> None:
    """Let the buyer cancel an order they have not paid: close its card page, free its stock.

    The Stripe session is expired first, so it can no longer be paid; if Stripe refuses (the
    payment has just gone through, or Stripe is unreachable) nothing changes and GatewayError
    says why. Paid orders raise IllegalTransition: the clinic refunds those.
    """
    order = db.session.get(Order, order_id)
    if order is None:
        raise orders.OrderNotFound(order_id)
    if order.status != "pending_payment":
        raise orders.IllegalTransition(
            "Only an order that is not paid yet can be cancelled here; please call the clinic "
            "about a paid order."
        )
    payment = orders.latest_payment(order.id)
    if (
        order.payment_method == "card"
        and payment is not None
        and payment.provider == "stripe"
        and payment.status == "pending"
        and payment.provider_reference
    ):
        gateway = stripe_gateway()
        if gateway is None:
            raise GatewayError("Card payments are not configured, so this order cannot be closed.")
        gateway.expire_checkout(payment.provider_reference)
    orders.cancel_order(order.id, note="Cancelled by the customer", user_id=user_id)
