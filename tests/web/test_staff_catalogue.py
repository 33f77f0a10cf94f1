"""Back-office catalogue: products with every attribute, photos, kits and their checks."""

from __future__ import annotations

from io import BytesIO

import pytest
from PIL import Image
from sqlalchemy import func, select

from models import AuditEntry, Kit, Product, db
from tests.factories import (
    make_kit,
    make_lot,
    make_product,
    make_treatment_with_protocol,
    make_user,
)

GOOD_PRODUCT = {
    "name": "Mineral Fluid SPF50",
    "slug": "mineral-fluid-spf50",
    "sku": "SUN-MIN-50",
    "brand": "Lumen",
    "category": "sunscreen",
    "price": "24.00",
    "vat_rate_bp": "2000",
    "spf": "50",
    "uv_filter": "mineral",
    "fragrance_free": "y",
    "non_comedogenic": "y",
    "alcohol_free": "y",
    "pregnancy_safe": "y",
    "spf_test_on_file": "y",
    "actives": ["niacinamide"],
    "skin_types": ["sensitive", "dry"],
    "days_per_unit": "30",
    "low_stock_threshold": "4",
    "is_active": "y",
}


@pytest.fixture
def staff(client, login):
    user = make_user(role="staff")
    login(user)
    return user


def product_count():
    return db.session.execute(select(func.count()).select_from(Product)).scalar_one()


def test_staff_create_a_product_with_every_attribute(client, staff):
    response = client.post("/staff/products/new", data=GOOD_PRODUCT)
    assert response.status_code == 302
    product = db.session.execute(select(Product)).scalar_one()
    assert product.price_pence == 2400 and product.spf == 50 and product.uv_filter == "mineral"
    assert product.fragrance_free and product.spf_test_on_file and not product.tinted
    assert product.actives == ["niacinamide"] and product.skin_types == ["dry", "sensitive"]
    assert product.days_per_unit == 30 and product.low_stock_threshold == 4
    audit = db.session.execute(select(AuditEntry)).scalar_one()
    assert audit.action == "product.create" and audit.after["sku"] == "SUN-MIN-50"


def test_editing_a_product_records_before_and_after(client, staff):
    product = make_product(name="Old name", price_pence=1000)
    page = client.get(f"/staff/products/{product.id}").get_data(as_text=True)
    assert 'value="10.00"' in page
    data = {
        **GOOD_PRODUCT,
        "slug": product.slug,
        "sku": product.sku,
        "category": "moisturiser",
        "spf": "",
        "uv_filter": "",
        "spf_test_on_file": "",
    }
    assert client.post(f"/staff/products/{product.id}", data=data).status_code == 302
    db.session.expire_all()
    assert product.name == "Mineral Fluid SPF50" and product.price_pence == 2400
    audit = db.session.execute(select(AuditEntry)).scalar_one()
    assert audit.before["name"] == "Old name" and audit.after["name"] == "Mineral Fluid SPF50"


def test_deactivating_hides_the_product_from_the_shop(client, staff):
    product = make_product()
    assert client.get(f"/products/{product.slug}").status_code == 200
    assert client.post(f"/staff/products/{product.id}/active").status_code == 302
    assert client.get(f"/products/{product.slug}").status_code == 404
    client.post(f"/staff/products/{product.id}/active")
    assert client.get(f"/products/{product.slug}").status_code == 200


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"slug": "Not A Slug"}, "lower-case letters"),
        ({"price": "twelve"}, "amount in pounds"),
        ({"price": "-1"}, "amount in pounds"),
        ({"price": ""}, "amount in pounds"),
        ({"category": "potion"}, "Not a valid choice"),
        ({"spf": "0"}, "SPF is 1 to 100"),
        ({"spf": ""}, "A sunscreen needs its SPF"),
        ({"uv_filter": "laser"}, "Not a valid choice"),
        ({"actives": ["unicorn"]}, "not a valid choice"),
        ({"skin_types": ["scaly"]}, "not a valid choice"),
        ({"days_per_unit": "0"}, "1 or more days"),
        ({"low_stock_threshold": "-2"}, "Number must be"),
        ({"vat_rate_bp": "1700"}, "Not a valid choice"),
        ({"sku": "TAKEN-1"}, "already uses this sku"),
        ({"slug": "taken-slug"}, "already uses this slug"),
    ],
)
def test_bad_product_input_is_refused(client, staff, changes, message):
    make_product(sku="TAKEN-1", slug="taken-slug")
    response = client.post("/staff/products/new", data={**GOOD_PRODUCT, **changes})
    assert response.status_code == 422
    assert message.lower() in response.get_data(as_text=True).lower()
    assert product_count() == 1


