"""Product pictures drawn by the shop: an SVG pack per product, from its own attributes.

A product without a photo gets a drawing of its pack: the shape says what it is (a tube of
sunscreen, a pump of cleanser, a jar of cream, a dropper of serum...), the colour comes from
its shade when its name has one (Light, Deep, Green...) and otherwise from its SKU, and the
label carries two words of its name and its brand. So every product looks like itself, and
two make-up pots of one brand no longer look the same. Pure Python: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from html import escape

# Bump when the drawings change: their addresses carry a digest of this and of the product's
# attributes, so browsers may keep a drawing for a year and still see a new one at once.
DRAWING_VERSION = 2

# Colours a product's shade or name asks for, matched as whole words, first match wins.
_NAMED_COLOURS: tuple[tuple[str, str], ...] = (
    ("green", "#6f9e6a"),
    ("rose", "#c9798a"),
    ("vitamin c", "#e09a3c"),
    ("light to medium", "#e2b995"),
    ("medium to deep", "#9a6446"),
    ("light", "#efcfb2"),
    ("medium", "#d3a077"),
    ("tan", "#b9804f"),
    ("deep", "#6e4430"),
)
# Otherwise the SKU picks one of these: calm colours that keep dark text readable on a label.
_PALETTE: tuple[str, ...] = (
    "#5b8fa8",
    "#7a9e7e",
    "#c28e5c",
    "#8c7bb0",
    "#4f9c94",
    "#c67b6b",
    "#6c86c4",
    "#a3a254",
    "#b0739b",
    "#5e9f6d",
    "#d0a04a",
    "#7b8d99",
)
# The last word of most names is the pack's noun; a few categories get a shorter one.
_GENERIC_WORDS = frozenset({"spf30", "spf50", "spf50+", "&", "and", "with"})


@dataclass(frozen=True)
class DrawingFacts:
    """What a drawing is made from: the attributes of the product it shows."""

    sku: str
    name: str
    brand: str
    category: str
    spf: int | None
    tinted: bool

    @classmethod
    def of(cls, product) -> DrawingFacts:
        """Read the facts from a product (any object with these attributes)."""
        return cls(
            sku=product.sku,
            name=product.name,
            brand=product.brand,
            category=product.category,
            spf=product.spf,
            tinted=bool(product.tinted),
        )


def drawing_digest(facts: DrawingFacts) -> str:
    """Return a short digest of what the drawing shows, for its cacheable address."""
    parts = (DRAWING_VERSION, facts.sku, facts.name, facts.brand, facts.category, facts.spf)
    text = "\x1f".join(str(part) for part in (*parts, facts.tinted))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _shade(name: str) -> str | None:
    """Return the shade in a name's brackets, e.g. 'Light to Medium', if it has one."""
    found = re.search(r"\(([^)]{1,40})\)", name)
    return found.group(1).strip() if found else None


def _words_of(facts: DrawingFacts) -> list[str]:
    """Return the name's words without the brand and the shade."""
    name = re.sub(r"\([^)]*\)", " ", facts.name)
    if name.lower().startswith(facts.brand.lower()):
        name = name[len(facts.brand) :]
    return [word for word in name.split() if word.lower() not in _GENERIC_WORDS]


def label_lines(facts: DrawingFacts) -> tuple[str, str]:
    """Return the label's two lines: the name's first word, then its shade, SPF or noun."""
    words = _words_of(facts) or [facts.category.replace("-", " ").title()]
    shade = _shade(facts.name)
    if shade:
        second = shade.replace(" to ", "–")
    elif facts.spf:
        second = f"SPF{facts.spf}"
    else:
        second = words[-1] if len(words) > 1 else ""
    return words[0], second


def colour_of(facts: DrawingFacts) -> str:
    """Return the pack's colour: the one its shade or name asks for, else one its SKU picks."""
    text = f" {facts.name.lower()} "
    for word, colour in _NAMED_COLOURS:
        if re.search(rf"[\s(]{re.escape(word)}[\s)]", text):
            return colour
    index = int(hashlib.sha256(facts.sku.encode("utf-8")).hexdigest(), 16) % len(_PALETTE)
    return _PALETTE[index]


