"""The shapes of aftercare protocol data: needs, avoid rules, bars, adjustments and advice."""

from __future__ import annotations

from dataclasses import dataclass, field

# The plain-text fields every protocol has, in the order the file and the store list them.
PROTOCOL_TEXT_FIELDS = (
    "name",
    "version",
    "summary",
    "what_it_is",
    "procedure",
    "recovery",
    "side_effects",
    "downtime",
)


class ProtocolError(ValueError):
    """Protocol data is invalid; the message names the file, the protocol and the field."""


@dataclass(frozen=True)
class Requirements:
    """Product attributes a need (or an adjustment of it) asks for."""

    min_spf: int | None = None
    uv_filter: str | None = None
    tinted: bool | None = None
    fragrance_free: bool = False
    non_comedogenic: bool = False
    alcohol_free: bool = False
    occlusive: bool | None = None
    contains: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    prefer_tinted: bool = False
    prefer_uv_filter: str | None = None

    def tightened_by(self, other: Requirements) -> Requirements:
        """Return these requirements combined with stricter ones from an adjustment."""
        spf_values = [v for v in (self.min_spf, other.min_spf) if v is not None]
        return Requirements(
            min_spf=max(spf_values) if spf_values else None,
            uv_filter=other.uv_filter or self.uv_filter,
            tinted=other.tinted if other.tinted is not None else self.tinted,
            fragrance_free=self.fragrance_free or other.fragrance_free,
            non_comedogenic=self.non_comedogenic or other.non_comedogenic,
            alcohol_free=self.alcohol_free or other.alcohol_free,
            occlusive=other.occlusive if other.occlusive is not None else self.occlusive,
            contains=_merge(self.contains, other.contains),
            excludes=_merge(self.excludes, other.excludes),
            prefer_tinted=self.prefer_tinted or other.prefer_tinted,
            prefer_uv_filter=other.prefer_uv_filter or self.prefer_uv_filter,
        )


@dataclass(frozen=True)
class Need:
    """A product the patient needs for a window of days after treatment."""

    id: str
    category: str
    label: str
    reason: str
    how: str
    from_day: int
    until_day: int
    optional: bool = False
    requires: Requirements = field(default_factory=Requirements)


@dataclass(frozen=True)
class Instruction:
    """A care step that needs no product (e.g. rinse with water only) for a window of days."""

    text: str
    from_day: int
    until_day: int


@dataclass(frozen=True)
class AvoidRule:
    """Something to avoid (ingredient, activity or treatment) for a window of days."""

    what: str
    kind: str
    reason: str
    from_day: int
    until_day: int
    actives: tuple[str, ...] = ()
    fragrance: bool = False
    categories: tuple[str, ...] = ()


@dataclass(frozen=True)
class Contraindication:
    """What a "yes" to a screening question means for this treatment."""

    screening: str
    action: str
    message: str
    months: int | None = None
    # The message once the treatment has happened, when `message` speaks of it as still to come.
    once_treated: str | None = None


@dataclass(frozen=True)
class ConcernRule:
    """What a declared skin concern means for whether the treatment can go ahead."""

    concern: str
    action: str
    message: str
    # The message once the treatment has happened, when `message` speaks of it as still to come.
    once_treated: str | None = None


@dataclass(frozen=True)
class FitzpatrickRules:
    """Which Fitzpatrick types are refused, need a clinician first, or carry a caution."""

    unsuitable: tuple[int, ...] = ()
    clinician_only: tuple[int, ...] = ()
    caution: tuple[int, ...] = ()
    pigment_risk: tuple[int, ...] = ()


@dataclass(frozen=True)
class Adjustment:
    """Stricter product requirements for a concern or Fitzpatrick types."""

    note: str
    concern: str | None = None
    fitzpatrick: tuple[int, ...] = ()
    categories: tuple[str, ...] = ()
    healed_only: bool = False
    requires: Requirements = field(default_factory=Requirements)


@dataclass(frozen=True)
class Advice:
    """An "ask your clinician" note, shown always or only when one of its conditions holds."""

    text: str
    screening: tuple[str, ...] = ()
    concerns: tuple[str, ...] = ()
    fitzpatrick: tuple[int, ...] = ()
    medicines: tuple[str, ...] = ()
    # The note once the treatment has happened, when `text` speaks of it as still to come.
    once_treated: str | None = None


@dataclass(frozen=True)
class ScreeningProductRule:
    """What a "yes" to a screening question takes out of every product suggestion."""

    screening: str
    excludes: tuple[str, ...]
    leave_on_excludes: tuple[str, ...]
    wash_off_categories: tuple[str, ...]
    pregnancy_safe_only: bool
    drops_advice_on: tuple[str, ...]
    avoid: str
    reason: str
    note: str


@dataclass(frozen=True)
class ClinicalRules:
    """The rules every treatment shares: what counts as fragrance, what answers exclude."""

    fragrance_actives: tuple[str, ...] = ()
    screening_products: tuple[ScreeningProductRule, ...] = ()


@dataclass(frozen=True)
class Protocol:
    """The aftercare protocol of one treatment, as validated from the data file."""

    slug: str
    name: str
    version: str
    reviewed_by_clinician: bool
    reviewed_on: str
    summary: str
    what_it_is: str
    procedure: str
    recovery: str
    side_effects: str
    downtime: str
    also_not_suitable_if: tuple[str, ...]
    healing_until_day: int
    needs: tuple[Need, ...]
    instructions: tuple[Instruction, ...]
    avoid: tuple[AvoidRule, ...]
    contraindications: tuple[Contraindication, ...]
    concern_rules: tuple[ConcernRule, ...]
    fitzpatrick: FitzpatrickRules
    adjustments: tuple[Adjustment, ...]
    advice: tuple[Advice, ...]
    rules: ClinicalRules = field(default_factory=ClinicalRules)

    @property
    def last_day(self) -> int:
        """Return the last day any need, instruction or avoid window of this protocol covers."""
        windows = [n.until_day for n in self.needs]
        windows += [i.until_day for i in self.instructions]
        windows += [a.until_day for a in self.avoid]
        return max(windows, default=0)


def _merge(first: tuple[str, ...], second: tuple[str, ...]) -> tuple[str, ...]:
    """Return the union of two tuples keeping first-seen order."""
    return tuple(dict.fromkeys(first + second))


def version_key(version: str) -> tuple[int, ...]:
    """Return a protocol version as numbers, so "2026.10" sorts after "2026.9"."""
    return tuple(int(part) for part in version.split("."))
