"""Curated measures and prices: validation, upsert by key, history, provenance."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
import yaml
from sqlalchemy import func, select

from critmin.ingest.curated import (
    MEASURES_FILE,
    PRICES_FILE,
    load_curated,
    parse_measures,
    parse_prices,
)
from critmin.ingest.errors import IngestError
from critmin.store.db import transaction
from critmin.store.tables import ChangeLog, Dataset, ExportMeasure, PriceObservation, PriceSeries


def test_bundled_measures_validate():
    measures = {m.key: m for m in parse_measures()}
    assert len(measures) == 14
    ga = measures["cn-2023-ga-ge-licensing"]
    assert (ga.imposing_country, ga.minerals, ga.measure_type) == (
        "CHN", ["gallium", "germanium"], "licensing")  # fmt: skip
    assert (ga.effective, ga.date_precision, ga.target_countries) == (
        dt.date(2023, 8, 1), "month", [])  # fmt: skip
    ban = measures["cn-2024-12-us-ban-ga-ge-sb-superhard"]
    assert ban.minerals == ["gallium", "germanium", "antimony"] and ban.target_countries == ["USA"]
    suspension = measures["cn-2025-11-us-gallium-ban-suspension"]
    assert suspension.relates_to == ban.key and suspension.expiry == dt.date(2026, 11, 1)


def test_bundled_prices_validate():
    series = {s.key: s for s in parse_prices()}
    assert len(series) == 4 and sum(len(s.observations) for s in series.values()) == 8
    rotterdam = series["ga-rotterdam-low-purity"]
    levels = [(o.date, o.value) for o in rotterdam.observations if o.kind == "level"]
    assert levels == [(dt.date(2025, 5, 1), 687.0)] and rotterdam.unit == "USD/kg"


def test_bad_measures_name_item_field_and_value(samples):
    with pytest.raises(IngestError) as err:
        parse_measures(samples / "measures_bad.yaml")
    found = {(p.row, p.column): p.value for p in err.value.problems}
    assert set(found) == {
        (2, "imposing_country"), (2, "minerals"), (2, "measure_type"), (2, "announced")
    }  # fmt: skip
    assert found[2, "imposing_country"] == "CN" and found[2, "measure_type"] == "embargo"
    assert "superhard materials" in found[2, "minerals"]
    assert "measures_bad.yaml, row 2, column 'imposing_country'" in str(err.value)


def test_bad_prices(samples, tmp_path):
    with pytest.raises(IngestError) as err:
        parse_prices(samples / "prices_bad.yaml")
    assert [(p.row, p.column, p.value) for p in err.value.problems] == [(1, "unit", "USD per kilo")]
    doc = yaml.safe_load(PRICES_FILE.read_text(encoding="utf-8"))
    doc["series"].append(doc["series"][0])  # a duplicate key: a file-level problem
    path = tmp_path / "prices.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(IngestError, match="duplicate keys: ga-rotterdam-low-purity"):
        parse_prices(path)


def _counts(s):
    return {
        model.__tablename__: s.scalar(select(func.count()).select_from(model))
        for model in (ExportMeasure, PriceSeries, PriceObservation, ChangeLog)
    }


def test_load_upsert_history_and_provenance(engine, tmp_path):
    with transaction(engine) as s:
        assert load_curated(s) == {"export_measures": 14, "price_series": 4, "claims": 2}
    with transaction(engine) as s:
        assert load_curated(s) == {"export_measures": 0, "price_series": 0, "claims": 0}
        assert _counts(s) == {"export_measures": 14, "price_series": 4,
                              "price_observations": 8, "change_log": 20}  # fmt: skip
        row = s.scalar(select(ExportMeasure).where(ExportMeasure.key == "cn-2023-ga-ge-licensing"))
        seed = s.scalar(select(Dataset).where(Dataset.id == row.dataset_id))
        assert (row.owner_org_id, row.sharing, row.version) == (None, "public", 1)
        assert seed.code == "seed-gallium-csis" and seed.sha256.startswith("4e5922bf")
        assert row.sources[0]["document"] == "seeds/000_4f26fd8f7d9613f3.txt"
        assert row.minerals == ["gallium", "germanium"] and row.effective == dt.date(2023, 8, 1)

    measures, prices = tmp_path / "measures.yaml", tmp_path / "prices.yaml"
    shutil.copy(PRICES_FILE, prices)
    doc = yaml.safe_load(MEASURES_FILE.read_text(encoding="utf-8"))
    doc["measures"][1]["title"] = "Changed title"
    measures.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with transaction(engine) as s:
        assert load_curated(s, measures=measures, prices=prices)["export_measures"] == 1
        row = s.scalar(select(ExportMeasure).where(ExportMeasure.key == doc["measures"][1]["key"]))
        log = s.scalars(
            select(ChangeLog).where(ChangeLog.record_id == row.id, ChangeLog.action == "update")
        ).one()
    assert row.version == 2 and log.changes["title"][1] == "Changed title"
    assert log.actor == "critmin bundled data" and log.source == "curated/measures.yaml"


def test_bad_file_leaves_database_unchanged(engine, samples):
    with transaction(engine) as s:
        load_curated(s)
        before = _counts(s)
    with pytest.raises(IngestError), transaction(engine) as s:
        load_curated(s, measures=samples / "measures_bad.yaml")
    with transaction(engine) as s:
        assert _counts(s) == before
