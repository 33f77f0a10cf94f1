"""order.plan_token: the private plan link an order was bought from, kept when asked for

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 12:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_token", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column("plan_link_consent_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.drop_column("plan_link_consent_at")
        batch_op.drop_column("plan_token")
