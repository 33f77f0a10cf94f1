"""Catalogue pages rendered once for every visitor, with holes for what is theirs alone.

A shared page is rendered with `shared_render` set: base.html leaves a marked hole for the
basket badge, the account menu and flashed messages, and every `csrf_token()` is a marker.
The result is cached under the catalogue and stock tokens; each request fills the holes from
`_personal.html` and gives each form a token of the visitor's own session. So the costly part
(queries and catalogue markup) is shared, and nothing personal ever is.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from flask import Flask, current_app, g, render_template
from markupsafe import Markup

from shop import clock
from shop.services import shared_cache

HOLES = ("basket_badge", "account_nav", "flashes")
# Stands for the visitor's form token in a shared page; page data is escaped, so no product
# text can forge it.
CSRF_MARK = "<!--personal:csrf-->"
_sharing: ContextVar[bool] = ContextVar("shared_render", default=False)


def init_app(app: Flask) -> None:
    """Make `csrf_token()` in templates leave its marker while a shared page is rendered."""
    visitors_token = app.jinja_env.globals["csrf_token"]
    app.extensions["shared_pages.csrf_token"] = visitors_token

    def csrf_token() -> str:
        return Markup(CSRF_MARK) if _sharing.get() else visitors_token()

    app.jinja_env.globals["csrf_token"] = csrf_token
    # Flask-WTF also hands templates its function through a context processor; this one runs
    # after it, so every template and macro gets the wrapper.
    app.context_processor(lambda: {"csrf_token": csrf_token})


def render(
    template: str,
    name: str,
    parts: tuple,
    load: Callable[[], dict[str, Any] | None],
    *,
    stock: bool = True,
) -> str | None:
    """Return the page for `name` and `parts`, rendered from `load()`'s context once.

    `load` returns the template's context, or None when there is no such page. `stock=False`
    for pages that show no stock levels, so a sale keeps them.
    """
    unshareable: list[str] = []

    def build() -> str | None:
        context = load()
        if context is None:
            return None
        reset = _sharing.set(True)
        try:
            page = render_template(template, shared_render=True, **context)
        finally:
            _sharing.reset(reset)
        # A form that made a real token (a WTForms CSRF field) belongs to this visitor only.
        token = g.get(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))
        if token and token in page:
            unshareable.append(page)
            return None
        return page

    # The day is part of the key: lots expire at midnight without any write.
    key = (clock.today().isoformat(), *parts)
    page = shared_cache.remember(f"page:{name}", key, build, stock=stock)
    if page is None and unshareable:
        page = unshareable[0]
    return None if page is None else personalise(page)


def personalise(page: str) -> str:
    """Fill a shared page's holes for the visitor of this request."""
    context: dict[str, Any] = {}
    current_app.update_template_context(context)
    parts = current_app.jinja_env.get_template("_personal.html").make_module(context)
    for hole in HOLES:
        marker = f"<!--personal:{hole}-->"
        if marker in page:
            page = page.replace(marker, str(getattr(parts, hole)()))
    if CSRF_MARK in page:
        token = current_app.extensions["shared_pages.csrf_token"]
        pieces = page.split(CSRF_MARK)
        page = pieces[0] + "".join(str(token()) + piece for piece in pieces[1:])
    return page
