"""Views of the webhooks blueprint: Stripe's signed event notifications."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify, request

from shop.extensions import csrf
from shop.services import payments
from shop.services.payments import MalformedEvent, WebhookSignatureError

blueprint = Blueprint("webhooks", __name__, url_prefix="/webhooks")
log = logging.getLogger(__name__)


@blueprint.post("/stripe")
@csrf.exempt
def stripe_webhook():
    """Verify the signature on the raw body, apply the event once, answer quickly.

    A bad, missing, stale or future-dated signature gets 400 and changes nothing, and so does
    a signed body that is not a readable event. Unknown event types and replays get 200 so
    Stripe stops sending them; an unexpected failure gets 500 so Stripe retries later.
    """
    payload = request.get_data(cache=False)
    try:
        event = payments.verify_stripe_webhook(payload, request.headers.get("Stripe-Signature"))
        outcome = payments.handle_stripe_event(event)
    except WebhookSignatureError as error:
        log.warning("Refused a Stripe webhook: %s", error)
        return jsonify(error={"status": 400, "title": "Invalid signature"}), 400
    except MalformedEvent as error:
        log.warning("Refused a malformed Stripe webhook: %s", error)
        return jsonify(error={"status": 400, "title": "Malformed event", "detail": str(error)}), 400
    return jsonify(received=True, outcome=outcome), 200
