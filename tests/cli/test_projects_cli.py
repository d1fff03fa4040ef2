"""The project commands of the CLI, run in-process against real SQLite files."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_help_lists_every_command():
    result = invoke("--help")
    for command in ("init", "db", "projects", "schema", "export", "import", "serve"):
        assert command in result.output


@pytest.mark.parametrize("mineral,minimum", [("gallium", 10), ("tungsten", 5)])
def test_bundled_projects_are_sourced(bundled_db_url, mineral, minimum):
    result = invoke(
        "projects", "list", "--mineral", mineral, "--format", "json", "--db", bundled_db_url
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) >= minimum
    for row in rows:
        assert {
            "id",
            "name",
            "mineral",
            "stage",
            "status",
            "country",
            "capacity_tpa",
            "start_year",
            "sources",
        } <= row.keys()
        assert row["mineral"] == mineral
        assert row["sources"] and all(s["document"] for s in row["sources"])


def test_list_filters_and_formats(bundled_db_url):
    result = invoke(
        "projects",
        "list",
        "--country",
        "CAN",
        "--stage",
        "recycling",
        "--format",
        "csv",
        "--db",
        bundled_db_url,
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(r["country"] == "CAN" and r["stage"] == "recycling" for r in rows)
    table = invoke("projects", "list", "--mineral", "gallium", "--db", bundled_db_url)
    assert table.exit_code == 0 and "projects" in table.output


def test_show_by_id_and_unknown(bundled_db_url):
    rows = json.loads(invoke("projects", "list", "--format", "json", "--db", bundled_db_url).stdout)
    shown = json.loads(
        invoke("projects", "show", str(rows[0]["id"]), "--db", bundled_db_url).stdout
    )
    assert shown["key"] == rows[0]["key"] and shown["changes"]
    missing = invoke("projects", "show", "999999", "--db", bundled_db_url)
    assert missing.exit_code == 1 and "no project" in missing.stderr


def test_schema_prints_json_schema():
    schema = json.loads(invoke("schema", "project").stdout)
    assert schema["properties"]["schema_version"]
    assert "ProjectRecord" in schema["$defs"]
    header = invoke("schema", "project", "--csv-template").stdout.strip().split(",")
    assert header[:4] == ["key", "name", "name_original", "mineral"]


def test_export_import_round_trip_and_rejection(bundled_db_url, tmp_path):
    exported = tmp_path / "projects.csv"
    assert (
        invoke(
            "export", "projects", "--format", "csv", "-o", str(exported), "--db", bundled_db_url
        ).exit_code
        == 0
    )
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    assert invoke("init", "--no-data", "--db", empty).exit_code == 0
    dry = invoke("import", "projects", str(exported), "--dry-run", "--db", empty)
    assert dry.exit_code == 0 and "would import" in dry.output
    assert json.loads(invoke("projects", "list", "--format", "json", "--db", empty).stdout) == []
    assert invoke("import", "projects", str(exported), "--db", empty).exit_code == 0
    again = tmp_path / "again.csv"
    invoke("export", "projects", "--format", "csv", "-o", str(again), "--db", empty)
    assert again.read_text() == exported.read_text()

    rows = list(csv.DictReader(io.StringIO(exported.read_text())))
    rows[5]["capacity_tpa"] = "lots"
    bad = tmp_path / "bad.csv"
    with bad.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        writer.writerows(rows)
    rejected = invoke("import", "projects", str(bad), "--db", empty)
    assert rejected.exit_code != 0
    assert "row 7" in rejected.stderr and "capacity_tpa" in rejected.stderr
    invoke("export", "projects", "--format", "csv", "-o", str(again), "--db", empty)
    assert again.read_text() == exported.read_text()


def test_init_is_safe_to_repeat(tmp_path):
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first = invoke("init", "--no-trade", "--db", url)
    assert first.exit_code == 0 and "loaded bundled data" in first.output
    second = invoke("init", "--db", url)
    assert second.exit_code == 0 and "already holds data" in second.output


def test_env_var_selects_database(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("CRITMIN_DATABASE_URL", url)
    assert invoke("init", "--no-data").exit_code == 0
    assert (tmp_path / "env.db").exists()


def test_the_operator_sees_every_record_and_keys_are_per_owner(tmp_path):
    """The CLI runs as the local operator: owner-only records of any organisation show,
    a key picks the bundled record first, and a key of several organisations is reported
    with their ids instead of one being picked at random."""
    from critmin.services import auth, tracker
    from critmin.store.db import make_engine, transaction
    from critmin.store.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'cli.db'}"
    upgrade(url)
    engine = make_engine(url)
    base = {"mineral": "gallium", "stage": "recycling", "country": "JPN", "status": "announced"}
    with transaction(engine) as s:
        ids = {}
        for org in ("Org A", "Org B"):
            auth.create_org(session=s, name=org)
            _, token = auth.create_token(session=s, org_name=org, role="editor")
            caller = auth.authenticate(session=s, token=token)
            row = tracker.create(session=s, caller=caller, data={
                "key": "same-key", "name": f"{org} plant", **base, "sharing": "owner",
                "financing": {"needed_usd": 7e6},
            })  # fmt: skip
            s.flush()
            ids[org] = row.id
    engine.dispose()
    listed = invoke("projects", "list", "--format", "json", "--db", url)
    assert sorted(r["name"] for r in json.loads(listed.stdout)) == ["Org A plant", "Org B plant"]
    shown = invoke("projects", "show", str(ids["Org B"]), "--db", url)
    assert shown.exit_code == 0 and json.loads(shown.stdout)["financing"]["needed_usd"] == 7e6
    ambiguous = invoke("projects", "show", "same-key", "--db", url)
    assert ambiguous.exit_code == 1
    message = " ".join(ambiguous.stderr.split())
    assert f"names 2 projects of different organisations (ids {ids['Org A']}, {ids['Org B']})" in (
        message
    )
    exported = json.loads(invoke("export", "projects", "--db", url).stdout)
    assert [p["key"] for p in exported["projects"]] == ["same-key", "same-key"]
