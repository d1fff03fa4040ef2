"""load_reference: counts, idempotence, all-or-nothing, registry and countries."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import func, select

from critmin.ingest.datasets import DATA_DIR, DATASETS, ensure_datasets, verify_files
from critmin.ingest.errors import IngestError
from critmin.ingest.reference import TABLES, load_reference, table_counts
from critmin.store.db import transaction
from critmin.store.tables import ChangeLog, Country, CountryAlias, Dataset, ProductionStat

EXPECTED = {
    "datasets": 23,  # 16 USGS chapters, WGI, BACI, HS, BEA, FX rates, two seed documents
    "minerals": 16,
    "mineral_forms": 12,
    "countries": 255,  # pycountry (249) + XKX, ANT, SCG, CSK, DDR, SUN
    "hs_codes": 6_940 + 5_022,
    "governance_indicators": 32_100,
    "trade_flows": 427_945,
    "price_series": 31 + 4,  # USGS quotes + curated (annual USGS averages only from USGS)
    "price_observations": 31 * 5 + 8,
    "export_measures": 18,  # 15 export and trade measures, 3 scrap-trade measures
    "fx_rates": 16,  # Federal Reserve CNY per USD: 11 annual averages, 5 monthly
}


def test_counts_after_load(reference_db):
    _, counts, _ = reference_db
    assert {k: counts[k] for k in EXPECTED} == EXPECTED
    assert counts["production_stats"] > 1_500 and counts["country_aliases"] > 450


def _snapshot(session):
    out = {}
    for name, model in TABLES.items():
        key = model.__table__.primary_key.columns.values()[0]
        out[name] = (session.scalar(select(func.count()).select_from(model)),
                     session.scalar(select(func.max(key))))  # fmt: skip
    out["change_log"] = session.scalar(select(func.count()).select_from(ChangeLog))
    out["datasets_updated"] = session.scalar(select(func.max(Dataset.updated_at)))
    return out


def test_second_load_changes_nothing(reference_engine):
    with transaction(reference_engine) as s:
        before = _snapshot(s)
    with transaction(reference_engine) as s:
        counts = load_reference(s)
    with transaction(reference_engine) as s:
        after = _snapshot(s)
    assert after == before
    assert counts == {name: v[0] for name, v in before.items() if name in TABLES}


def test_bad_curated_file_rolls_everything_back(engine, tmp_path, samples):
    curated = tmp_path / "curated"
    curated.mkdir()
    shutil.copy(samples / "measures_bad.yaml", curated / "measures.yaml")
    shutil.copy(DATA_DIR / "curated" / "prices.yaml", curated / "prices.yaml")
    with transaction(engine) as s:
        before = table_counts(s)
    with pytest.raises(IngestError) as err, transaction(engine) as s:
        load_reference(s, include_trade=False, curated_dir=curated)
    assert err.value.problems[0].file.endswith("measures.yaml")
    with transaction(engine) as s:
        assert table_counts(s) == before
        assert before["production_stats"] == 0 and before["datasets"] == 0


def test_tampered_reference_file_is_refused(tmp_path):
    data = tmp_path / "data"
    (data / "reference").mkdir(parents=True)
    for sub in ("usgs-mcs2026", "wgi", "baci", "fx"):
        (data / "reference" / sub).symlink_to(DATA_DIR / "reference" / sub)
    shutil.copytree(DATA_DIR / "reference" / "hs", data / "reference" / "hs")
    path = data / "reference" / "hs" / "harmonized-system-2022.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("Tungsten", "Tungstn"))
    verify_files()  # the bundled files are intact
    with pytest.raises(IngestError) as err:
        verify_files(data_dir=data)
    (problem,) = err.value.problems
    assert problem.file == "reference/hs/harmonized-system-2022.csv"
    assert problem.column == "(sha256)" and "e77ee9e1" in problem.expected


def test_registry_has_every_source(engine):
    codes = {d.code for d in DATASETS}
    assert {
        "wgi-2024", "baci-hs92", "hs-2022", "bea-io-2017", "seed-gallium-csis",
        "seed-tungsten-232", "usgs-mcs2026-gallium", "usgs-mcs2026-tungsten",
    } <= codes  # fmt: skip
    assert len([c for c in codes if c.startswith("usgs-mcs2026-")]) == 16
    with transaction(engine) as s:
        first = ensure_datasets(s)
    with transaction(engine) as s:
        assert ensure_datasets(s) == first
        wgi = s.scalar(select(Dataset).where(Dataset.code == "wgi-2024"))
    assert wgi.licence == "CC BY 4.0" and wgi.sha256.startswith("2eda616b")


def test_countries_and_aliases(reference_engine):
    with transaction(reference_engine) as s:
        alias = {(a.scheme, a.alias): a.iso3 for a in s.scalars(select(CountryAlias))}
        names = {c.iso3: c.name for c in s.scalars(select(Country))}
        other = s.scalars(
            select(ProductionStat.country_label).where(
                ProductionStat.mineral == "gallium", ProductionStat.country.is_(None)
            )
        ).all()
    assert alias["baci", "490"] == "TWN" and alias["baci", "58"] == "BEL"
    assert alias["baci", "842"] == "USA" and ("baci", "711") not in alias
    assert alias["worldbank", "ROM"] == "ROU" and alias["worldbank", "ZAR"] == "COD"
    assert alias["name", "Burma"] == "MMR" and alias["name", "Korea, North"] == "PRK"
    assert names["CHN"] == "China" and names["XKX"] == "Kosovo" and "SUN" in names
    assert set(other) == {"world", "other"}
