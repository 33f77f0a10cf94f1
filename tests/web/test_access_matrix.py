"""Who may reach which route: every rule of the URL map, for every kind of visitor.

The expectation for a route comes from its view's `required_roles` (set by shop.auth.role_required)
or, for routes without a role, from ACCESS below. A new route that has neither makes
test_every_route_has_an_access_rule fail: add it to ACCESS (or protect it with role_required).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from werkzeug.routing import Rule
from werkzeug.security import generate_password_hash

from app import create_app
from models import Order, OrderLine, SavedPlan, User, db
from models.people import ROLE_GRANTS
from shop.extensions import limiter
from tests.conftest import log_in
from tests.factories import DEFAULT_PASSWORD, make_product, make_treatment_with_protocol

# --- the access table -----------------------------------------------------------------------

PUBLIC = "public"  # anyone, signed in or not
SIGNED_IN = "signed-in"  # any signed-in account; anonymous visitors are sent to sign in
OWNER = "owner"  # only the customer the object belongs to; anyone else gets 404 (or sign-in)

# Routes without required_roles, by endpoint. Role-protected routes need no entry: their
# decorator says who may enter. Keep this sorted by blueprint.
ACCESS: dict[str, str] = {
    # storefront and information
    "static": PUBLIC,
    "bootstrap.static": PUBLIC,
    "media.product_image": PUBLIC,
    "media.product_drawing": PUBLIC,
    "storefront.home": PUBLIC,
    "storefront.products": PUBLIC,
    "storefront.product": PUBLIC,
    "storefront.kits": PUBLIC,
    "storefront.kit": PUBLIC,
    "treatments.index": PUBLIC,
    "treatments.detail": PUBLIC,
    "kitfinder.finder": PUBLIC,
    "kitfinder.plan_page": PUBLIC,
    "kitfinder.plan_link": PUBLIC,  # whoever holds the link's token
    "kitfinder.plan_calendar_file": PUBLIC,  # whoever holds the link's token
    # reminder emails: whoever holds the plan link, the confirmation or the unsubscribe link
    "reminders.subscribe": PUBLIC,
    "reminders.saved_plan_subscribe": OWNER,
    "reminders.confirm_page": PUBLIC,
    "reminders.confirm": PUBLIC,
    "reminders.unsubscribe_page": PUBLIC,
    "reminders.unsubscribe": PUBLIC,
    "api.aftercare_plan": PUBLIC,
    "consultation.request_form": PUBLIC,
    "consultation.thanks": PUBLIC,
    "consultation.booked": PUBLIC,  # the booking just made in this browser's session
    # a booked consultation: whoever holds the manage link's token
    "consultation.manage": PUBLIC,
    "consultation.move": PUBLIC,
    "consultation.cancel": PUBLIC,
    "consultation.calendar": PUBLIC,
    "ops.healthz": PUBLIC,
    "webhooks.stripe_webhook": PUBLIC,  # signature-checked instead
    # basket and checkout
    "basket.view": PUBLIC,
    "basket.add": PUBLIC,
    "basket.add_items": PUBLIC,
    "basket.update": PUBLIC,
    "basket.remove": PUBLIC,
    "checkout.start": PUBLIC,
    "checkout.order": OWNER,
    "checkout.pay": OWNER,
    "checkout.cancel": OWNER,
    "checkout.success": OWNER,
    "checkout.cancelled": OWNER,
    # a clinician's recommendation: whoever holds the link's token
    "patient.recommendation": PUBLIC,
    "patient.acknowledge": PUBLIC,
    "patient.buy": PUBLIC,
    # reporting a concern: from a plan link or a clinician's link (the token is the key), or
    # from the customer's own saved plan
    "concerns.plan_link_concern": PUBLIC,
    "concerns.recommendation_concern": PUBLIC,
    "concerns.saved_plan_concern": OWNER,
    # accounts
    "account.register": PUBLIC,
    "account.login": PUBLIC,
    "account.logout": PUBLIC,
    "account.password_reset_request": PUBLIC,
    "account.password_reset": PUBLIC,
    "account.overview": SIGNED_IN,
    "account.orders": SIGNED_IN,
    "account.plans": SIGNED_IN,
    "account.save_plan": SIGNED_IN,
    "account.delete_plan": OWNER,
    "account.saved_plan": OWNER,
    "account.buy_again": OWNER,
    "account.saved_plan_calendar": OWNER,
    "account.change_password": SIGNED_IN,
    "account.data": SIGNED_IN,
    "account.export": SIGNED_IN,
    "account.erase": SIGNED_IN,
    "account.confirm_email_request": SIGNED_IN,
    "account.confirm_email": PUBLIC,  # the signed link itself proves the mailbox
}

# Areas whose every route must carry role_required with (at least) these roles.
PROTECTED_PREFIXES = {"/staff": "staff", "/clinic": "clinician"}

# Who visits, in this order (the owner last, as some owner requests delete their object).
PERSONAS = ("anonymous", "other_customer", "clinician", "staff", "admin", "customer")
ROLE_OF = {
    "other_customer": "customer",
    "clinician": "clinician",
    "staff": "staff",
    "admin": "admin",
    "customer": "customer",
}
# URL parameters that name something a customer owns, filled with the customer's real object.
OWNED_PARAMETERS = {"reference", "plan_id"}
PLACEHOLDER_INT = 987654
PLACEHOLDER_TEXT = "no-such-thing"
NEVER = {401, 500, 502, 503}

# --- the rules ------------------------------------------------------------------------------

_RULES_APP = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
RULES: list[Rule] = sorted(_RULES_APP.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint))


def rule_id(rule: Rule) -> str:
    """A readable test id: the endpoint and its path."""
    return f"{rule.endpoint} {rule.rule}"


def view_roles(app, endpoint: str) -> tuple[str, ...] | None:
    """The roles a view demands through role_required, or None."""
    return getattr(app.view_functions[endpoint], "required_roles", None)


def expectation(app, rule: Rule) -> str | tuple[str, ...]:
    """The kind of access a rule has: its required roles, or its ACCESS entry."""
    roles = view_roles(app, rule.endpoint)
    if roles:
        return tuple(roles)
    if rule.endpoint not in ACCESS:
        pytest.fail(
            f"Route {rule.rule} (endpoint {rule.endpoint!r}) has no access rule: protect the "
            "view with shop.auth.role_required, or add the endpoint to ACCESS in "
            "tests/web/test_access_matrix.py (PUBLIC, SIGNED_IN or OWNER)."
        )
    return ACCESS[rule.endpoint]


# --- the people and their things ------------------------------------------------------------


@dataclass
class World:
    """The visitors and the customer's own order and plan."""

    users: dict[str, User]
    order: Order
    plan: SavedPlan


