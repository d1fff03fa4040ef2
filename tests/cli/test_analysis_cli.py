"""``critmin stats share`` and ``critmin outlook`` in-process against a migrated SQLite file."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import critmin
from critmin.cli.main import app
from critmin.domain.projects import ProjectRecord
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade
from critmin.store.projects import upsert_project
from support import load_usgs_chapters

runner = CliRunner()
USGS = Path(critmin.__file__).parent / "data" / "reference" / "usgs-mcs2026"


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def insert_usgs(session, slug: str) -> None:
    """Store a bundled USGS chapter with the real loader."""
    load_usgs_chapters(session, slug)


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'critmin.db'}"
    upgrade(url)
    engine = make_engine(url)
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        insert_usgs(s, "tungsten")
        record = ProjectRecord(
            key="ca-gallium",
            name="Canadian gallium",
            mineral="gallium",
            stage="extraction",
            country="CAN",
            status="construction",
            capacity_tpa=40,
            start_year=2027,
        )
        upsert_project(session=s, record=record, actor="test")
    engine.dispose()
    return url


def test_help_lists_the_commands():
    out = invoke("--help").output
    assert "stats" in out and "outlook" in out


def test_share_json(db):
    result = invoke(
        "stats", "share", "--mineral", "gallium", "--year", "2024", "--format", "json", "--db", db
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"mineral", "year", "hhi", "shares"} <= data.keys()
    assert (data["mineral"], data["year"]) == ("gallium", 2024)
    assert data["shares"][0]["country"] == "CHN"
    assert data["shares"][0]["share"] == pytest.approx(839_000 / 848_000)
    w = 848_000
    assert data["hhi"] == pytest.approx((839_000 / w) ** 2 + (3_000 / w) ** 2 + (6_000 / w) ** 2)


def test_share_table_csv_and_measure(db):
    table = invoke("stats", "share", "--mineral", "gallium", "--year", "2024", "--db", db)
    assert table.exit_code == 0 and "China" in table.stdout and "98.94 %" in table.stdout
    result = invoke(
        "stats", "share", "--mineral", "gallium", "--measure", "capacity", "-f", "csv", "--db", db
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["country"] == "CHN"
    # rows sum to 1,720,000 > the rounded world row 1,700,000, so their sum is the total
    assert float(rows[0]["share"]) == pytest.approx(1_600_000 / 1_720_000)
    assert rows[-1]["name"] == "Other countries"


@pytest.mark.parametrize(
    "args,needle",
    [
        (("--mineral", "gallium", "--year", "2019"), "years available: 2024, 2025"),
        (("--mineral", "germanium"), "no production data for germanium"),
    ],
)
def test_share_errors_are_one_line(db, args, needle):
    result = invoke("stats", "share", *args, "--db", db)
    assert result.exit_code == 1
    assert needle in result.stderr and "Traceback" not in result.output
    assert len(result.stderr.strip().splitlines()) == 1


def test_share_unknown_mineral_or_measure_is_a_usage_error(db):
    mineral = invoke("stats", "share", "--mineral", "unobtainium", "--year", "2024", "--db", db)
    assert mineral.exit_code == 2 and "unknown mineral 'unobtainium'" in mineral.stderr
    assert "gallium, germanium, tungsten" in mineral.stderr and "Traceback" not in mineral.output
    measure = invoke("stats", "share", "--mineral", "gallium", "--measure", "output", "--db", db)
    assert measure.exit_code == 2 and "unknown measure 'output'" in measure.stderr
    assert "production, capacity, reserves" in measure.stderr


def test_outlook_json_is_a_list_and_reproducible(db):
    args = (
        "outlook",
        "--mineral",
        "gallium",
        "--from",
        "2026",
        "--to",
        "2032",
        "--seed",
        "3",
        "--draws",
        "2000",
        "--format",
        "json",
        "--db",
        db,
    )
    first, second = invoke(*args), invoke(*args)
    assert first.exit_code == 0, first.output
    rows = json.loads(first.stdout)
    assert rows == json.loads(second.stdout)
    assert [r["year"] for r in rows] == list(range(2026, 2033))
    for r in rows:
        assert set(r) == {"year", "expected", "p10", "p50", "p90", "non_china_share"}
        assert r["p10"] <= r["p50"] <= r["p90"]
    assert rows[0]["expected"] == pytest.approx(120.0)


def test_outlook_params_file_table_and_details(db, tmp_path):
    params = tmp_path / "certain.yaml"
    params.write_text(
        "completion_probability: {construction: 1.0}\nmean_delay_years: {construction: 0}\n"
    )
    result = invoke(
        "outlook",
        "--mineral",
        "gallium",
        "--from",
        "2026",
        "--to",
        "2028",
        "--seed",
        "1",
        "--draws",
        "100",
        "--params",
        str(params),
        "-f",
        "json",
        "--db",
        db,
    )
    rows = json.loads(result.stdout)
    assert [r["expected"] for r in rows] == [120.0, 160.0, 160.0]
    assert all(r["p10"] == r["p90"] for r in rows)
    table = invoke(
        "outlook",
        "--mineral",
        "gallium",
        "--from",
        "2026",
        "--to",
        "2027",
        "--draws",
        "100",
        "--db",
        db,
    )
    assert table.exit_code == 0 and "2027" in table.stdout and "%" in table.stdout
    details = json.loads(
        invoke(
            "outlook",
            "--mineral",
            "tungsten",
            "--from",
            "2026",
            "--to",
            "2027",
            "--draws",
            "10",
            "--details",
            "--db",
            db,
        ).stdout
    )
    assert details["meta"]["baseline"]["measure"] == "production"
    assert details["years"] == [] and "no tungsten projects" in details["meta"]["no_outlook"]


@pytest.mark.parametrize(
    "content,needle",
    [
        ("completion_probabilty: {}\n", "unknown parameter 'completion_probabilty'"),
        ("completion_probability: {announced: 2}\n", "completion_probability"),
        ("completion_probability: [unclosed\n", "cannot read parameters"),
    ],
)
def test_outlook_bad_params_file(db, tmp_path, content, needle):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    result = invoke(
        "outlook",
        "--mineral",
        "gallium",
        "--from",
        "2026",
        "--to",
        "2030",
        "--params",
        str(path),
        "--db",
        db,
    )
    assert result.exit_code == 1 and needle in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize(
    "args,needle,code",
    [
        (("--mineral", "mithril", "--from", "2026", "--to", "2030"), "unknown mineral", 2),
        (("--mineral", "germanium", "--from", "2026", "--to", "2030"), "no capacity or production",
         1),
        (("--mineral", "gallium", "--from", "2030", "--to", "2026"), "start <= end", 1),
        (
            ("--mineral", "gallium", "--from", "2026", "--to", "2030", "--stage", "mining"),
            "'mining' is not one of 'extraction', 'refining', 'purification', 'recycling'",
            2,
        ),
    ],
)  # fmt: skip
def test_outlook_errors(db, args, needle, code):
    result = invoke("outlook", *args, "--db", db)
    assert result.exit_code == code and needle in result.stderr
    assert "Traceback" not in result.output


def test_unmigrated_database_is_a_one_line_error(tmp_path):
    result = invoke(
        "stats", "share", "--mineral", "gallium", "--db", f"sqlite:///{tmp_path / 'empty.db'}"
    )
    assert result.exit_code == 1 and "database error" in result.stderr
