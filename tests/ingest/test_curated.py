"""Curated measures and prices: validation, upsert by key, history, provenance."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from sqlalchemy import func, select

from critmin.domain.measures import MeasureRecord
from critmin.ingest.curated import (
    MEASURES_FILE,
    PRICES_FILE,
    load_curated,
    parse_claims,
    parse_measures,
    parse_prices,
)
from critmin.ingest.errors import IngestError
from critmin.store.db import transaction
from critmin.store.tables import (
    ChangeLog,
    Claim,
    Dataset,
    ExportMeasure,
    PriceObservation,
    PriceSeries,
)


def test_bundled_measures_validate():
    measures = {m.key: m for m in parse_measures()}
    assert len(measures) == 18  # 15 export/trade measures and 3 scrap-trade measures
    ga = measures["cn-2023-ga-ge-licensing"]
    assert (ga.imposing_country, ga.minerals, ga.measure_type) == (
        "CHN", ["gallium", "germanium"], "licensing")  # fmt: skip
    assert (ga.announced, ga.effective, ga.date_precision, ga.target_countries) == (
        dt.date(2023, 7, 3), dt.date(2023, 8, 1), "day", [])  # fmt: skip
    assert ga.effective_precision == "day" and not ga.effective_derived
    assert {i.code for i in ga.items if i.kind == "hs"} == {"811292", "8112929010"}
    ban = measures["cn-2024-12-us-ban-ga-ge-sb-superhard"]
    assert ban.minerals == ["gallium", "germanium", "antimony"] and ban.target_countries == ["USA"]
    suspension = measures["cn-2025-11-us-gallium-ban-suspension"]
    assert suspension.relates_to == ban.key and suspension.expiry == dt.date(2026, 11, 27)


def test_original_titles_are_quoted_by_their_sources():
    measures = {m.key: m for m in parse_measures()}
    originals = {k: m.title_original for k, m in measures.items() if m.title_original}
    assert originals == {
        "cn-2020-export-control-law": "出口管制法",
        "cn-2021-solid-waste-import-ban": "关于全面禁止进口固体废物有关事项的公告",
        "cn-2020-recycled-copper-aluminium-standards":
            "关于规范再生黄铜原料、再生铜原料和再生铸造铝合金原料进口管理有关事项的公告",
        "cn-2024-recycled-copper-aluminium-standards":
            "关于规范再生铜及铜合金原料、再生铝及铝合金原料进口管理有关事项的公告",
    }
    # the English title no longer carries the original in brackets
    assert all(t not in measures[k].title for k, t in originals.items())
    law = measures["cn-2020-export-control-law"].model_dump()
    law["title_original"] = "中华人民共和国出口管制法"  # true, but no cited source says so
    with pytest.raises(ValueError, match="not quoted by any of the sources"):
        MeasureRecord.model_validate(law)


def test_bundled_prices_validate():
    series = {s.key: s for s in parse_prices()}
    assert len(series) == 4 and sum(len(s.observations) for s in series.values()) == 8
    rotterdam = series["ga-rotterdam-low-purity"]
    levels = [(o.date, o.value) for o in rotterdam.observations if o.kind == "level"]
    assert levels == [(dt.date(2025, 5, 1), 687.0)] and rotterdam.unit == "USD/kg"
    # the brief's figures as what they are: bounds, a ratio, windows (not USD/kg levels)
    stated = {(o.kind, o.value): (o.qualifier, o.window, o.relative_to)
              for o in rotterdam.observations}  # fmt: skip
    assert stated == {
        ("change_pct", 43.0): ("lower_bound", "2023-07/P1M", None),
        ("ratio_to_series", 2.0): ("approximate", None, "ga-china-domestic"),
        ("level", 687.0): ("exact", None, None),
        ("change_pct", 150.0): ("lower_bound", "2023-07/2025-05", None),
    }


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
        assert load_curated(s) == {"export_measures": 18, "price_series": 4, "claims": 2}
    with transaction(engine) as s:
        assert load_curated(s) == {"export_measures": 0, "price_series": 0, "claims": 0}
        assert _counts(s) == {"export_measures": 18, "price_series": 4,
                              "price_observations": 8, "change_log": 24}  # fmt: skip
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


# ---------------------------------------------------------------- sources and wording

REPO = Path(__file__).resolve().parents[2]
CURATED = MEASURES_FILE.parent
USGS_DIR = CURATED.parent / "reference" / "usgs-mcs2026"
# what users read must not carry the curators' working notes (those go in curation_note)
CURATOR_WORDING = re.compile(
    r"\bseed\b|judgement|placeholder|left null|\(form|precision|stored as|[\u4e00-\u9fff]", re.I
)


def seeds_dir() -> Path | None:
    """The seed documents, if this checkout has them beside it (they are not bundled)."""
    candidates = [os.environ.get("CRITMIN_SEEDS_DIR"), REPO.parent.parent / "shared" / "seeds",
                  REPO.parent / "shared" / "seeds"]  # fmt: skip
    found = (Path(c) for c in candidates if c and Path(c, "000_4f26fd8f7d9613f3.txt").is_file())
    return next(found, None)


def curated_docs() -> dict[str, list[dict]]:
    docs = {}
    for name, top in (("measures", "measures"), ("prices", "series"), ("projects", "projects"),
                      ("claims", "claims")):  # fmt: skip
        docs[name] = yaml.safe_load((CURATED / f"{name}.yaml").read_text(encoding="utf-8"))[top]
    return docs


def citations() -> list[tuple[str, dict]]:
    found = []
    for name, items in curated_docs().items():
        for item in items:
            refs = list(item.get("sources") or [])
            refs += [r for o in item.get("observations") or [] for r in o.get("sources") or []]
            found += [(f"{name}:{item['key']}", r) for r in refs]
    return found


def test_every_usgs_quote_is_verbatim():
    texts: dict[str, str] = {}
    checked = 0
    for where, ref in citations():
        if not ref["document"].startswith("usgs-mcs2026/"):
            continue
        path = USGS_DIR / ref["document"].split("/", 1)[1]
        text = texts.setdefault(path.name, json.dumps(json.loads(path.read_text()),
                                                      ensure_ascii=False))  # fmt: skip
        assert ref["quote"] and ref["quote"] in text, (where, ref["quote"])
        checked += 1
    assert checked >= 20


def test_every_seed_quote_is_verbatim():
    folder = seeds_dir()
    if folder is None:
        pytest.skip("the seed documents are not beside this checkout (set CRITMIN_SEEDS_DIR)")
    texts = {p.name: p.read_text(encoding="utf-8") for p in folder.glob("*.txt")}
    checked = 0
    for where, ref in citations():
        if ref["document"].startswith("seeds/"):
            text = texts[ref["document"].split("/", 1)[1]]
            assert ref["quote"] and ref["quote"] in text, (where, ref["quote"])
            checked += 1
    assert checked >= 60


def test_what_users_read_carries_no_curator_notes():
    def fields(item: dict, names: tuple[str, ...]) -> list[tuple[str, str]]:
        return [(n, item[n]) for n in names if isinstance(item.get(n), str)]

    docs = curated_docs()
    shown: list[tuple[str, str, str]] = []
    for p in docs["projects"]:
        for n, v in fields(p, ("name", "notes", "feed_note", "site", "operator")):
            shown.append((p["key"], n, v))
        shown += [(p["key"], "history.note", h["note"]) for h in p["history"] if h.get("note")]
        shown += [(p["key"], "milestones.name", m["name"]) for m in p["milestones"]]
    for m in docs["measures"]:
        shown += [(m["key"], n, v) for n, v in fields(m, ("description", "legal_basis"))]
    for s in docs["prices"]:
        shown += [(s["key"], "description", s["description"])]
        shown += [(s["key"], "note", o["note"]) for o in s["observations"] if o.get("note")]
    for c in docs["claims"]:
        shown.append((c["key"], "statement", c["statement"]))
    bad = [(k, n, CURATOR_WORDING.search(v).group(0)) for k, n, v in shown
           if CURATOR_WORDING.search(v)]  # fmt: skip
    assert not bad, bad
    noted = [p for p in docs["projects"] if p.get("curation_note")]
    assert len(noted) >= 20 and all(m.get("curation_note") for m in docs["measures"])


def test_source_documents_are_cited_by_title():
    for where, ref in citations():
        title = ref.get("title") or ""
        assert title and "seeds/" not in title and ".txt" not in title, where


def test_data_corrections():
    measures = {m.key: m for m in parse_measures()}
    enforcement = measures["cn-2025-05-anti-smuggling-enforcement"]
    assert set(enforcement.minerals) >= {"gallium", "germanium", "antimony", "tungsten", "indium",
                                         "rare-earths"}  # fmt: skip
    tariff = measures["us-2024-section-301-tungsten-tariffs"]
    assert (tariff.effective, tariff.date_precision) == (dt.date(2024, 12, 31), "year")
    suspension = measures["cn-2025-11-us-gallium-ban-suspension"]
    ban = measures["cn-2024-12-us-ban-ga-ge-sb-superhard"]
    # the ministry's own dates (press reports of 9 November 2025) replace a derived month
    assert (suspension.effective, suspension.expiry, suspension.date_precision) == (
        dt.date(2025, 11, 9), dt.date(2026, 11, 27), "day")  # fmt: skip
    assert not suspension.expiry_derived and set(suspension.minerals) == set(ban.minerals)
    replaced = measures["cn-2020-recycled-copper-aluminium-standards"]  # repealed by its successor
    assert replaced.expiry_derived and replaced.expiry == dt.date(2024, 11, 14)
    assert not any(
        m.expiry_derived for k, m in measures.items() if k not in (suspension.key, replaced.key)
    )
    claims = {c.key: c for c in parse_claims()}
    doe = claims["us-doe-cmi-2024-extraction-rd-funding"]
    assert [(f.value, f.unit, f.bound) for f in doe.figures] == [(10_000_000, "USD", "upper")]
    assert (doe.date, doe.date_precision) == (dt.date(2024, 1, 1), "year")
    assert "1000万美元" in doe.sources[0].quote and "关键材料创新中心" in doe.sources[0].quote
    potential = claims["gallium-brief-non-china-capacity-potential"]
    assert [(f.value, f.unit, f.bound) for f in potential.figures] == [
        (170, "t", "upper"), (0.24, "fraction", "approximate")
    ]  # fmt: skip
    assert "170吨" in potential.sources[0].quote and "24%" in potential.sources[0].quote
    projects = {p["key"]: p for p in curated_docs()["projects"]}
    chalco = projects["chalco-gallium-recovery-aluminium-residues"]
    assert chalco["name"].startswith("Aluminum Corporation of China")
    assert chalco["name_original"] == "中铝集团"
    assert projects["ganzhou-tungsten-industrial-park"]["name_original"] == "江西贛州鎢產業園"


def test_claims_load_with_provenance(engine):
    with transaction(engine) as s:
        load_curated(s)
        rows = {c.key: c for c in s.scalars(select(Claim))}
        seed = s.scalar(select(Dataset).where(Dataset.code == "seed-gallium-csis"))
    assert set(rows) == {"us-doe-cmi-2024-extraction-rd-funding",
                         "gallium-brief-non-china-capacity-potential"}  # fmt: skip
    claim = rows["gallium-brief-non-china-capacity-potential"]
    assert claim.dataset_id == seed.id and claim.figures[0]["value"] == 170
    assert claim.sources[0]["document"] == "seeds/000_4f26fd8f7d9613f3.txt"
