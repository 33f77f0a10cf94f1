"""Catalogue pages rendered once for every visitor, with holes for what is theirs alone.

A shared page is rendered with `shared_render` set: base.html leaves a marked hole for the
basket badge, the account menu and flashed messages, and every form token is a marker.
The result is cached under the catalogue and stock tokens; each request fills the holes from
`_personal.html` and gives each form a token of the visitor's own session. So the costly part
(queries and catalogue markup) is shared, and nothing personal ever is. The shared text is
also deflated once, so a browser that accepts gzip gets the page without it being compressed
again for each request (shop.stitched_gzip).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, g, render_template, request, session
from flask_login import current_user

from shop import clock, stitched_gzip
from shop.basket.session import basket_count
from shop.csrf import TOKEN_PLACEHOLDER, masked_csrf_token, masked_token_width
from shop.services import shared_cache

HOLES = ("basket_badge", "account_nav", "flashes")


@dataclass(frozen=True)
class Personal:
    """A page's context that must not be shared, e.g. because it echoes what was sent."""

    context: dict[str, Any]


def render(
    template: str,
    name: str,
    parts: tuple,
    load: Callable[[], dict[str, Any] | Personal | None],
    *,
    stock: bool = True,
    holes: Mapping[str, Callable[[], str]] | None = None,
) -> Response | bytes | None:
    """Return the page for `name` and `parts`, rendered once from `load()`, for this visitor.

    `load` returns the template's context, or None when there is no such page, or the context
    wrapped in Personal to render it for this request only. `stock=False` for pages that show
    no stock levels, so a sale keeps them. `holes` are this page's own personal parts: the
    template marks each with `<!--personal:name-->` and every request fills it with the
    markup its function returns for this visitor (an empty string for none).
    """

    def build() -> SharedPage | shared_cache.Uncached[SharedPage] | None:
        # Every way of making a form token (csrf_token(), a WTForms CSRF field, which makes it
        # when the form is built) asks Flask-WTF, which answers from g when it holds one:
        # while the page is built, g holds the marker, so no visitor's token, and no new
        # session, can ever end up in it.
        field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
        visitors = g.pop(field, None)
        setattr(g, field, TOKEN_PLACEHOLDER)
        try:
            context = load()
            if context is None:
                return None
            if isinstance(context, Personal):
                # Rendered for this request alone: compressed on the way out, as any page.
                return shared_cache.Uncached(
                    _pieces(render_template(template, shared_render=True, **context.context))
                )
            return _pieces(render_template(template, shared_render=True, **context), deflated=True)
        finally:
            g.pop(field, None)
            if visitors is not None:
                setattr(g, field, visitors)

    # The day is part of the key: lots expire at midnight without any write. The pieces'
    # form is too, so a cache shared with an older release never hands over what it kept.
    key = (clock.today().isoformat(), *parts)
    page = shared_cache.remember(f"page:{_FORM}:{name}", key, build, stock=stock)
    return None if page is None else personalise(page, holes)


# How pieces are kept: the page's text already encoded, so that a request encodes only what it
# adds (encoding a whole page is about a tenth of serving it from the cache), and deflated.
_FORM = "utf8-deflated"
# A hole in a rendered shared page: base.html's markers, and the form token's placeholder.
_HOLE = re.compile(r"<!--personal:(\w+)-->|(" + re.escape(TOKEN_PLACEHOLDER) + ")")
# Compressed once per cached page, so the slowest level costs only the first visitor (2 ms
# for an 80 KB page) and every later one gets the smallest gzip.
_DEFLATE_LEVEL = 9


@dataclass(frozen=True)
class SharedPage:
    """A shared page split at its holes: encoded text and hole names, alternately.

    `deflated` holds each text piece deflated once (see shop.stitched_gzip), or is None for a
    page rendered for one request only. A piece after a form token may refer back across it
    (so repeated product cards compress as one text), which holds only while every token has
    `token_width` characters.
    """

    pieces: tuple[bytes | str, ...]
    deflated: tuple[bytes, ...] | None
    token_width: int = 0


