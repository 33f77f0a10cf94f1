"""Tests of the aftercare vocabularies and the protocol loader."""

from __future__ import annotations

import copy
import json
import tomllib

import pytest

from shop.aftercare import vocabulary as vocab
from shop.aftercare.protocols import (
    DEFAULT_PATH,
    ProtocolError,
    content_hash,
    load_protocols,
    protocol_from_dict,
    protocol_to_dict,
    protocols_from_data,
)


@pytest.fixture(scope="module")
def protocols():
    return load_protocols()


@pytest.fixture
def raw():
    with DEFAULT_PATH.open("rb") as handle:
        return tomllib.load(handle)


def raw_protocol(data: dict, slug: str) -> dict:
    return next(p for p in data["protocols"] if p["slug"] == slug)


def error_of(data: dict) -> str:
    with pytest.raises(ProtocolError) as caught:
        protocols_from_data(data)
    return str(caught.value)


# --- vocabulary -----------------------------------------------------------------------------


def test_every_screening_question_has_patient_wording():
    assert set(vocab.SCREENING_QUESTION_TEXT) == set(vocab.SCREENING_QUESTIONS)
    for text in vocab.SCREENING_QUESTION_TEXT.values():
        assert text.endswith("?")


def test_fitzpatrick_types_have_labels_and_plain_descriptions():
    assert vocab.FITZPATRICK_TYPES == (1, 2, 3, 4, 5, 6)
    assert [vocab.fitzpatrick_label(t) for t in vocab.FITZPATRICK_TYPES] == [
        "Type I",
        "Type II",
        "Type III",
        "Type IV",
        "Type V",
        "Type VI",
    ]
    assert set(vocab.FITZPATRICK_DESCRIPTIONS) == set(vocab.FITZPATRICK_TYPES)
    # Each description says how the skin reacts to sun, not only its colour.
    for text in vocab.FITZPATRICK_DESCRIPTIONS.values():
        assert "burn" in text


# --- the shipped data -----------------------------------------------------------------------


def test_shipped_file_has_one_protocol_per_treatment_in_display_order(protocols):
    assert tuple(protocols) == vocab.TREATMENTS
    for slug, protocol in protocols.items():
        assert protocol.slug == slug
        assert protocol.version == "2026.3"
        assert protocol.reviewed_by_clinician is False
        assert protocol.reviewed_on == ""
        for text in (protocol.summary, protocol.what_it_is, protocol.recovery, protocol.downtime):
            assert text.strip()


def test_microneedling_windows_use_the_cautious_rule_values(protocols):
    needling = protocols["microneedling"]
    needs = {n.id: n for n in needling.needs}
    assert (needs["cleanser"].from_day, needs["cleanser"].until_day) == (0, 14)
    assert (needs["moisturiser"].from_day, needs["moisturiser"].until_day) == (0, 7)
    assert (needs["sunscreen"].from_day, needs["sunscreen"].until_day) == (0, 14)
    assert needs["sunscreen"].requires.min_spf == 30
    assert needs["hat"].optional
    avoid = {a.what: a for a in needling.avoid}
    fragrance = next(a for a in needling.avoid if a.fragrance)
    assert (fragrance.from_day, fragrance.until_day) == (0, 5)
    assert avoid["Make-up"].until_day == 0  # make-up allowed from D1
    assert avoid["Sauna, steam room and other heat treatments"].until_day == 3
    assert avoid["Sun exposure and sunbeds"].until_day == 14
    assert needling.last_day == 14
    bars = {c.screening: c for c in needling.contraindications}
    assert bars["isotretinoin_recent"].months == 3
    assert bars["cold_sores"].action == "warn"
    assert bars["blood_thinners"].action == "warn"
    assert needling.fitzpatrick.pigment_risk == (4, 5, 6)


def test_each_isotretinoin_bar_states_its_own_window_in_its_message(protocols):
    for protocol in protocols.values():
        rule = next(c for c in protocol.contraindications if c.screening == "isotretinoin_recent")
        if rule.action == "unsuitable":
            assert f"{rule.months} months" in rule.message, protocol.slug


def test_every_protocol_adjusts_sunscreen_for_fitzpatrick_four_to_six(protocols):
    for protocol in protocols.values():
        deep = [a for a in protocol.adjustments if a.fitzpatrick == (4, 5, 6)]
        assert any(
            a.requires.min_spf == 50
            and a.requires.prefer_tinted
            and a.requires.prefer_uv_filter == "mineral"
            for a in deep
        ), protocol.slug


