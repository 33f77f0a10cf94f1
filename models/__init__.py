"""Database models of the shop; they import nothing from `shop`."""

from models.base import Base, db
from models.catalogue import Kit, KitItem, Product, ProductSkinType, Treatment, kit_treatments
from models.inventory import StockLot, StockMovement
from models.people import User

__all__ = [
    "Base",
    "Kit",
    "KitItem",
    "Product",
    "ProductSkinType",
    "StockLot",
    "StockMovement",
    "Treatment",
    "User",
    "db",
    "kit_treatments",
]
