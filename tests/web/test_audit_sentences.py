"""The audit log's sentences for every kind of entry, and for entries whose records are gone."""

from __future__ import annotations

import pytest

from models import AuditEntry, db
from shop.services.audit_sentences import describe
from tests.factories import make_kit, make_lot, make_product, make_user


def told(entry: AuditEntry, name: str | None = "Sam") -> str:
    db.session.add(entry)
    db.session.flush()
    (sentence,) = describe([(entry, "sam@example.com", name)])
    return "".join(piece.text for piece in sentence.pieces)


@pytest.fixture
def records(app_ctx):
    product = make_product(name="Umbra SPF50")
    lot = make_lot(product, 10, lot_number="L24-0917")
    kit = make_kit([(product, 1)], name="Calm Kit")
    user = make_user(role="staff", email="alex@example.com", name="Alex")
    return {"product": product, "lot": lot, "kit": kit, "user": user}


@pytest.mark.parametrize(
    ("action", "target_type", "target", "before", "after", "words"),
    [
        (
            "stock.adjust.damaged",
            "stock_lot",
            "lot",
            {"quantity_on_hand": 10},
            {"quantity_on_hand": 8, "change": -2},
            "Sam adjusted Umbra SPF50 lot L24-0917 by -2 (damaged): 10 → 8",
        ),
        (
            "stock.write_off_expired",
            "stock_lot",
            "lot",
            None,
            {"lots": [{"lot_id": "lot", "units": 3}]},
            "Sam wrote off expired stock: 3 units of Umbra SPF50 lot L24-0917",
        ),
        (
            "product.threshold",
            "product",
            "product",
            {"low_stock_threshold": 2},
            {"low_stock_threshold": 5},
            "Sam set the low-stock threshold of Umbra SPF50 to 5 (was 2)",
        ),
        ("product.create", "product", "product", None, {}, "Sam added the product Umbra SPF50"),
        ("kit.deactivate", "kit", "kit", None, None, "Sam took Calm Kit off sale"),
        (
            "user.role_changed",
            "user",
            "user",
            {"role": "customer"},
            {"role": "staff"},
            "Sam changed the role of Alex (alex@example.com) from customer to staff",
        ),
        ("recommendation.send", "recommendation", "12", None, None, "Sam sent recommendation 12"),
        (
            "concern.status",
            "patient_concern",
            "4",
            {"status": "new"},
            {"status": "resolved"},
            "Sam marked patient concern 4 as resolved",
        ),
        ("made.up", "thing", "7", None, ["not", "a", "dict"], "Sam did made.up to thing 7"),
    ],
)
def test_each_kind_of_entry_reads_as_a_sentence(
    records, action, target_type, target, before, after, words
):
    def key(value):
        return str(records[value].id) if value in records else value

    if isinstance(after, dict) and "lots" in after:
        after = {"lots": [{"lot_id": records["lot"].id, "units": 3}]}
    entry = AuditEntry(
        action=action, target_type=target_type, target_id=key(target), before=before, after=after
    )
    assert told(entry) == words


def test_entries_about_deleted_records_or_by_no_one_still_read(app_ctx):
    entry = AuditEntry(
        action="stock.receive",
        target_type="stock_receipt",
        target_id="1",
        after={"lines": [{"product_id": 987654, "lot_number": "GONE-1", "quantity": 1}]},
    )
    assert told(entry, name=None) == (
        "Sam received 1 unit of product 987654 (since deleted), lot GONE-1"
    ).replace("Sam", "sam@example.com", 1)
    order = AuditEntry(action="order.pack", target_type="order", target_id="LS-NOSUCH")
    db.session.add(order)
    db.session.flush()
    (sentence,) = describe([(order, None, None)])
    assert "".join(p.text for p in sentence.pieces) == "The system packed order LS-NOSUCH"
    assert all(p.link_id is None for p in sentence.pieces)
