"""``critmin recycling``: rates, targets and progress as JSON, CSV and tables, Chinese with
``--lang zh``, and clear errors (exit 2) naming the bad value."""

from __future__ import annotations

import csv
import io
import json

import pytest
from typer.testing import CliRunner

from critmin import i18n
from critmin.cli.main import app

runner = CliRunner()


@pytest.fixture(autouse=True)
def _english():
    token = i18n.set_language("en")
    yield
    i18n._current.reset(token)


def test_rates_json_carries_sources():
    r = runner.invoke(app, ["recycling", "rates", "--mineral", "tantalum", "--format", "json"])
    assert r.exit_code == 0, r.output
    body = json.loads(r.stdout)
    (f,) = body["figures"]
    assert (f["value"], f["qualifier"], f["unit"]) == (30, "upper_bound", "percent")
    assert (
        "as much as 30%" in f["quote"] and f["source"]["document"] == "usgs-mcs2026/tantalum.json"
    )


def test_rates_csv_and_table():
    r = runner.invoke(app, ["recycling", "rates", "--country", "JPN", "--format", "csv"])
    assert r.exit_code == 0, r.output
    rows = list(csv.DictReader(io.StringIO(r.stdout)))
    assert [(x["mineral"], x["value"], x["qualifier"]) for x in rows] == [
        ("Gallium", "40.0", "approximate")
    ]
    t = runner.invoke(app, ["recycling", "rates", "--mineral", "cobalt"])
    assert t.exit_code == 0 and "25%" in t.stdout and "EOL-RIR" in t.stdout


def test_targets_and_progress():
    t = runner.invoke(app, ["recycling", "targets", "--mineral", "tungsten", "--format", "json"])
    keys = [x["key"] for x in json.loads(t.stdout)]
    assert keys == ["cn-tungsten-recycling-rate-70-by-2028", "us-tungsten-recovery-rate-60"]
    p = runner.invoke(app, ["recycling", "progress", "--mineral", "tungsten", "--format", "json"])
    assert all(x["state"] == "no_current_rate" for x in json.loads(p.stdout))
    # 50% in 2026 toward 70% by 2028: 20 points, 10 a year; 20% of 50,000 t = 10,000 t/yr
    g = runner.invoke(app, ["recycling", "progress", "--target",
                            "cn-tungsten-recycling-rate-70-by-2028", "--current-pct", "50",
                            "--current-year", "2026", "--consumption-t", "50000", "--format",
                            "csv"])  # fmt: skip
    assert g.exit_code == 0, g.output
    (row,) = list(csv.DictReader(io.StringIO(g.stdout)))
    assert (float(row["gap_pp"]), float(row["needed_pp_per_year"]),
            float(row["extra_supply_t"])) == (20, 10, 10_000)  # fmt: skip


def test_chinese_messages():
    r = runner.invoke(app, ["--lang", "zh", "recycling", "progress", "--mineral", "tungsten"])
    assert r.exit_code == 0, r.output
    assert "2 项回收目标的进展" in r.stdout
    j = runner.invoke(
        app, ["recycling", "progress", "--mineral", "tungsten", "--lang", "zh", "--format", "json"]
    )
    assert {x["state_label"] for x in json.loads(j.stdout)} == {"无当前回收率:未计算进展"}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["rates", "--mineral", "unobtainium"], "unobtainium"),
        (["targets", "--country", "Atlantis"], "Atlantis"),
        (["progress", "--mineral", "tungsten", "--current-pct", "40"], "one target"),
        (["progress", "--target", "nope"], "nope"),
    ],
)
def test_errors_exit_2_and_name_the_value(args, needle):
    r = runner.invoke(app, ["recycling", *args])
    assert r.exit_code == 2, r.output
    assert needle in r.output