def _mix(colour: str, other: str, share: float) -> str:
    """Return `colour` mixed with `other`, `share` of the way towards it."""
    a = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]
    b = [int(other[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * share):02x}" for x, y in zip(a, b, strict=True))


# Each pack: its body, where its label sits (x, y, width, height) and its cap or nozzle.
# Drawn in a 120 x 120 box, centred, with shapes that say what the product is.
_SHAPES: dict[str, tuple[str, tuple[int, int, int, int]]] = {
    # A squeeze tube standing on its cap.
    "tube": (
        '<path d="M34 14h52l-6 76H40z" fill="{body}"/>'
        '<rect x="42" y="90" width="36" height="18" rx="3" fill="{dark}"/>'
        '<rect x="34" y="12" width="52" height="5" rx="1" fill="{dark}"/>',
        (38, 34, 44, 38),
    ),
    # A pump bottle.
    "pump": (
        '<rect x="36" y="40" width="48" height="70" rx="10" fill="{body}"/>'
        '<rect x="50" y="26" width="20" height="14" rx="2" fill="{dark}"/>'
        '<path d="M56 26v-12h22v6h-14v6z" fill="{dark}"/>',
        (40, 58, 40, 36),
    ),
    # A wide jar with a lid.
    "jar": (
        '<rect x="22" y="52" width="76" height="50" rx="10" fill="{body}"/>'
        '<rect x="20" y="38" width="80" height="18" rx="5" fill="{dark}"/>',
        (30, 62, 60, 32),
    ),
    # A flat round tin.
    "tin": (
        '<ellipse cx="60" cy="84" rx="44" ry="16" fill="{dark}"/>'
        '<rect x="16" y="56" width="88" height="28" fill="{dark}"/>'
        '<ellipse cx="60" cy="56" rx="44" ry="16" fill="{body}"/>',
        (30, 41, 60, 30),
    ),
    # A dropper bottle.
    "dropper": (
        '<rect x="38" y="50" width="44" height="60" rx="8" fill="{body}"/>'
        '<rect x="48" y="34" width="24" height="16" rx="2" fill="{dark}"/>'
        '<rect x="54" y="12" width="12" height="22" rx="6" fill="{dark}"/>',
        (42, 62, 36, 36),
    ),
    # A spray can.
    "spray": (
        '<rect x="38" y="34" width="44" height="76" rx="12" fill="{body}"/>'
        '<rect x="46" y="18" width="28" height="16" rx="4" fill="{dark}"/>'
        '<rect x="70" y="22" width="10" height="5" rx="2" fill="{dark}"/>',
        (42, 56, 36, 36),
    ),
    # A cooling mask with eye holes.
    "mask": (
        '<path d="M14 46c0-14 92-14 92 0v20c0 22-20 30-46 30S14 88 14 66z" fill="{body}"/>'
        '<ellipse cx="40" cy="54" rx="11" ry="7" fill="{light}"/>'
        '<ellipse cx="80" cy="54" rx="11" ry="7" fill="{light}"/>',
        (32, 65, 56, 28),
    ),
    # A sachet with a torn-off edge.
    "sachet": (
        '<path d="M24 22l6-6 6 6 6-6 6 6 6-6 6 6 6-6 6 6 6-6 6 6 6-6 6 6v84H24z" fill="{body}"/>',
        (32, 44, 56, 40),
    ),
    # A make-up pot with a sifter lid.
    "pot": (
        '<rect x="26" y="58" width="68" height="44" rx="8" fill="{body}"/>'
        '<rect x="24" y="44" width="72" height="16" rx="4" fill="{dark}"/>'
        '<circle cx="48" cy="52" r="2" fill="{light}"/>'
        '<circle cx="60" cy="52" r="2" fill="{light}"/>'
        '<circle cx="72" cy="52" r="2" fill="{light}"/>',
        (32, 66, 56, 30),
    ),
    # A sun hat, for accessories.
    "hat": (
        '<ellipse cx="60" cy="78" rx="52" ry="16" fill="{dark}"/>'
        '<path d="M32 78c0-30 10-44 28-44s28 14 28 44z" fill="{body}"/>',
        (36, 47, 48, 29),
    ),
}
_SHAPE_OF_CATEGORY = {
    "sunscreen": "tube",
    "cleanser": "pump",
    "moisturiser": "jar",
    "balm": "tin",
    "ointment": "tube",
    "serum": "dropper",
    "mist": "spray",
    "compress": "mask",
    "sheet-mask": "sachet",
    "bruise-cream": "tube",
    "makeup": "pot",
    "accessory": "hat",
}


_FONTS = "system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif"


def _text(x: float, y: float, words: str, width: int, size: float, weight: int) -> str:
    """Return one centred line of label text, shrunk to fit `width`."""
    # About 0.6 em a character in a sans-serif face: shrink long words rather than clip them.
    size = min(size, width / max(len(words), 1) / 0.6)
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size:.1f}" font-weight="{weight}" '
        f'text-anchor="middle">{escape(words)}</text>'
    )


def draw_product(facts: DrawingFacts) -> str:
    """Return the SVG picture of a product's pack."""
    body = colour_of(facts)
    shape, (lx, ly, lw, lh) = _SHAPES[_SHAPE_OF_CATEGORY.get(facts.category, "jar")]
    dark, light = _mix(body, "#1f2d2b", 0.45), _mix(body, "#ffffff", 0.6)
    first, second = label_lines(facts)
    brand = facts.brand.upper()
    centre = lx + lw / 2
    # Lines stacked from the top of the label, sized to its height, the brand at its foot.
    sizes = (min(11, lh * 0.34), min(9, lh * 0.27), min(5, lh * 0.16))
    label = [
        f'<rect x="{lx}" y="{ly}" width="{lw}" height="{lh}" rx="3" fill="#fffdf8"/>',
        _text(centre, ly + sizes[0] + 1, first, lw - 4, sizes[0], 700),
    ]
    if second:
        label.append(_text(centre, ly + sizes[0] + sizes[1] + 2, second, lw - 4, sizes[1], 600))
    label.append(_text(centre, ly + lh - 2, brand, lw - 6, sizes[2], 600))
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120">'
        f'<rect width="120" height="120" rx="14" fill="{_mix(body, "#ffffff", 0.82)}"/>'
        + shape.format(body=body, dark=dark, light=light)
        + f'<g font-family="{_FONTS}" fill="#1f2d2b">'
        + "".join(label)
        + "</g></svg>"
    )
