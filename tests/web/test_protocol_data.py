"""The protocol file is the one source of the clinical rules, versioned as it is seeded."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest
from clinic_support import clinic_catalogue, create_recommendation
from factories import make_kit, make_lot, make_product, make_user
from sqlalchemy import func, select

from models import ProtocolVersion, Treatment, db
from shop.aftercare import load_protocols
from shop.aftercare.protocols import DEFAULT_PATH
from shop.services import seeding
from shop.services.protocols import ProtocolChanged

NIACINAMIDE_CLEANSER = "Niacinamide Cleanser"


def _stricter_file(tmp_path):
    """Write the shipped file with niacinamide added to micro-needling's retinoid window."""
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    old = 'actives = ["retinoid", "vitamin-c"]\n'
    assert text.count(old) == 1
    text = text.replace(old, 'actives = ["retinoid", "vitamin-c", "niacinamide"]\n')
    start = text.index('slug = "microneedling"')
    version = text.index('version = "2026.3"', start)
    text = text[:version] + 'version = "2026.4"' + text[version + len('version = "2026.3"') :]
    path = tmp_path / "protocols.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_rule_changed_in_the_file_reaches_the_plan_the_clinician_and_the_staff(
    client, login, tmp_path
):
    shop = clinic_catalogue()
    niacinamide = make_product(
        slug="niacinamide-cleanser",
        name=NIACINAMIDE_CLEANSER,
        category="cleanser",
        actives=["niacinamide"],
        days_per_unit=60,
        skin_types=["normal", "dry", "sensitive"],
    )
    make_lot(niacinamide, 20)
    kit = make_kit(
        [(niacinamide, 1), (shop["products"]["cream"], 1), (shop["products"]["spf50"], 1)],
        slug="niacinamide-kit",
        name="Niacinamide Kit",
        treatments=[shop["treatment"]],
        fitzpatrick_max=3,
        percent_off=40,
    )
    clinician = make_user(role="clinician")
    staff = make_user(role="staff")
    query = {"treatment": "microneedling", "treated_on": date.today().isoformat()}

    def plan_items():
        body = client.get("/api/v1/aftercare-plan", query_string={**query, "fitzpatrick": "2"})
        return [item["slug"] for item in body.get_json()["kit"]["items"]]

    def swap_cleanser():
        login(clinician)
        # Fitzpatrick V is outside the niacinamide kit's range: the plain kit is proposed.
        rec = create_recommendation(client, fitzpatrick="5")
        line = next(i for i in rec.items if i.need_id == "cleanser")
        return client.post(
            f"/clinic/recommendations/{rec.id}/items/{line.id}/swap",
            data={f"swap-{line.id}-product": "niacinamide-cleanser"},
        )

    def staff_page():
        login(staff)
        return client.get(f"/staff/kits/{kit.id}").get_data(as_text=True)

    assert "niacinamide-cleanser" in plan_items()
    assert swap_cleanser().status_code == 302
    assert f"{NIACINAMIDE_CLEANSER} contains niacinamide" not in staff_page()

    seeding.refresh_protocols(load_protocols(_stricter_file(tmp_path)).values())

    assert "niacinamide-cleanser" not in plan_items()
    refused = swap_cleanser()
    assert refused.status_code == 303
    assert "contains niacinamide, and retinoids" in client.get(
        refused.headers["Location"]
    ).get_data(as_text=True)
    assert f"{NIACINAMIDE_CLEANSER} contains niacinamide, and retinoids" in staff_page()


def test_seeding_keeps_every_version_and_replaces_only_with_a_newer_one(app_ctx):
    shipped = load_protocols()["microneedling"]
    seeding.refresh_protocols([shipped])
    seeding.refresh_protocols([replace(shipped, version="2027.1", summary="Newer.")])
    seeding.refresh_protocols([replace(shipped, version="2025.9", summary="Older.")])
    treatment = db.session.execute(select(Treatment)).scalar_one()
    assert treatment.protocol_version == "2027.1" and treatment.summary == "Newer."
    versions = db.session.execute(
        select(ProtocolVersion.version).order_by(ProtocolVersion.version)
    ).scalars()
    assert list(versions) == ["2025.9", "2026.3", "2027.1"]


def test_seeding_refuses_a_changed_protocol_that_kept_its_version(app_ctx):
    shipped = load_protocols()["microneedling"]
    seeding.refresh_protocols([shipped])
    edited = replace(shipped, downtime="Almost none.")
    with pytest.raises(ProtocolChanged, match=r"Micro-needling protocol \(microneedling\)"):
        seeding.refresh_protocols([edited])
    treatment = db.session.execute(select(Treatment)).scalar_one()
    assert treatment.protocol["downtime"] == shipped.downtime
    assert db.session.execute(select(func.count(ProtocolVersion.id))).scalar_one() == 1


def test_the_seed_command_names_the_protocol_changed_without_a_new_version(runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    db.session.execute(
        ProtocolVersion.__table__.update()
        .where(ProtocolVersion.version == load_protocols()["ipl"].version)
        .where(
            ProtocolVersion.treatment_id
            == select(Treatment.id).where(Treatment.slug == "ipl").scalar_subquery()
        )
        .values(content_hash="0" * 64)
    )
    db.session.commit()
    result = runner.invoke(args=["seed", "--if-empty"])
    assert result.exit_code == 1
    assert "IPL photofacial protocol (ipl) has changed" in result.output


def test_the_treatment_page_lists_what_the_questions_refuse(client, runner):
    assert runner.invoke(args=["seed"]).exit_code == 0
    html = client.get("/treatments/laser-non-ablative").get_data(as_text=True)
    assert "You have taken isotretinoin (Roaccutane) in the last 12 months" in html
    needling = client.get("/treatments/microneedling").get_data(as_text=True)
    assert "You have taken isotretinoin (Roaccutane) in the last 3 months" in needling
    assert "in the last 12 months" not in needling
