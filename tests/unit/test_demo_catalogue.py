"""Tests of the demo catalogue data file and its loader."""

from __future__ import annotations

import copy
import tomllib

import pytest

from shop.seed import catalogue_data
from shop.seed.catalogue_data import (
    DEFAULT_PATH,
    DemoCatalogueError,
    catalogue_from_data,
    load_demo_catalogue,
)


@pytest.fixture(scope="module")
def parsed():
    with DEFAULT_PATH.open("rb") as handle:
        return tomllib.load(handle)


@pytest.fixture
def raw(parsed):
    return copy.deepcopy(parsed)


def error_of(data: dict) -> str:
    with pytest.raises(DemoCatalogueError) as caught:
        catalogue_from_data(data)
    return str(caught.value)


def test_the_shipped_file_loads_in_file_order():
    catalogue = load_demo_catalogue()
    assert len(catalogue.products) == 30
    assert len(catalogue.kits) == 17
    assert len(catalogue.lots) == 36
    assert catalogue.products[0]["sku"] == "SPF-MIN50-50"
    assert catalogue.kits[0]["slug"] == "microneedling-recovery-kit"
    assert catalogue.lots[-1]["lot_number"] == "UM-L25-0105"


def test_a_left_out_optional_value_loads_as_none():
    catalogue = load_demo_catalogue()
    hat = next(p for p in catalogue.products if p["sku"] == "ACC-HAT-UPF50")
    assert hat["spf"] is None and hat["uv_filter"] is None and hat["days_per_unit"] is None
    assert all(p["image"] is None for p in catalogue.products)
    fixed = next(k for k in catalogue.kits if k["price_rule"] == "fixed")
    assert fixed["percent_off"] is None and fixed["fixed_price_pence"] > 0


def test_entries_carry_every_field_the_seeding_service_reads():
    from shop.services.seeding import KIT_FIELDS, PRODUCT_FIELDS

    catalogue = load_demo_catalogue()
    for product in catalogue.products:
        assert set(PRODUCT_FIELDS) | {"skin_types"} <= set(product)
    kit_keys = {*KIT_FIELDS, "fixed_price_pence", "percent_off", "items", "treatments"}
    for kit in catalogue.kits:
        assert kit_keys <= set(kit)


def test_the_loader_limits_are_the_catalogue_admin_ones():
    from models.vocabulary import KIT_PRICE_RULES
    from shop.services import catalogue_admin

    assert catalogue_data.KIT_PRICE_RULES == KIT_PRICE_RULES
    assert catalogue_data.SLUG_PATTERN.pattern == catalogue_admin.SLUG_PATTERN.pattern
    assert catalogue_data.MAX_KIT_ITEMS == catalogue_admin.MAX_KIT_ITEMS


def product(data: dict, sku: str) -> dict:
    return next(p for p in data["products"] if p["sku"] == sku)


