"""``critmin scenario ban`` and ``sweep``: the JSON contract, level 0, monotone sweeps,
seeded determinism and clear errors (exit 2)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()
BASE = ["--mineral", "gallium", "--country", "CHN", "--draws", "500"]


def invoke(*args: str):
    return runner.invoke(app, ["scenario", *args], catch_exceptions=False)


def test_ban_json_contract():
    res = invoke("ban", *BASE, "--level", "1.0", "--region", "USA", "--seed", "4",
                 "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    for key in ("price_ratio", "gdp_loss_usd"):
        assert set(out[key]) >= {"central", "low", "high"}
        assert out[key]["low"] <= out[key]["central"] <= out[key]["high"]
    assert out["gdp_loss_usd"]["central"] > 1e8
    top = out["by_industry"][0]
    assert top == {"industry": "Semiconductor and related device manufacturing",
                   "code": "334413", "gdp_loss_usd": out["gdp_loss_usd"]["central"],
                   "gdp_loss_low_usd": out["gdp_loss_usd"]["low"],
                   "gdp_loss_high_usd": out["gdp_loss_usd"]["high"]}
    assert any(a["name"] == "dependent_share" for a in out["assumptions"])


def test_level_zero_gives_zero_loss():
    out = json.loads(invoke("ban", *BASE, "--level", "0", "--seed", "1",
                            "--format", "json").stdout)  # fmt: skip
    assert out["gdp_loss_usd"] == {"central": 0.0, "low": 0.0, "high": 0.0}


def test_sweep_is_monotone_and_seeded():
    args = ("sweep", *BASE, "--levels", "0,0.25,0.5,0.75,1", "--seed", "9", "--format", "json")
    first, again = invoke(*args), invoke(*args)
    assert first.exit_code == 0, first.output
    out = json.loads(first.stdout)
    assert [r["level"] for r in out] == [0, 0.25, 0.5, 0.75, 1]
    losses = [r["gdp_loss_usd"]["central"] for r in out]
    assert losses == sorted(losses) and losses[-1] > losses[0] == 0
    assert first.stdout == again.stdout
    other = json.loads(invoke("sweep", *BASE, "--levels", "1", "--seed", "10",
                              "--format", "json").stdout)  # fmt: skip
    assert other[0]["gdp_loss_usd"] != out[-1]["gdp_loss_usd"]


def test_table_output_labels_estimates():
    res = invoke("ban", *BASE, "--seed", "1")
    assert res.exit_code == 0
    assert "Price ratio" in res.stdout and "GDP loss, USD B" in res.stdout
    assert "estimates" in res.stdout


def test_unknown_mineral_and_bad_levels_exit_2():
    res = invoke("ban", "--mineral", "tin", "--country", "CHN", "--format", "json")
    assert res.exit_code == 2
    assert "no scenario defaults for mineral 'tin'" in res.output and "gallium" in res.output
    res = invoke("sweep", *BASE, "--levels", "0,half")
    assert res.exit_code == 2 and "--levels" in res.output
    res = invoke("sweep", *BASE, "--levels", "0,2")
    assert res.exit_code == 2 and "between 0 and 1" in res.output
    res = invoke("ban", *BASE, "--region", "FRA")
    assert res.exit_code == 2 and "USA only" in res.output


def test_run_spec_file(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("scenarios:\n  - name: one year\n    mineral: gallium\n"
                    "    country: CHN\n    levels: [0, 1]\n", encoding="utf-8")
    res = invoke("run", str(spec), "--draws", "300", "--seed", "2", "--format", "json")
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out[0]["name"] == "one year"
    assert [r["level"] for r in out[0]["results"]] == [0, 1]
    bad = tmp_path / "bad.yaml"
    bad.write_text("scenarios: [{mineral: gallium}]\n", encoding="utf-8")
    res = invoke("run", str(bad))
    assert res.exit_code == 2 and "scenario 1" in res.output
    res = invoke("run", str(tmp_path / "missing.yaml"))
    assert res.exit_code == 2 and "cannot read" in res.output


def test_grid_on_a_running_scheduler_by_address(tmp_path):
    from dask.distributed import LocalCluster

    out_file = tmp_path / "grid.json"
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        res = invoke("grid", "--minerals", "gallium,antimony", "--levels", "0,0.5,1",
                     "--draws", "200", "--seed", "3", "--scheduler", cluster.scheduler_address,
                     "--format", "json", "-o", str(out_file))
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert json.loads(out_file.read_text()) == out
    keys = [(c["mineral"], c["country"]) for c in out["cases"]]
    assert keys == [("gallium", "CHN"), ("antimony", "CHN"), ("antimony", "RUS"),
                    ("antimony", "TJK")]  # minerals in the order asked, largest producer first
    gallium = out["cases"][0]
    assert gallium["inputs"] == "curated"
    losses = [r["gdp_loss_usd"]["central"] for r in gallium["results"]]
    assert losses[0] == 0.0 and losses == sorted(losses) and losses[-1] > 1e8
    assert out["cases"][1]["results"][-1]["gdp_loss_usd"] is None  # antimony: not mapped


def test_grid_on_its_own_local_cluster_prints_a_table():
    res = runner.invoke(app, ["scenario", "grid", "--minerals", "niobium", "--levels", "1",
                              "--draws", "100", "--workers", "1", "--economy", "none"])
    assert res.exit_code == 0, res.output
    assert "Niobium" in res.stdout and "Brazil" in res.stdout
    assert "local cluster" in res.stderr


def test_grid_refuses_an_unknown_mineral():
    res = runner.invoke(app, ["scenario", "grid", "--minerals", "tin", "--scheduler", "none"])
    assert res.exit_code == 2
    assert "no USGS MCS 2026 chapter for mineral(s) tin" in res.output
