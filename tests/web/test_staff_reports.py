"""Back-office dashboard, reports (charts and CSV) and the audit log."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from models import AuditEntry, ConsultationRequest, Order, Recommendation, StockLot, db
from shop.services import audit, inventory
from tests.factories import make_kit, make_lot, make_product, make_treatment, make_user
from tests.staff_helpers import paid_collect_order, place_order


@pytest.fixture
def staff(client, login):
    user = make_user(role="staff")
    login(user)
    return user


def test_dashboard_shows_work_stock_and_sales(client, staff, app):
    cream = make_product(name="Calm Cream", price_pence=1500, low_stock_threshold=20)
    make_lot(cream, 10, expires_in_days=25, lot_number="SOON-1")
    expired = make_product(name="Old Balm")
    make_lot(expired, 3, expires_in_days=-5, lot_number="OLD-1")
    paid = paid_collect_order(app, [(cream.slug, 2, "product")])
    waiting = place_order(app, [(cream.slug, 1, "product")])
    db.session.execute(
        Order.__table__.update()
        .where(Order.id == waiting.id)
        .values(reserved_until=datetime.now(UTC) - timedelta(hours=1))
    )
    db.session.add(ConsultationRequest(name="A", email="a@example.com"))
    db.session.commit()
    html = client.get("/staff/").get_data(as_text=True)
    assert paid.reference in html and waiting.reference in html
    assert "Overdue" in html
    assert "Calm Cream" in html and "SOON-1" in html
    assert "£30.00" in html  # today's sales
    board = __import__("shop.services.reports", fromlist=["x"]).build_dashboard(
        date.today(), datetime.now(UTC)
    )
    assert board.to_pack_count == 1 and board.overdue_collection == 1
    assert board.open_consultations == 1 and [lot.lot_number for lot in board.expired_on_hand] == [
        "OLD-1"
    ]
    assert board.expired_count == 1
    assert board.expiring_counts == {30: 1, 60: 1, 90: 1} and board.today_pence == 3000


def test_reports_add_up_sales_best_sellers_treatments_and_stock(client, staff, app):
    needling = make_treatment("microneedling", "Micro-needling")
    peel = make_treatment("chemical-peel-superficial", "Light peel")
    cream = make_product(name="Calm Cream", price_pence=1000)
    sun = make_product(name="Sun Fluid", price_pence=2000)
    make_lot(cream, 50, expires_in_days=30)
    make_lot(sun, 50, expires_in_days=400)
    kit = make_kit(
        [(cream, 1), (sun, 1)],
        treatments=[needling, peel],
        price_rule="fixed",
        fixed_price_pence=2701,
        percent_off=None,
    )
    paid_collect_order(app, [(cream.slug, 2, "product")])
    kit_order = paid_collect_order(app, [(kit.slug, 1, "kit")])
    rec_order = paid_collect_order(app, [(sun.slug, 1, "product")])
    recommendation = Recommendation(
        patient_name="P",
        patient_email="p@example.com",
        treatment_id=peel.id,
        treated_on=date.today(),
        fitzpatrick=2,
    )
    db.session.add(recommendation)
    db.session.flush()
    db.session.execute(
        Order.__table__.update()
        .where(Order.id == rec_order.id)
        .values(recommendation_id=recommendation.id)
    )
    db.session.commit()
    place_order(app, [(sun.slug, 5, "product")])  # unpaid: not a sale
    from shop.services.reports import build_report

    report = build_report(date.today() - timedelta(days=6), date.today())
    assert report.orders == 3 and report.revenue_pence == 2000 + 2701 + 2000
    assert [(b.name, b.units) for b in report.best["product"].items] == [
        ("Calm Cream", 2),
        ("Sun Fluid", 1),
    ]
    assert [(b.name, b.units, b.revenue_pence) for b in report.best["kit"].items] == [
        (kit.name, 1, 2701)
    ]
    by_treatment = {row.treatment: row for row in report.treatments}
    assert by_treatment["Micro-needling"].via_kits_pence == 1351
    assert by_treatment["Light peel"].via_kits_pence == 1350
    assert by_treatment["Light peel"].via_recommendation_pence == 2000
    assert by_treatment["Not linked to a treatment"].revenue_pence == 2000
    assert sum(row.revenue_pence for row in report.treatments) == report.revenue_pence
    # 50 + 50 units bought at half price, less 3 cream and 1+1 sun held... at cost on hand
    assert report.stock_value_pence == 50 * 500 + 50 * 1000
    short = {row.name: row.units for row in report.short_dated}
    assert short == {"Calm Cream": 3}
    assert kit_order.reference
    html = client.get("/staff/reports").get_data(as_text=True)
    assert (
        "Calm Cream" in html and "Light peel" in html and "/staff/reports/sales-daily.svg" in html
    )


def test_sales_chart_is_server_drawn_svg_without_script(client, staff):
    response = client.get("/staff/reports/sales-weekly.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    body = response.get_data(as_text=True)
    assert "<svg" in body and "<script" not in body
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert client.get("/staff/reports/sales-hourly.svg").status_code == 404


@pytest.mark.parametrize(
    "table", ["daily", "weekly", "products", "kits", "treatments", "stock", "short-dated"]
)
def test_every_report_table_downloads_as_csv(client, staff, table):
    response = client.get("/staff/reports/download.csv", query_string={"table": table})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.get_data(as_text=True).count("\n") >= 1


@pytest.mark.parametrize(
    "query",
    [
        {"start": "soon"},
        {"end": "2030-13-01"},
        {"start": "2030-01-02", "end": "2030-01-01"},
        {"start": "2020-01-01", "end": "2030-01-01"},
        {"table": "secrets"},
    ],
)
def test_bad_report_parameters_are_400(client, staff, query):
    if "table" in query:
        assert client.get("/staff/reports/download.csv", query_string=query).status_code == 400
    else:
        assert client.get("/staff/reports", query_string=query).status_code == 400
        assert client.get("/staff/reports/sales-daily.svg", query_string=query).status_code == 400


def test_audit_log_lists_filters_and_pages(client, staff):
    other = make_user(role="admin", name="Alex Admin")
    product = make_product(name="Umbra SPF50")
    lot = make_lot(product, 5, lot_number="L24-0917")
    inventory.adjust_lot(lot.id, -1, "damaged", "", staff.id)
    inventory.set_low_stock_threshold(product.id, 3, other.id)
    adjusted = "Test Staff adjusted"
    threshold = "Alex Admin set the low-stock threshold of"
    html = client.get("/staff/audit").get_data(as_text=True)
    assert adjusted in html and threshold in html
    mine = client.get("/staff/audit", query_string={"user": staff.email}).get_data(as_text=True)
    assert adjusted in mine and threshold not in mine
    by_action = client.get("/staff/audit", query_string={"action": "product.threshold"})
    assert adjusted not in by_action.get_data(as_text=True)
    by_type = client.get("/staff/audit", query_string={"target_type": "stock_lot"})
    assert threshold not in by_type.get_data(as_text=True)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    later = client.get("/staff/audit", query_string={"start": tomorrow}).get_data(as_text=True)
    assert "No entries match" in later


def test_audit_entries_read_as_sentences_linking_their_records(client, staff, app):
    from shop.services import fulfilment

    staff.name = "Sam"
    db.session.commit()
    product = make_product(name="Umbra SPF50")
    expiry = date.today() + timedelta(days=400)
    inventory.receive_delivery(
        [inventory.DeliveryLine(product.id, "L24-0917", expiry, 24)],
        today=date.today(),
        user_id=staff.id,
        supplier="Derma Supplies",
    )
    lot = db.session.execute(select(StockLot)).scalar_one()
    inventory.stocktake({lot.id: 20}, user_id=staff.id)
    order = place_order(app, [(product.slug, 1, "product")])
    fulfilment.ready_for_collection(order.id, staff.id)
    fulfilment.collected(order.id, staff.id, desk_method="cash")
    html = client.get("/staff/audit").get_data(as_text=True)
    product_link = f'<a href="/staff/stock/{product.id}">Umbra SPF50</a>'
    assert f"Sam received 24 units of {product_link}, lot L24-0917 from Derma Supplies." in html
    assert f"Sam counted {product_link} lot L24-0917: 24 → 20, 4 written off." in html
    order_link = f'<a href="/staff/orders/{order.id}">order {order.reference}</a>'
    assert f"Sam handed over {order_link}, paid at the desk in cash." in html
    assert f"Sam told the customer {order_link} is ready to collect." in html
    assert "{&#34;" not in html and '{"' not in html  # no raw JSON


def test_audit_filters_are_kept_across_pages(client, staff, monkeypatch):
    from shop.services import audit_log

    for number in range(3):
        audit.record(staff.id, "test.action", "thing", number)
    db.session.commit()
    real = audit_log.list_entries
    monkeypatch.setattr(audit_log, "list_entries", lambda f, page=1: real(f, page, per_page=2))
    html = client.get(
        "/staff/audit", query_string={"action": "test.action", "user": staff.email}
    ).get_data(as_text=True)
    assert "page 1 of 2" in html
    next_link = re.search(r'href="(/staff/audit\?[^"]*page=2[^"]*)"', html).group(1)
    assert "action=test.action" in next_link and "user=" in next_link


def test_audit_log_is_append_only(client, staff):
    audit.record(staff.id, "test.action", "thing", 1, None, {"a": 1})
    db.session.commit()
    for method in ("post", "put", "delete", "patch"):
        assert getattr(client, method)("/staff/audit").status_code == 405
    assert db.session.execute(select(AuditEntry.action)).scalar_one() == "test.action"


@pytest.mark.parametrize(
    "query", [{"action": "made.up"}, {"target_type": "spaceship"}, {"start": "x"}, {"page": "-1"}]
)
def test_bad_audit_filters_are_400(client, staff, query):
    assert client.get("/staff/audit", query_string=query).status_code == 400


def test_audit_page_queries_stay_constant(client, staff, app, count_queries):
    product = make_product()
    lot = make_lot(product, 500)

    def log_some(count: int) -> None:
        for number in range(count):
            inventory.adjust_lot(lot.id, 1, "found", "", staff.id)
            inventory.set_low_stock_threshold(product.id, number, staff.id)
            audit.record(staff.id, "order.pack", "order", f"REF{number}")
            audit.record(staff.id, "test.action", "thing", number)
        db.session.commit()

    log_some(1)
    with count_queries() as few:
        assert client.get("/staff/audit").status_code == 200
    log_some(15)
    with count_queries() as many:
        assert client.get("/staff/audit").status_code == 200
    assert many.count == few.count


def test_dashboard_queries_stay_constant(client, staff, app, count_queries):
    cream = make_product(low_stock_threshold=1000)
    make_lot(cream, 500, expires_in_days=20)
    paid_collect_order(app, [(cream.slug, 1, "product")])
    with count_queries() as few:
        assert client.get("/staff/").status_code == 200
    for _ in range(6):
        paid_collect_order(app, [(cream.slug, 1, "product")])
        make_lot(make_product(low_stock_threshold=100), 2, expires_in_days=40)
    with count_queries() as many:
        assert client.get("/staff/").status_code == 200
    assert many.count == few.count


def test_report_tables_show_a_page_each_and_the_csv_every_row(client, staff, app, monkeypatch):
    monkeypatch.setitem(app.config, "REPORT_ROWS_PER_PAGE", 1)
    cream = make_product(name="Calm Cream", price_pence=1000)
    sun = make_product(name="Sun Fluid", price_pence=2000)
    make_lot(cream, 50)
    make_lot(sun, 50)
    paid_collect_order(app, [(cream.slug, 2, "product"), (sun.slug, 1, "product")])

    def best_products(html: str) -> str:
        return html.split('id="best-products-heading"')[1].split("</section>")[0]

    first = best_products(client.get("/staff/reports").get_data(as_text=True))
    assert "Calm Cream" in first and "Sun Fluid" not in first and "page 1 of 2" in first
    second = client.get("/staff/reports", query_string={"products_page": 2})
    assert "Sun Fluid" in best_products(second.get_data(as_text=True))
    stock = client.get("/staff/reports", query_string={"stock_page": 2}).get_data(as_text=True)
    table = stock.split('id="value-heading"')[1].split("</section>")[0]
    assert "Sun Fluid" in table and "Calm Cream" not in table
    # The page links of one table keep the page the other table is on.
    assert "products_page=1" in table and "stock_page=1" in table
    assert client.get("/staff/reports", query_string={"products_page": 0}).status_code == 400
    beyond = client.get("/staff/reports", query_string={"products_page": 40})
    assert beyond.status_code == 200 and "Sun Fluid" in best_products(beyond.get_data(as_text=True))
    csv = client.get("/staff/reports/download.csv", query_string={"table": "products"})
    assert csv.get_data(as_text=True).splitlines()[1:] == [
        "Calm Cream,2,20.00",
        "Sun Fluid,1,20.00",
    ]


def test_an_order_never_stamped_paid_counts_on_the_day_it_was_placed(client, staff, app):
    cream = make_product(name="Calm Cream", price_pence=1000)
    make_lot(cream, 50)
    order = paid_collect_order(app, [(cream.slug, 1, "product")])
    db.session.execute(Order.__table__.update().where(Order.id == order.id).values(paid_at=None))
    db.session.commit()
    from shop.services.reports import build_report

    assert build_report(date.today(), date.today()).orders == 1
    assert (
        build_report(date.today() - timedelta(days=3), date.today() - timedelta(days=1)).orders == 0
    )


def test_dashboard_counts_stop_at_the_cap(client, staff, app, monkeypatch):
    from shop.services import reports

    monkeypatch.setattr(reports, "DASHBOARD_COUNT_CAP", 2)
    cream = make_product(name="Calm Cream")
    make_lot(cream, 50)
    for _ in range(3):
        paid_collect_order(app, [(cream.slug, 1, "product")])
    board = reports.build_dashboard(date.today(), datetime.now(UTC), limit=2)
    assert board.to_pack_count == 3 and len(board.to_pack) == 2
    html = client.get("/staff/").get_data(as_text=True)
    assert '<div class="stat-value">2+</div><div class="stat-label">orders to pick and pack' in html


def test_report_date_fields_show_the_range_in_use(client, staff, app):
    html = client.get("/staff/reports").get_data(as_text=True)
    end = date.today()
    start = end - timedelta(days=app.config["REPORT_DEFAULT_DAYS"] - 1)
    assert f'name="start" type="date" value="{start.isoformat()}"' in html
    assert f'name="end" type="date" value="{end.isoformat()}"' in html
    assert f"{app.config['REPORT_DEFAULT_DAYS']} days, the default" in html
    chosen = end - timedelta(days=10)
    html = client.get("/staff/reports", query_string={"start": chosen.isoformat()}).get_data(
        as_text=True
    )
    assert f'value="{chosen.isoformat()}"' in html and f'value="{end.isoformat()}"' in html
    assert f"Showing {chosen:%-d %b %Y} to" in html and "the default" not in html