def test_no_resurfacing_protocol_can_put_arnica_in_a_kit(protocols):
    for slug in ("microneedling", "chemical-peel-superficial", "laser-ablative"):
        assert any("arnica" in a.actives for a in protocols[slug].avoid), slug


def test_licensed_medicines_appear_only_as_advice(protocols):
    for protocol in protocols.values():
        for item in protocol.advice:
            for medicine in item.medicines:
                assert medicine in vocab.LICENSED_MEDICINES


# --- round trip -----------------------------------------------------------------------------


def test_protocol_round_trips_exactly_through_a_dict_and_json(protocols):
    for protocol in protocols.values():
        data = protocol_to_dict(protocol)
        stored = json.loads(json.dumps(data))
        assert stored == data
        rebuilt = protocol_from_dict(stored)
        assert rebuilt == protocol
        assert protocol_to_dict(rebuilt) == data


def test_a_protocol_without_after_treatment_wording_stores_as_before_the_field_existed(protocols):
    data = protocol_to_dict(protocols["microneedling"])
    assert any("once_treated" in item for item in data["advice"])
    for group in ("advice", "contraindications", "concern_rules"):
        for item in data[group]:
            item.pop("once_treated", None)
    rebuilt = protocol_from_dict(data)
    assert all(item.once_treated is None for item in rebuilt.advice)
    assert protocol_to_dict(rebuilt) == data


def test_protocol_from_dict_validates_what_it_reads(protocols):
    data = protocol_to_dict(protocols["ipl"])
    data["needs"][0]["category"] = "lotion"
    with pytest.raises(ProtocolError, match=r"database: protocol 'ipl', needs\[0\].category"):
        protocol_from_dict(data)


def test_the_content_hash_follows_the_content_not_the_object(protocols):
    ipl = protocols["ipl"]
    assert content_hash(protocol_from_dict(protocol_to_dict(ipl))) == content_hash(ipl)
    data = protocol_to_dict(ipl)
    data["avoid"][0]["until_day"] += 1
    assert content_hash(protocol_from_dict(data)) != content_hash(ipl)


def test_a_stored_protocol_carries_the_shared_rules_it_was_made_with(protocols):
    data = protocol_to_dict(protocols["microneedling"])
    assert data["rules"]["fragrance_actives"] == ["essential-oils"]
    del data["rules"]
    with pytest.raises(ProtocolError, match="rules: missing required field"):
        protocol_from_dict(data)


# --- validation errors ----------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2026", "2026.2.1"])
def test_dotted_number_versions_are_accepted(raw, version):
    raw_protocol(raw, "ipl")["version"] = version
    assert protocols_from_data(raw)["ipl"].version == version


@pytest.mark.parametrize("version", ["v2", "2026-2", "2026.", "latest"])
def test_a_version_must_be_dotted_numbers(raw, version):
    raw_protocol(raw, "ipl")["version"] = version
    assert "protocol 'ipl', version: must be dotted numbers" in error_of(raw)


def test_every_isotretinoin_bar_needs_its_window_in_months(raw):
    bar = next(
        c
        for c in raw_protocol(raw, "botulinum-toxin")["contraindications"]
        if c["screening"] == "isotretinoin_recent"
    )
    del bar["months"]
    assert "months: missing required field" in error_of(raw)


def test_the_shared_rules_are_validated(raw):
    raw["rules"]["screening_products"][0]["excludes"] = ["retinol"]
    assert "rules.screening_products[0].excludes: unknown active 'retinol'" in error_of(raw)
    del raw["rules"]
    assert "rules: missing required field" in error_of(raw)


def test_unknown_category_names_file_protocol_and_field(raw):
    raw_protocol(raw, "ipl")["needs"][2]["category"] = "sunscreeen"
    assert error_of(raw) == (
        "protocols.toml: protocol 'ipl', needs[2].category: unknown category 'sunscreeen'"
    )


