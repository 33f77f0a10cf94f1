"""order.ready_at and payment.desk_method: the collection step and how the desk was paid

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 18:30:00.000000

A pay-at-clinic order stays unpaid until the customer comes in, so "ready to collect" cannot
be its status: ready_at records when the customer was told. desk_method says whether money
taken at the clinic desk was a card or cash.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ready_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("desk_method", sa.String(length=10), nullable=True))
        batch_op.create_check_constraint(
            "desk_method_known", "desk_method IS NULL OR desk_method IN ('card', 'cash')"
        )


def downgrade():
    with op.batch_alter_table("payment", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_payment_desk_method_known"), type_="check")
        batch_op.drop_column("desk_method")
    with op.batch_alter_table("order", schema=None) as batch_op:
        batch_op.drop_column("ready_at")
