"""Where the current visitor's basket lives: the session for guests, saved rows once signed in."""

from __future__ import annotations

from flask import has_request_context, session
from flask_login import current_user

from shop.services import basket as basket_service
from shop.services import plan_links
from shop.services.basket import BasketStore, GuestBasket, UserBasket


def current_store() -> BasketStore:
    """Return the visitor's basket store: saved rows when signed in, else the session."""
    if current_user.is_authenticated:
        return UserBasket(current_user.id)
    return GuestBasket(session)


def absorb_guest_basket(user) -> None:
    """Move the guest basket of this session into `user`'s saved basket; call right after login.

    Quantities of the same item add up; the session's basket is then emptied, so it is
    never merged twice.
    """
    guest = session.get(basket_service.SESSION_KEY)
    if not guest:
        return
    basket_service.merge_guest_basket_into_user(guest, user.id)
    session.pop(basket_service.SESSION_KEY, None)


def basket_count() -> int:
    """Return how many things the visitor's basket holds (no query for guests)."""
    if not has_request_context():
        return 0  # emails rendered by commands and workers have no visitor
    if current_user.is_authenticated:
        return basket_service.count_user_items(current_user.id)
    return basket_service.count_items(GuestBasket(session))


PLACED_ORDERS_KEY = "placed_orders"
# Enough to reach recent orders from this browser without letting the cookie grow forever.
MAX_REMEMBERED_ORDERS = 20


def remember_placed_order(reference: str) -> None:
    """Let this session see the confirmation page of an order it just placed."""
    placed = [r for r in session.get(PLACED_ORDERS_KEY, []) if isinstance(r, str)]
    placed.append(reference)
    session[PLACED_ORDERS_KEY] = placed[-MAX_REMEMBERED_ORDERS:]


def placed_orders() -> list[str]:
    """Return the references of orders placed in this session."""
    placed = session.get(PLACED_ORDERS_KEY, [])
    return [r for r in placed if isinstance(r, str)] if isinstance(placed, list) else []


PLAN_TOKEN_KEY = "plan_token"
PLAN_ORDER_KEY = "plan_order"
VIEWED_PLAN_KEY = "viewed_plan"


def remember_plan_link(token: str | None) -> None:
    """Keep the plan link a basket addition came from, so checkout can link the order to it.

    Anything that is not a plan link of this shop is ignored: the addition itself stands.
    """
    if token and plan_links.is_plan_token(token):
        session[PLAN_TOKEN_KEY] = token


def plan_link_token() -> str | None:
    """Return the plan link this session's basket came from, if any."""
    token = session.get(PLAN_TOKEN_KEY)
    return token if isinstance(token, str) else None


def link_plan_to_order(reference: str) -> None:
    """Remember that the order just placed was bought from this session's plan link."""
    if plan_link_token():
        session[PLAN_ORDER_KEY] = reference


def plan_token_for_order(reference: str) -> str | None:
    """Return this session's plan link for the order placed from it, else None."""
    return plan_link_token() if session.get(PLAN_ORDER_KEY) == reference else None


def remember_viewed_plan(token: str) -> None:
    """Keep the plan link this browser last opened, so kit pages can say which kit fits it.

    Kept apart from the basket's plan link: opening a plan does not tie an order to it.
    """
    session[VIEWED_PLAN_KEY] = token


def visitor_plan_token() -> str | None:
    """Return the plan this visitor came from: the one last opened, else the basket's."""
    token = session.get(VIEWED_PLAN_KEY)
    return token if isinstance(token, str) else plan_link_token()
