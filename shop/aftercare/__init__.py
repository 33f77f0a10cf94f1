"""Pure aftercare engine: protocol data, the one rule checker, kit choice and timeline."""

from shop.aftercare.engine import (
    AvoidItem,
    KitItem,
    Plan,
    PlanKit,
    Substitution,
    plan,
    plan_with_kit,
)
from shop.aftercare.inputs import (
    Catalogue,
    CatalogueKit,
    CatalogueProduct,
    Profile,
    Screening,
)
from shop.aftercare.protocols import (
    Protocol,
    ProtocolError,
    content_hash,
    load_protocols,
    protocol_from_dict,
    protocol_to_dict,
    protocols_from_data,
)
from shop.aftercare.timeline import Change, TimelineDay

__all__ = [
    "AvoidItem",
    "Catalogue",
    "CatalogueKit",
    "CatalogueProduct",
    "Change",
    "KitItem",
    "Plan",
    "PlanKit",
    "Profile",
    "Protocol",
    "ProtocolError",
    "Screening",
    "Substitution",
    "TimelineDay",
    "content_hash",
    "load_protocols",
    "plan",
    "plan_with_kit",
    "protocol_from_dict",
    "protocol_to_dict",
    "protocols_from_data",
]
