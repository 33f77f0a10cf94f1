"""Back-office stock: receive, adjust, count, write off, import, export, recall, verify."""

from __future__ import annotations

import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from sqlalchemy import func, select

from models import AuditEntry, Order, StockLot, StockMovement, StockReceipt, db
from shop.services import inventory
from shop.staff.forms import RECEIVE_MAX_LINES
from tests.checkout_helpers import lot_state
from tests.factories import make_lot, make_product, make_user
from tests.staff_helpers import assert_ledger_balances, paid_collect_order, place_order

FUTURE = (date.today() + timedelta(days=400)).isoformat()


@pytest.fixture
def staff(client, login):
    user = make_user(role="staff")
    login(user)
    return user


@pytest.fixture
def cream(app_ctx):
    return make_product(name="Calm Cream", sku="CREAM-50", price_pence=1500)


def movements(kind=None):
    query = select(StockMovement)
    if kind:
        query = query.where(StockMovement.kind == kind)
    return list(db.session.execute(query.order_by(StockMovement.id)).scalars())


def lot_count():
    return db.session.execute(select(func.count()).select_from(StockLot)).scalar_one()


# --- receive ----------------------------------------------------------------------------


def receive_form(lines, **extra):
    data = {"supplier": "Derma Supplies", "reference": "DN-1", **extra}
    for index, line in enumerate(lines):
        for key, value in line.items():
            data[f"lines-{index}-{key}"] = value
    return data


def test_receiving_a_delivery_books_every_line_with_a_receipt(client, staff, cream):
    balm = make_product(name="Balm", sku="BALM-1")
    response = client.post(
        "/staff/stock/receive",
        data=receive_form(
            [
                {
                    "product": cream.id,
                    "lot_number": "A1",
                    "expiry_date": FUTURE,
                    "quantity": 12,
                    "unit_cost": "4.50",
                },
                {"product": balm.id, "lot_number": "B1", "expiry_date": FUTURE, "quantity": 3},
            ]
        ),
    )
    assert response.status_code == 302
    receipt = db.session.execute(select(StockReceipt)).scalar_one()
    assert receipt.supplier == "Derma Supplies" and receipt.user_id == staff.id
    lots = {lot.lot_number: lot for lot in db.session.execute(select(StockLot)).scalars()}
    assert lots["A1"].quantity_on_hand == 12 and lots["A1"].unit_cost_pence == 450
    assert lots["B1"].quantity_on_hand == 3 and lots["B1"].unit_cost_pence is None
    receipts = movements("receipt")
    assert [m.quantity for m in receipts] == [12, 3]
    assert all(m.receipt_id == receipt.id and m.user_id == staff.id for m in receipts)
    audit = db.session.execute(select(AuditEntry)).scalar_one()
    assert audit.action == "stock.receive" and len(audit.after["lines"]) == 2
    assert_ledger_balances()


def test_a_delivery_with_more_lines_than_the_form_takes_is_refused_whole(client, staff, cream):
    line = {"product": cream.id, "expiry_date": FUTURE, "quantity": 1}
    lines = [{**line, "lot_number": f"L{number}"} for number in range(RECEIVE_MAX_LINES + 1)]
    response = client.post("/staff/stock/receive", data=receive_form(lines))
    assert response.status_code == 422
    expected = f"At most {RECEIVE_MAX_LINES} rows can be sent at once, and this had 41"
    assert expected in response.get_data(as_text=True)
    assert lot_count() == 0 and movements() == []


def test_receiving_more_of_a_known_lot_adds_to_it(app_ctx, cream):
    lot = make_lot(cream, 5, lot_number="A1", expires_in_days=400)
    inventory.receive_delivery(
        [inventory.DeliveryLine(cream.id, "A1", lot.expiry_date, 7)], today=date.today()
    )
    assert lot_state(lot) == (12, 0)
    assert lot_count() == 1
    assert_ledger_balances()


