"""Database models of the shop; they import nothing from `shop`."""

from models.audit import AuditEntry
from models.base import Base, db
from models.bookings import Booking, BookingSettings, ClinicianDayOff, ClinicianHours
from models.catalogue import (
    Kit,
    KitItem,
    Product,
    ProductSearch,
    ProductSkinType,
    ProtocolVersion,
    Treatment,
    kit_treatments,
)
from models.clinic import ConsultationRequest, Recommendation, RecommendationItem
from models.concerns import PatientConcern
from models.inventory import StockLot, StockMovement, StockReceipt
from models.orders import BasketItem, Order, OrderEvent, OrderLine, StockAllocation
from models.outbox import OutboxEmail
from models.payments import Payment, ProcessedEvent, Refund
from models.people import SavedPlan, SavedPlanLine, User
from models.reminders import ReminderMilestone, ReminderSent, ReminderSubscription
from models.versions import CatalogueVersion, current_versions

__all__ = [
    "AuditEntry",
    "Base",
    "BasketItem",
    "Booking",
    "BookingSettings",
    "CatalogueVersion",
    "ClinicianDayOff",
    "ClinicianHours",
    "ConsultationRequest",
    "Kit",
    "KitItem",
    "Order",
    "OrderEvent",
    "OrderLine",
    "OutboxEmail",
    "PatientConcern",
    "Payment",
    "ProcessedEvent",
    "Product",
    "ProductSearch",
    "ProductSkinType",
    "ProtocolVersion",
    "Recommendation",
    "RecommendationItem",
    "Refund",
    "ReminderMilestone",
    "ReminderSent",
    "ReminderSubscription",
    "SavedPlan",
    "SavedPlanLine",
    "StockAllocation",
    "StockLot",
    "StockMovement",
    "StockReceipt",
    "Treatment",
    "User",
    "current_versions",
    "db",
    "kit_treatments",
]
