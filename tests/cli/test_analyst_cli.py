"""What an analyst meets at the command line: filters, labels, tables, notes, help, start-up.

In-process through Typer's runner against real SQLite files (the bundled data), plus
subprocesses for what only a fresh interpreter shows (start-up imports).
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()
CHALCO = "chalco-gallium-recovery-aluminium-residues"


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False, env={"COLUMNS": "200"})


def rows_of(*args: str) -> list[dict]:
    result = invoke(*args, "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


@pytest.mark.parametrize(
    "args,needles",
    [
        (("projects", "list", "--mineral", "gallum"),
         ["unknown mineral 'gallum'", "did you mean 'gallium'", "gallium, germanium, tungsten"]),
        (("projects", "list", "--country", "Atlantis"),
         ["unknown country 'Atlantis'", "ISO 3166-1 alpha-3"]),
        (("projects", "list", "--country", "Korea"),
         ["ambiguous", "KOR (South Korea)", "PRK (North Korea)"]),
        (("export", "projects", "--mineral", "tungstn"), ["did you mean 'tungsten'"]),
        (("stats", "share", "--mineral", "gallum"), ["unknown mineral 'gallum'"]),
        (("outlook", "--mineral", "gallum", "--from", "2026", "--to", "2030"),
         ["unknown mineral 'gallum'"]),
    ],
)  # fmt: skip
def test_unknown_filter_values_stop_with_the_known_values(bundled_db_url, args, needles):
    result = invoke(*args, "--db", bundled_db_url)
    assert result.exit_code == 2, result.output
    for needle in needles:
        assert needle in result.stderr
    assert "0 projects" not in result.output and "Traceback" not in result.output


def test_country_names_and_aliases_filter_like_codes(bundled_db_url):
    db = ("--db", bundled_db_url)
    by_code = rows_of("projects", "list", "--country", "CAN", *db)
    assert by_code and {r["country"] for r in by_code} == {"CAN"}
    for name in ("Canada", "canada"):
        assert rows_of("projects", "list", "--country", name, *db) == by_code
    korea = rows_of("projects", "list", "--country", "Korea, Rep.", *db)
    assert korea and {r["country"] for r in korea} == {"KOR"}
    assert rows_of("projects", "list", "--mineral", "Gallium", *db) == rows_of(
        "projects", "list", "--mineral", "gallium", *db
    )


def test_tables_show_labels_and_units_json_keeps_codes(bundled_db_url):
    table = invoke("projects", "list", "--mineral", "gallium", "--db", bundled_db_url).stdout
    assert "Extraction" in table and "Feasibility" in table and "40 t/yr" in table
    cells = {c.strip() for line in table.splitlines() for c in line.split("│")}
    assert {"Gallium", "Extraction", "Feasibility", "Canada"} <= cells
    assert not cells & {"gallium", "extraction", "feasibility", "CAN"}
    row = next(r for r in rows_of("projects", "list", "--db", bundled_db_url)
               if r["key"] == "rio-tinto-saguenay-gallium")  # fmt: skip
    assert (row["stage"], row["stage_label"]) == ("extraction", "Extraction")
    assert row["form"] == "low_purity_gallium"
    assert row["form_label"] == "Low-purity (primary) gallium"
    assert (row["country"], row["country_label"]) == ("CAN", "Canada")


def test_show_table_is_readable_not_json(bundled_db_url):
    result = invoke("projects", "show", CHALCO, "--format", "table", "--db", bundled_db_url)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Aluminum Corporation of China (Chalco)" in out and "中铝集团" in out
    assert "Low-purity (primary) gallium" in out and "Bayer liquor (alumina refining)" in out
    assert "China (CHN)" in out and "Sources" in out and "Change log" in out
    assert "CSIS brief on China's gallium export controls" in out
    for raw in ('{"', '"document"', "low_purity_gallium", "bayer_liquor", "seeds/", "[]"):
        assert raw not in out, raw


def test_curation_notes_only_on_request(bundled_db_url):
    db = ("--db", bundled_db_url)
    plain = json.loads(invoke("projects", "show", CHALCO, *db).stdout)
    assert "curation_note" not in plain
    assert "judgement" not in json.dumps(plain) and "Seed" not in plain["notes"]
    noted = json.loads(invoke("projects", "show", CHALCO, "--with-curation-notes", *db).stdout)
    assert "judgement" in noted["curation_note"]
    table = invoke("projects", "list", "--mineral", "gallium", "--with-curation-notes", *db)
    assert "Curation note" in table.stdout and "judgement" in table.stdout
    assert "Curation note" not in invoke("projects", "list", "--mineral", "gallium", *db).stdout


@pytest.mark.parametrize(
    "command",
    [("--help",), ("init", "--help"), ("outlook", "--help"), ("projects", "list", "--help"),
     ("projects", "show", "--help"), ("import", "projects", "--help"), ("serve", "--help")],
)  # fmt: skip
def test_help_shows_flags_not_placeholders(command):
    out = invoke(*command).stdout
    assert "<bool>" not in out and "--help" in out
    if command[0] == "outlook":
        assert "--include-restarts  " in out or "--include-restarts\n" in out
        assert "--details  " in out


def test_start_up_imports_no_heavy_library():
    code = (
        "import sys; import critmin.cli.main; "
        "print(sorted(m for m in ('sqlalchemy', 'pandas', 'numpy', 'fastapi', 'plotly', "
        "'alembic', 'pydantic', 'rich') if m in sys.modules))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    ).stdout.strip()
    assert loaded == "[]"


def test_names_sort_case_insensitively(tmp_path):
    url = f"sqlite:///{tmp_path / 'names.db'}"
    assert invoke("init", "--no-data", "--db", url).exit_code == 0
    names = ["beta plant", "Alpha plant", "gamma plant", "Delta plant", "alpha works"]
    doc = {"schema_version": "1.0", "projects": [
        {"key": f"p-{i}", "name": n, "mineral": "gallium", "stage": "extraction",
         "country": "CAN", "status": "announced"} for i, n in enumerate(names)
    ]}  # fmt: skip
    path = tmp_path / "names.json"
    path.write_text(json.dumps(doc))
    assert invoke("import", "projects", str(path), "--db", url).exit_code == 0
    listed = [r["name"] for r in rows_of("projects", "list", "--db", url)]
    assert listed == sorted(names, key=str.casefold)


def test_name_original_in_the_exchange_format_and_old_files_still_import(bundled_db_url, tmp_path):
    schema = json.loads(invoke("schema", "project").stdout)
    assert "name_original" in schema["$defs"]["ProjectRecord"]["properties"]
    assert "name_original" in invoke("schema", "project", "--csv-template").stdout.split(",")
    exported = invoke("export", "projects", "--format", "csv", "--db", bundled_db_url).stdout
    rows = list(csv.DictReader(io.StringIO(exported)))
    chalco = next(r for r in rows if r["key"] == CHALCO)
    assert chalco["name_original"] == "中铝集团" and chalco["name"].startswith("Aluminum Corp")
    old = tmp_path / "old.csv"  # a file written before the optional columns existed
    columns = [c for c in rows[0] if c not in ("name_original", "curation_note")]
    with old.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    url = f"sqlite:///{tmp_path / 'old.db'}"
    assert invoke("init", "--no-data", "--db", url).exit_code == 0
    result = invoke("import", "projects", str(old), "--db", url)
    assert result.exit_code == 0 and f"{len(rows)} created" in result.stdout
    imported = json.loads(invoke("projects", "show", CHALCO, "--db", url).stdout)
    assert imported["name_original"] is None


def test_share_flags_upper_bounds_and_shows_the_rest(bundled_db_url):
    args = ("stats", "share", "--mineral", "tungsten", "--measure", "reserves", "--db",
            bundled_db_url)  # fmt: skip
    table = invoke(*args)
    assert table.exit_code == 0, table.output
    assert "≤ 53.19 %" in table.stdout and "2,500,000" in table.stdout
    assert "Other countries" in table.stdout and "Unattributed" in table.stdout
    assert "not available (NA)" in table.stdout
    assert "upper bound" in table.stderr
    data = json.loads(invoke(*args, "--format", "json").stdout)
    assert data["world_lower_bound"] is True
    assert {s["share_bound"] for s in data["shares"]} == {"upper"}
    shares = invoke(*args, "--format", "csv").stdout
    total = sum(float(r["share"]) for r in csv.DictReader(io.StringIO(shares)))
    assert total == pytest.approx(1.0)


def test_share_without_data_names_what_exists(bundled_db_url):
    result = invoke("stats", "share", "--mineral", "tungsten", "--measure", "capacity", "--db",
                    bundled_db_url)  # fmt: skip
    assert result.exit_code == 1
    assert "years available: none" in result.stderr
    assert "production (2024, 2025)" in result.stderr and "reserves (2025)" in result.stderr


def test_outlook_says_when_none_can_be_made_and_explains_skew(bundled_db_url):
    db = ("--db", bundled_db_url)
    tungsten = invoke("outlook", "--mineral", "tungsten", "--from", "2026", "--to", "2030", *db)
    assert tungsten.exit_code == 0
    assert "No outlook can be made for tungsten" in tungsten.stdout
    assert "Monte Carlo" not in tungsten.stdout and "P10" not in tungsten.stdout
    args = ("outlook", "--mineral", "gallium", "--from", "2025", "--to", "2032", "--seed", "1",
            "--draws", "4000", *db)  # fmt: skip
    gallium = invoke(*args)
    assert gallium.exit_code == 0 and " *" in gallium.stdout
    assert "lies outside P10–P90" in gallium.stderr and "skewed" in gallium.stderr
    assert "left out of the totals as possible restarts" in gallium.stderr
    default = json.loads(invoke(*args, "--details").stdout)
    included = json.loads(invoke(*args, "--details", "--include-restarts").stdout)
    left_out = {p["key"] for p in default["meta"]["projects"] if not p["counted"]}
    assert left_out == {"stade-refinery-gallium-restart", "pavlodar-refinery-gallium-restart"}
    assert all(p["counted"] for p in included["meta"]["projects"])
    last, last_all = default["years"][-1], included["years"][-1]
    assert last["restarts_left_out"] > 0 and last_all["restarts_left_out"] == 0
    assert last["expected"] < last_all["expected"]
