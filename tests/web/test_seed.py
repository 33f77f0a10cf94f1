"""The demo seed: a realistic catalogue, loaded idempotently, with no demo users in production."""

from datetime import date

from sqlalchemy import func, select

from models import Kit, Product, StockLot, StockMovement, Treatment, User, db
from models.vocabulary import CATEGORIES, TREATMENTS
from shop.services.inventory import kit_availabilities, ledger_differences


def _counts():
    return {
        model.__name__: db.session.execute(select(func.count()).select_from(model)).scalar_one()
        for model in (Treatment, Product, Kit, StockLot, StockMovement, User)
    }


def test_seed_loads_a_full_catalogue_once(runner):
    first = runner.invoke(args=["seed"])
    assert first.exit_code == 0, first.output
    assert "Seeded 12 treatments" in first.output
    counts = _counts()
    assert counts["Product"] >= 25
    assert counts["Treatment"] == len(TREATMENTS)
    assert counts["User"] == 4

    second = runner.invoke(args=["seed"])
    assert second.exit_code == 0
    assert (
        "Seeded 0 treatments (0 protocols updated), 0 products, 0 kits and 0 stock lots"
        in second.output
    )
    assert _counts() == counts
    assert ledger_differences() == []


def test_seed_if_empty_leaves_an_existing_shop_alone(runner):
    runner.invoke(args=["seed"])
    result = runner.invoke(args=["seed", "--if-empty"])
    assert "already has a catalogue" in result.output


def test_demo_catalogue_covers_every_category_and_treatment(runner):
    runner.invoke(args=["seed"])
    categories = set(db.session.execute(select(Product.category).distinct()).scalars())
    assert categories == set(CATEGORIES)
    kits = db.session.execute(select(Kit)).scalars().all()
    covered = {treatment.slug for kit in kits for treatment in kit.treatments}
    assert covered == set(TREATMENTS)


def test_demo_stock_has_expired_near_expiry_and_out_of_stock_cases(runner):
    runner.invoke(args=["seed"])
    today = date.today()
    lots = db.session.execute(select(StockLot)).scalars().all()
    assert any(lot.expiry_date <= today and lot.quantity_on_hand > 0 for lot in lots)
    assert any(0 < (lot.expiry_date - today).days <= 60 for lot in lots)
    kits = db.session.execute(select(Kit)).scalars().all()
    availability = kit_availabilities(kits, today)
    assert any(not a.in_stock for a in availability.values())
    assert sum(a.in_stock for a in availability.values()) >= len(kits) - 2


def test_needling_kit_for_darker_skin_has_tinted_mineral_spf50(runner):
    runner.invoke(args=["seed"])
    kits = db.session.execute(
        select(Kit).where(Kit.treatments.any(Treatment.slug == "microneedling"))
    ).scalars()
    darker = [kit for kit in kits if kit.fitzpatrick_max == 6 and kit.fitzpatrick_min >= 4]
    assert darker
    for kit in darker:
        sunscreens = [i.product for i in kit.items if i.product.category == "sunscreen"]
        assert sunscreens and all(p.spf >= 50 for p in sunscreens)
        assert any(p.tinted and p.uv_filter == "mineral" for p in sunscreens)


def test_seed_refuses_a_broken_demo_catalogue_and_writes_nothing(runner, tmp_path, monkeypatch):
    from shop.seed import catalogue_data

    text = catalogue_data.DEFAULT_PATH.read_text(encoding="utf-8")
    broken = tmp_path / "demo_catalogue.toml"
    broken.write_text(text.replace("price_pence = 2600", "price_pence = 26.00", 1), "utf-8")
    monkeypatch.setattr(catalogue_data, "DEFAULT_PATH", broken)
    result = runner.invoke(args=["seed"])
    assert result.exit_code == 1
    assert (
        "demo_catalogue.toml: product 'umbra-sheer-mineral-fluid-spf50', "
        "price_pence: must be an integer" in result.output
    )
    assert set(_counts().values()) == {0}


def test_production_seed_creates_no_demo_users(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "SHOP_ENV", "production")
    result = app_ctx.test_cli_runner().invoke(args=["seed"])
    assert result.exit_code == 0
    assert "no demo accounts" in result.output
    assert db.session.execute(select(func.count()).select_from(User)).scalar_one() == 0


def test_demo_password_comes_from_the_environment(app_ctx, monkeypatch):
    monkeypatch.setitem(app_ctx.config, "DEMO_PASSWORD", "Chosen-demo-pass-1")
    result = app_ctx.test_cli_runner().invoke(args=["seed"])
    assert "Chosen-demo-pass-1" in result.output


def test_stock_verify_reports_a_lot_that_disagrees_with_its_ledger(runner):
    runner.invoke(args=["seed"])
    ok = runner.invoke(args=["stock", "verify"])
    assert ok.exit_code == 0 and "Every lot matches" in ok.output
    lot = db.session.execute(select(StockLot).limit(1)).scalar_one()
    lot.quantity_on_hand += 3
    db.session.commit()
    bad = runner.invoke(args=["stock", "verify"])
    assert bad.exit_code == 1
    assert lot.lot_number in bad.output


def test_every_in_stock_demo_kit_is_accepted_by_the_engine_for_its_own_profile(runner):
    from dataclasses import replace

    from shop.aftercare import Profile, Screening, plan
    from shop.services.plans import engine_catalogue, treatment_with_protocol

    runner.invoke(args=["seed"])
    today = date.today()
    catalogue = engine_catalogue(today)
    for kit in catalogue.kits:
        if kit.available == 0:
            continue
        only_this_kit = replace(catalogue, kits=(kit,))
        for treatment in sorted(kit.treatments):
            _, protocol = treatment_with_protocol(treatment)
            profile = Profile(kit.fitzpatrick_min, frozenset(kit.concerns))
            result = plan(protocol, profile, Screening(), today, today, only_this_kit)
            if not result.suitable:
                continue
            assert result.kit.slug == kit.slug, (kit.slug, treatment, result.substitutions)


def test_the_demo_clinician_has_weekday_hours_so_consultations_can_be_booked(runner, client):
    assert runner.invoke(args=["seed"]).exit_code == 0
    page = client.get("/consultation").get_data(as_text=True)
    assert "Book a free consultation" in page and 'type="radio"' in page
