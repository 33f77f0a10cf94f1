"""keep every protocol version; advice records the version it was made with

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 09:30:00

Stored protocols of schema 1 are brought to schema 2 on the way: the rules every treatment
shared (fragrance counts essential oils; pregnancy takes out retinoids, leave-on BHA and
anything not marked safe) become data, "not suitable if" keeps only what no question asks,
and an isotretinoin bar without months takes the 12 months the old question asked about.
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# The rules the engine applied in code before they were data, as schema 2 writes them.
LEGACY_RULES = {
    "fragrance_actives": ["essential-oils"],
    "screening_products": [
        {
            "screening": "pregnant_or_breastfeeding",
            "excludes": ["retinoid"],
            "leave_on_excludes": ["bha"],
            "wash_off_categories": ["cleanser"],
            "pregnancy_safe_only": True,
            "drops_advice_on": ["tretinoin", "hydroquinone"],
            "avoid": "Retinoids, leave-on salicylic acid (BHA) and hydroquinone",
            "reason": "These are not advised while pregnant or breastfeeding.",
            "note": (
                "Because you are pregnant or breastfeeding, the kit leaves out retinoids, "
                "leave-on salicylic acid and anything not marked safe in pregnancy."
            ),
        }
    ],
}


def _schema_2(data):
    """Return a schema-1 protocol dict in schema 2 (a schema-2 dict comes back unchanged)."""
    if "rules" in data:
        return data
    out = dict(data)
    out["rules"] = LEGACY_RULES
    out["also_not_suitable_if"] = out.pop("not_suitable_if", [])
    out["contraindications"] = [
        {**bar, "months": bar.get("months", 12)}
        if bar.get("screening") == "isotretinoin_recent"
        else bar
        for bar in out.get("contraindications", [])
    ]
    return out


def _hash(data):
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def upgrade():
    op.create_table(
        "protocol_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("treatment_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["treatment_id"],
            ["treatment.id"],
            name=op.f("fk_protocol_version_treatment_id_treatment"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_protocol_version")),
        sa.UniqueConstraint(
            "treatment_id", "version", name="uq_protocol_version_treatment_version"
        ),
    )
    with op.batch_alter_table("protocol_version", schema=None) as batch_op:
        batch_op.create_index(
            "ix_protocol_version_treatment_hash", ["treatment_id", "content_hash"], unique=False
        )
    with op.batch_alter_table("treatment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("protocol_hash", sa.String(length=64), nullable=True))
    for table in ("recommendation", "saved_plan"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("protocol_version", sa.String(length=40), nullable=True))
            batch_op.add_column(sa.Column("protocol_hash", sa.String(length=64), nullable=True))

    connection = op.get_bind()
    treatment = sa.table(
        "treatment",
        sa.column("id", sa.Integer),
        sa.column("protocol", sa.JSON),
        sa.column("protocol_version", sa.String),
        sa.column("protocol_hash", sa.String),
    )
    versions = sa.table(
        "protocol_version",
        sa.column("treatment_id", sa.Integer),
        sa.column("version", sa.String),
        sa.column("content_hash", sa.String),
        sa.column("data", sa.JSON),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = connection.execute(
        sa.select(treatment.c.id, treatment.c.protocol, treatment.c.protocol_version)
    ).all()
    for treatment_id, data, version in rows:
        if not data:
            continue
        converted = _schema_2(data)
        digest = _hash(converted)
        connection.execute(
            treatment.update()
            .where(treatment.c.id == treatment_id)
            .values(protocol=converted, protocol_hash=digest)
        )
        connection.execute(
            versions.insert().values(
                treatment_id=treatment_id,
                version=version or converted.get("version", "0"),
                content_hash=digest,
                data=converted,
                created_at=sa.func.now(),
            )
        )
        # Advice given before versions were kept was made with the protocol stored then.
        for table in ("recommendation", "saved_plan"):
            advice = sa.table(
                table,
                sa.column("treatment_id", sa.Integer),
                sa.column("protocol_version", sa.String),
                sa.column("protocol_hash", sa.String),
            )
            connection.execute(
                advice.update()
                .where(advice.c.treatment_id == treatment_id)
                .values(protocol_version=version, protocol_hash=digest)
            )


def downgrade():
    for table in ("saved_plan", "recommendation"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("protocol_hash")
            batch_op.drop_column("protocol_version")
    with op.batch_alter_table("treatment", schema=None) as batch_op:
        batch_op.drop_column("protocol_hash")
    with op.batch_alter_table("protocol_version", schema=None) as batch_op:
        batch_op.drop_index("ix_protocol_version_treatment_hash")
    op.drop_table("protocol_version")
