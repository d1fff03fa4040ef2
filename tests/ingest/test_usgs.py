"""USGS MCS 2026 chapters: known answers from the chapters, units, sentinels, errors."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from critmin.ingest.errors import IngestError
from critmin.ingest.usgs import USGS_DIR, load_usgs, parse_cell, parse_usgs_chapter
from critmin.ingest.usgs_prices import parse_usgs_prices
from critmin.store.db import transaction
from critmin.store.tables import ChangeLog, Dataset, PriceSeries, ProductionStat


def _one(records, **where):
    found = [r for r in records if all(getattr(r, k) == v for k, v in where.items())]
    assert len(found) == 1, (where, found)
    return found[0]


@pytest.fixture(scope="module")
def gallium():
    return parse_usgs_chapter(USGS_DIR / "gallium.json")


@pytest.fixture(scope="module")
def tungsten():
    return parse_usgs_chapter(USGS_DIR / "tungsten.json")


def test_all_sixteen_chapters_parse_and_resolve_every_country():
    paths = sorted(USGS_DIR.glob("*.json"))
    assert len(paths) == 16
    for path in paths:
        records = parse_usgs_chapter(path)
        assert records, path.name
        for r in records:
            assert r.country is not None or r.country_label in ("world", "other"), r
            assert r.sources and r.sources[0].document == f"usgs-mcs2026/{path.name}"
        assert parse_usgs_prices(path), path.name


def test_gallium_world_table(gallium):
    china = _one(gallium, measure="production", country="CHN", year=2024)
    assert (china.value, china.unit, china.estimated) == (839_000.0, "kg", False)
    assert china.label == "World Low-Purity Production and Production Capacity"
    assert "world production table" in china.locator
    world = [r for r in gallium if r.measure == "production" and r.country_label == "world"]
    assert {(r.year, r.value, r.estimated) for r in world} == {
        (2024, 848_000.0, False),
        (2025, 900_000.0, True),
    }
    cap = _one(gallium, measure="capacity", country="CHN")
    assert (cap.year, cap.value) == (2025, 1_600_000.0)
    other = _one(gallium, measure="capacity", country_label="other")
    assert other.country is None and other.value == 100_000.0
    assert not [r for r in gallium if r.measure == "reserves"]  # the chapter has none


def test_tungsten_world_table_and_lower_bound(tungsten):
    assert _one(tungsten, measure="production", country="CHN", year=2024).value == 67_000.0
    world = {
        r.year: r.value
        for r in tungsten
        if r.measure == "production" and r.country_label == "world"
    }
    assert world == {2024: 82_000.0, 2025: 85_000.0}
    reserves = _one(tungsten, measure="reserves", country_label="world")
    assert (reserves.raw_value, reserves.value, reserves.lower_bound) == (
        ">4,700,000",
        4_700_000.0,
        True,
    )
    assert reserves.unit == "t" and reserves.year == 2025
    assert _one(tungsten, measure="production", country="PRK", year=2024).value == 1_900.0


def test_salient_statistics_are_us_rows_with_sentinels(gallium, tungsten):
    metal = _one(gallium, measure="imports_for_consumption:metal", year=2025)
    assert (metal.country, metal.value, metal.estimated) == ("USA", 25_000.0, True)
    assert metal.unit == "kg"
    exports = _one(gallium, measure="exports", year=2022)
    assert (exports.value, exports.raw_value) == (None, "NA")
    primary = _one(gallium, measure="production_primary", year=2021)
    assert (primary.value, primary.raw_value) == (0.0, "—")
    nir = _one(tungsten, measure="net_import_reliance", year=2024)
    assert (nir.value, nir.lower_bound, nir.raw_value, nir.unit) == (50.0, True, ">50", "percent")
    withheld = _one(tungsten, measure="production:secondary", year=2023)
    assert (withheld.value, withheld.raw_value) == (None, "W")
    assert not [r for r in gallium if r.measure.startswith("price")]  # prices are series


def test_import_sources_and_units_by_chapter(gallium):
    canada = _one(gallium, measure="import_share:metal", country="CAN")
    assert (canada.value, canada.unit, canada.year) == (28.0, "percent", 2024)
    assert canada.locator.endswith("import sources 2021-24")
    units = {
        slug: {r.unit for r in parse_usgs_chapter(USGS_DIR / f"{slug}.json")
               if r.measure == "production"}
        for slug in ("manganese", "aluminum", "zinc", "rare-earths", "germanium", "vanadium")
    }  # fmt: skip
    assert units == {
        "manganese": {"kt"}, "aluminum": {"kt"}, "zinc": {"kt"}, "rare-earths": {"t REO"},
        "germanium": set(),  # the source JSON has no world table for germanium
        "vanadium": {"t"},
    }  # fmt: skip
    lithium = parse_usgs_chapter(USGS_DIR / "lithium.json")
    us = _one(lithium, measure="production", country="USA", year=2024)
    assert (us.value, us.raw_value) == (None, "W")
    assert _one(lithium, measure="production:salient", year=2024).raw_value == "W"


def test_price_series_known_answers():
    (gallium,) = parse_usgs_prices(USGS_DIR / "gallium.json")
    assert (gallium.key, gallium.unit, gallium.mineral) == (
        "usgs-gallium-import-unit-value", "USD/kg", "gallium")  # fmt: skip
    assert [(o.date, o.value) for o in gallium.observations] == [
        (dt.date(y, 7, 1), v)
        for y, v in zip(range(2021, 2026), (277, 432, 365, 439, 580), strict=True)
    ]
    assert {o.date_precision for o in gallium.observations} == {"year"}
    assert "USGS estimate" in gallium.observations[-1].note
    assert "USGS estimate" not in gallium.observations[0].note
    (tungsten,) = parse_usgs_prices(USGS_DIR / "tungsten.json")
    assert (tungsten.unit, tungsten.form) == ("USD/mtu WO3", "tungsten_concentrate")
    assert [o.value for o in tungsten.observations] == [225, 275, 258, 252, 380]
    units = {s.key: s.unit for s in parse_usgs_prices(USGS_DIR / "nickel.json")}
    assert units == {"usgs-nickel-london-metal-exchange-usd-t": "USD/t",
                     "usgs-nickel-london-metal-exchange-usd-lb": "USD/lb"}  # fmt: skip
    assert {s.unit for s in parse_usgs_prices(USGS_DIR / "zinc.json")} == {"USC/lb"}


def test_cells():
    assert parse_cell("1,234") == (1234.0, False)
    assert parse_cell(">2,000,000") == (2_000_000.0, True)
    for sentinel in ("W", "NA", "E", "( )", "Small"):
        assert parse_cell(sentinel) == (None, False)
    with pytest.raises(ValueError):
        parse_cell("about 5")


def test_unknown_countries_are_all_listed(samples):
    with pytest.raises(IngestError) as err:
        parse_usgs_chapter(samples / "usgs_unknown_country.json")
    found = [(p.row, p.column, p.value) for p in err.value.problems]
    assert found == [
        (1, "world_production.country", "Atlantis"),
        (2, "world_production.country", "Narnia"),
    ]
    assert "usgs_unknown_country.json, row 1, column 'world_production.country'" in str(err.value)


def test_bad_cells_name_row_column_value(samples):
    with pytest.raises(IngestError) as err:
        parse_usgs_chapter(samples / "usgs_bad_cell.json")
    found = {(p.row, p.column, p.value) for p in err.value.problems}
    assert found == {
        (1, "world_production.production_prev_raw", "83900O"),
        (1, "salient_stats.raw_values.2023", "about 11400"),
    }


def test_load_usgs_is_idempotent(engine):
    with transaction(engine) as s:
        first = load_usgs(s)
    with transaction(engine) as s:
        second = load_usgs(s)
        n_stats = s.scalar(select(func.count()).select_from(ProductionStat))
        n_series = s.scalar(select(func.count()).select_from(PriceSeries))
        n_log = s.scalar(select(func.count()).select_from(ChangeLog))
        china = s.execute(
            select(ProductionStat.value, Dataset.code, ProductionStat.sources)
            .join(Dataset, Dataset.id == ProductionStat.dataset_id)
            .where(ProductionStat.mineral == "gallium", ProductionStat.country == "CHN",
                   ProductionStat.measure == "production", ProductionStat.year == 2024)
        ).one()  # fmt: skip
    assert first["production_stats"] == n_stats > 1500 and first["price_series"] == n_series == 31
    assert second == {"production_stats": 0, "price_series": 0}
    assert n_log == 31  # one "create" per series, nothing more on the second run
    assert china.value == 839_000.0 and china.code == "usgs-mcs2026-gallium"
    assert china.sources[0]["title"].startswith("U.S. Geological Survey, 2026, Gallium")


def test_loaded_stats_feed_the_shares_service(engine):
    from critmin.services.stats import production_shares

    with transaction(engine) as s:
        load_usgs(s)
        out = production_shares(session=s, mineral="tungsten", year=2024)
    assert out["world_total"] == 82_000.0 and out["shares"][0]["country"] == "CHN"
    assert out["shares"][0]["share"] == pytest.approx(67_000 / 82_000)


def test_withheld_and_not_available_are_stored_apart():
    antimony = parse_usgs_chapter(USGS_DIR / "antimony.json")
    withheld = _one(antimony, measure="production", country="USA", year=2025)
    missing = _one(antimony, measure="reserves", country="KAZ")
    assert (withheld.value, withheld.raw_value, withheld.value_status) == (None, "W", "withheld")
    assert (missing.value, missing.raw_value, missing.value_status) == (
        None, "NA", "not_available"
    )  # fmt: skip
    assert all(r.value_status is None for r in antimony if r.value is not None)


def test_import_shares_are_stored_as_their_period(tungsten):
    shares = [r for r in tungsten if r.measure.startswith("import_share:")]
    assert shares and {(r.year_start, r.year) for r in shares} == {(2021, 2024)}
    assert all("2021" in r.label for r in shares)
    salient = [r for r in tungsten if not r.measure.startswith("import_share:")]
    assert all(r.year_start is None for r in salient)


def test_value_status_and_period_are_stored(engine, tmp_path):
    import shutil

    from critmin.ingest.datasets import ensure_datasets

    for slug in ("antimony", "tungsten"):
        shutil.copy(USGS_DIR / f"{slug}.json", tmp_path / f"{slug}.json")
    with transaction(engine) as s:
        ensure_datasets(s)
        load_usgs(s, directory=tmp_path)
    with transaction(engine) as s:
        status = dict(s.execute(
            select(ProductionStat.raw_value, ProductionStat.value_status)
            .where(ProductionStat.value.is_(None)).distinct()
        ).all())  # fmt: skip
        periods = set(s.execute(
            select(ProductionStat.year_start, ProductionStat.year)
            .where(ProductionStat.measure.like("import_share:%"))
        ).all())  # fmt: skip
    assert status["W"] == "withheld" and status["NA"] == "not_available"
    assert periods == {(2021, 2024)}
