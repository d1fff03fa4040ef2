"""``critmin scenario ban|sweep --save``, ``scenario runs`` and ``scenario show``: a saved
run reloads exactly as it was printed, with the data versions it used."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('runs') / 'cli.db'}"
    assert invoke("init", "--no-trade", "--db", url).exit_code == 0
    return url


def test_save_list_and_reload(url):
    ban = invoke("scenario", "ban", "--mineral", "gallium", "--country", "CHN", "--seed", "4",
                 "--draws", "200", "--save", "--db", url, "--format", "json")  # fmt: skip
    assert ban.exit_code == 0
    printed = json.loads(ban.stdout)
    assert "saved scenario run 1" in ban.stderr
    sweep = invoke("scenario", "sweep", "--mineral", "gallium", "--country", "CHN", "--levels",
                   "0,1", "--draws", "100", "--save", "--db", url, "--format", "json")  # fmt: skip
    assert sweep.exit_code == 0 and "saved scenario run 2" in sweep.stderr
    runs = json.loads(invoke("scenario", "runs", "--db", url, "-f", "json").stdout)
    assert [(r["id"], r["kind"]) for r in runs] == [(2, "sweep"), (1, "ban")]
    assert runs[0]["spec"]["levels"] == [0.0, 1.0]
    shown = json.loads(invoke("scenario", "show", "1", "--db", url, "-f", "json").stdout)
    assert shown["results"] == printed and shown["spec"]["seed"] == 4
    codes = {v.get("dataset") for v in shown["data_versions"]}
    assert {"bea-io-2017", "usgs-mcs2026-gallium"} <= codes
    table = invoke("scenario", "show", "2", "--db", url)
    assert table.exit_code == 0 and "Gallium: restriction by CHN" in table.stdout
    assert "usgs-mcs2026-gallium" in table.stdout


def test_unsaved_run_stores_nothing_and_missing_run_fails(url):
    before = invoke("scenario", "runs", "--db", url, "-f", "json").stdout
    assert invoke("scenario", "ban", "--mineral", "gallium", "--country", "CHN", "--draws",
                  "50", "--db", url).exit_code == 0  # fmt: skip
    assert invoke("scenario", "runs", "--db", url, "-f", "json").stdout == before
    missing = invoke("scenario", "show", "999", "--db", url)
    assert missing.exit_code == 1 and "no scenario run 999" in missing.stderr
