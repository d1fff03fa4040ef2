"""``critmin report``: the dossier and the briefing from the bundled data as HTML, PDF and
the JSON model, the Chinese edition with ``--lang zh`` (the command's own and the global
one), and clear errors (exit 2)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()
AS_OF = ["--as-of", "2026-11-29"]


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_dossier_html_and_json_model(bundled_db_url, tmp_path):
    out = tmp_path / "w.html"
    r = invoke(
        "report",
        "dossier",
        "--mineral",
        "tungsten",
        "--country",
        "USA",
        "--format",
        "html",
        "-o",
        str(out),
        "--db",
        bundled_db_url,
        *AS_OF,
    )
    assert r.exit_code == 0, r.output
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and 'data-source="imp.imports_total_latest"' in html
    assert "Wrote" in r.output
    r = invoke(
        "report", "dossier", "--mineral", "W", "--format", "json", "--db", bundled_db_url, *AS_OF
    )
    model = json.loads(r.stdout)
    assert model["kind"] == "dossier" and model["mineral"] == "tungsten"
    assert model["figures"]["imp.imports_total_latest"]["value"] == 11700.0
    assert model["figures"]["imp.imports_total_latest"]["source"]["file"] == (
        "usgs-mcs2026/tungsten.json"
    )


def test_briefing_pdf_in_chinese(bundled_db_url, tmp_path):
    out = tmp_path / "ga.pdf"
    r = invoke(
        "report",
        "briefing",
        "--mineral",
        "gallium",
        "--format",
        "pdf",
        "-o",
        str(out),
        "--lang",
        "zh",
        "--db",
        bundled_db_url,
        *AS_OF,
    )
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(b"%PDF-")
    assert "已写入" in r.output
    r = invoke(
        "--lang", "zh", "report", "briefing", "--mineral", "gallium", "--db", bundled_db_url, *AS_OF
    )
    assert '<html lang="zh-Hans">' in r.stdout and "矿产简报" in r.stdout


@pytest.mark.parametrize(("args", "word"), [
    (["dossier", "--mineral", "unobtainium"], "mineral"),
    (["dossier", "--country", "Atlantis"], "country"),
    (["briefing", "--format", "pdf"], "-o FILE"),
    (["briefing", "--as-of", "2026-13-01"], "as_of"),
])  # fmt: skip
def test_errors_exit_2_naming_the_problem(bundled_db_url, args, word):
    r = invoke("report", *args, "--db", bundled_db_url)
    assert r.exit_code == 2
    assert word in r.output
