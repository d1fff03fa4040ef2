"""``critmin import projects`` on real SQLite files: sharing never widened, hostile files
refused with a clear message and exit status 1, unknown formats with status 2."""

from __future__ import annotations

import json
import time

from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()
HEADER = "key,name,mineral,stage,country,status,sharing,notes\n"


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def _db(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert invoke("init", "--no-data", "--db", url).exit_code == 0
    return url


def test_cli_import_keeps_the_narrower_level_and_unstated_fields(tmp_path):
    url = _db(tmp_path)
    assert invoke("org", "create", "Acme Gallium", "--db", url).exit_code == 0
    first = tmp_path / "first.csv"
    first.write_text(HEADER + "cli-one,CLI one,gallium,refining,CAN,announced,owner,kept\n"
                     "cli-two,CLI two,gallium,refining,CAN,announced,,\n")  # fmt: skip
    result = invoke("import", "projects", str(first), "--db", url, "--org", "Acme Gallium")
    assert result.exit_code == 0, result.output
    assert "1 new project(s) state no sharing level: they are owner-only" in result.output
    second = tmp_path / "second.csv"
    row = "cli-one,CLI one renamed,gallium,refining,CAN,announced,public\n"
    second.write_text("key,name,mineral,stage,country,status,sharing\n" + row)
    result = invoke("import", "projects", str(second), "--db", url, "--org", "Acme Gallium")
    assert result.exit_code == 0, result.output
    assert "0 created, 1 updated" in result.output
    assert "cli-one: kept sharing 'owner' (the file says 'public'" in result.output
    shown = json.loads(invoke("projects", "show", "cli-one", "--db", url).stdout)
    assert (shown["name"], shown["sharing"], shown["notes"]) == ("CLI one renamed", "owner", "kept")
    two = json.loads(invoke("projects", "show", "cli-two", "--db", url).stdout)
    assert two["sharing"] == "owner"


def test_cli_import_without_an_organisation_is_public_reference_data(tmp_path):
    """Records without an owner are public reference data: an unstated level is public
    (an owner-only record without an owner would be hidden from everyone), and a file
    asking for a stricter level is refused whole."""
    url = _db(tmp_path)
    plain = tmp_path / "plain.csv"
    plain.write_text(HEADER + "ref-one,Reference one,gallium,refining,CAN,announced,,\n")
    result = invoke("import", "projects", str(plain), "--db", url)
    assert result.exit_code == 0, result.output
    assert json.loads(invoke("projects", "show", "ref-one", "--db", url).stdout)["sharing"] == (
        "public"
    )
    private = tmp_path / "private.csv"
    private.write_text(HEADER + "ref-two,Reference two,gallium,refining,CAN,announced,owner,\n")
    result = invoke("import", "projects", str(private), "--db", url)
    assert result.exit_code == 1
    assert "column 'sharing'" in result.stderr and "--org" not in result.stderr
    assert "public reference data" in result.stderr
    assert invoke("projects", "show", "ref-two", "--db", url).exit_code != 0
    result = invoke("import", "projects", str(plain), "--db", url, "--org", "Nobody")
    assert result.exit_code == 2 and "no organisation named 'Nobody'" in result.stderr


def test_cli_refuses_an_alias_bomb_quickly(tmp_path):
    url = _db(tmp_path)
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text('a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n'
                    "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n"
                    "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n"
                    "projects: [*e, *e, *e, *e, *e, *e, *e, *e, *e]\n")  # fmt: skip
    started = time.perf_counter()
    result = invoke("import", "projects", str(bomb), "--db", url)
    assert time.perf_counter() - started < 5
    assert result.exit_code == 1
    assert "anchors or aliases" in result.stderr and "Traceback" not in result.output
    assert len(result.stderr) < 1_000


def test_cli_unknown_format_and_missing_file(tmp_path):
    url = _db(tmp_path)
    result = invoke("import", "projects", str(tmp_path / "x.csv"), "--format", "xml", "--db", url)
    assert result.exit_code == 2 and "expected json, yaml or csv" in result.stderr
    missing = invoke("import", "projects", str(tmp_path / "none.csv"), "--db", url)
    assert missing.exit_code == 1 and "a readable file" in missing.stderr


def test_cli_csv_listing_neutralises_spreadsheet_formulas(tmp_path):
    url = _db(tmp_path)
    hostile = tmp_path / "hostile.csv"
    hostile.write_text(HEADER + 'evil,"=HYPERLINK(""http://x"")",gallium,refining,CAN,'
                       "announced,public,\n")  # fmt: skip
    assert invoke("import", "projects", str(hostile), "--db", url).exit_code == 0
    listed = invoke("projects", "list", "--db", url, "--format", "csv").stdout
    assert "'=HYPERLINK" in listed and ",=HYPERLINK" not in listed
