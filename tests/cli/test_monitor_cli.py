"""``critmin monitor`` on a real SQLite database with the bundled data: a price import
sets off the default alert, ``run --format json`` prints new events once, rules are
added and removed, bad input exits non-zero with the reason."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()
HEADER = "series,market,mineral,form,currency,unit,date,value,source\n"
JUMP = ("syn-cli,Rotterdam,gallium,,USD,kg,2024-03-01,200,Synthetic test series\n"
        "syn-cli,Rotterdam,gallium,,USD,kg,2024-03-20,290,Synthetic test series\n")  # +45%


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('monitor') / 'cli.db'}"
    assert invoke("init", "--no-trade", "--db", url).exit_code == 0
    return url


def test_run_prints_new_events_once(url, tmp_path):
    first = json.loads(invoke("monitor", "run", "--db", url, "--format", "json").stdout)
    assert isinstance(first, list)  # the bundled data's alerts were recorded at init
    path = tmp_path / "jump.csv"
    path.write_text(HEADER + JUMP, encoding="utf-8")
    assert invoke("prices", "import", str(path), "--db", url).exit_code == 0
    # the import evaluated the rules already: a run adds nothing, the alert is listed
    assert json.loads(invoke("monitor", "run", "--db", url, "--format", "json").stdout) == []
    listed = json.loads(invoke("monitor", "alerts", "--mineral", "Gallium", "--db", url,
                               "--format", "json").stdout)  # fmt: skip
    mine = [e for e in listed if e["series"] == "syn-cli"]
    assert [(e["rule"], e["date"]) for e in mine] == [("default-price-up-40pct-30d",
                                                        "2024-03-20")]  # fmt: skip
    assert "up 45.0% within 30 days" in mine[0]["message"]
    rule = invoke("monitor", "rules", "add", "syn-cli-20", "--kind", "price_change", "--params",
                  '{"series": "syn-cli", "threshold_pct": 20}', "--db", url)  # fmt: skip
    assert rule.exit_code == 0, rule.output
    new = json.loads(invoke("monitor", "run", "--as-of", "2024-12-31", "--db", url,
                            "--format", "json").stdout)  # fmt: skip
    assert [(e["rule"], e["series"], e["date"]) for e in new] == [
        ("syn-cli-20", "syn-cli", "2024-03-20")]  # fmt: skip
    assert {"rule", "series", "date", "message"} <= set(new[0])
    again = invoke("monitor", "run", "--as-of", "2024-12-31", "--db", url, "--format", "json")
    assert json.loads(again.stdout) == []
    keys = [r["key"] for r in json.loads(invoke("monitor", "rules", "list", "--db", url,
                                                "--format", "json").stdout)]  # fmt: skip
    assert keys[:3] == ["default-measure-expiry-30d", "default-measure-new-or-changed",
                        "default-price-up-40pct-30d"] and "syn-cli-20" in keys  # fmt: skip
    assert invoke("monitor", "rules", "remove", "syn-cli-20", "--db", url).exit_code == 0


def test_bad_input_exits_non_zero_with_the_reason(url):
    bad = invoke("monitor", "rules", "add", "x", "--kind", "price_change", "--params",
                 '{"threshold_pct": "lots"}', "--db", url)  # fmt: skip
    assert bad.exit_code == 2 and "params.threshold_pct" in bad.output
    assert invoke("monitor", "rules", "add", "x", "--kind", "ratio", "--params", "{",
                  "--db", url).exit_code == 2  # fmt: skip
    builtin = invoke("monitor", "rules", "remove", "default-price-up-40pct-30d", "--db", url)
    assert builtin.exit_code == 1 and "built-in" in builtin.output
    assert invoke("monitor", "run", "--as-of", "someday", "--db", url).exit_code == 2
    assert invoke("monitor", "rules", "remove", "nowhere", "--db", url).exit_code == 1