def image_bytes(fmt="PNG", size=(1600, 1200)):
    buffer = BytesIO()
    Image.new("RGB", size, (200, 120, 90)).save(buffer, format=fmt)
    return buffer.getvalue()


def upload_image(client, product, data, name="photo.png"):
    return client.post(
        f"/staff/products/{product.id}/image",
        data={"image": (BytesIO(data), name)},
        content_type="multipart/form-data",
    )


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP"])
def test_photos_are_checked_resized_and_served(client, staff, app, tmp_path, fmt):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    product = make_product()
    assert upload_image(client, product, image_bytes(fmt), "whatever.bin").status_code == 302
    db.session.expire_all()
    assert product.image_filename.endswith(".webp")
    served = client.get(f"/media/products/{product.image_filename}")
    assert served.status_code == 200 and served.mimetype == "image/webp"
    picture = Image.open(BytesIO(served.data))
    assert picture.format == "WEBP" and max(picture.size) == 800
    html = client.get(f"/products/{product.slug}").get_data(as_text=True)
    assert f"/media/products/{product.image_filename}" in html


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"GIF89a" + b"\x00" * 100, "photo.png", "not a JPEG, PNG or WebP"),
        (b"<svg xmlns='http://www.w3.org/2000/svg'></svg>", "photo.jpg", "not a JPEG"),
        (b"", "photo.png", "Choose an image"),
    ],
)
def test_non_images_are_refused_whatever_their_name(
    client, staff, app, tmp_path, data, name, message
):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    product = make_product()
    response = upload_image(client, product, data, name)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    db.session.expire_all()
    assert product.image_filename is None
    assert not list(tmp_path.rglob("*.webp"))