def kit(data: dict, slug: str) -> dict:
    return next(k for k in data["kits"] if k["slug"] == slug)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            lambda d: product(d, "SPF-MIN50-50").update(price_pence="26.00"),
            "product 'umbra-sheer-mineral-fluid-spf50', price_pence: must be an integer",
        ),
        (
            lambda d: product(d, "SPF-MIN50-50").update(price_pence=0),
            "product 'umbra-sheer-mineral-fluid-spf50', price_pence: must be at least 1 (got 0)",
        ),
        (
            lambda d: product(d, "SPF-MIN50-50").update(low_stock_threshold=True),
            "product 'umbra-sheer-mineral-fluid-spf50', low_stock_threshold: must be an integer",
        ),
        (
            lambda d: product(d, "SPF-MIN50-50").update(fragance_free=True),
            "product 'umbra-sheer-mineral-fluid-spf50': unknown key 'fragance_free'",
        ),
        (
            lambda d: product(d, "SPF-MIN50-50").pop("pregnancy_safe"),
            "product 'umbra-sheer-mineral-fluid-spf50', pregnancy_safe: missing required field",
        ),
        (
            lambda d: product(d, "SPF-MIN50-50").update(category="suncream"),
            "product 'umbra-sheer-mineral-fluid-spf50', category: unknown category 'suncream'",
        ),
        (
            lambda d: product(d, "SPF-MIN50-50").update(uv_filter="physical"),
            "product 'umbra-sheer-mineral-fluid-spf50', uv_filter: unknown UV filter 'physical'",
        ),
        (
            lambda d: product(d, "SPF-MIN50-50").update(actives=["retinol"]),
            "product 'umbra-sheer-mineral-fluid-spf50', actives: unknown active 'retinol'",
        ),
        (
            lambda d: product(d, "SPF-MIN50-50").update(skin_types=["mature"]),
            "product 'umbra-sheer-mineral-fluid-spf50', skin_types: unknown skin type 'mature'",
        ),
        (
            lambda d: product(d, "SPF-MIN50-50").pop("spf"),
            "product 'umbra-sheer-mineral-fluid-spf50', spf: a sunscreen needs its SPF",
        ),
        (
            lambda d: product(d, "SPF-TIN50-LT").update(sku="SPF-MIN50-50"),
            "product 'umbra-tinted-mineral-fluid-spf50-light', sku: duplicate product sku",
        ),
        (
            lambda d: product(d, "SPF-TIN50-LT").update(slug="umbra-sheer-mineral-fluid-spf50"),
            "product 'umbra-sheer-mineral-fluid-spf50', slug: duplicate product slug",
        ),
        (
            lambda d: product(d, "SPF-MIN50-50").pop("slug"),
            "products[0], slug: missing required field",
        ),
        (
            lambda d: kit(d, "microneedling-recovery-kit")["items"][2].update(sku="SPF-NOPE"),
            "kit 'microneedling-recovery-kit', items[2].sku: unknown product sku 'SPF-NOPE'",
        ),
        (
            lambda d: kit(d, "microneedling-recovery-kit")["items"][0].update(quantity=0),
            "kit 'microneedling-recovery-kit', items[0].quantity: must be at least 1 (got 0)",
        ),
        (
            lambda d: kit(d, "microneedling-recovery-kit")["items"][1].update(sku="CLN-CREAM-200"),
            "kit 'microneedling-recovery-kit', items[1].sku: lists sku 'CLN-CREAM-200' twice",
        ),
        (
            lambda d: kit(d, "microneedling-recovery-kit").update(treatments=["tattooing"]),
            "kit 'microneedling-recovery-kit', treatments: unknown treatment 'tattooing'",
        ),
        (
            lambda d: kit(d, "microneedling-recovery-kit").update(concerns=["rosacea"]),
            "kit 'microneedling-recovery-kit', concerns: unknown concern 'rosacea'",
        ),
        (
            lambda d: kit(d, "microneedling-recovery-kit").update(fitzpatrick_max=7),
            "kit 'microneedling-recovery-kit', fitzpatrick_max: unknown Fitzpatrick type 7",
        ),
        (
            lambda d: kit(d, "microneedling-recovery-kit").update(fixed_price_pence=5000),
            "kit 'microneedling-recovery-kit', fixed_price_pence: not used when price_rule is",
        ),
        (
            lambda d: kit(d, "microneedling-recovery-kit").pop("percent_off"),
            "kit 'microneedling-recovery-kit', percent_off: missing required field",
        ),
        (
            lambda d: d["kits"][1].update(slug="microneedling-recovery-kit"),
            "kit 'microneedling-recovery-kit', slug: duplicate kit slug",
        ),
        (
            lambda d: d["lots"][0].update(sku="SPF-NOPE"),
            "lot 'UM-L25-0311', sku: unknown product sku 'SPF-NOPE'",
        ),
        (
            lambda d: d["lots"][0].update(quantity=-5),
            "lot 'UM-L25-0311', quantity: must be at least 1 (got -5)",
        ),
        (
            lambda d: d["lots"][1].update(lot_number="UM-L25-0311"),
            "lot 'UM-L25-0311', lot_number: duplicate lot number of SPF-MIN50-50",
        ),
        (lambda d: d.update(schema_version=2), "schema_version: unsupported schema version"),
        (lambda d: d.pop("lots"), "lots: missing required field"),
    ],
)
def test_invalid_data_is_rejected_naming_file_entry_and_field(raw, change, expected):
    change(raw)
    message = error_of(raw)
    assert message.startswith("demo_catalogue.toml: ")
    assert expected in message


def test_the_whole_message_reads_file_entry_field_problem(raw):
    product(raw, "SPF-MIN50-50")["price_pence"] = 26.0
    assert error_of(raw) == (
        "demo_catalogue.toml: product 'umbra-sheer-mineral-fluid-spf50', "
        "price_pence: must be an integer"
    )


def test_load_reports_the_file_name(tmp_path):
    text = DEFAULT_PATH.read_text(encoding="utf-8")
    broken = text.replace('category = "compress"', 'category = "compresss"', 1)
    path = tmp_path / "demo_catalogue.toml"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(DemoCatalogueError, match=r"^demo_catalogue.toml: product '.*', category"):
        load_demo_catalogue(path)


def test_load_rejects_invalid_toml_and_a_missing_file(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text("schema_version = \n", encoding="utf-8")
    with pytest.raises(DemoCatalogueError, match=r"^bad\.toml: not valid TOML"):
        load_demo_catalogue(path)
    with pytest.raises(DemoCatalogueError, match=r"^absent\.toml: cannot be read"):
        load_demo_catalogue(tmp_path / "absent.toml")