@pytest.mark.parametrize(
    ("line", "field", "message"),
    [
        ({"lot_number": "", "expiry_date": FUTURE, "quantity": 2}, "lot_number", "lot number"),
        ({"lot_number": "A1", "expiry_date": "", "quantity": 2}, "expiry_date", "expiry date"),
        ({"lot_number": "A1", "expiry_date": "31/12/2030", "quantity": 2}, "expiry_date", "date"),
        (
            {"lot_number": "A1", "expiry_date": date.today().isoformat(), "quantity": 2},
            "expiry_date",
            "in the future",
        ),
        ({"lot_number": "A1", "expiry_date": FUTURE, "quantity": 0}, "quantity", "1 to"),
        ({"lot_number": "A1", "expiry_date": FUTURE, "quantity": "ten"}, "quantity", "integer"),
        (
            {"lot_number": "A1", "expiry_date": FUTURE, "quantity": 2, "unit_cost": "-1"},
            "unit_cost",
            "pounds",
        ),
        (
            {"lot_number": "bad lot!", "expiry_date": FUTURE, "quantity": 2},
            "lot_number",
            "Lot numbers",
        ),
        (
            {"lot_number": "A1", "expiry_date": FUTURE, "quantity": 2, "product": "999"},
            "product",
            "product the shop sells",
        ),
        (
            {"lot_number": "A1", "expiry_date": FUTURE, "quantity": 2, "product": ""},
            "product",
            "Choose a product",
        ),
    ],
)
def test_bad_receipt_lines_are_refused_and_nothing_is_booked(
    client, staff, cream, line, field, message
):
    data = receive_form([{"product": cream.id, **line}])
    response = client.post("/staff/stock/receive", data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message.lower() in html.lower()
    assert f'id="lines-0-{field}-error"' in html
    assert lot_count() == 0 and movements() == []


def test_an_empty_receipt_is_refused(client, staff, cream):
    response = client.post("/staff/stock/receive", data=receive_form([]))
    assert response.status_code == 422
    assert "at least one line" in response.get_data(as_text=True)


def test_a_known_lot_with_another_expiry_is_refused(client, staff, cream):
    make_lot(cream, 5, lot_number="A1", expires_in_days=100)
    data = receive_form(
        [{"product": cream.id, "lot_number": "A1", "expiry_date": FUTURE, "quantity": 2}]
    )
    response = client.post("/staff/stock/receive", data=data)
    assert response.status_code == 422
    assert "already in stock with expiry" in response.get_data(as_text=True)
    assert len(movements()) == 1


# --- adjust ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reason", "change", "kind", "after"),
    [
        ("damaged", -2, "write_off", 8),
        ("expired", -3, "write_off", 7),
        ("found", 4, "adjustment", 14),
        ("correction", -1, "adjustment", 9),
    ],
)
def test_adjustments_book_a_movement_with_reason_and_note(
    client, staff, cream, reason, change, kind, after
):
    lot = make_lot(cream, 10)
    response = client.post(
        f"/staff/stock/lots/{lot.id}/adjust",
        data={"reason": reason, "change": change, "note": "shelf check"},
    )
    assert response.status_code == 302
    assert lot_state(lot) == (after, 0)
    movement = movements(kind)[-1]
    assert movement.quantity == change and movement.note == "shelf check"
    assert movement.user_id == staff.id
    assert db.session.execute(select(AuditEntry.action)).scalar_one() == f"stock.adjust.{reason}"
    assert_ledger_balances()