def test_gif_by_content_is_refused(client, staff, app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    product = make_product()
    response = upload_image(client, product, image_bytes("GIF", (10, 10)), "photo.png")
    assert response.status_code == 422 and "Upload a JPEG, PNG or WebP" in response.get_data(
        as_text=True
    )


def test_too_large_images_are_refused(client, staff, app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path)
    saved = app.config["MAX_IMAGE_BYTES"]
    app.config["MAX_IMAGE_BYTES"] = 1024
    try:
        product = make_product()
        response = upload_image(client, product, image_bytes("PNG", (400, 400)))
        assert response.status_code == 422
        assert "larger than" in response.get_data(as_text=True)
    finally:
        app.config["MAX_IMAGE_BYTES"] = saved


@pytest.mark.parametrize("name", ["../secret.webp", "x.png", "UPPER.webp", "a%2F..%2Fb.webp"])
def test_media_serves_only_names_the_shop_writes(client, name):
    assert client.get(f"/media/products/{name}").status_code == 404


# --- kits ------------------------------------------------------------------------------------


def kit_data(items, **extra):
    data = {
        "name": "Needling kit",
        "slug": "needling-kit",
        "price_rule": "percent_off",
        "percent_off": "10",
        "fitzpatrick_min": "1",
        "fitzpatrick_max": "6",
        "cover_days": "14",
        "position": "0",
        "is_active": "y",
    }
    for index, (product, quantity) in enumerate(items):
        data[f"items-{index}-product"] = str(product.id)
        data[f"items-{index}-quantity"] = str(quantity)
        data[f"items-{index}-purpose"] = "Use it"
    data.update(extra)
    return data


@pytest.fixture
def needling(app_ctx):
    return make_treatment_with_protocol("microneedling")


def test_staff_create_a_kit_with_items_price_and_applicability(client, staff, needling):
    cream = make_product(name="Cream", price_pence=1000)
    balm = make_product(name="Balm", price_pence=800)
    data = kit_data(
        [(cream, 2), (balm, 1)],
        treatments=[str(needling.id)],
        concerns=["sensitive"],
        fitzpatrick_max="3",
    )
    assert client.post("/staff/kits/new", data=data).status_code == 302
    kit = db.session.execute(select(Kit)).scalar_one()
    assert [(i.product.name, i.quantity) for i in kit.items] == [("Cream", 2), ("Balm", 1)]
    assert kit.percent_off == 10 and kit.fixed_price_pence is None
    assert kit.concerns == ["sensitive"] and kit.fitzpatrick_max == 3
    assert [t.slug for t in kit.treatments] == ["microneedling"]
    edit = kit_data([(balm, 3)], price_rule="fixed", fixed_price="19.99", percent_off="")
    assert client.post(f"/staff/kits/{kit.id}", data=edit).status_code == 302
    db.session.expire_all()
    assert kit.fixed_price_pence == 1999 and kit.percent_off is None
    assert [(i.product.name, i.quantity) for i in kit.items] == [("Balm", 3)]
    assert list(db.session.execute(select(AuditEntry.action)).scalars()) == [
        "kit.create",
        "kit.update",
    ]


def test_kit_page_warns_when_the_kit_breaks_its_protocol_and_shows_availability(
    client, staff, needling
):
    scented = make_product(name="Rose Cream", category="moisturiser", fragrance_free=False)
    acid = make_product(name="Glow Cleanser", category="cleanser", actives=["aha"])
    weak = make_product(name="Daily SPF30", category="sunscreen", spf=30, uv_filter="chemical")
    make_lot(scented, 6)
    make_lot(acid, 2)
    make_lot(weak, 9)
    kit = make_kit(
        [(scented, 1), (acid, 1), (weak, 1)],
        treatments=[needling],
        fitzpatrick_min=1,
        fitzpatrick_max=6,
    )
    html = client.get(f"/staff/kits/{kit.id}").get_data(as_text=True)
    assert "breaks its treatment" in html
    assert "Rose Cream is not fragrance-free, and products with fragrance" in html
    assert "Glow Cleanser contains AHA (glycolic or lactic acid), and exfoliating acids" in html
    assert "Daily SPF30 does not reach the SPF50 needed for Fitzpatrick IV-VI skin" in html
    assert "2 kits can be made" in html
    listing = client.get("/staff/kits").get_data(as_text=True)
    assert "3 warnings" in listing


def test_a_kit_that_follows_the_protocol_has_no_warnings(app_ctx, needling):
    from shop.services.catalogue_admin import kit_protocol_warnings

    sun = make_product(name="Mineral SPF50", category="sunscreen", spf=50, uv_filter="mineral")
    cleanser = make_product(name="Gentle Cleanser", category="cleanser")
    moist = make_product(name="Moisturiser", category="moisturiser", actives=["ceramides"])
    kit = make_kit([(sun, 1), (cleanser, 1), (moist, 1)], treatments=[needling])
    warnings = [w for w in kit_protocol_warnings(kit) if "has nothing for" not in w]
    assert warnings == []


def test_the_kit_list_is_kept_until_a_product_or_its_stock_changes(
    client, staff, needling, monkeypatch, count_queries
):
    from shop.aftercare import rules

    sun = make_product(name="Mineral SPF50", category="sunscreen", spf=50, uv_filter="mineral")
    cleanser = make_product(name="Gentle Cleanser", category="cleanser")
    moist = make_product(name="Moisturiser", category="moisturiser", actives=["ceramides"])
    for product in (sun, cleanser):
        make_lot(product, 5)
    lot = make_lot(moist, 4)
    make_kit([(sun, 1), (cleanser, 1), (moist, 1)], treatments=[needling], name="Needling kit")
    checks = []
    check = rules.kit_warnings
    monkeypatch.setattr(rules, "kit_warnings", lambda *a, **k: checks.append(1) or check(*a, **k))

    def kit_row() -> str:
        html = client.get("/staff/kits").get_data(as_text=True)
        return html.split("Needling kit", 1)[1].split("</tr>", 1)[0]

    assert "(4)" in kit_row() and ">OK<" in kit_row()
    with count_queries() as seen:
        kit_row()
    # Seen again, the list comes from the cache: what is read is the staff member, the tokens
    # and the header's basket count (building the list took ten statements).
    assert seen.count == 3 and len(checks) == 1
    lot.quantity_on_hand = 1  # a sale or a count leaves one moisturiser
    db.session.commit()
    assert "(1)" in kit_row() and len(checks) == 1  # stock changed: the check is kept
    moist.fragrance_free = False  # as the product form would save it
    db.session.commit()
    assert "1 warning" in kit_row() and len(checks) == 2


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "This field is required"),
        ({"slug": "Bad Slug"}, "lower-case letters"),
        ({"price_rule": "free"}, "Not a valid choice"),
        ({"price_rule": "fixed", "fixed_price": ""}, "Enter the kit"),
        ({"price_rule": "fixed", "fixed_price": "abc"}, "amount in pounds"),
        ({"percent_off": ""}, "Enter the percentage off"),
        ({"percent_off": "100"}, "1 to 99"),
        ({"fitzpatrick_min": "5", "fitzpatrick_max": "2"}, "must not be above"),
        ({"fitzpatrick_max": "7"}, "Not a valid choice"),
        ({"concerns": ["itchy"]}, "not a valid choice"),
        ({"treatments": ["999"]}, "not a valid choice"),
        ({"cover_days": "0"}, "1 to 365"),
        ({"items-0-product": "", "items-0-quantity": ""}, "Add at least one product"),
        ({"items-0-product": ""}, "Choose a product"),
        ({"items-0-quantity": "0"}, "1 to 20"),
        ({"items-0-quantity": ""}, "Enter the quantity"),
        ({"items-0-product": "9999", "items-0-quantity": "1"}, "products the shop sells"),
        ({"items-1-product": "SAME", "items-1-quantity": "1"}, "may appear once"),
    ],
)
def test_bad_kit_input_is_refused(client, staff, changes, message):
    cream = make_product(name="Cream")
    changes = {k: (str(cream.id) if v == "SAME" else v) for k, v in changes.items()}
    response = client.post("/staff/kits/new", data={**kit_data([(cream, 1)]), **changes})
    assert response.status_code == 422
    assert message.lower() in response.get_data(as_text=True).lower()
    assert db.session.execute(select(func.count()).select_from(Kit)).scalar_one() == 0


