"""Indexes that keep the staff lists, dashboard and sales reports at constant cost

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:00:00.000000

Each index serves one query whose plan was a full scan or a sort of every row before:
the order list newest first, the "to pack" and click-and-collect queues, sales date
ranges (paid_at, else placed_at, as two index ranges), product names in staff lists and
lots by expiry date on the dashboard, and each product's sellable
units summed from an index (low stock).
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_order_placed_at", "order", ["placed_at", "id"]),
    ("ix_order_collect_queue", "order", ["status", "fulfilment", "reserved_until", "id"]),
    ("ix_order_paid_at_placed_at", "order", ["paid_at", "placed_at"]),
    ("ix_product_name", "product", ["name", "id"]),
    ("ix_stock_lot_expiry_date", "stock_lot", ["expiry_date"]),
    (
        "ix_stock_lot_sellable",
        "stock_lot",
        ["product_id", "expiry_date", "quantity_on_hand", "quantity_reserved"],
    ),
)
# Superseded by ix_stock_lot_sellable, which starts with the same columns.
REPLACED = ("ix_stock_lot_product_expiry", "stock_lot", ["product_id", "expiry_date"])


# Only unpacked orders: PostgreSQL reads no order from an index past an IS NULL column.
TO_PACK_WHERE = sa.text("packed_at IS NULL")


def upgrade():
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.create_index(
        "ix_order_to_pack",
        "order",
        ["status", "paid_at", "id"],
        sqlite_where=TO_PACK_WHERE,
        postgresql_where=TO_PACK_WHERE,
    )
    op.drop_index(REPLACED[0], table_name=REPLACED[1])


def downgrade():
    op.drop_index("ix_order_to_pack", table_name="order")
    op.create_index(*REPLACED)
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