def test_an_adjustment_cannot_take_stock_below_what_orders_hold(client, staff, cream, app):
    lot = make_lot(cream, 5)
    place_order(app, [(cream.slug, 4, "product")])
    assert lot_state(lot) == (5, 4)
    response = client.post(
        f"/staff/stock/lots/{lot.id}/adjust", data={"reason": "damaged", "change": -2}
    )
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "4 reserved for orders" in html and "at most 1" in html
    assert lot_state(lot) == (5, 4)
    assert_ledger_balances()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"reason": "", "change": -1}, "Choose a reason"),
        ({"reason": "stolen", "change": -1}, "Not a valid choice"),
        ({"reason": "damaged", "change": ""}, "Enter the change"),
        ({"reason": "damaged", "change": "x"}, "Not a valid integer"),
        ({"reason": "damaged", "change": 2}, "enter a negative change"),
        ({"reason": "found", "change": -2}, "enter a positive change"),
        ({"reason": "correction", "change": 0, "note": "x"}, "must change"),
        ({"reason": "correction", "change": 1, "note": ""}, "Say what the correction"),
        ({"reason": "damaged", "change": -11}, "at most 10"),
    ],
)
def test_bad_adjustments_are_refused(client, staff, cream, data, message):
    lot = make_lot(cream, 10)
    response = client.post(f"/staff/stock/lots/{lot.id}/adjust", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert lot_state(lot) == (10, 0) and len(movements()) == 1


def test_adjusting_an_unknown_lot_is_404(client, staff):
    assert client.get("/staff/stock/lots/999/adjust").status_code == 404


# --- stocktake -----------------------------------------------------------------------------


def test_a_stocktake_books_count_movements_for_differences_only(client, staff, cream):
    a = make_lot(cream, 10)
    b = make_lot(cream, 6)
    c = make_lot(cream, 3)
    response = client.post(
        "/staff/stock/count",
        data={f"count_{a.id}": 8, f"count_{b.id}": 6, f"count_{c.id}": 5, "note": "March count"},
    )
    assert response.status_code == 302
    assert lot_state(a) == (8, 0) and lot_state(b) == (6, 0) and lot_state(c) == (5, 0)
    counts = movements("count")
    assert sorted(m.quantity for m in counts) == [-2, 2]
    assert all(m.note == "March count" for m in counts)
    assert_ledger_balances()


def test_a_stocktake_below_reserved_books_nothing(client, staff, cream, app):
    a = make_lot(cream, 3, expires_in_days=100)
    b = make_lot(cream, 10, expires_in_days=300)
    place_order(app, [(cream.slug, 2, "product")])
    response = client.post("/staff/stock/count", data={f"count_{a.id}": 1, f"count_{b.id}": 9})
    assert response.status_code == 422
    assert "2 units are reserved" in response.get_data(as_text=True)
    assert lot_state(a) == (3, 2) and lot_state(b) == (10, 0)
    assert movements("count") == []


@pytest.mark.parametrize("value", ["-1", "lots", "100001"])
def test_bad_counts_are_refused(client, staff, cream, value):
    lot = make_lot(cream, 4)
    response = client.post("/staff/stock/count", data={f"count_{lot.id}": value})
    assert response.status_code == 422
    assert lot_state(lot) == (4, 0) and movements("count") == []


def test_an_empty_stocktake_is_refused(client, staff, cream):
    make_lot(cream, 4)
    response = client.post("/staff/stock/count", data={})
    assert response.status_code == 422
    assert "at least one counted quantity" in response.get_data(as_text=True)


# --- expiry --------------------------------------------------------------------------------


def test_expired_lots_are_not_sellable_and_are_written_off_in_one_step(client, staff, cream):
    old = make_lot(cream, 4, expires_in_days=-1)
    older = make_lot(cream, 2, expires_in_days=-30)
    good = make_lot(cream, 5, expires_in_days=200)
    assert inventory.sellable_by_product([cream.id], date.today())[cream.id] == 5
    page = client.get("/staff/stock/expired").get_data(as_text=True)
    assert old.lot_number in page and older.lot_number in page and good.lot_number not in page
    assert client.post("/staff/stock/expired").status_code == 302
    assert lot_state(old) == (0, 0) and lot_state(older) == (0, 0) and lot_state(good) == (5, 0)
    assert sorted(m.quantity for m in movements("write_off")) == [-4, -2]
    assert_ledger_balances()
    assert "No expired stock" in client.get("/staff/stock/expired").get_data(as_text=True)


def test_expiring_and_low_stock_lists(app_ctx, cream):
    make_lot(cream, 2, expires_in_days=20)
    make_lot(cream, 1, expires_in_days=75)
    plenty = make_product(name="Plenty", low_stock_threshold=3)
    make_lot(plenty, 50, expires_in_days=500)
    today = date.today()
    assert len(inventory.lots_expiring(today, 30)) == 1
    assert len(inventory.lots_expiring(today, 90)) == 2
    low = {row.product.name for row in inventory.low_stock(today)}
    assert low == {"Calm Cream"}


# --- FEFO and recall ----------------------------------------------------------------------


def test_orders_take_the_first_lot_to_expire_first(app, app_ctx, cream):
    late = make_lot(cream, 10, expires_in_days=300, lot_number="LATE")
    early = make_lot(cream, 3, expires_in_days=60, lot_number="EARLY")
    make_lot(cream, 9, expires_in_days=-2, lot_number="EXPIRED")
    place_order(app, [(cream.slug, 5, "product")])
    assert lot_state(early) == (3, 3)
    assert lot_state(late) == (10, 2)


def test_recall_finds_every_order_that_got_units_of_a_lot(client, staff, app, cream):
    lot = make_lot(cream, 4, expires_in_days=50, lot_number="R-77")
    make_lot(cream, 10, expires_in_days=300, lot_number="OTHER")
    first = paid_collect_order(app, [(cream.slug, 3, "product")])
    second = place_order(app, [(cream.slug, 3, "product")])  # 1 from R-77, 2 from OTHER
    third = place_order(app, [(cream.slug, 2, "product")])  # only OTHER
    result = inventory.recall_lookup("r-77")
    assert [lot.id for lot in result.lots] == [lot.id]
    found = {row.order.reference: row.units for row in result.orders}
    assert found == {first.reference: 3, second.reference: 1}
    html = client.get("/staff/stock/recall", query_string={"lot": "R-77"}).get_data(as_text=True)
    assert first.reference in html and second.reference in html and third.reference not in html
    assert first.email in html


def test_recall_of_an_unknown_lot_says_so(client, staff):
    response = client.get("/staff/stock/recall", query_string={"lot": "NOPE"})
    assert response.status_code == 200 and "No lot has the number" in response.get_data(
        as_text=True
    )


def test_recall_needs_a_lot_number(client, staff):
    assert client.get("/staff/stock/recall", query_string={"lot": ""}).status_code == 400
    assert client.get("/staff/stock/recall", query_string={"lot": "x" * 61}).status_code == 400


# --- CSV export and import -----------------------------------------------------------------


def test_stock_exports_as_csv(client, staff, cream):
    make_lot(cream, 7, lot_number="=cmd", expires_in_days=100)
    response = client.get("/staff/stock/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    header, row = text.strip().splitlines()
    assert header == "sku,product,lot_number,expiry_date,on_hand,reserved,expired,unit_cost"
    assert row.startswith("CREAM-50,Calm Cream,'=cmd,") and ",7,0,no,7.50" in row


def upload(client, text, **extra):
    data = {"file": (BytesIO(text.encode("utf-8")), "delivery.csv"), **extra}
    return client.post("/staff/stock/import", data=data, content_type="multipart/form-data")


GOOD_CSV = f"sku,lot_number,expiry_date,quantity,unit_cost\nCREAM-50,L1,{FUTURE},12,4.50\n"


def test_a_valid_csv_is_previewed_then_booked(client, staff, cream):
    make_product(name="Balm", sku="BALM-1")
    text = GOOD_CSV + f"balm-1,L2,{FUTURE},3,\n"
    response = upload(client, text, supplier="Derma")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Every row is valid: 2 lots, 15 units" in html
    assert lot_count() == 0  # a preview books nothing
    confirm = client.post(
        "/staff/stock/import/confirm", data={"csv_text": text, "supplier": "Derma"}
    )
    assert confirm.status_code == 302
    assert {
        lot.lot_number: lot.quantity_on_hand
        for lot in db.session.execute(select(StockLot)).scalars()
    } == {"L1": 12, "L2": 3}
    assert db.session.execute(select(StockReceipt.supplier)).scalar_one() == "Derma"
    assert_ledger_balances()


PAST = (date.today() - timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("row", "column", "problem"),
    [
        (f",L1,{FUTURE},1,", "sku", "The SKU is empty"),
        (f"NOPE,L1,{FUTURE},1,", "sku", "No product has the SKU"),
        (f"CREAM-50,,{FUTURE},1,", "lot_number", "The lot number is empty"),
        (f"CREAM-50,L 1,{FUTURE},1,", "lot_number", "Lot numbers are"),
        (f"CREAM-50,{'L' * 61},{FUTURE},1,", "lot_number", "Lot numbers are"),
        ("CREAM-50,L1,,1,", "expiry_date", "YYYY-MM-DD"),
        ("CREAM-50,L1,31/12/2030,1,", "expiry_date", "YYYY-MM-DD"),
        ("CREAM-50,L1,2030-02-30,1,", "expiry_date", "YYYY-MM-DD"),
        (f"CREAM-50,L1,{PAST},1,", "expiry_date", "must be in the future"),
        (f"CREAM-50,L1,{FUTURE},,", "quantity", "whole number"),
        (f"CREAM-50,L1,{FUTURE},0,", "quantity", "whole number"),
        (f"CREAM-50,L1,{FUTURE},-3,", "quantity", "whole number"),
        (f"CREAM-50,L1,{FUTURE},2.5,", "quantity", "whole number"),
        (f"CREAM-50,L1,{FUTURE},1,£4", "unit_cost", "in pounds"),
        (f"CREAM-50,L1,{FUTURE},1,-4.00", "unit_cost", "in pounds"),
        (f"CREAM-50,L1,{FUTURE},1,4.555", "unit_cost", "in pounds"),
        (f"CREAM-50,L1,{FUTURE},1", "(row)", "Expected 5 values"),
    ],
)
def test_each_bad_csv_value_is_reported_with_line_and_column(
    client, staff, cream, row, column, problem
):
    text = GOOD_CSV + row + "\n"
    response = upload(client, text)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf"<td>3</td><td>{re.escape(column)}</td><td>[^<]*{re.escape(problem)}", html)
    assert "Nothing was booked" in html
    assert lot_count() == 0


@pytest.mark.parametrize(
    ("text", "column", "problem"),
    [
        ("", "(file)", "The file is empty"),
        ("sku,lot_number,expiry_date,quantity\n", "unit_cost", "missing from the header"),
        ("sku,lot_number,expiry_date,quantity,unit_cost,colour\n", "colour", "Unknown column"),
        ("sku,lot_number,expiry_date,quantity,unit_cost\n", "(file)", "no rows"),
    ],
)
def test_bad_csv_files_are_reported(client, staff, cream, text, column, problem):
    response = upload(client, text)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert re.search(rf"<td>{re.escape(column)}</td><td>[^<]*{re.escape(problem)}", html)


def test_one_bad_row_means_nothing_is_imported_even_when_confirmed(client, staff, cream):
    text = GOOD_CSV + f"CREAM-50,L1,{FUTURE},3,\n"  # the same lot twice
    preview = upload(client, text)
    assert preview.status_code == 422
    assert "already on row 1" in preview.get_data(as_text=True)
    forced = client.post("/staff/stock/import/confirm", data={"csv_text": text})
    assert forced.status_code == 422
    assert lot_count() == 0 and movements() == []


def test_a_csv_over_the_size_setting_is_refused_and_books_nothing(
    client, staff, cream, app, monkeypatch
):
    monkeypatch.setitem(app.config, "STOCK_CSV_MAX_BYTES", len(GOOD_CSV) - 1)
    response = upload(client, GOOD_CSV)
    assert response.status_code == 422
    assert "split it into smaller deliveries" in response.get_data(as_text=True)
    assert lot_count() == 0
    monkeypatch.setitem(app.config, "STOCK_CSV_MAX_BYTES", len(GOOD_CSV))
    assert upload(client, GOOD_CSV).status_code == 200


def test_non_utf8_and_missing_files_are_refused(client, staff, cream):
    latin = client.post(
        "/staff/stock/import",
        data={"file": (BytesIO("sku\nCr\xe8me".encode("latin-1")), "d.csv")},
        content_type="multipart/form-data",
    )
    assert latin.status_code == 422 and "UTF-8" in latin.get_data(as_text=True)
    missing = client.post("/staff/stock/import", data={}, content_type="multipart/form-data")
    assert missing.status_code == 422 and "Choose a CSV file" in missing.get_data(as_text=True)
    assert client.post("/staff/stock/import/confirm", data={}).status_code == 400


# --- product stock page, threshold, verify ---------------------------------------------------


def test_product_stock_page_shows_lots_and_ledger(client, staff, cream):
    lot = make_lot(cream, 5, lot_number="SHOW-1")
    inventory.adjust_lot(lot.id, -1, "damaged", "dropped", staff.id)
    html = client.get(f"/staff/stock/{cream.id}").get_data(as_text=True)
    assert "SHOW-1" in html and "dropped" in html and staff.email in html
    assert client.get("/staff/stock/999").status_code == 404


def test_threshold_is_saved_and_bad_values_refused(client, staff, cream):
    assert (
        client.post(f"/staff/stock/{cream.id}/threshold", data={"threshold": 9}).status_code == 302
    )
    db.session.expire_all()
    assert cream.low_stock_threshold == 9
    for bad in ("-1", "many", ""):
        response = client.post(f"/staff/stock/{cream.id}/threshold", data={"threshold": bad})
        assert response.status_code == 422
    db.session.expire_all()
    assert cream.low_stock_threshold == 9


def test_stock_verify_reports_lots_out_of_step_with_their_ledger(runner, cream):
    lot = make_lot(cream, 5, lot_number="V-1")
    result = runner.invoke(args=["stock", "verify"])
    assert result.exit_code == 0 and "matches its ledger" in result.output
    db.session.execute(
        StockLot.__table__.update().where(StockLot.id == lot.id).values(quantity_on_hand=9)
    )
    db.session.commit()
    result = runner.invoke(args=["stock", "verify"])
    assert result.exit_code == 1
    assert "V-1" in result.output and "ledger says 5" in result.output


def test_stock_verify_reports_units_still_held_for_a_finished_order(app, runner, cream):
    make_lot(cream, 5, lot_number="HELD-1")
    order = paid_collect_order(app, [(cream.slug, 2, "product")])
    assert runner.invoke(args=["stock", "verify"]).exit_code == 0
    # What a refund that forgot the stock used to leave behind.
    db.session.execute(
        Order.__table__.update().where(Order.id == order.id).values(status="refunded")
    )
    db.session.commit()
    result = runner.invoke(args=["stock", "verify"])
    assert result.exit_code == 1
    assert f"HELD-1 (product {cream.id}) still holds 2 for order {order.reference}" in result.output


def test_stock_list_filters_and_queries_stay_constant(client, staff, count_queries):
    for number in range(3):
        make_lot(make_product(name=f"Item {number}"), 2)
    with count_queries() as few:
        assert client.get("/staff/stock").status_code == 200
    for number in range(3, 30):
        make_lot(make_product(name=f"Item {number}"), 2)
    with count_queries() as many:
        assert client.get("/staff/stock").status_code == 200
    assert many.count == few.count
    html = client.get("/staff/stock", query_string={"q": "item 7"}).get_data(as_text=True)
    assert "Item 7" in html and "Item 8" not in html
    assert client.get("/staff/stock", query_string={"page": "x"}).status_code == 400


def test_a_stocktake_says_in_words_what_changed(client, staff, cream):
    short = make_lot(cream, 10, lot_number="L24-0917")
    found = make_lot(cream, 3, lot_number="L24-1002")
    same = make_lot(cream, 6, lot_number="L24-1100")
    data = {f"count_{short.id}": 8, f"count_{found.id}": 5, f"count_{same.id}": 6}
    response = client.post("/staff/stock/count", data=data, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Calm Cream lot L24-0917: 10 → 8, 2 written off" in html
    assert "Calm Cream lot L24-1002: 3 → 5, 2 found" in html
    assert "1 lot matched the books" in html


def test_a_count_far_from_the_books_is_booked_only_once_confirmed(client, staff, cream, app):
    lot = make_lot(cream, 24, lot_number="L24-0917")
    near = make_lot(cream, 10, lot_number="L24-1002")
    threshold = app.config["STOCKTAKE_CONFIRM_UNITS"]
    data = {f"count_{lot.id}": 24 - threshold - 1, f"count_{near.id}": 9}
    response = client.post("/staff/stock/count", data=data)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nothing was booked yet" in html
    assert f"Calm Cream lot L24-0917: 24 → {24 - threshold - 1}" in html
    assert "L24-1002: 10 → 9" not in html  # within the threshold: not asked about
    assert 'name="confirmed"' in html and f'value="{24 - threshold - 1}"' in html
    assert lot_state(lot) == (24, 0) and lot_state(near) == (10, 0) and movements("count") == []
    response = client.post("/staff/stock/count", data={**data, "confirmed": "y"})
    assert response.status_code == 302
    assert lot_state(lot) == (24 - threshold - 1, 0) and lot_state(near) == (9, 0)
    assert_ledger_balances()


def test_a_count_within_the_threshold_needs_no_confirmation(client, staff, cream, app):
    lot = make_lot(cream, 24)
    count = 24 - app.config["STOCKTAKE_CONFIRM_UNITS"]
    assert client.post("/staff/stock/count", data={f"count_{lot.id}": count}).status_code == 302
    assert lot_state(lot) == (count, 0)


def test_the_confirmation_tick_takes_only_its_own_value(client, staff, cream):
    lot = make_lot(cream, 24)
    data = {f"count_{lot.id}": 2, "confirmed": "yes please"}
    response = client.post("/staff/stock/count", data=data)
    assert response.status_code == 422
    assert "Tick the box or leave it empty" in response.get_data(as_text=True)
    assert lot_state(lot) == (24, 0) and movements("count") == []


def test_add_another_line_keeps_what_was_typed_and_books_nothing(client, staff, cream):
    typed = [{"product": cream.id, "lot_number": "KEEP-1", "quantity": 4}]
    typed += [{"lot_number": ""}, {"lot_number": "HALF-2"}]
    response = client.post("/staff/stock/receive", data=receive_form(typed, add_line="1"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="KEEP-1"' in html and 'value="4"' in html and 'value="HALF-2"' in html
    assert 'name="lines-3-lot_number"' in html and 'name="lines-4-lot_number"' not in html
    assert "Nothing was booked" not in html and "Enter the expiry date" not in html
    assert lot_count() == 0 and movements() == []


def test_the_delivery_form_starts_short_and_says_how_many_lines_it_takes(client, staff):
    html = client.get("/staff/stock/receive").get_data(as_text=True)
    assert 'name="lines-2-lot_number"' in html and 'name="lines-3-lot_number"' not in html
    assert f"<caption>Lots delivered (up to {RECEIVE_MAX_LINES} lines)</caption>" in html
    assert "Add another line" in html


def test_add_another_line_stops_at_the_limit(client, staff, cream):
    lines = [{"lot_number": f"L{n}"} for n in range(RECEIVE_MAX_LINES)]
    response = client.post("/staff/stock/receive", data=receive_form(lines, add_line="1"))
    assert response.status_code == 422
    assert f"at most {RECEIVE_MAX_LINES} lines" in response.get_data(as_text=True)
    assert lot_count() == 0