def test_kit_can_be_taken_off_sale(client, staff):
    cream = make_product()
    make_lot(cream, 3)
    kit = make_kit([(cream, 1)])
    assert client.get(f"/kits/{kit.slug}").status_code == 200
    client.post(f"/staff/kits/{kit.id}/active")
    assert client.get(f"/kits/{kit.slug}").status_code == 404
    assert client.get("/staff/kits/999").status_code == 404


def test_product_list_queries_stay_constant(client, staff, count_queries):
    for number in range(3):
        make_product(name=f"P{number}")
    with count_queries() as few:
        assert client.get("/staff/products").status_code == 200
    for number in range(3, 40):
        make_product(name=f"P{number}")
    with count_queries() as many:
        assert client.get("/staff/products").status_code == 200
    assert many.count == few.count
    assert client.get("/staff/products", query_string={"status": "gone"}).status_code == 400


def test_kit_list_queries_stay_constant(client, staff, count_queries):
    cream = make_product()
    make_kit([(cream, 1)])
    with count_queries() as few:
        assert client.get("/staff/kits").status_code == 200
    for _ in range(10):
        make_kit([(make_product(), 1), (cream, 2)])
    with count_queries() as many:
        assert client.get("/staff/kits").status_code == 200
    assert many.count == few.count


def test_kit_list_pages_and_clamps_bad_pages(client, staff, app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_KITS_PER_PAGE", 2)
    cream = make_product()
    for number in range(3):
        make_kit([(cream, 1)], name=f"Paged Kit {number}")
    first = client.get("/staff/kits").get_data(as_text=True)
    assert "Paged Kit 1" in first and "Paged Kit 2" not in first and "page 1 of 2" in first
    second = client.get("/staff/kits?page=2").get_data(as_text=True)
    assert "Paged Kit 2" in second and "Paged Kit 0" not in second
    for page in ("50", "0", "two", "²", "9" * 30):
        response = client.get("/staff/kits", query_string={"page": page})
        assert response.status_code == 200 and "Paged Kit" in response.get_data(as_text=True)


def test_product_list_pages_by_name(client, staff, app, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_ROWS_PER_PAGE", 2)
    for name in ("Cedar", "Alder", "Birch"):
        make_product(name=name)
    first = client.get("/staff/products").get_data(as_text=True)
    assert "Alder" in first and "Birch" in first and "Cedar" not in first
    last = client.get("/staff/products?page=9").get_data(as_text=True)
    assert "Cedar" in last and "Alder" not in last
