"""Pure aftercare engine: protocol data, suitability, kit choice and day-by-day timeline."""

from shop.aftercare.engine import (
    AvoidItem,
    Catalogue,
    CatalogueKit,
    CatalogueProduct,
    KitItem,
    Plan,
    PlanKit,
    Profile,
    Screening,
    Substitution,
    plan,
)
from shop.aftercare.protocols import (
    Protocol,
    ProtocolError,
    load_protocols,
    protocol_from_dict,
    protocol_to_dict,
    protocols_from_data,
)
from shop.aftercare.timeline import TimelineDay

__all__ = [
    "AvoidItem",
    "Catalogue",
    "CatalogueKit",
    "CatalogueProduct",
    "KitItem",
    "Plan",
    "PlanKit",
    "Profile",
    "Protocol",
    "ProtocolError",
    "Screening",
    "Substitution",
    "TimelineDay",
    "load_protocols",
    "plan",
    "protocol_from_dict",
    "protocol_to_dict",
    "protocols_from_data",
]
