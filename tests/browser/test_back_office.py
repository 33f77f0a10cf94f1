"""The back office in a real browser, on a phone and a laptop: no sideways scroll, axe clean,
the collection flow of a pay-at-clinic order, the folding menu and the delivery form's lines."""

from __future__ import annotations

import re

import pytest

from tests.browser.conftest import looks_right, sign_in

pytestmark = pytest.mark.browser


def _reserve_for_collection(page, live_server) -> str:
    """Buy the first product as a visitor, to pay at the clinic; returns the order reference."""
    page.goto(live_server + "/products")
    page.locator("main a[href^='/products/']").first.click()
    page.wait_for_load_state()
    page.locator("main form[action$='/basket/add'] button[type=submit]").first.click()
    page.wait_for_load_state()
    page.goto(live_server + "/checkout")
    page.fill("input[name=name]", "Bartholomew Featherstonehaugh-Smythe")
    page.fill("input[name=email]", "bartholomew.featherstonehaugh@example-clinic-patient.co.uk")
    page.fill("input[name=phone]", "07700 900123")
    for name, value in (("fulfilment", "collect"), ("payment_method", "clinic")):
        choice = page.locator(f"input[name={name}][value={value}]")
        if choice.count() and choice.is_visible():
            choice.check()
    page.get_by_role("button", name="Place order").click()
    page.wait_for_load_state()
    match = re.search(r"/orders/([A-Z0-9-]+)", page.url)
    assert match, page.url
    return match.group(1)


def _open_staff_order(page, live_server, reference: str) -> None:
    page.goto(live_server + f"/staff/orders?q={reference}")
    page.get_by_role("link", name=reference).click()
    page.wait_for_load_state()


def test_a_reserved_order_is_made_ready_then_collected_and_paid(live_server, screen):
    page = screen
    reference = _reserve_for_collection(page, live_server)
    page.context.clear_cookies()
    sign_in(page, live_server, "staff@clinic.example")
    _open_staff_order(page, live_server, reference)
    assert "07700 900123" in page.inner_text("main")
    looks_right(page, "order-reserved")
    page.get_by_role("button", name="Ready for collection: email the customer").click()
    page.wait_for_load_state()
    assert "the customer has been emailed" in page.inner_text("main")
    assert page.get_by_role("button", name="Ready for collection: email the customer").count() == 0
    page.get_by_label("Cash").check()
    page.get_by_role("button", name="Collected and paid…").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "Confirm: collected and paid"
    looks_right(page, "order-confirm-collection")
    page.get_by_role(
        "button", name=re.compile(r"^Confirm: £[\d.]+ paid in cash and collected$")
    ).click()
    page.wait_for_load_state()
    main = page.inner_text("main")
    assert "Collected and paid:" in main and "in cash booked" in main
    assert "Completed" in page.locator("h1").inner_text()
    looks_right(page, "order-collected")
    page.get_by_role("link", name="Packing slip").click()
    page.wait_for_load_state()
    assert page.get_by_role("button", name="Print the packing slip").is_visible()
    looks_right(page, "packing-slip")


@pytest.mark.parametrize(
    "path",
    [
        "/staff/",
        "/staff/kits",
        "/staff/reports",
        "/staff/audit",
        "/staff/stock/count",
        "/staff/stock/receive",
    ],
)
def test_back_office_pages_fit_the_screen_and_pass_axe(live_server, screen, path):
    sign_in(screen, live_server, "staff@clinic.example")
    screen.goto(live_server + path)
    assert screen.locator("main h1").count() == 1
    looks_right(screen, path.strip("/").replace("/", "-"))


def test_the_kit_page_and_its_take_off_sale_button_pass_axe(live_server, screen):
    sign_in(screen, live_server, "staff@clinic.example")
    screen.goto(live_server + "/staff/kits")
    screen.locator("main a[href^='/staff/kits/']:not([href$='/new'])").first.click()
    screen.wait_for_load_state()
    assert screen.get_by_role("button", name="Take off sale").count() == 1
    looks_right(screen, "kit")


def test_staff_land_on_the_back_office_whose_menu_folds_on_a_phone(live_server, screen):
    sign_in(screen, live_server, "staff@clinic.example")
    assert screen.url == live_server + "/staff/"
    menu = screen.locator("nav[aria-label='Back office']")
    orders = menu.get_by_role("link", name="Orders")
    if screen.width < 768:
        assert not orders.is_visible()
        menu.locator("summary").click()
        assert orders.is_visible()
    else:
        assert orders.is_visible() and not menu.locator("summary").is_visible()


def test_the_reports_show_the_range_in_use(live_server, screen):
    sign_in(screen, live_server, "staff@clinic.example")
    screen.goto(live_server + "/staff/reports")
    assert screen.input_value("input[name=start]") != ""
    assert screen.input_value("input[name=end]") != ""
    assert "the default" in screen.inner_text("main")


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "no-script"])
def test_add_another_line_keeps_what_was_typed(live_server, browser, javascript):
    context = browser.new_context(
        viewport={"width": 1366, "height": 900}, java_script_enabled=javascript
    )
    page = context.new_page()
    sign_in(page, live_server, "staff@clinic.example")
    page.goto(live_server + "/staff/stock/receive")
    rows = page.locator("#delivery-lines tr")
    assert rows.count() == 3
    page.fill("input[name='lines-0-lot_number']", "KEEP-1")
    page.get_by_role("button", name="Add another line").click()
    page.wait_for_load_state()
    assert rows.count() == 4
    assert page.input_value("input[name='lines-0-lot_number']") == "KEEP-1"
    assert page.input_value("input[name='lines-3-lot_number']") == ""
    assert page.locator("label[for='lines-3-lot_number']").count() == 1
    context.close()


def test_a_stocktake_far_from_the_books_is_confirmed_then_told_in_words(live_server, screen):
    sign_in(screen, live_server, "staff@clinic.example")
    screen.goto(live_server + "/staff/stock/count")
    row = screen.locator("main tbody tr").first
    booked = int(row.locator("td.num").first.inner_text())
    counted = booked + 50
    row.locator("input").fill(str(counted))
    screen.get_by_role("button", name="Book the count").click()
    screen.wait_for_load_state()
    warning = screen.locator("#large-differences")
    assert "Nothing was booked yet" in warning.inner_text()
    assert f"{booked} → {counted}, 50 found" in warning.inner_text()
    looks_right(screen, "stocktake-confirm")
    screen.get_by_label("I have recounted these lots: book them as counted").check()
    screen.get_by_role("button", name="Book the count as confirmed").click()
    screen.wait_for_load_state()
    assert f"{booked} → {counted}, 50 found" in screen.inner_text("main")
    assert screen.locator("#large-differences").count() == 0
    # Put the books back as they were for the other tests.
    screen.locator("main tbody tr").first.locator("input").fill(str(booked))
    screen.get_by_role("button", name="Book the count").click()
    screen.wait_for_load_state()
    screen.get_by_label("I have recounted these lots: book them as counted").check()
    screen.get_by_role("button", name="Book the count as confirmed").click()
    screen.wait_for_load_state()
    assert f"{counted} → {booked}, 50 written off" in screen.inner_text("main")
