"""Migrations build the whole schema on an empty database, matching the models."""

import json
import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app import create_app
from models import db
from models.catalogue import described_by_models
from tests.databases import new_postgres_database


@pytest.fixture
def empty_database_url(database_url, tmp_path):
    """A brand-new empty database of the same kind as the test database."""
    if not database_url.startswith("postgres"):
        yield "sqlite:///" + str(tmp_path / "empty.sqlite3")
        return
    with new_postgres_database(database_url, f"migrations_{uuid.uuid4().hex[:12]}") as url:
        yield url


def test_upgrade_on_an_empty_database_matches_the_models(empty_database_url):
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade()
        tables = set(inspect(db.engine).get_table_names())
        assert {"product", "kit", "stock_lot", "stock_movement", "user"} <= tables
        with db.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "include_name": described_by_models}
            )
            differences = compare_metadata(context, db.metadata)
        assert differences == [], differences
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        db.engine.dispose()


def _schema_1(data: dict) -> dict:
    """Return a protocol dict as schema 1 stored it, before the shared rules were data."""
    old = {key: value for key, value in data.items() if key != "rules"}
    old["not_suitable_if"] = old.pop("also_not_suitable_if")
    old["contraindications"] = [
        {k: v for k, v in bar.items() if not (k == "months" and bar["action"] == "warn")}
        for bar in old["contraindications"]
    ]
    return old


def test_upgrade_keeps_stored_protocols_readable_and_dates_the_advice(empty_database_url):
    """Protocols stored by the previous schema become version 1 of their treatment."""
    from shop.aftercare import load_protocols, protocol_from_dict, protocol_to_dict

    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    legacy = _schema_1(protocol_to_dict(load_protocols()["botulinum-toxin"]))
    with app.app_context():
        upgrade(revision="0002")
        treatment = db.metadata.tables["treatment"]
        with db.engine.begin() as connection:
            connection.execute(
                treatment.insert().values(
                    id=1,
                    slug="botulinum-toxin",
                    name="Anti-wrinkle injections",
                    position=0,
                    summary="",
                    protocol=legacy,
                    protocol_version="2026.1",
                    reviewed_by_clinician=False,
                )
            )
            connection.execute(
                text(
                    "INSERT INTO recommendation (patient_name, patient_email, treatment_id, "
                    "treated_on, fitzpatrick, concerns, screening, notes, suitable, status, "
                    "created_at, updated_at) VALUES ('A', 'a@example.com', 1, '2026-11-01', 2, "
                    "'[]', '{}', '', true, 'draft', CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                )
            )
        upgrade()
        with db.engine.connect() as connection:
            stored, digest = connection.execute(
                text("SELECT protocol, protocol_hash FROM treatment")
            ).one()
            versions = connection.execute(
                text("SELECT version, content_hash FROM protocol_version")
            ).all()
            advice = connection.execute(
                text("SELECT protocol_version, protocol_hash FROM recommendation")
            ).one()
        if isinstance(stored, str):
            stored = json.loads(stored)
        protocol = protocol_from_dict(stored)
        isotretinoin = next(
            c for c in protocol.contraindications if c.screening == "isotretinoin_recent"
        )
        assert isotretinoin.months == 12
        assert protocol.rules.fragrance_actives == ("essential-oils",)
        assert versions == [("2026.1", digest)]
        assert tuple(advice) == ("2026.1", digest)
        downgrade(revision="base")
        db.engine.dispose()


def test_upgrade_turns_a_saved_plans_pregnancy_flag_into_its_screening_answers(
    empty_database_url,
):
    """Plans saved when only the pregnancy answer was kept render with that answer after 0007."""
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": empty_database_url})
    with app.app_context():
        upgrade(revision="0004")
        with db.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO treatment (id, slug, name, position, summary, "
                    "reviewed_by_clinician) VALUES (1, 'microneedling', 'Micro-needling', 0, '', "
                    "false)"
                )
            )
            connection.execute(
                text(
                    'INSERT INTO "user" (id, email, name, password_hash, role, active, '
                    "session_token, marketing_consent, created_at) VALUES (1, 'p@example.com', "
                    "'P', 'x', 'customer', true, 'tok', false, CURRENT_TIMESTAMP)"
                )
            )
            for plan_id, pregnant in ((1, "true"), (2, "false")):
                connection.execute(
                    text(
                        "INSERT INTO saved_plan (id, user_id, treatment_id, treated_on, "
                        "fitzpatrick, concerns, pregnant_or_breastfeeding, consent_at, "
                        f"created_at) VALUES ({plan_id}, 1, 1, '2026-11-20', 3, '[]', {pregnant}, "
                        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"
                    )
                )
        upgrade()
        with db.engine.connect() as connection:
            rows = connection.execute(
                text("SELECT id, screening, kit_slug FROM saved_plan ORDER BY id")
            ).all()
            columns = {c["name"] for c in inspect(connection).get_columns("saved_plan")}
        screenings = [json.loads(s) if isinstance(s, str) else s for _, s, _ in rows]
        assert screenings == [
            {"pregnant_or_breastfeeding": True},
            {"pregnant_or_breastfeeding": False},
        ]
        assert [kit for _, _, kit in rows] == [None, None]
        assert "pregnant_or_breastfeeding" not in columns
        from shop.aftercare import Screening

        assert Screening.from_mapping(screenings[0]).pregnant_or_breastfeeding is True
        downgrade(revision="0004")
        with db.engine.connect() as connection:
            flags = connection.execute(
                text("SELECT pregnant_or_breastfeeding FROM saved_plan ORDER BY id")
            ).scalars()
            assert [bool(flag) for flag in flags] == [True, False]
        downgrade(revision="base")
        db.engine.dispose()
