"""A local stand-in for Stripe's API: a real HTTP server that checks requests and answers alike.

The shop's Stripe gateway talks to it through the official SDK (STRIPE_API_BASE points here).
It checks the path, the secret key, the form fields, the amounts and the Idempotency-Key, and
answers with JSON shaped like Stripe's. Webhook bodies are signed the way Stripe signs them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

import stripe

API_KEY = "sk_test_fake_key_for_tests"
WEBHOOK_SECRET = "whsec_test_fake_secret"


class FakeStripe:
    """The fake API server; `requests` lists what it received, `problems` what it refused."""

    def __init__(self, api_key: str = API_KEY) -> None:
        self.api_key = api_key
        self.requests: list[dict[str, Any]] = []
        self.problems: list[str] = []
        self.sessions: dict[str, dict[str, Any]] = {}
        self.refunds: dict[str, dict[str, Any]] = {}
        self._idempotent: dict[str, tuple[str, str, int, dict[str, Any]]] = {}
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        """Return the API base address."""
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeStripe:
        """Start serving on a free local port."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                fake._handle(self, "POST")

            def do_GET(self):
                fake._handle(self, "GET")

            def log_message(self, *args):  # keep test output clean
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving (later calls get 'connection refused', like an outage)."""
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()

    # --- request handling ---------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler, method: str) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length).decode() if length else ""
        form = dict(parse_qsl(body, keep_blank_values=True))
        record = {
            "method": method,
            "path": handler.path,
            "form": form,
            "idempotency_key": handler.headers.get("Idempotency-Key"),
            "authorization": handler.headers.get("Authorization"),
        }
        with self._lock:
            self.requests.append(record)
            status, answer = self._answer(record, body)
        data = json.dumps(answer).encode()
        handler.send_response(status)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(data)))
        handler.send_header("Request-Id", f"req_{next(self._ids)}")
        handler.end_headers()
        handler.wfile.write(data)

    def _refuse(self, status: int, message: str, kind: str = "invalid_request_error"):
        self.problems.append(message)
        return status, {"error": {"type": kind, "message": message}}

    def _answer(self, record: dict[str, Any], body: str) -> tuple[int, dict[str, Any]]:
        if record["authorization"] != f"Bearer {self.api_key}":
            return self._refuse(401, "Invalid API Key provided", "authentication_error")
        if record["method"] == "POST":
            key = record["idempotency_key"]
            if not key:
                return self._refuse(400, "Every POST must carry an Idempotency-Key")
            if key in self._idempotent:
                path, seen_body, status, answer = self._idempotent[key]
                if path != record["path"] or seen_body != body:
                    return self._refuse(
                        400,
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with",
                        "idempotency_error",
                    )
                return status, answer
            status, answer = self._route(record)
            if status < 500:
                self._idempotent[key] = (record["path"], body, status, answer)
            return status, answer
        return self._route(record)

    def _route(self, record: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        path, form = record["path"], record["form"]
        if record["method"] == "POST" and path == "/v1/checkout/sessions":
            return self._create_session(form)
        if record["method"] == "POST" and path.startswith("/v1/checkout/sessions/"):
            session_id = path.split("/")[4]
            if path.endswith("/expire") and session_id in self.sessions:
                if self.sessions[session_id]["status"] != "open":
                    return self._refuse(
                        400, "Only Checkout Sessions with a status of open can be expired."
                    )
                self.sessions[session_id]["status"] = "expired"
                return 200, self.sessions[session_id]
        if record["method"] == "POST" and path == "/v1/refunds":
            return self._create_refund(form)
        return self._refuse(404, f"Unrecognized request URL ({record['method']}: {path})")

    def _create_session(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        now = int(time.time())
        checks = {
            "mode must be payment": form.get("mode") == "payment",
            "client_reference_id is required": bool(form.get("client_reference_id")),
            "metadata[order_reference] must match client_reference_id": form.get(
                "metadata[order_reference]"
            )
            == form.get("client_reference_id"),
            "customer_email is required": "@" in form.get("customer_email", ""),
            "success_url must be absolute": form.get("success_url", "").startswith("http"),
            "cancel_url must be absolute": form.get("cancel_url", "").startswith("http"),
            "expires_at must be 30 minutes to 24 hours ahead": form.get("expires_at", "").isdigit()
            and now + 30 * 60 - 5 <= int(form["expires_at"]) <= now + 24 * 3600,
        }
        for message, ok in checks.items():
            if not ok:
                return self._refuse(400, message)
        items = []
        for index in itertools.count():
            prefix = f"line_items[{index}]"
            if f"{prefix}[quantity]" not in form:
                break
            quantity = form[f"{prefix}[quantity]"]
            amount = form.get(f"{prefix}[price_data][unit_amount]", "")
            currency = form.get(f"{prefix}[price_data][currency]")
            name = form.get(f"{prefix}[price_data][product_data][name]")
            if not (quantity.isdigit() and int(quantity) >= 1):
                return self._refuse(400, f"{prefix}[quantity] must be a positive whole number")
            if not amount.isdigit():
                return self._refuse(400, f"{prefix}[unit_amount] must be whole pence")
            if currency != "gbp" or not name:
                return self._refuse(400, f"{prefix} needs currency gbp and a product name")
            items.append({"name": name, "quantity": int(quantity), "unit_amount": int(amount)})
        if not items:
            return self._refuse(400, "line_items is required")
        number = next(self._ids)
        session_id = f"cs_test_{number:06d}"
        session = {
            "id": session_id,
            "object": "checkout.session",
            "mode": "payment",
            "status": "open",
            "payment_status": "unpaid",
            "amount_total": sum(i["quantity"] * i["unit_amount"] for i in items),
            "currency": "gbp",
            "client_reference_id": form["client_reference_id"],
            "customer_email": form["customer_email"],
            "metadata": {"order_reference": form["metadata[order_reference]"]},
            "expires_at": int(form["expires_at"]),
            "success_url": form["success_url"],
            "cancel_url": form["cancel_url"],
            "payment_intent": None,
            "url": f"https://checkout.stripe.test/c/pay/{session_id}",
            "line_items_for_tests": items,
        }
        self.sessions[session_id] = session
        return 200, session

    def _create_refund(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if not form.get("payment_intent", "").startswith("pi_"):
            return self._refuse(400, "payment_intent is required")
        if not form.get("amount", "").isdigit() or int(form["amount"]) <= 0:
            return self._refuse(400, "amount must be a positive whole number of pence")
        refund_id = f"re_test_{next(self._ids):06d}"
        refund = {
            "id": refund_id,
            "object": "refund",
            "amount": int(form["amount"]),
            "currency": "gbp",
            "payment_intent": form["payment_intent"],
            "status": "succeeded",
        }
        self.refunds[refund_id] = refund
        return 200, refund

    # --- what the tests look at --------------------------------------------------------

    def posts(self, path: str) -> list[dict[str, Any]]:
        """Return the POST requests received on `path`."""
        return [r for r in self.requests if r["method"] == "POST" and r["path"] == path]


def event(event_type: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    """Build a Stripe event around `obj`, as webhooks deliver it."""
    return {
        "id": event_id or f"evt_test_{next(_event_ids):06d}",
        "object": "event",
        "api_version": "2025-01-27.acacia",
        "created": int(time.time()),
        "type": event_type,
        "livemode": False,
        "data": {"object": obj},
    }


_event_ids = itertools.count(1)


def completed_session(session: dict[str, Any], payment_status: str = "paid") -> dict[str, Any]:
    """Return the session as Stripe reports it once the customer finished checkout."""
    return {
        **{k: v for k, v in session.items() if k != "line_items_for_tests"},
        "status": "complete",
        "payment_status": payment_status,
        "payment_intent": "pi_test_" + session["id"][-6:],
    }


def sign(payload: dict[str, Any] | str, secret: str = WEBHOOK_SECRET, timestamp: int | None = None):
    """Return (body, Stripe-Signature header) for a webhook, signed like Stripe does."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    header = stripe.WebhookSignature.generate_signature_header(body, secret, timestamp=timestamp)
    return body, header


@contextmanager
def stripe_configured(app, fake: FakeStripe | None):
    """Turn card payments on for the app, pointed at the fake server (or at nothing)."""
    keys = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE")
    saved = {key: app.config[key] for key in keys}
    app.config.update(
        STRIPE_SECRET_KEY=API_KEY,
        STRIPE_WEBHOOK_SECRET=WEBHOOK_SECRET,
        STRIPE_API_BASE=fake.url if fake is not None else "http://127.0.0.1:9",
    )
    try:
        yield fake
    finally:
        app.config.update(saved)
