"""Validate raw protocol data (a parsed file, or a stored copy) into Protocol objects.

Every mistake raises ProtocolError naming the file, the protocol and the field.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from shop.aftercare.protocol_types import (
    PROTOCOL_TEXT_FIELDS,
    Adjustment,
    Advice,
    AvoidRule,
    ClinicalRules,
    ConcernRule,
    Contraindication,
    FitzpatrickRules,
    Instruction,
    Need,
    Protocol,
    ProtocolError,
    Requirements,
    ScreeningProductRule,
)
from shop.aftercare.timeline import overlaps
from shop.aftercare.vocabulary import (
    ACTIVES,
    AVOID_KINDS,
    CATEGORIES,
    CONCERNS,
    FITZPATRICK_TYPES,
    LICENSED_MEDICINES,
    RULE_ACTIONS,
    SCREENING_QUESTIONS,
    TREATMENTS,
    UV_FILTERS,
)

SCHEMA_VERSION = 2
MAX_DAY = 400
MAX_ISOTRETINOIN_MONTHS = 24
# Versions are dotted numbers ("2026.2"), so "newer" is well defined.
_VERSION_PATTERN = re.compile(r"^\d+(\.\d+)*$")


# --- validation -----------------------------------------------------------------------------

_REQUIREMENT_KEYS = {
    "min_spf",
    "uv_filter",
    "tinted",
    "fragrance_free",
    "non_comedogenic",
    "alcohol_free",
    "occlusive",
    "contains",
    "excludes",
    "prefer_tinted",
    "prefer_uv_filter",
}
_NEED_KEYS = {"id", "category", "label", "reason", "how", "from_day", "until_day", "optional"}
_ADJUSTMENT_KEYS = {"note", "concern", "fitzpatrick", "categories", "healed_only"}
_PROTOCOL_KEYS = {
    "slug",
    "reviewed_by_clinician",
    "reviewed_on",
    "also_not_suitable_if",
    "healing_until_day",
    "needs",
    "instructions",
    "avoid",
    "contraindications",
    "concern_rules",
    "fitzpatrick",
    "adjustments",
    "advice",
    *PROTOCOL_TEXT_FIELDS,
}
_FILE_KEYS = {"schema_version", "rules", "shared_adjustments", "protocols"}
_SCREENING_PRODUCT_KEYS = {
    "screening",
    "excludes",
    "leave_on_excludes",
    "wash_off_categories",
    "pregnancy_safe_only",
    "drops_advice_on",
    "avoid",
    "reason",
    "note",
}
_MISSING = object()


class _Reader:
    """Reads typed fields out of a raw mapping, raising ProtocolError with a precise location."""

    def __init__(self, source: str, protocol: str | None, raw: Any, where: str) -> None:
        self.source = source
        self.protocol = protocol
        self.where = where
        if not isinstance(raw, dict):
            self.fail("must be a table")
        self.raw: dict[str, Any] = raw

    def fail(self, problem: str, key: str | None = None) -> None:
        """Raise a ProtocolError naming the file, protocol and field."""
        location = self.where
        if key is not None:
            location = f"{location}.{key}" if location else key
        parts = [f"protocol '{self.protocol}'"] if self.protocol is not None else []
        if location:
            parts.append(location)
        where = f"{', '.join(parts)}: " if parts else ""
        raise ProtocolError(f"{self.source}: {where}{problem}")

    def child(self, raw: Any, where: str) -> _Reader:
        """Return a reader for a nested table, keeping the location path."""
        path = f"{self.where}.{where}" if self.where else where
        return _Reader(self.source, self.protocol, raw, path)

    def only(self, allowed: set[str]) -> None:
        """Reject keys that the schema does not know (usually typos)."""
        for key in sorted(self.raw):
            if key not in allowed:
                self.fail(f"unknown key '{key}'")

    def value(self, key: str, kind: type | tuple[type, ...], default: Any = _MISSING) -> Any:
        """Return a field of the given type, or the default when allowed and missing."""
        if key not in self.raw or self.raw[key] is None:
            if default is _MISSING:
                self.fail("missing required field", key)
            return default
        found = self.raw[key]
        # bool is an int in Python; a day number written as true is still a mistake.
        if isinstance(found, bool) and kind is int:
            self.fail("must be an integer", key)
        if not isinstance(found, kind):
            names = {str: "a string", int: "an integer", bool: "true or false", list: "a list"}
            self.fail(f"must be {names.get(kind, str(kind))}", key)  # type: ignore[arg-type]
        return found

    def text(self, key: str, default: Any = _MISSING) -> str:
        """Return a non-empty string field."""
        found = self.value(key, str, default)
        if found is default and default is not _MISSING:
            return found
        if not found.strip():
            self.fail("must not be empty", key)
        return found

    def day(self, key: str) -> int:
        """Return a day number (0 = day of treatment)."""
        found = self.value(key, int)
        if found < 0:
            self.fail(f"day must not be negative (got {found})", key)
        if found > MAX_DAY:
            self.fail(f"day must be at most {MAX_DAY} (got {found})", key)
        return found

    def window(self) -> tuple[int, int]:
        """Return (from_day, until_day) and check the window does not end before it starts."""
        start = self.day("from_day")
        end = self.day("until_day")
        if end < start:
            self.fail(f"window ends (day {end}) before it starts (day {start})", "until_day")
        return start, end

    def choices(self, key: str, allowed: tuple[Any, ...], noun: str) -> tuple:
        """Return an optional list field whose items all come from a vocabulary, as a tuple."""
        found = self.value(key, list, [])
        for item in found:
            if isinstance(item, bool) or item not in allowed:
                self.fail(f"unknown {noun} {item!r}", key)
        if len(set(found)) != len(found):
            self.fail("lists an item twice", key)
        return tuple(found)

    def choice(self, key: str, allowed: tuple[str, ...], noun: str, default: Any = _MISSING):
        """Return a string field that must be one of a vocabulary."""
        found = self.value(key, str, default)
        if found is None and default is None:
            return None
        if found not in allowed:
            self.fail(f"unknown {noun} '{found}'", key)
        return found

    def strings(self, key: str) -> tuple[str, ...]:
        """Return a list of non-empty strings."""
        found = self.value(key, list, [])
        for item in found:
            if not isinstance(item, str) or not item.strip():
                self.fail("must be a list of non-empty strings", key)
        return tuple(found)

    def tables(self, key: str) -> list[_Reader]:
        """Return readers for an array of tables."""
        found = self.value(key, list, [])
        return [self.child(item, f"{key}[{index}]") for index, item in enumerate(found)]


def _read_requirements(reader: _Reader) -> Requirements:
    """Read the flattened requirement keys of a need or an adjustment."""
    min_spf = reader.value("min_spf", int, None)
    if min_spf is not None and not 1 <= min_spf <= 100:
        reader.fail(f"must be between 1 and 100 (got {min_spf})", "min_spf")
    requires = Requirements(
        min_spf=min_spf,
        uv_filter=reader.choice("uv_filter", UV_FILTERS, "UV filter", None),
        tinted=reader.value("tinted", bool, None),
        fragrance_free=reader.value("fragrance_free", bool, False),
        non_comedogenic=reader.value("non_comedogenic", bool, False),
        alcohol_free=reader.value("alcohol_free", bool, False),
        occlusive=reader.value("occlusive", bool, None),
        contains=reader.choices("contains", ACTIVES, "active"),
        excludes=reader.choices("excludes", ACTIVES, "active"),
        prefer_tinted=reader.value("prefer_tinted", bool, False),
        prefer_uv_filter=reader.choice("prefer_uv_filter", UV_FILTERS, "UV filter", None),
    )
    clash = set(requires.contains) & set(requires.excludes)
    if clash:
        reader.fail(f"both contains and excludes {sorted(clash)}", "excludes")
    return requires


def _read_need(reader: _Reader) -> Need:
    reader.only(_NEED_KEYS | _REQUIREMENT_KEYS)
    start, end = reader.window()
    return Need(
        id=reader.text("id"),
        category=reader.choice("category", CATEGORIES, "category"),
        label=reader.text("label"),
        reason=reader.text("reason"),
        how=reader.text("how"),
        from_day=start,
        until_day=end,
        optional=reader.value("optional", bool, False),
        requires=_read_requirements(reader),
    )


def _read_instruction(reader: _Reader) -> Instruction:
    reader.only({"text", "from_day", "until_day"})
    start, end = reader.window()
    return Instruction(text=reader.text("text"), from_day=start, until_day=end)


def _read_avoid(reader: _Reader) -> AvoidRule:
    reader.only(
        {"what", "kind", "reason", "from_day", "until_day", "actives", "fragrance", "categories"}
    )
    start, end = reader.window()
    rule = AvoidRule(
        what=reader.text("what"),
        kind=reader.choice("kind", AVOID_KINDS, "kind"),
        reason=reader.text("reason"),
        from_day=start,
        until_day=end,
        actives=reader.choices("actives", ACTIVES, "active"),
        fragrance=reader.value("fragrance", bool, False),
        categories=reader.choices("categories", CATEGORIES, "category"),
    )
    if rule.kind == "ingredient" and not (rule.actives or rule.fragrance):
        reader.fail("an ingredient to avoid must list actives or set fragrance", "actives")
    if rule.kind == "treatment" and (rule.actives or rule.fragrance or rule.categories):
        reader.fail("a treatment to avoid cannot list actives, fragrance or categories", "kind")
    return rule


def _read_contraindication(reader: _Reader) -> Contraindication:
    reader.only({"screening", "action", "message", "months", "once_treated"})
    item = Contraindication(
        screening=reader.choice("screening", SCREENING_QUESTIONS, "screening key"),
        action=reader.choice("action", RULE_ACTIONS, "action"),
        message=reader.text("message"),
        months=reader.value("months", int, None),
        once_treated=reader.text("once_treated", None),
    )
    if item.screening == "isotretinoin_recent":
        # The question asks when the last dose was; each treatment's own window decides.
        if item.months is None:
            reader.fail("missing required field (months since the last dose)", "months")
        if not 1 <= item.months <= MAX_ISOTRETINOIN_MONTHS:
            reader.fail(f"must be between 1 and {MAX_ISOTRETINOIN_MONTHS}", "months")
    elif item.months is not None and item.screening != "isotretinoin_recent":
        reader.fail("only the isotretinoin question takes months", "months")
    return item


def _read_concern_rule(reader: _Reader) -> ConcernRule:
    reader.only({"concern", "action", "message", "once_treated"})
    return ConcernRule(
        concern=reader.choice("concern", CONCERNS, "concern"),
        action=reader.choice("action", RULE_ACTIONS, "action"),
        message=reader.text("message"),
        once_treated=reader.text("once_treated", None),
    )


def _read_fitzpatrick(reader: _Reader) -> FitzpatrickRules:
    reader.only({"unsuitable", "clinician_only", "caution", "pigment_risk"})
    rules = FitzpatrickRules(
        unsuitable=reader.choices("unsuitable", FITZPATRICK_TYPES, "Fitzpatrick type"),
        clinician_only=reader.choices("clinician_only", FITZPATRICK_TYPES, "Fitzpatrick type"),
        caution=reader.choices("caution", FITZPATRICK_TYPES, "Fitzpatrick type"),
        pigment_risk=reader.choices("pigment_risk", FITZPATRICK_TYPES, "Fitzpatrick type"),
    )
    groups = (rules.unsuitable, rules.clinician_only, rules.caution)
    seen: set[int] = set()
    for group in groups:
        if seen & set(group):
            reader.fail("a type may be in only one of unsuitable, clinician_only, caution")
        seen |= set(group)
    return rules


def _read_adjustment(reader: _Reader) -> Adjustment:
    reader.only(_ADJUSTMENT_KEYS | _REQUIREMENT_KEYS)
    adjustment = Adjustment(
        note=reader.text("note"),
        concern=reader.choice("concern", CONCERNS, "concern", None),
        fitzpatrick=reader.choices("fitzpatrick", FITZPATRICK_TYPES, "Fitzpatrick type"),
        categories=reader.choices("categories", CATEGORIES, "category"),
        healed_only=reader.value("healed_only", bool, False),
        requires=_read_requirements(reader),
    )
    if (adjustment.concern is None) == (not adjustment.fitzpatrick):
        reader.fail("set exactly one of concern or fitzpatrick", "concern")
    return adjustment


def _read_advice(reader: _Reader) -> Advice:
    reader.only({"text", "screening", "concerns", "fitzpatrick", "medicines", "once_treated"})
    return Advice(
        text=reader.text("text"),
        once_treated=reader.text("once_treated", None),
        screening=reader.choices("screening", SCREENING_QUESTIONS, "screening key"),
        concerns=reader.choices("concerns", CONCERNS, "concern"),
        fitzpatrick=reader.choices("fitzpatrick", FITZPATRICK_TYPES, "Fitzpatrick type"),
        medicines=reader.choices("medicines", LICENSED_MEDICINES, "licensed medicine"),
    )


def _read_screening_product_rule(reader: _Reader) -> ScreeningProductRule:
    reader.only(_SCREENING_PRODUCT_KEYS)
    return ScreeningProductRule(
        screening=reader.choice("screening", SCREENING_QUESTIONS, "screening key"),
        excludes=reader.choices("excludes", ACTIVES, "active"),
        leave_on_excludes=reader.choices("leave_on_excludes", ACTIVES, "active"),
        wash_off_categories=reader.choices("wash_off_categories", CATEGORIES, "category"),
        pregnancy_safe_only=reader.value("pregnancy_safe_only", bool, False),
        drops_advice_on=reader.choices("drops_advice_on", LICENSED_MEDICINES, "licensed medicine"),
        avoid=reader.text("avoid"),
        reason=reader.text("reason"),
        note=reader.text("note"),
    )


def _read_rules(reader: _Reader) -> ClinicalRules:
    """Read the file-wide rules table (what counts as fragrance, answers' product rules)."""
    reader.only({"fragrance_actives", "screening_products"})
    products = tuple(_read_screening_product_rule(r) for r in reader.tables("screening_products"))
    _check_unique(reader, "screening_products", [r.screening for r in products], "screening key")
    return ClinicalRules(
        fragrance_actives=reader.choices("fragrance_actives", ACTIVES, "active"),
        screening_products=products,
    )


def _check_unique(reader: _Reader, key: str, values: list[Any], noun: str) -> None:
    seen: set[Any] = set()
    for index, value in enumerate(values):
        if value in seen:
            reader.fail(f"duplicate {noun} {value!r}", f"{key}[{index}]")
        seen.add(value)


def _read_protocol(
    reader: _Reader, shared: tuple[Adjustment, ...] = (), rules: ClinicalRules | None = None
) -> Protocol:
    """Validate one protocol table and build its Protocol (file-wide parts passed in)."""
    allowed = _PROTOCOL_KEYS if rules is not None else _PROTOCOL_KEYS | {"rules"}
    reader.only(allowed)
    if rules is None:
        # A protocol read back from the database carries the file-wide rules it was made with.
        rules = _read_rules(reader.child(reader.value("rules", dict), "rules"))
    texts = {name: reader.text(name) for name in PROTOCOL_TEXT_FIELDS}
    if not _VERSION_PATTERN.match(texts["version"]):
        reader.fail(f"must be dotted numbers like 2026.2 (got '{texts['version']}')", "version")
    reviewed = reader.value("reviewed_by_clinician", bool)
    reviewed_on = reader.value("reviewed_on", str)
    if reviewed_on:
        try:
            date.fromisoformat(reviewed_on)
        except ValueError:
            reader.fail(f"must be an ISO date or empty (got '{reviewed_on}')", "reviewed_on")
    elif reviewed:
        reader.fail("a reviewed protocol needs the review date", "reviewed_on")
    healing = reader.day("healing_until_day")
    needs = tuple(_read_need(r) for r in reader.tables("needs"))
    avoid = tuple(_read_avoid(r) for r in reader.tables("avoid"))
    contraindications = tuple(_read_contraindication(r) for r in reader.tables("contraindications"))
    concern_rules = tuple(_read_concern_rule(r) for r in reader.tables("concern_rules"))
    fitzpatrick_reader = reader.child(reader.raw.get("fitzpatrick", {}), "fitzpatrick")
    protocol = Protocol(
        slug=reader.raw["slug"],
        reviewed_by_clinician=reviewed,
        reviewed_on=reviewed_on,
        also_not_suitable_if=reader.strings("also_not_suitable_if"),
        healing_until_day=healing,
        needs=needs,
        instructions=tuple(_read_instruction(r) for r in reader.tables("instructions")),
        avoid=avoid,
        contraindications=contraindications,
        concern_rules=concern_rules,
        fitzpatrick=_read_fitzpatrick(fitzpatrick_reader),
        adjustments=shared + tuple(_read_adjustment(r) for r in reader.tables("adjustments")),
        advice=tuple(_read_advice(r) for r in reader.tables("advice")),
        rules=rules,
        **texts,
    )
    if not needs:
        reader.fail("a protocol needs at least one product need", "needs")
    _check_unique(reader, "needs", [n.id for n in needs], "need id")
    _check_unique(reader, "contraindications", [c.screening for c in contraindications], "key")
    _check_unique(reader, "concern_rules", [c.concern for c in concern_rules], "concern")
    # A need that asks for something its own avoid list forbids can never be met safely.
    for n_index, need in enumerate(needs):
        for a_index, rule in enumerate(avoid):
            if not overlaps(need.from_day, need.until_day, rule.from_day, rule.until_day):
                continue
            where = f"needs[{n_index}]"
            if need.category in rule.categories:
                reader.fail(f"category '{need.category}' is avoided by avoid[{a_index}]", where)
            clash = set(need.requires.contains) & set(rule.actives)
            if clash:
                reader.fail(f"contains {sorted(clash)} avoided by avoid[{a_index}]", where)
    return protocol


def read_protocol_file(
    data: Any, source: str = "protocols.toml", require_all: bool = True
) -> dict[str, Protocol]:
    """Validate a parsed protocol file and return {slug: Protocol} in treatment display order."""
    root = _Reader(source, None, data, "")
    root.only(_FILE_KEYS)
    if root.value("schema_version", int) != SCHEMA_VERSION:
        root.fail(f"unsupported schema version (expected {SCHEMA_VERSION})", "schema_version")
    shared = tuple(_read_adjustment(r) for r in root.tables("shared_adjustments"))
    rules = _read_rules(root.child(root.value("rules", dict), "rules"))
    found: dict[str, Protocol] = {}
    for reader in root.tables("protocols"):
        slug = reader.raw.get("slug")
        if slug is None:
            reader.fail("missing required field", "slug")
        if not isinstance(slug, str) or slug not in TREATMENTS:
            reader.fail(f"unknown treatment slug {slug!r}", "slug")
        if slug in found:
            reader.fail(f"duplicate protocol slug '{slug}'", "slug")
        found[slug] = _read_protocol(_Reader(source, slug, reader.raw, ""), shared, rules)
    if require_all:
        missing = [slug for slug in TREATMENTS if slug not in found]
        if missing:
            root.fail(f"no protocol for {', '.join(missing)}", "protocols")
    return {slug: found[slug] for slug in TREATMENTS if slug in found}


def read_stored_protocol(data: dict[str, Any], source: str = "database") -> Protocol:
    """Rebuild (and re-validate) a Protocol from its stored dict, shared rules included."""
    reader = _Reader(source, None, data, "")
    slug = data.get("slug") if isinstance(data, dict) else None
    if not isinstance(slug, str) or slug not in TREATMENTS:
        reader.fail(f"unknown treatment slug {slug!r}", "slug")
    return _read_protocol(_Reader(source, slug, data, ""))
