"""saved_plan keeps every screening answer, its kit and its products (saved_plan_line)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 10:00:00.000000

Plans saved before kept only the pregnancy answer; each becomes a screening mapping with that
one answer, so it renders as before. Downgrading keeps the pregnancy answer and drops the rest.
"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _plans(*columns):
    return sa.table("saved_plan", sa.column("id", sa.Integer), *columns)


def upgrade():
    with op.batch_alter_table("saved_plan", schema=None) as batch_op:
        batch_op.add_column(sa.Column("screening", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("kit_slug", sa.String(length=80), nullable=True))

    connection = op.get_bind()
    plans = _plans(
        sa.column("pregnant_or_breastfeeding", sa.Boolean), sa.column("screening", sa.JSON)
    )
    for plan_id, pregnant in connection.execute(
        sa.select(plans.c.id, plans.c.pregnant_or_breastfeeding)
    ).all():
        connection.execute(
            plans.update()
            .where(plans.c.id == plan_id)
            .values(screening={"pregnant_or_breastfeeding": bool(pregnant)})
        )

    with op.batch_alter_table("saved_plan", schema=None) as batch_op:
        batch_op.alter_column("screening", existing_type=sa.JSON(), nullable=False)
        batch_op.drop_column("pregnant_or_breastfeeding")

    op.create_table(
        "saved_plan_line",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("saved_plan_id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        sa.Column("need_id", sa.String(length=60), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("use_from_day", sa.Integer(), nullable=False),
        sa.Column("use_until_day", sa.Integer(), nullable=False),
        sa.Column("optional", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_saved_plan_line_quantity_positive")),
        sa.CheckConstraint(
            "use_until_day >= use_from_day", name=op.f("ck_saved_plan_line_window_ordered")
        ),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["product.id"],
            name=op.f("fk_saved_plan_line_product_id_product"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["saved_plan_id"],
            ["saved_plan.id"],
            name=op.f("fk_saved_plan_line_saved_plan_id_saved_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_plan_line")),
    )
    with op.batch_alter_table("saved_plan_line", schema=None) as batch_op:
        batch_op.create_index("ix_saved_plan_line_saved_plan_id", ["saved_plan_id"], unique=False)


def downgrade():
    with op.batch_alter_table("saved_plan_line", schema=None) as batch_op:
        batch_op.drop_index("ix_saved_plan_line_saved_plan_id")
    op.drop_table("saved_plan_line")

    with op.batch_alter_table("saved_plan", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "pregnant_or_breastfeeding", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
    connection = op.get_bind()
    plans = _plans(
        sa.column("pregnant_or_breastfeeding", sa.Boolean), sa.column("screening", sa.JSON)
    )
    for plan_id, screening in connection.execute(sa.select(plans.c.id, plans.c.screening)).all():
        pregnant = (
            isinstance(screening, dict) and screening.get("pregnant_or_breastfeeding") is True
        )
        if pregnant:
            connection.execute(
                plans.update().where(plans.c.id == plan_id).values(pregnant_or_breastfeeding=True)
            )
    with op.batch_alter_table("saved_plan", schema=None) as batch_op:
        batch_op.alter_column("pregnant_or_breastfeeding", server_default=None)
        batch_op.drop_column("kit_slug")
        batch_op.drop_column("screening")
