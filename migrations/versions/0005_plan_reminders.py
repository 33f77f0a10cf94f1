"""reminder emails for a plan's key days, and extra headers on outbox emails

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 11:37:22.820725

"""

import sqlalchemy as sa
from alembic import op


# revision identifiers, used by Alembic.
revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "reminder_subscription",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("plan_path", sa.Text(), nullable=True),
        sa.Column("saved_plan_id", sa.Integer(), nullable=True),
        sa.Column("confirm_token_hash", sa.String(length=64), nullable=False),
        sa.Column("consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'confirmed', 'unsubscribed', 'finished')",
            name=op.f("ck_reminder_subscription_status_known"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('pending', 'confirmed') OR (email IS NOT NULL AND plan_path IS NOT NULL)",
            name=op.f("ck_reminder_subscription_live_has_address"),
        ),
        sa.ForeignKeyConstraint(
            ["saved_plan_id"],
            ["saved_plan.id"],
            name=op.f("fk_reminder_subscription_saved_plan_id_saved_plan"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_subscription")),
        sa.UniqueConstraint(
            "confirm_token_hash", name=op.f("uq_reminder_subscription_confirm_token_hash")
        ),
    )
    with op.batch_alter_table("reminder_subscription", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_subscription_status", ["status"], unique=False)
        batch_op.create_index(
            "ix_reminder_subscription_saved_plan_id", ["saved_plan_id"], unique=False
        )

    op.create_table(
        "reminder_milestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("falls_on", sa.Date(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["reminder_subscription.id"],
            name=op.f("fk_reminder_milestone_subscription_id_reminder_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_milestone")),
        sa.UniqueConstraint(
            "subscription_id", "day", name=op.f("uq_reminder_milestone_subscription_id_day")
        ),
    )
    with op.batch_alter_table("reminder_milestone", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_milestone_falls_on", ["falls_on"], unique=False)

    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Integer(), nullable=False),
        sa.Column("unsubscribe_token_hash", sa.String(length=64), nullable=False),
        sa.Column("queued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["reminder_subscription.id"],
            name=op.f("fk_reminder_sent_subscription_id_reminder_subscription"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_sent")),
        sa.UniqueConstraint(
            "subscription_id", "day", name=op.f("uq_reminder_sent_subscription_id_day")
        ),
        sa.UniqueConstraint(
            "unsubscribe_token_hash", name=op.f("uq_reminder_sent_unsubscribe_token_hash")
        ),
    )
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        # Emails already in the outbox have no extra headers.
        batch_op.add_column(
            sa.Column("headers", sa.JSON(), nullable=False, server_default=sa.text("'{}'"))
        )


def downgrade():
    with op.batch_alter_table("outbox_email", schema=None) as batch_op:
        batch_op.drop_column("headers")

    op.drop_table("reminder_sent")
    with op.batch_alter_table("reminder_milestone", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_milestone_falls_on")

    op.drop_table("reminder_milestone")
    with op.batch_alter_table("reminder_subscription", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_subscription_status")

    op.drop_table("reminder_subscription")
