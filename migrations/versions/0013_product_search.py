"""Full-text product search: a search row per product and the database's own index of it

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 18:30:00.000000

product_search holds the words each product is found by (name, brand, category, key
attributes); the shop rewrites a product's row whenever the product changes. PostgreSQL
stores the rows' weighted tsvector in a generated column indexed with GIN; SQLite keeps an FTS5 table that triggers fill
from product_search. The rows of the products already in the shop are written here.
"""

import sqlalchemy as sa
from alembic import op

from models.catalogue import (
    POSTGRES_SEARCH_DDL,
    POSTGRES_SEARCH_INDEX,
    SQLITE_SEARCH_DDL,
    SQLITE_SEARCH_DROP,
)

# revision identifiers, used by Alembic.
revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "product_search",
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("brand", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_product_search_product_id_product"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("product_id", name=op.f("pk_product_search")),
    )
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        for statement in POSTGRES_SEARCH_DDL:
            op.execute(statement)
    elif connection.dialect.name == "sqlite":
        for statement in SQLITE_SEARCH_DDL:
            op.execute(statement)
    # The words are the shop's own (its labels for categories, skin types and actives).
    from shop.services.product_search import refresh_all

    refresh_all(connection)


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute(SQLITE_SEARCH_DROP)
    else:
        op.drop_index(POSTGRES_SEARCH_INDEX, table_name="product_search")
    op.drop_table("product_search")
