"""The capacity outlook from stored USGS tables and projects, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import critmin
from critmin.domain.projects import ProjectRecord
from critmin.domain.vocab import UnknownValue
from critmin.services import projects as project_service
from critmin.services.auth import LOCAL
from critmin.services.outlook import baseline_capacity, capacity_outlook, capacity_outlook_report
from critmin.services.stats import StatsNotFound
from critmin.store.db import transaction
from critmin.store.projects import upsert_project
from support import load_usgs_chapters

USGS = Path(critmin.__file__).parent / "data" / "reference" / "usgs-mcs2026"
GALLIUM_NON_CHINA_T = 10 + 10 + 100  # Japan, Russia, Other countries capacity 2025 (t)


def insert_usgs(session, slug: str) -> None:
    """Store a bundled USGS chapter with the real loader."""
    load_usgs_chapters(session, slug)


def add(session, key: str, **fields) -> None:
    record = {
        "key": key,
        "name": fields.pop("name", key),
        "mineral": "gallium",
        "stage": "extraction",
        "country": "CAN",
        "status": "feasibility",
        **fields,
    }
    upsert_project(session=session, record=ProjectRecord.model_validate(record), actor="test")


def certain(**extra):
    """Parameters under which a feasibility project surely completes without delay."""
    return {
        "completion_probability": {"feasibility": 1.0},
        "mean_delay_years": {"feasibility": 0},
        **extra,
    }


def test_gallium_baseline_from_usgs_capacity(engine):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        base = baseline_capacity(session=s, mineral="gallium")
    assert (base["measure"], base["year"], base["unit"], base["note"]) == (
        "capacity",
        2025,
        "kg",
        None,
    )
    assert base["china"] == pytest.approx(1600.0)
    assert base["non_china"] == pytest.approx(GALLIUM_NON_CHINA_T)
    assert base["world_row"] == pytest.approx(1700.0)


def test_certain_project_adds_40_tpa_from_2027(engine):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        add(s, "ca-new", capacity_tpa=40, start_year=2027)
        rows = capacity_outlook(
            session=s, caller=LOCAL, mineral="gallium", start=2025, end=2030, seed=1, draws=500,
            params=certain(),
        )
    assert [r["year"] for r in rows] == list(range(2025, 2031))
    for r in rows:
        want = GALLIUM_NON_CHINA_T + (40 if r["year"] >= 2027 else 0)
        assert r["expected"] == r["p10"] == r["p50"] == r["p90"] == pytest.approx(want)
        assert r["non_china_share"] == pytest.approx(want / (want + 1600.0))
        assert r["unit"] == "t/yr"


def test_impossible_and_operating_projects(engine):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        add(s, "dead", capacity_tpa=40, start_year=2027, status="cancelled")
        add(s, "old-plant", capacity_tpa=25, start_year=2010, status="operating")
        add(s, "new-plant", capacity_tpa=5, start_year=2027, status="operating")
        add(s, "no-size", status="construction")
        report = capacity_outlook_report(
            session=s, caller=LOCAL, mineral="gallium", start=2026, end=2028, draws=200
        )
    reasons = {x["key"]: x["reason"] for x in report["meta"]["skipped"]}
    assert "probability 0" in reasons["dead"]
    assert "assumed in the USGS 2025 baseline" in reasons["old-plant"]
    assert reasons["no-size"] == "no capacity given"
    assert [y["expected"] for y in report["years"]] == [120.0, 125.0, 125.0]


def test_seeded_reproducible_ordered_and_converging(engine):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        add(s, "pa", capacity_tpa=40, start_year=2027, status="construction")
        add(s, "pb", capacity_tpa=50, status="announced", financing={"needed_usd": 1e8})
        add(
            s,
            "pc",
            capacity_tpa=15,
            status="financed",
            country="KAZ",
            capacity_by_year=[
                {"year": 2026, "capacity_tpa": 5},
                {"year": 2028, "capacity_tpa": 15},
            ],
        )
        add(
            s,
            "pd",
            capacity_tpa=30,
            status="permitting",
            stage="recycling",
            country="USA",
            milestones=[{"name": "air permit", "state": "achieved"}],
        )
        kwargs = {"session": s, "caller": LOCAL, "mineral": "gallium", "start": 2026, "end": 2036}
        one = capacity_outlook(seed=5, draws=20_000, **kwargs)
        two = capacity_outlook(seed=5, draws=20_000, **kwargs)
        other = capacity_outlook(seed=6, draws=20_000, **kwargs)
    assert one == two and one != other
    for r in one:
        assert r["p10"] <= r["p50"] <= r["p90"]
        assert 0 < r["non_china_share"] < 1
        assert abs(r["expected"] - r["expected_analytic"]) <= 3 * r["std_error"] + 1e-6
    assert one[-1]["expected"] > one[0]["expected"] >= GALLIUM_NON_CHINA_T


def test_china_projects_refining_and_stage_choice(engine):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        add(s, "cn", capacity_tpa=100, start_year=2027, country="CHN")
        add(s, "refiner", capacity_tpa=20, start_year=2027, stage="refining", country="JPN")
        default = capacity_outlook(
            session=s, caller=LOCAL, mineral="gallium", start=2027, end=2027, draws=50,
            params=certain(),
        )[0]
        refining = capacity_outlook_report(
            session=s,
            caller=LOCAL,
            mineral="gallium",
            start=2027,
            end=2027,
            draws=50,
            params=certain(),
            stages=["refining"],
        )
        with pytest.raises(ValueError, match="unknown stage"):
            capacity_outlook(session=s, caller=LOCAL, mineral="gallium", start=2027, end=2027,
                             stages=["mining"])
    assert default["expected"] == pytest.approx(120.0)
    assert default["china_expected"] == pytest.approx(1700.0)
    assert default["non_china_share"] == pytest.approx(120 / 1820)
    assert refining["years"][0]["expected"] == pytest.approx(140.0)
    assert [p["key"] for p in refining["meta"]["projects"]] == ["refiner"]


def test_overlap_with_usgs_capacity_is_flagged(engine):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        add(s, "jp-expansion", capacity_tpa=10, start_year=2027, country="JPN")
        add(
            s,
            "de-restart",
            capacity_tpa=40,
            start_year=2027,
            country="DEU",
            name="Stade refinery gallium production restart",
        )
        add(s, "ca-greenfield", capacity_tpa=7, start_year=2027, country="CAN")
        add(s, "us-new", capacity_tpa=5, start_year=2027, country="USA")
        add(s, "us-scrap", capacity_tpa=5, start_year=2027, country="USA", stage="recycling")
        report = capacity_outlook_report(
            session=s, caller=LOCAL, mineral="gallium", start=2027, end=2027, draws=50,
            params=certain(),
        )
        everything = capacity_outlook_report(
            session=s, caller=LOCAL, mineral="gallium", start=2027, end=2027, draws=50,
            params=certain(), include_restarts=True,
        )  # fmt: skip
    flags = {p["key"]: p["overlap"] for p in report["meta"]["projects"]}
    assert "already has USGS capacity" in flags["jp-expansion"]
    assert "Other countries" in flags["de-restart"]
    assert flags["us-new"] is None and flags["us-scrap"] is None
    assert flags["ca-greenfield"] is None
    counted = {p["key"]: p["counted"] for p in report["meta"]["projects"]}
    assert counted == {"jp-expansion": True, "de-restart": False, "ca-greenfield": True,
                       "us-new": True, "us-scrap": True}  # fmt: skip
    # the restart USGS already counts under "Other countries" stays out of the totals by
    # default and is reported on its own; the Japanese expansion counts, flagged
    year = report["years"][0]
    assert year["expected"] == pytest.approx(120 + 67 - 40)
    assert year["restarts_left_out"] == pytest.approx(40.0)
    assert year["possible_double_count"] == pytest.approx(10.0)
    assert any("left out of the totals" in n and "Stade" in n for n in report["meta"]["notes"])
    year = everything["years"][0]
    assert year["possible_double_count"] == pytest.approx(50.0)
    assert year["expected"] == pytest.approx(120 + 67)
    assert year["restarts_left_out"] == pytest.approx(0.0)


def test_schedules_without_dates_and_overdue(engine):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        add(s, "undated", capacity_tpa=10, status="permitting")
        add(s, "overdue", capacity_tpa=10, start_year=2022, status="construction")
        report = capacity_outlook_report(
            session=s, caller=LOCAL, mineral="gallium", start=2025, end=2030, draws=20
        )
    by_key = {p["key"]: p for p in report["meta"]["projects"]}
    assert report["meta"]["as_of"] == 2026
    assert by_key["undated"]["nominal_first_year"] == 2026 + 3
    assert by_key["overdue"]["nominal_first_year"] == 2026
    assert by_key["overdue"]["rescheduled_years"] == 4


def test_tungsten_uses_production_as_proxy(engine):
    with transaction(engine) as s:
        insert_usgs(s, "tungsten")
        report = capacity_outlook_report(
            session=s, caller=LOCAL, mineral="tungsten", start=2026, end=2027, draws=10
        )
    base = report["meta"]["baseline"]
    assert (base["measure"], base["year"]) == ("production", 2025)
    assert base["china"] == pytest.approx(67_000.0)
    assert "no capacity for tungsten" in report["meta"]["notes"][0]
    # no tungsten project can add capacity: no Monte Carlo over 0 projects, no flat line
    assert report["years"] == []
    assert report["meta"]["no_outlook"].startswith("No outlook can be made for tungsten")


def test_no_outlook_names_why(engine):
    with transaction(engine) as s:
        insert_usgs(s, "tungsten")
        add(s, "w-mine", mineral="tungsten", capacity_tpa=None)
        add(s, "w-dead", mineral="tungsten", capacity_tpa=100, status="cancelled")
        add(s, "w-plant", mineral="tungsten", capacity_tpa=100, stage="refining")
        report = capacity_outlook_report(
            session=s, caller=LOCAL, mineral="tungsten", start=2026, end=2030, draws=10
        )
    why = report["meta"]["no_outlook"]
    assert report["years"] == [] and "none of the 2 tungsten projects" in why
    assert "1 × no capacity given" in why and "completion probability 0" in why
    assert "stages extraction, recycling" in why


def test_errors(engine):
    with transaction(engine) as s:
        with pytest.raises(StatsNotFound, match="no capacity or production data for gallium"):
            capacity_outlook(session=s, caller=LOCAL, mineral="gallium", start=2026, end=2030)
        with pytest.raises(UnknownValue, match="unknown mineral 'mithril'.*gallium, germanium"):
            capacity_outlook(session=s, caller=LOCAL, mineral="mithril", start=2026, end=2030)
        insert_usgs(s, "gallium")
        with pytest.raises(ValueError, match="start <= end"):
            capacity_outlook(session=s, caller=LOCAL, mineral="gallium", start=2030, end=2026)


def test_curated_gallium_pipeline(engine, curated_projects_path):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        project_service.import_file(session=s, path=curated_projects_path, actor="test")
        report = capacity_outlook_report(
            session=s, caller=LOCAL, mineral="gallium", start=2026, end=2035, draws=5_000, seed=0
        )
    assert report["meta"]["projects"], "curated projects with a capacity enter the outlook"
    assert any("no capacity" in x["reason"] for x in report["meta"]["skipped"])
    years = report["years"]
    assert years[-1]["expected"] > years[0]["expected"] >= GALLIUM_NON_CHINA_T
    assert all(r["p10"] <= r["p50"] <= r["p90"] for r in years)
    json.dumps(report)
