"""catalogue_version: the tokens that shared caches of the catalogue and stock are keyed by

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 15:40:00.000000

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    table = op.create_table(
        "catalogue_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("catalogue", sa.String(length=32), nullable=False),
        sa.Column("stock", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_version")),
    )
    op.bulk_insert(
        table, [{"id": 1, "catalogue": secrets.token_hex(16), "stock": secrets.token_hex(16)}]
    )


def downgrade():
    op.drop_table("catalogue_version")
