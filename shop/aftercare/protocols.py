"""The versioned aftercare protocols: load the shipped file, store and read back a protocol.

The shapes live in protocol_types.py and their validation in protocol_reader.py; this module
is the door the rest of the shop uses.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any

from shop.aftercare.protocol_reader import (
    MAX_DAY,
    MAX_ISOTRETINOIN_MONTHS,
    SCHEMA_VERSION,
    read_protocol_file,
    read_stored_protocol,
)
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
    version_key,
)

__all__ = [
    "DEFAULT_PATH",
    "MAX_DAY",
    "MAX_ISOTRETINOIN_MONTHS",
    "SCHEMA_VERSION",
    "Adjustment",
    "Advice",
    "AvoidRule",
    "ClinicalRules",
    "ConcernRule",
    "Contraindication",
    "FitzpatrickRules",
    "Instruction",
    "Need",
    "Protocol",
    "ProtocolError",
    "Requirements",
    "ScreeningProductRule",
    "content_hash",
    "load_protocols",
    "protocol_from_dict",
    "protocol_to_dict",
    "protocols_from_data",
    "version_key",
]

DEFAULT_PATH = Path(__file__).parent / "data" / "protocols.toml"


def protocols_from_data(
    data: Any, source: str = "protocols.toml", require_all: bool = True
) -> dict[str, Protocol]:
    """Validate a parsed protocol file and return {slug: Protocol} in treatment display order."""
    return read_protocol_file(data, source, require_all)


def load_protocols(
    path: str | Path | None = None, *, require_all: bool = True
) -> dict[str, Protocol]:
    """Read and validate the protocol TOML file; returns {slug: Protocol} in display order."""
    file_path = Path(path) if path is not None else DEFAULT_PATH
    try:
        with file_path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as error:
        raise ProtocolError(f"{file_path.name}: not valid TOML: {error}") from error
    except OSError as error:
        raise ProtocolError(f"{file_path.name}: cannot be read: {error}") from error
    return protocols_from_data(data, source=file_path.name, require_all=require_all)


def protocol_from_dict(data: dict[str, Any], source: str = "database") -> Protocol:
    """Rebuild (and re-validate) a Protocol from the dict protocol_to_dict produced."""
    return read_stored_protocol(data, source)


# --- dictionaries (the JSON stored in the database) ---------------------------------------


def _requirements_to_dict(requires: Requirements) -> dict[str, Any]:
    out: dict[str, Any] = {
        "fragrance_free": requires.fragrance_free,
        "non_comedogenic": requires.non_comedogenic,
        "alcohol_free": requires.alcohol_free,
        "contains": list(requires.contains),
        "excludes": list(requires.excludes),
        "prefer_tinted": requires.prefer_tinted,
    }
    # Unset optional values are left out: TOML has no null and "absent" means "no requirement".
    for key in ("min_spf", "uv_filter", "tinted", "occlusive", "prefer_uv_filter"):
        value = getattr(requires, key)
        if value is not None:
            out[key] = value
    return out


def _adjustment_to_dict(item: Adjustment) -> dict[str, Any]:
    out: dict[str, Any] = {
        "note": item.note,
        "fitzpatrick": list(item.fitzpatrick),
        "categories": list(item.categories),
        "healed_only": item.healed_only,
        **_requirements_to_dict(item.requires),
    }
    if item.concern is not None:
        out["concern"] = item.concern
    return out


def _once_treated(text: str | None) -> dict[str, Any]:
    # Left out when unset, so versions stored before the field existed keep their hash.
    return {"once_treated": text} if text is not None else {}


def protocol_to_dict(protocol: Protocol) -> dict[str, Any]:
    """Return a JSON-ready dict of a protocol that protocol_from_dict turns back into it."""
    out: dict[str, Any] = {"slug": protocol.slug}
    for name in PROTOCOL_TEXT_FIELDS:
        out[name] = getattr(protocol, name)
    out.update(
        reviewed_by_clinician=protocol.reviewed_by_clinician,
        reviewed_on=protocol.reviewed_on,
        also_not_suitable_if=list(protocol.also_not_suitable_if),
        healing_until_day=protocol.healing_until_day,
        needs=[
            {
                "id": n.id,
                "category": n.category,
                "label": n.label,
                "reason": n.reason,
                "how": n.how,
                "from_day": n.from_day,
                "until_day": n.until_day,
                "optional": n.optional,
                **_requirements_to_dict(n.requires),
            }
            for n in protocol.needs
        ],
        instructions=[
            {"text": i.text, "from_day": i.from_day, "until_day": i.until_day}
            for i in protocol.instructions
        ],
        avoid=[
            {
                "what": a.what,
                "kind": a.kind,
                "reason": a.reason,
                "from_day": a.from_day,
                "until_day": a.until_day,
                "actives": list(a.actives),
                "fragrance": a.fragrance,
                "categories": list(a.categories),
            }
            for a in protocol.avoid
        ],
        contraindications=[
            {"screening": c.screening, "action": c.action, "message": c.message}
            | ({"months": c.months} if c.months is not None else {})
            | _once_treated(c.once_treated)
            for c in protocol.contraindications
        ],
        concern_rules=[
            {"concern": c.concern, "action": c.action, "message": c.message}
            | _once_treated(c.once_treated)
            for c in protocol.concern_rules
        ],
        fitzpatrick={
            "unsuitable": list(protocol.fitzpatrick.unsuitable),
            "clinician_only": list(protocol.fitzpatrick.clinician_only),
            "caution": list(protocol.fitzpatrick.caution),
            "pigment_risk": list(protocol.fitzpatrick.pigment_risk),
        },
        adjustments=[_adjustment_to_dict(a) for a in protocol.adjustments],
        advice=[
            {
                "text": a.text,
                "screening": list(a.screening),
                "concerns": list(a.concerns),
                "fitzpatrick": list(a.fitzpatrick),
                "medicines": list(a.medicines),
            }
            | _once_treated(a.once_treated)
            for a in protocol.advice
        ],
        rules={
            "fragrance_actives": list(protocol.rules.fragrance_actives),
            "screening_products": [
                {
                    "screening": r.screening,
                    "excludes": list(r.excludes),
                    "leave_on_excludes": list(r.leave_on_excludes),
                    "wash_off_categories": list(r.wash_off_categories),
                    "pregnancy_safe_only": r.pregnancy_safe_only,
                    "drops_advice_on": list(r.drops_advice_on),
                    "avoid": r.avoid,
                    "reason": r.reason,
                    "note": r.note,
                }
                for r in protocol.rules.screening_products
            ],
        },
    )
    return out


def content_hash(protocol: Protocol) -> str:
    """Return the SHA-256 of a protocol's canonical JSON: equal content, equal hash."""
    canonical = json.dumps(
        protocol_to_dict(protocol), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