# A cheap hash of the factories' password: the matrix signs in about a thousand times.
_HASH = generate_password_hash(DEFAULT_PASSWORD, method="pbkdf2:sha256:1000")


@pytest.fixture
def world(app_ctx) -> World:
    users = {}
    for persona, role in ROLE_OF.items():
        user = User(email=f"{persona}@matrix.example", name=persona, role=role, password_hash=_HASH)
        db.session.add(user)
        users[persona] = user
    db.session.commit()
    customer = users["customer"]
    product = make_product()
    order = Order(
        reference="LS-" + secrets.token_hex(5).upper(),
        user_id=customer.id,
        email=customer.email,
        name="Matrix Customer",
        fulfilment="collect",
        status="pending_payment",
        payment_method="clinic",
        reserved_until=datetime.now(UTC) + timedelta(days=7),
        subtotal_pence=1000,
        total_pence=1000,
        lines=[
            OrderLine(
                kind="product",
                product_id=product.id,
                name=product.name,
                quantity=1,
                unit_price_pence=1000,
                line_total_pence=1000,
            )
        ],
    )
    plan = SavedPlan(
        user_id=customer.id,
        treatment_id=make_treatment_with_protocol().id,
        treated_on=date.today(),
        fitzpatrick=2,
    )
    db.session.add_all([order, plan])
    db.session.commit()
    return World(users=users, order=order, plan=plan)


