"""Placing an order: payment methods, delivery fee, its reference, and the confirmation email."""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from sqlalchemy import select

from models import Order, OrderEvent, OrderLine, Payment, Recommendation, db
from shop import clock
from shop.money import vat_included
from shop.opening_hours import describe as describe_opening_hours
from shop.opening_hours import last_closing_by
from shop.services import plan_links
from shop.services.basket import BasketStore, PricedBasket, price_basket
from shop.services.notifications import queue_email
from shop.services.orders.states import ORDER_STATUS_LABELS, OrderError
from shop.services.orders.stock import InsufficientStock, reserve_stock
from shop.services.unit_of_work import unit_of_work

log = logging.getLogger(__name__)

REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
REFERENCE_LENGTH = 10
# Stripe refuses Checkout Sessions that expire sooner than this.
MIN_CHECKOUT_MINUTES = 30
STANDARD_VAT_BP = 2000


class EmptyBasket(OrderError):
    """There is nothing to order."""


class PaymentMethodUnavailable(OrderError):
    """The chosen payment method cannot be used for this order."""


@dataclass(frozen=True)
class CheckoutDetails:
    """What the checkout form collected, already validated and normalised."""

    name: str
    email: str
    fulfilment: str  # collect | delivery
    payment_method: str  # card | clinic
    phone: str = ""
    address_line1: str = ""
    address_line2: str = ""
    town: str = ""
    postcode: str = ""
    user_id: int | None = None
    recommendation_id: int | None = None
    # The plan link to keep with the order, only when the buyer ticked the box for it.
    plan_token: str | None = None


def card_payments_enabled() -> bool:
    """Tell whether card payments are configured (both Stripe secrets set)."""
    config = current_app.config
    return bool(config["STRIPE_SECRET_KEY"] and config["STRIPE_WEBHOOK_SECRET"])


def payment_methods_for(fulfilment: str | None) -> list[str]:
    """Return the payment methods open to an order fulfilled this way."""
    methods = ["card"] if card_payments_enabled() else []
    if fulfilment in (None, "collect"):
        methods.append("clinic")
    return methods


def delivery_fee(subtotal_pence: int, fulfilment: str) -> int:
    """Return the delivery charge: a flat fee, free at or over the threshold, none to collect."""
    if fulfilment != "delivery":
        return 0
    config = current_app.config
    if subtotal_pence >= config["FREE_DELIVERY_THRESHOLD_PENCE"]:
        return 0
    return config["DELIVERY_FEE_PENCE"]


def new_reference() -> str:
    """Return a fresh, unguessable order reference such as 'LS-7KQ2M9XW4P'."""
    return "LS-" + "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


def collection_deadline(now: datetime) -> datetime:
    """Return when a pay-at-clinic order stops being held: COLLECTION_HOLD_DAYS from now, or
    earlier, at the clinic's last closing time before then, so it ends while the desk is open.
    """
    config = current_app.config
    limit = now + timedelta(days=config["COLLECTION_HOLD_DAYS"])
    return last_closing_by(limit, now, config["CLINIC_OPENINGS"], clock.zone())


def checkout_minutes() -> int:
    """Return how long a card checkout holds stock, never less than Stripe allows."""
    return max(current_app.config["CHECKOUT_SESSION_MINUTES"], MIN_CHECKOUT_MINUTES)


def place_order(
    store: BasketStore,
    details: CheckoutDetails,
    *,
    today: date | None = None,
    now: datetime | None = None,
) -> Order:
    """Turn the basket into an order awaiting payment, holding stock for every line; commits.

    Prices come from the database. All lines are reserved in one transaction or none are:
    any shortage raises InsufficientStock naming the item and nothing is changed.
    """
    now = now or clock.utc_now()
    # The clinic's date at that moment: a lot expiring today is not sold at 00:30 BST.
    today = today or clock.local(now).date()
    basket = price_basket(store.load(), today)
    if basket.is_empty:
        raise EmptyBasket("Your basket is empty.")
    for line in basket.lines:
        if line.problem:
            raise InsufficientStock(line.name, line.available, line.problem)
    if details.payment_method not in payment_methods_for(details.fulfilment):
        raise PaymentMethodUnavailable(
            "Paying at the clinic is only possible when you collect your order."
            if details.payment_method == "clinic"
            else "Card payments are not available at the moment."
        )
    with unit_of_work():
        order = _create_order(basket, details, now)
        reserve_stock(order, basket, today)
        if details.payment_method == "clinic":
            queue_confirmation(order)
        store.discard_after_order()
    log.info("Order %s placed (%s, %s)", order.reference, order.payment_method, order.fulfilment)
    return order


