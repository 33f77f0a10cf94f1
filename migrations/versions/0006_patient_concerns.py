"""patient_concern: concerns patients report from their plan pages, followed up by clinicians

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "patient_concern",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("saved_plan_id", sa.Integer(), nullable=True),
        sa.Column("recommendation_id", sa.Integer(), nullable=True),
        sa.Column("treatment_id", sa.Integer(), nullable=True),
        sa.Column("treated_on", sa.Date(), nullable=True),
        sa.Column("symptoms", sa.JSON(), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
        sa.Column("photo_filename", sa.String(length=80), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("health_consent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("clinic_note", sa.Text(), nullable=False),
        sa.Column("handled_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('new', 'contacted', 'resolved')",
            name=op.f("ck_patient_concern_status_known"),
        ),
        sa.CheckConstraint(
            "source IN ('plan_link', 'saved_plan', 'recommendation')",
            name=op.f("ck_patient_concern_source_known"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["user.id"],
            name=op.f("fk_patient_concern_user_id_user"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["saved_plan_id"],
            ["saved_plan.id"],
            name=op.f("fk_patient_concern_saved_plan_id_saved_plan"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recommendation_id"],
            ["recommendation.id"],
            name=op.f("fk_patient_concern_recommendation_id_recommendation"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["treatment_id"],
            ["treatment.id"],
            name=op.f("fk_patient_concern_treatment_id_treatment"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["handled_by_id"],
            ["user.id"],
            name=op.f("fk_patient_concern_handled_by_id_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_concern")),
    )
    with op.batch_alter_table("patient_concern", schema=None) as batch_op:
        batch_op.create_index(
            "ix_patient_concern_queue", ["status", "urgent", "created_at"], unique=False
        )
        batch_op.create_index("ix_patient_concern_user_id", ["user_id"], unique=False)


def downgrade():
    with op.batch_alter_table("patient_concern", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_concern_user_id")
        batch_op.drop_index("ix_patient_concern_queue")
    op.drop_table("patient_concern")