def sample_url(rule: Rule, world: World) -> str:
    """Build the rule's URL with the customer's objects for owned parameters, else placeholders."""
    values = {}
    for name in rule.arguments:
        converter = rule._converters[name].__class__.__name__
        if name == "reference":
            values[name] = world.order.reference
        elif name == "plan_id":
            values[name] = world.plan.id
        elif converter in ("IntegerConverter", "FloatConverter"):
            values[name] = PLACEHOLDER_INT
        elif converter == "PathConverter":
            values[name] = "no/such-file.txt"
        else:
            values[name] = PLACEHOLDER_TEXT
    return rule.build(values, append_unknown=False)[1]


def request_as(app, persona: str, world: World, method: str, url: str):
    """Make one request as `persona` on a fresh client (no state carried between visitors)."""
    limiter.reset()
    client = app.test_client()
    if persona != "anonymous":
        log_in(client, world.users[persona])
    return client.open(url, method=method, data={})


def went_to_login(response) -> bool:
    return response.status_code == 302 and response.headers["Location"].startswith("/account/login")


# --- the tests ------------------------------------------------------------------------------


def test_every_route_has_an_access_rule(app):
    missing = [
        f"  {rule.rule}  ->  {rule.endpoint}"
        for rule in app.url_map.iter_rules()
        if not view_roles(app, rule.endpoint) and rule.endpoint not in ACCESS
    ]
    assert not missing, (
        "These routes have no access rule; protect them with role_required or add them to the "
        "access table ACCESS in tests/web/test_access_matrix.py:\n" + "\n".join(missing)
    )


def test_staff_and_clinic_routes_all_demand_their_role(app):
    unguarded = []
    for rule in app.url_map.iter_rules():
        for prefix, role in PROTECTED_PREFIXES.items():
            if rule.rule == prefix or rule.rule.startswith(prefix + "/"):
                roles = view_roles(app, rule.endpoint) or ()
                # Every role let in must include the area's role (admin includes both).
                if not roles or not all(role in ROLE_GRANTS[r] for r in roles):
                    unguarded.append(f"{rule.rule} ({rule.endpoint}) roles={roles}")
    assert not unguarded, "Routes in a protected area without its role:\n" + "\n".join(unguarded)


@pytest.mark.parametrize("rule", RULES, ids=rule_id)
def test_route_access(app, world, rule):
    if rule.endpoint not in app.view_functions:
        pytest.skip("route not in this app")
    kind = expectation(app, rule)
    url = sample_url(rule, world)
    problems = []
    for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
        for persona in PERSONAS:
            response = request_as(app, persona, world, method, url)
            status = response.status_code
            where = f"{method} {url} as {persona}: {status}"
            if status in NEVER:
                problems.append(f"{where} (never allowed)")
                continue
            user = world.users.get(persona)
            if isinstance(kind, tuple):
                if user is None:
                    ok = went_to_login(response)
                elif any(user.has_role(role) for role in kind):
                    ok = status != 403 and not went_to_login(response)
                else:
                    ok = status == 403
            elif kind == PUBLIC:
                ok = status != 403 and not went_to_login(response)
            elif kind == SIGNED_IN:
                ok = went_to_login(response) if user is None else not went_to_login(response)
                ok = ok and status != 403
            elif kind == OWNER:
                if persona == "customer":
                    ok = status in (200, 302, 303, 400, 409, 422) and not went_to_login(response)
                else:
                    ok = status in (403, 404) or went_to_login(response)
            else:  # pragma: no cover - a typo in ACCESS
                ok = False
            if not ok:
                problems.append(f"{where} does not fit {kind!r}")
    assert not problems, "\n".join(problems)