def _pieces(page: str, deflated: bool = False) -> SharedPage:
    """Split a shared page once into encoded text and hole names, alternately (text at the ends)."""
    pieces: list[bytes | str] = []
    start = 0
    for found in _HOLE.finditer(page):
        pieces += [page[start : found.start()].encode(), found.group(1) or "csrf"]
        start = found.end()
    pieces.append(page[start:].encode())
    if not deflated:
        return SharedPage(tuple(pieces), None)
    texts, holes = pieces[::2], pieces[1::2]
    width = masked_token_width()
    # A token stands in the text before a piece as NULs, which no page contains, so no
    # reference can reach into it; a hole of any other width ends what a piece may refer to.
    across = not any(b"\0" in text for text in texts)
    compressed: list[bytes] = []
    before = b""
    for index, text in enumerate(texts):
        compressed.append(stitched_gzip.deflate(text, _DEFLATE_LEVEL, before))
        if index < len(holes):
            before = (
                (before + text)[-stitched_gzip.WINDOW :] + b"\0" * width
                if across and holes[index] == "csrf"
                else b""
            )
    return SharedPage(tuple(pieces), tuple(compressed), width)


def personalise(
    page: SharedPage, page_holes: Mapping[str, Callable[[], str]] | None = None
) -> Response | bytes:
    """Fill a shared page's holes for the visitor of this request.

    Returns the body, encoded; or, when the browser accepts gzip and the shop compresses, a
    response whose body is gzip stitched from the pieces deflated when the page was cached.
    """
    holes = _holes_for_a_newcomer() if _is_newcomer() else _holes_for_this_visitor()
    if page_holes:
        holes = {**holes, **{hole: fill() for hole, fill in page_holes.items()}}
    pieces = page.pieces
    # The session's token is asked for only on a page with a form, so a page without one
    # starts no session; every form of the response carries it under the response's mask.
    token = masked_csrf_token().encode() if "csrf" in pieces[1::2] else b""
    filled = [
        piece if index % 2 == 0 else (token if piece == "csrf" else holes[piece].encode())
        for index, piece in enumerate(pieces)
    ]
    if page.deflated is None or not _sends_gzip() or not _tokens_fit(page, filled):
        return b"".join(filled)  # type: ignore[arg-type]
    deflated = page.deflated
    body = stitched_gzip.member(
        (text, deflated[index // 2] if index % 2 == 0 else None)
        for index, text in enumerate(filled)
    )
    response = current_app.response_class(body, mimetype="text/html")
    response.headers["Content-Encoding"] = "gzip"
    return response


def _tokens_fit(page: SharedPage, filled: list) -> bool:
    """Tell whether every form token has the width the page's pieces were deflated around."""
    return all(
        len(filled[index]) == page.token_width
        for index in range(1, len(page.pieces), 2)
        if page.pieces[index] == "csrf"
    )


def _sends_gzip() -> bool:
    """Tell whether this response may be gzip: the shop compresses, and the browser accepts it."""
    config = current_app.config
    return (
        config["COMPRESS_REGISTER"]
        and "gzip" in config["COMPRESS_ALGORITHM"]
        and request.accept_encodings["gzip"] > 0
    )


def _holes_for_this_visitor() -> dict[str, str]:
    context: dict[str, Any] = {}
    current_app.update_template_context(context)
    parts = current_app.jinja_env.get_template("_personal.html").make_module(context)
    return {hole: str(getattr(parts, hole)()) for hole in HOLES}


def _is_newcomer() -> bool:
    """Tell whether the visitor is signed out, with an empty basket and no message waiting."""
    return not current_user.is_authenticated and "_flashes" not in session and not basket_count()


# What the holes hold for every newcomer (nothing of anyone's own), per mount path.
_NEWCOMER_HOLES: dict[tuple[int, str], dict[str, str]] = {}


def _holes_for_a_newcomer() -> dict[str, str]:
    key = (id(current_app._get_current_object()), request.script_root)
    holes = _NEWCOMER_HOLES.get(key)
    if holes is None:
        holes = _NEWCOMER_HOLES[key] = _holes_for_this_visitor()
    return holes