def _create_order(basket: PricedBasket, details: CheckoutDetails, now: datetime) -> Order:
    """Add the order, its lines and its pending payment to the session."""
    subtotal = basket.subtotal_pence
    delivery = delivery_fee(subtotal, details.fulfilment)
    if details.payment_method == "clinic":
        reserved_until = collection_deadline(now)
    else:
        reserved_until = now + timedelta(minutes=checkout_minutes())
    clinician_id = None
    if details.recommendation_id is not None:
        clinician_id = db.session.execute(
            select(Recommendation.clinician_id).where(
                Recommendation.id == details.recommendation_id
            )
        ).scalar_one_or_none()
    delivering = details.fulfilment == "delivery"
    order = Order(
        reference=new_reference(),
        user_id=details.user_id,
        email=details.email,
        name=details.name,
        phone=details.phone,
        fulfilment=details.fulfilment,
        address_line1=details.address_line1 if delivering else "",
        address_line2=details.address_line2 if delivering else "",
        town=details.town if delivering else "",
        postcode=details.postcode if delivering else "",
        status="pending_payment",
        payment_method=details.payment_method,
        subtotal_pence=subtotal,
        delivery_pence=delivery,
        total_pence=subtotal + delivery,
        vat_pence=basket.vat_pence + _delivery_vat(delivery),
        refunded_pence=0,
        currency=current_app.config["CURRENCY"],
        reserved_until=reserved_until,
        recommendation_id=details.recommendation_id if clinician_id is not None else None,
        clinician_id=clinician_id,
        plan_token=details.plan_token,
        plan_link_consent_at=now if details.plan_token else None,
        placed_at=now,
    )
    for line in basket.lines:
        order.lines.append(
            OrderLine(
                kind=line.kind,
                product_id=line.product.id if line.product is not None else None,
                kit_id=line.kit.id if line.kit is not None else None,
                name=line.name,
                quantity=line.quantity,
                unit_price_pence=line.unit_price_pence,
                line_total_pence=line.line_total_pence,
                vat_pence=line.vat_pence,
            )
        )
    order.events.append(OrderEvent(from_status=None, to_status="pending_payment", note="Placed"))
    db.session.add(order)
    db.session.add(
        Payment(
            order=order,
            provider="stripe" if details.payment_method == "card" else "clinic",
            amount_pence=order.total_pence,
            currency=order.currency,
            status="pending",
        )
    )
    db.session.flush()
    return order


def _delivery_vat(delivery_pence: int) -> int:
    """VAT inside the delivery charge (standard rate: delivery follows the goods, all taxable)."""
    return vat_included(delivery_pence, STANDARD_VAT_BP)


def queue_confirmation(order: Order) -> None:
    """Write the order confirmation email to the outbox in the current transaction."""
    config = current_app.config
    subject = (
        f"Your order {order.reference} is reserved for collection"
        if order.payment_method == "clinic" and order.status == "pending_payment"
        else f"Thank you for your order {order.reference}"
    )
    queue_email(
        order.email,
        subject,
        "order_confirmation",
        order=order,
        order_url=f"{config['PUBLIC_BASE_URL']}/orders/{order.reference}",
        plan_url=plan_links.plan_url(order.plan_token) if order.plan_token else None,
        clinic_address=config["CLINIC_ADDRESS"],
        clinic_phone=config["CLINIC_PHONE"],
        shop_name=config["SHOP_NAME"],
        reserved_until=clock.local(order.reserved_until),
        opening_hours=describe_opening_hours(config["CLINIC_OPENINGS"]),
        status_label=ORDER_STATUS_LABELS.get(order.status, order.status),
    )