def test_load_protocols_reports_the_file_name(tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    broken = text.replace('category = "compress"', 'category = "compresss"', 1)
    path = tmp_path / "protocols.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"^protocols.toml: protocol 'laser-ablative', needs"):
        load_protocols(path)


def test_load_protocols_rejects_invalid_toml(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("schema_version = \n", encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"bad\.toml: not valid TOML"):
        load_protocols(path)


def mutate(data: dict, slug: str, change) -> dict:
    change(raw_protocol(data, slug))
    return data


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda p: p.update(slug="laser-tattoo"),
            "protocols[3].slug: unknown treatment slug 'laser-tattoo'",
        ),
        (
            lambda p: p["avoid"][0].update(kind="ingredient", actives=["retinol"]),
            "protocol 'laser-ablative', avoid[0].actives: unknown active 'retinol'",
        ),
        (
            lambda p: p["concern_rules"][0].update(concern="rosacea"),
            "protocol 'laser-ablative', concern_rules[0].concern: unknown concern 'rosacea'",
        ),
        (
            lambda p: p["contraindications"][1].update(screening="tattoos"),
            "contraindications[1].screening: unknown screening key 'tattoos'",
        ),
        (
            lambda p: p["needs"][1].update(from_day=3, until_day=2),
            "needs[1].until_day: window ends (day 2) before it starts (day 3)",
        ),
        (
            lambda p: p["avoid"][2].update(from_day=-1),
            "avoid[2].from_day: day must not be negative (got -1)",
        ),
        (lambda p: p.pop("summary"), "protocol 'laser-ablative', summary: missing required field"),
        (lambda p: p["needs"][0].pop("reason"), "needs[0].reason: missing required field"),
        (lambda p: p["needs"][0].update(colour="red"), "needs[0]: unknown key 'colour'"),
        (
            lambda p: p["advice"][0].update(once_treated=" "),
            "protocol 'laser-ablative', advice[0].once_treated: must not be empty",
        ),
        (lambda p: p.update(owner="x"), "protocol 'laser-ablative': unknown key 'owner'"),
        (
            lambda p: p["needs"][3].update(uv_filter="physical"),
            "needs[3].uv_filter: unknown UV filter 'physical'",
        ),
        (
            lambda p: p["contraindications"][0].pop("months"),
            "contraindications[0].months: missing required field",
        ),
        (
            lambda p: p["contraindications"][0].update(action="maybe"),
            "contraindications[0].action: unknown action 'maybe'",
        ),
        (lambda p: p.update(healing_until_day="9"), "healing_until_day: must be an integer"),
        (lambda p: p["needs"][0].update(from_day=True), "from_day: must be an integer"),
        (
            lambda p: p["needs"].append(dict(p["needs"][0])),
            "needs[5]: duplicate need id 'ointment'",
        ),
        (
            lambda p: p["fitzpatrick"].update(unsuitable=[4]),
            "fitzpatrick: a type may be in only one of",
        ),
        (
            lambda p: p["fitzpatrick"].update(caution=[7]),
            "fitzpatrick.caution: unknown Fitzpatrick type 7",
        ),
        (
            lambda p: p["advice"][0].update(medicines=["isotretinoin"]),
            "advice[0].medicines: unknown licensed medicine 'isotretinoin'",
        ),
        (
            lambda p: p["needs"][3].update(from_day=5),  # sunscreen would overlap "no sunscreen"
            "needs[3]: category 'sunscreen' is avoided by avoid[1]",
        ),
        (
            lambda p: p["avoid"][5].update(actives=["petrolatum"]),
            "needs[0]: contains ['petrolatum'] avoided by avoid[5]",
        ),
        (lambda p: p.update(reviewed_on="last week"), "reviewed_on: must be an ISO date or empty"),
        (
            lambda p: p.update(reviewed_by_clinician=True),
            "reviewed_on: a reviewed protocol needs the review date",
        ),
    ],
)
def test_invalid_protocol_data_is_rejected_with_a_precise_message(raw, change, expected):
    message = error_of(mutate(raw, "laser-ablative", change))
    assert message.startswith("protocols.toml: ")
    assert expected in message


def test_duplicate_protocol_slugs_are_rejected(raw):
    raw["protocols"].append(copy.deepcopy(raw_protocol(raw, "ipl")))
    assert "protocols[12].slug: duplicate protocol slug 'ipl'" in error_of(raw)


def test_missing_protocol_is_rejected_unless_partial_files_are_allowed(raw):
    raw["protocols"] = [p for p in raw["protocols"] if p["slug"] != "hydrafacial"]
    assert "protocols: no protocol for hydrafacial" in error_of(raw)
    assert "hydrafacial" not in protocols_from_data(raw, require_all=False)


def test_unknown_top_level_key_and_schema_version_are_rejected(raw):
    assert "protocols.toml: unknown key 'protocol'" in error_of({**raw, "protocol": []})
    assert "schema_version: unsupported schema version" in error_of({**raw, "schema_version": 1})


def test_shared_adjustments_are_validated_too(raw):
    raw["shared_adjustments"][0]["categories"] = ["sunblock"]
    assert "shared_adjustments[0].categories: unknown category 'sunblock'" in error_of(raw)


def test_adjustment_needs_exactly_one_condition(raw):
    raw["shared_adjustments"][0]["concern"] = "dry"
    assert "set exactly one of concern or fitzpatrick" in error_of(raw)
