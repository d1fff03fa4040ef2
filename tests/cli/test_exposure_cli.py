"""``critmin exposure``: the three documented commands exactly as written (generate,
country with --per-node, chokepoints), the hand-worked sample network, what-if and
paths, and storing networks in a real SQLite database."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()
TOY = Path(__file__).parents[1] / "ingest" / "samples" / "network_toy"


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("net") / "synthetic"
    done = subprocess.run(
        [sys.executable, "-m", "critmin", "exposure", "generate", "--nodes", "400",
         "--edges", "1500", "--seed", "3", "-o", str(out)],
        capture_output=True, text=True, timeout=300, env={**os.environ, "COLUMNS": "200"})
    assert done.returncode == 0, done.stderr
    return out


def test_generate_writes_the_documented_files(generated):
    with (generated / "nodes.csv").open() as f:
        nodes = list(csv.DictReader(f))
    with (generated / "edges.csv").open() as f:
        edges = list(csv.DictReader(f))
    assert list(nodes[0]) == ["id", "country", "kind"]
    assert list(edges[0]) == ["supplier", "customer", "share"]
    assert len(nodes) == 400 and 0 < len(edges) <= 1500
    assert {n["kind"] for n in nodes} == {"source", "intermediate", "end"}
    ids = {n["id"] for n in nodes}
    assert all(e["supplier"] in ids and e["customer"] in ids for e in edges)
    empty = [e for e in edges if e["share"] == ""]
    assert empty and all(0 <= float(e["share"]) <= 1 for e in edges if e["share"])
    assert json.loads((generated / "network.json").read_text())["synthetic"] is True


def test_country_json_and_per_node_csv(generated, tmp_path):
    result = invoke("exposure", "country", "--network", str(generated), "--country", "CHN",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    got = json.loads(result.stdout)
    assert {"end_products", "exposed", "share", "weighted_mean"} <= set(got)
    assert got["synthetic"] is True and "synthetic" in result.stderr
    assert 0 < got["exposed"] <= got["end_products"]
    assert got["share"] == pytest.approx(got["exposed"] / got["end_products"])
    out = tmp_path / "per_node.csv"
    result = invoke("exposure", "country", "--network", str(generated), "--country", "CHN",
                    "--per-node", "-o", str(out))
    assert result.exit_code == 0, result.output
    with out.open() as f:
        rows = list(csv.DictReader(f))
    assert list(rows[0]) == ["id", "exposed", "weighted"]
    assert len(rows) == got["end_products"]
    assert sum(r["exposed"] == "true" for r in rows) == got["exposed"]
    weights = [float(r["weighted"]) for r in rows]
    assert sum(weights) / len(weights) == pytest.approx(got["weighted_mean"])
    assert all(0 <= w <= 1 + 1e-9 for w in weights)
    # a weighted exposure above zero means a target upstream
    assert all(r["exposed"] == "true" for r in rows if float(r["weighted"]) > 0)


def test_chokepoints_json_is_a_ranked_list(generated):
    result = invoke("exposure", "chokepoints", "--network", str(generated), "--top", "5",
                    "--format", "json")
    assert result.exit_code == 0, result.output
    ranked = json.loads(result.stdout)
    assert isinstance(ranked, list) and 0 < len(ranked) <= 5
    assert all({"id", "end_products_cut", "weighted_supply_lost"} <= set(r) for r in ranked)
    keys = [(-r["end_products_cut"], -r["weighted_supply_lost"]) for r in ranked]
    assert keys == sorted(keys) and all(r["end_products_cut"] >= 1 for r in ranked)
    assert all(r["synthetic"] for r in ranked)


def test_hand_worked_sample_through_the_cli(tmp_path):
    got = json.loads(invoke("exposure", "country", "--network", str(TOY), "--country",
                            "China", "--format", "json").stdout)
    assert (got["end_products"], got["exposed"], got["share"]) == (3, 3, 1.0)
    assert got["weighted_mean"] == pytest.approx(0.6) and got["synthetic"] is False
    ranked = json.loads(invoke("exposure", "chokepoints", "--network", str(TOY), "--top", "2",
                               "--format", "json").stdout)
    assert [(r["id"], r["end_products_cut"]) for r in ranked] == [("wafer-a", 2),
                                                                  ("refiner-b", 1)]
    table = invoke("exposure", "chokepoints", "--network", str(TOY))
    assert table.exit_code == 0 and "United States" in table.stdout
    what = json.loads(invoke("exposure", "whatif", "--network", str(TOY), "--remove-node",
                             "wafer-a", "--format", "json").stdout)
    assert what["end_products_cut"] == 2
    assert what["mean_supply_lost"] == pytest.approx(2 / 3)
    paths = json.loads(invoke("exposure", "paths", "--network", str(TOY), "--end", "led-a",
                              "--country", "CHN", "--format", "json").stdout)
    assert {n["id"] for n in paths["nodes"]} == {"mine-a", "refiner-b", "led-a"}
    supplier = json.loads(invoke("exposure", "country", "--network", str(TOY),
                                 "--supplier-set", "refiner-a", "--format", "json").stdout)
    assert supplier["exposed"] == 2


def test_errors_exit_with_a_message(tmp_path):
    bad = invoke("exposure", "country", "--network", str(TOY.parent / "network_bad"),
                 "--country", "CHN")
    assert bad.exit_code == 1 and "row 4" in bad.output and "nothing was imported" in bad.output
    unknown = invoke("exposure", "country", "--network", str(TOY), "--supplier-set", "nope")
    assert unknown.exit_code == 2 and "nope" in unknown.output
    needs = invoke("exposure", "country", "--network", str(TOY), "--country", "CHN", "-o",
                   str(tmp_path / "x.csv"))
    assert needs.exit_code == 2 and not (tmp_path / "x.csv").exists()


def test_import_list_and_ask_a_stored_network(tmp_path, generated):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    assert invoke("db", "upgrade", "--db", url).exit_code == 0
    stored = invoke("exposure", "import", str(TOY), "--name", "toy", "--db", url,
                    "--format", "json")
    assert stored.exit_code == 0, stored.output
    assert json.loads(stored.stdout)["sharing"] == "public"
    again = invoke("exposure", "import", str(TOY), "--name", "toy", "--db", url)
    assert again.exit_code == 1 and "already exists" in again.output
    synth = invoke("exposure", "import", str(generated), "--name", "synth", "--db", url)
    assert synth.exit_code == 0 and "(synthetic)" in synth.stdout
    listed = json.loads(invoke("exposure", "networks", "--db", url, "--format", "json").stdout)
    assert [(n["name"], n["synthetic"]) for n in listed] == [("synth", True), ("toy", False)]
    got = json.loads(invoke("exposure", "country", "--network", "db:toy", "--country", "CHN",
                            "--db", url, "--format", "json").stdout)
    assert got["weighted_mean"] == pytest.approx(0.6)
    missing = invoke("exposure", "country", "--network", "db:nope", "--country", "CHN",
                     "--db", url)
    assert missing.exit_code == 1 and "no supply network 'nope'" in missing.output
