"""consultation bookings: clinicians' hours and days off, booking settings, bookings

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 19:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "clinician_hours",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("starts_minute", sa.Integer(), nullable=False),
        sa.Column("ends_minute", sa.Integer(), nullable=False),
        sa.Column("break_starts_minute", sa.Integer(), nullable=True),
        sa.Column("break_ends_minute", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "weekday >= 0 AND weekday <= 6", name=op.f("ck_clinician_hours_weekday_range")
        ),
        sa.CheckConstraint(
            "starts_minute >= 0 AND ends_minute <= 1440 AND starts_minute < ends_minute",
            name=op.f("ck_clinician_hours_hours_ordered"),
        ),
        sa.CheckConstraint(
            "(break_starts_minute IS NULL AND break_ends_minute IS NULL) OR "
            "(break_starts_minute >= starts_minute AND break_ends_minute <= ends_minute "
            "AND break_starts_minute < break_ends_minute)",
            name=op.f("ck_clinician_hours_break_inside_hours"),
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["user.id"],
            name=op.f("fk_clinician_hours_clinician_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician_hours")),
        sa.UniqueConstraint(
            "clinician_id", "weekday", name=op.f("uq_clinician_hours_clinician_id_weekday")
        ),
    )
    op.create_table(
        "clinician_day_off",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("note", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["user.id"],
            name=op.f("fk_clinician_day_off_clinician_id_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinician_day_off")),
        sa.UniqueConstraint("clinician_id", "day", name=op.f("uq_clinician_day_off_clinician_id_day")),
    )
    op.create_table(
        "booking_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_minutes", sa.Integer(), nullable=False),
        sa.Column("gap_minutes", sa.Integer(), nullable=False),
        sa.Column("horizon_days", sa.Integer(), nullable=False),
        sa.Column("notice_minutes", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_booking_settings_single_row")),
        sa.CheckConstraint("consultation_minutes > 0", name=op.f("ck_booking_settings_length_positive")),
        sa.CheckConstraint("gap_minutes >= 0", name=op.f("ck_booking_settings_gap_not_negative")),
        sa.CheckConstraint("horizon_days > 0", name=op.f("ck_booking_settings_horizon_positive")),
        sa.CheckConstraint(
            "notice_minutes >= 0", name=op.f("ck_booking_settings_notice_not_negative")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking_settings")),
    )
    op.create_table(
        "booking",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("clinician_id", sa.Integer(), nullable=False),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("manage_token_hash", sa.String(length=64), nullable=True),
        sa.Column("reminder_token_hash", sa.String(length=64), nullable=True),
        sa.Column("reminder_queued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('booked', 'attended', 'no_show', 'cancelled')",
            name=op.f("ck_booking_status_known"),
        ),
        sa.CheckConstraint("starts_at < ends_at", name=op.f("ck_booking_times_ordered")),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation_request.id"],
            name=op.f("fk_booking_consultation_id_consultation_request"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["clinician_id"],
            ["user.id"],
            name=op.f("fk_booking_clinician_id_user"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_booking")),
        sa.UniqueConstraint("consultation_id", name=op.f("uq_booking_consultation_id")),
        sa.UniqueConstraint("manage_token_hash", name=op.f("uq_booking_manage_token_hash")),
        sa.UniqueConstraint("reminder_token_hash", name=op.f("uq_booking_reminder_token_hash")),
    )
    op.create_index(
        "uq_booking_clinician_slot",
        "booking",
        ["clinician_id", "starts_at"],
        unique=True,
        sqlite_where=sa.text("status != 'cancelled'"),
        postgresql_where=sa.text("status != 'cancelled'"),
    )
    op.create_index("ix_booking_starts_at", "booking", ["starts_at"], unique=False)


def downgrade():
    op.drop_index("ix_booking_starts_at", table_name="booking")
    op.drop_index("uq_booking_clinician_slot", table_name="booking")
    op.drop_table("booking")
    op.drop_table("booking_settings")
    op.drop_table("clinician_day_off")
    op.drop_table("clinician_hours")
