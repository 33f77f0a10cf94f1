"""The built site CSS (make css) is up to date and keeps every Bootstrap class the shop uses."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import flask_bootstrap
import pytest

ROOT = Path(__file__).resolve().parents[2]
SITE_CSS = ROOT / "static" / "css" / "site.css"
SHOP_CSS = ROOT / "static" / "css" / "shop.css"
BUILD_SCRIPT = ROOT / "tools" / "purgecss" / "build.mjs"
BOOTSTRAP_CSS = (
    Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5" / "css" / "bootstrap.min.css"
)
CLASS_ATTRIBUTE = re.compile(r'\bclass="([^"]*)"')
JINJA = re.compile(r"\{[{%].*?[%}]\}", re.S)
QUOTED = re.compile(r"'([\w\s-]+)'")
# Set by Bootstrap's collapse script or built from a prefix in a template: no template spells
# them out, so the build keeps them on purpose.
DYNAMIC = [
    "show",
    "collapsing",
    "is-invalid",
    *(f"alert-{kind}" for kind in ("danger", "success", "warning", "info")),
]


def _classes_in(css: str) -> set[str]:
    """Return the class names a stylesheet's selectors mention."""
    without_urls = re.sub(r"url\([^)]*\)", "", css)
    return set(re.findall(r"\.(-?[A-Za-z_][\w-]*)", without_urls))


def _template_classes() -> dict[str, set[str]]:
    """Return the class names every template writes, with the files that write them."""
    found: dict[str, set[str]] = {}
    for template in (ROOT / "templates").rglob("*.html"):
        for value in CLASS_ATTRIBUTE.findall(template.read_text(encoding="utf-8")):
            # Literal words, and the quoted words inside `{{ 'a' if x else 'b' }}`.
            words = JINJA.sub(" ", value).split()
            for expression in re.findall(r"\{\{(.*?)\}\}", value):
                words += " ".join(QUOTED.findall(expression)).split()
            for word in words:
                if not word.endswith("-"):  # a prefix completed by a value, as in alert-{{ x }}
                    found.setdefault(word, set()).add(str(template.relative_to(ROOT)))
    return found


def _built_from() -> dict[str, str]:
    header = SITE_CSS.read_text(encoding="utf-8").splitlines()[0]
    return dict(re.findall(r"(\S+) sha256=([0-9a-f]{64})", header))


def test_the_site_css_was_built_from_the_current_sources():
    current = {
        "bootstrap.min.css": hashlib.sha256(BOOTSTRAP_CSS.read_bytes()).hexdigest(),
        "shop.css": hashlib.sha256(SHOP_CSS.read_bytes()).hexdigest(),
        "build.mjs": hashlib.sha256(BUILD_SCRIPT.read_bytes()).hexdigest(),
    }
    stale = [name for name, digest in current.items() if _built_from().get(name) != digest]
    assert stale == [], f"static/css/site.css is older than {', '.join(stale)}: run make css"


def test_every_bootstrap_class_a_template_uses_is_in_the_site_css():
    bootstrap = _classes_in(BOOTSTRAP_CSS.read_text(encoding="utf-8"))
    built = _classes_in(SITE_CSS.read_text(encoding="utf-8"))
    missing = {
        name: sorted(files)
        for name, files in _template_classes().items()
        if name in bootstrap and name not in built
    }
    assert missing == {}, f"run make css; these classes were purged: {missing}"


@pytest.mark.parametrize("name", [*DYNAMIC, "navbar-collapse", "visually-hidden-focusable"])
def test_classes_set_at_run_time_are_kept(name):
    assert name in _classes_in(SITE_CSS.read_text(encoding="utf-8"))


@pytest.mark.parametrize("element", ["textarea", "select"])
def test_rules_for_elements_that_wtforms_writes_are_kept(element):
    # No template spells these tags: WTForms renders them from Python.
    css = SITE_CSS.read_text(encoding="utf-8")
    assert re.search(rf"(^|[,{{}}]){element}[.,:{{\[]", css, re.M), element


def test_the_purge_removed_most_of_bootstrap():
    bootstrap_bytes = BOOTSTRAP_CSS.stat().st_size
    built_bytes = SITE_CSS.stat().st_size - SHOP_CSS.stat().st_size
    assert built_bytes < bootstrap_bytes / 4
