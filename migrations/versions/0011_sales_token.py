"""catalogue_version.sales: the token that caches of sales figures (reports) are keyed by

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 18:30:00.000000

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("catalogue_version") as batch:
        batch.add_column(sa.Column("sales", sa.String(length=32), nullable=True))
    op.execute(
        sa.text("UPDATE catalogue_version SET sales = :token").bindparams(
            token=secrets.token_hex(16)
        )
    )
    with op.batch_alter_table("catalogue_version") as batch:
        batch.alter_column("sales", existing_type=sa.String(length=32), nullable=False)


def downgrade():
    with op.batch_alter_table("catalogue_version") as batch:
        batch.drop_column("sales")
