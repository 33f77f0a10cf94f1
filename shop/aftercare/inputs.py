"""What the aftercare engine is told: the catalogue it may choose from and the patient."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from shop.aftercare.vocabulary import (
    CONCERNS,
    FITZPATRICK_TYPES,
    MAX_ISOTRETINOIN_MONTHS_AGO,
    SCREENING_QUESTIONS,
)

# Most answers a catalogue remembers before it starts again (each is a short list).
MEMO_ENTRIES = 4096

# Every key a stored or submitted set of screening answers may have.
SCREENING_KEYS: tuple[str, ...] = (*SCREENING_QUESTIONS, "isotretinoin_months_ago")


@dataclass(frozen=True)
class CatalogueProduct:
    """A product as the engine sees it: the attributes the rules read and what can be sold now."""

    slug: str
    name: str
    category: str
    price_pence: int
    spf: int | None
    uv_filter: str | None
    tinted: bool
    fragrance_free: bool
    non_comedogenic: bool
    occlusive: bool
    alcohol_free: bool
    pregnancy_safe: bool
    actives: frozenset[str]
    skin_types: frozenset[str]
    days_per_unit: int | None
    sellable: int
    is_licensed_medicine: bool = False


@dataclass(frozen=True)
class CatalogueKit:
    """A curated kit: its price after its price rule, where it applies, contents and stock."""

    slug: str
    name: str
    price_pence: int
    treatments: frozenset[str]
    fitzpatrick_min: int
    fitzpatrick_max: int
    concerns: frozenset[str]
    items: tuple[tuple[str, int], ...]
    available: int
    # What each item is for, in the clinicians' words (product slug -> purpose).
    purposes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalogue:
    """The products (by slug) and kits the engine may choose from."""

    products: Mapping[str, CatalogueProduct]
    kits: tuple[CatalogueKit, ...] = ()
    # Answers worked out from this catalogue, which never changes: a shop keeps one catalogue
    # per version of its data, so each need is ranked once, not on every plan.
    _memo: dict[Any, Any] = field(default_factory=dict, init=False, compare=False, repr=False)

    def remembered(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Return `compute()`, worked out once per catalogue for `key`."""
        try:
            return self._memo[key]
        except KeyError:
            if len(self._memo) >= MEMO_ENTRIES:
                self._memo.clear()
            value = self._memo[key] = compute()
            return value

    def in_category(self, category: str) -> tuple[CatalogueProduct, ...]:
        """Return the products of one category."""
        return self.remembered(
            ("category", category),
            lambda: tuple(p for p in self.products.values() if p.category == category),
        )

    @classmethod
    def of(
        cls, products: Iterable[CatalogueProduct], kits: Iterable[CatalogueKit] = ()
    ) -> Catalogue:
        """Build a catalogue from sequences of products and kits."""
        return cls(products={p.slug: p for p in products}, kits=tuple(kits))


@dataclass(frozen=True)
class Profile:
    """The patient's skin: Fitzpatrick type 1-6 and declared concerns."""

    fitzpatrick: int
    concerns: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        """Reject a type or concern outside the shared vocabulary."""
        if isinstance(self.fitzpatrick, bool) or self.fitzpatrick not in FITZPATRICK_TYPES:
            raise ValueError(f"Fitzpatrick type must be 1 to 6, got {self.fitzpatrick!r}")
        unknown = sorted(set(self.concerns) - set(CONCERNS))
        if unknown:
            raise ValueError(f"unknown concern(s): {', '.join(unknown)}")
        object.__setattr__(self, "concerns", frozenset(self.concerns))


@dataclass(frozen=True)
class Screening:
    """The patient's screening answers: yes/no, and when isotretinoin was last taken.

    `isotretinoin_recent` means "within this treatment's own window"; `isotretinoin_months_ago`
    (None: never, or long ago) lets each treatment's window decide.
    """

    isotretinoin_recent: bool = False
    open_wounds: bool = False
    radiation_last_year: bool = False
    skin_infection: bool = False
    pregnant_or_breastfeeding: bool = False
    cold_sores: bool = False
    blood_thinners: bool = False
    isotretinoin_months_ago: int | None = None

    def __post_init__(self) -> None:
        """Reject answers that are not true/false, and months outside 0-600."""
        for key in SCREENING_QUESTIONS:
            if not isinstance(getattr(self, key), bool):
                raise ValueError(f"screening answer '{key}' must be true or false")
        months = self.isotretinoin_months_ago
        if months is not None and (
            isinstance(months, bool)
            or not isinstance(months, int)
            or not 0 <= months <= MAX_ISOTRETINOIN_MONTHS_AGO
        ):
            raise ValueError(
                f"isotretinoin_months_ago must be a whole number from 0 to "
                f"{MAX_ISOTRETINOIN_MONTHS_AGO}"
            )

    @classmethod
    def from_mapping(cls, answers: Mapping[str, Any]) -> Screening:
        """Build from stored or submitted answers; unknown keys or bad values raise ValueError."""
        unknown = sorted(set(answers) - set(SCREENING_KEYS))
        if unknown:
            raise ValueError(f"unknown screening question(s): {', '.join(unknown)}")
        return cls(**dict(answers))

    def to_mapping(self) -> dict[str, Any]:
        """Return the answers as stored: every question's yes/no and the months, if known."""
        out: dict[str, Any] = {key: getattr(self, key) for key in SCREENING_QUESTIONS}
        if self.isotretinoin_months_ago is not None:
            out["isotretinoin_months_ago"] = self.isotretinoin_months_ago
        return out
