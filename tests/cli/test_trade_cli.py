"""``critmin trade`` on a real SQLite database with the bundled data: imports in both
layouts (a bad file exits 1 and changes nothing), mirror gaps, the circumvention signal
and the balance as table, JSON and CSV."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()
CUSTOMS = (
    "reporter,partner,flow,hs_code,month,value,quantity\n"
    "CHN,USA,export,811292,2024-01,100000,1000\n"
    "USA,CHN,import,811292,2024-01,108000,990\n"
)


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('trade') / 'cli.db'}"
    assert invoke("init", "--db", url).exit_code == 0
    return url


def test_import_customs_then_mirror(url, tmp_path):
    path = tmp_path / "customs.csv"
    path.write_text(CUSTOMS, encoding="utf-8")
    result = invoke("trade", "import", str(path), "--layout", "customs", "--db", url,
                    "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    assert (summary["rows"], summary["reporters"]) == (2, ["CHN", "USA"])
    ref = str(summary["import_id"])
    table = invoke("trade", "mirror", "--import", ref, "--db", url)
    assert table.exit_code == 0 and "China" in table.output and "108.00" in table.output
    rows = json.loads(invoke("trade", "mirror", "--import", ref, "--db", url, "-f", "json")
                      .output)["rows"]  # fmt: skip
    assert rows[0]["gap_kusd"] == pytest.approx(8.0)
    csv = invoke("trade", "mirror", "--import", ref, "--db", url, "-f", "csv").output
    assert csv.splitlines()[0].startswith("period,exporter_label,importer_label,hs6")


def test_bad_file_exits_nonzero_and_changes_nothing(url, tmp_path):
    before = json.loads(invoke("trade", "imports", "--db", url, "-f", "json").output)
    path = tmp_path / "bad.csv"
    path.write_text("t,i,j,k,v,q\n2020,156,842,261100,1,1\n2020,156,842,261100,-1,1\n")
    result = invoke("trade", "import", str(path), "--db", url)
    assert result.exit_code == 1
    assert "row 3, column 'v': got -1.0, expected a value in thousand USD >= 0" in result.output
    assert json.loads(invoke("trade", "imports", "--db", url, "-f", "json").output) == before
    assert invoke("trade", "import", str(tmp_path / "none.csv"), "--db", url).exit_code == 1
    assert invoke("trade", "import", str(path), "--layout", "x", "--db", url).exit_code == 2


def test_balance_and_circumvention_on_bundled_data(url):
    result = invoke("trade", "balance", "--mineral", "Tungsten", "--country", "USA", "--year",
                    "2023", "--db", url, "-f", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.output)["years"]
    # US mine production 0 t (USGS MCS 2026); trade from the bundled BACI, gross weight
    assert row["production"]["value"] == 0.0
    net = row["imports"]["value"] - row["exports"]["value"]
    assert row["apparent_consumption"]["value"] == pytest.approx(net)
    assert row["imports"]["value"] > 0 and "BACI" in row["imports"]["source"]
    table = invoke("trade", "balance", "--mineral", "tungsten", "--db", url)
    assert table.exit_code == 0 and "Tungsten, World (t)" in table.output
    signal = invoke("trade", "circumvention", "--origin", "CHN", "--target", "USA", "--hs",
                    "261100", "--start", "2019", "--db", url, "-f", "json")  # fmt: skip
    assert signal.exit_code == 0, signal.output
    body = json.loads(signal.output)
    assert body["source"] == "CEPII BACI HS92 (bundled)" and len(body["rows"]) > 0
    assert set(body["flagged"]) <= {r["country"] for r in body["rows"]}
    from_measure = invoke("trade", "circumvention", "--measure",
                          "cn-2024-12-us-ban-ga-ge-sb-superhard", "--db", url, "-f", "json")
    assert from_measure.exit_code == 0, from_measure.output
    body = json.loads(from_measure.output)
    # germanium 8112.30 and antimony 2617.10 are in the bundled BACI; gallium has no code
    assert (body["origin"], body["target"], body["start"]) == ("CHN", "USA", "2024")
    assert sorted(body["hs"]) == ["261710", "811230"]
    bad = invoke("trade", "circumvention", "--origin", "CHN", "--target", "USA", "--hs",
                 "261100", "--start", "1996", "--db", url)  # fmt: skip
    assert bad.exit_code == 2 and "periods before 1996" in bad.output
