"""``critmin criticality`` on a real SQLite database with the bundled data: the
assessment as JSON, table and CSV, an inputs file, and GeoPolRisk from explicit files
(hand-worked), with bad files named by file, row, column, value and what was expected."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from critmin.cli.main import app
from critmin.store.db import make_engine, transaction
from critmin.store.tables import GovernanceIndicator

runner = CliRunner()
KEYS = {"mineral", "hhi", "import_reliance", "eu_supply_risk", "eu_economic_importance",
        "usgs_supply_risk", "geopolrisk", "inputs"}  # fmt: skip


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('crit') / 'cli.db'}"
    assert invoke("init", "--db", url).exit_code == 0
    return url


def _by_mineral(output: str) -> dict[str, dict]:
    return {r["mineral"]: r for r in json.loads(output)}


def test_assessment_json_contract(url):
    result = invoke("criticality", "--region", "USA", "--year", "2024", "--format", "json",
                    "--db", url)  # fmt: skip
    assert result.exit_code == 0, result.output
    rows = _by_mineral(result.output)
    assert all(set(r) >= KEYS for r in rows.values())
    ga = rows["gallium"]
    # USGS MCS 2026: China 839,000 kg, Russia 6,000, Japan 3,000 of a world 848,000 kg
    assert ga["hhi"] == pytest.approx((839 / 848) ** 2 + (6 / 848) ** 2 + (3 / 848) ** 2)
    assert ga["import_reliance"] == 1.0  # USGS: 100 %
    # null with a reason, never a silent zero
    assert ga["eu_supply_risk"] is None and ga["inputs"]["eu_supply_risk"]["reason"]
    assert rows["germanium"]["hhi"] is None and rows["germanium"]["inputs"]["hhi"]["reason"]
    assert rows["germanium"]["stale_trade"] == [{"hs6": "811230", "last_year": 2016}]


def _pv(url: str, countries: list[str]) -> dict[str, float]:
    """Governance risk (2.5 - PV) / 5 of the stored WGI 2023 political stability."""
    engine = make_engine(url)
    with transaction(engine) as s:
        pv = dict(s.execute(select(GovernanceIndicator.iso3, GovernanceIndicator.estimate).where(
            GovernanceIndicator.indicator == "PV", GovernanceIndicator.year == 2023,
            GovernanceIndicator.iso3.in_(countries))).all())  # fmt: skip
    engine.dispose()
    return {k: (2.5 - v) / 5 for k, v in pv.items()}


def test_gallium_geopolrisk_from_usgs_import_sources(url):
    """No HS code for gallium in BACI: USGS MCS 2026's US import sources of gallium metal
    2021-24 (Canada 28 %, Japan 22 %, China 18 %, Germany 16 %, other 16 %) with net
    import reliance 100 % and no US production."""
    rows = _by_mineral(invoke("criticality", "--format", "json", "--db", url).output)
    ga = rows["gallium"]
    g = _pv(url, ["CAN", "JPN", "CHN", "DEU"])
    risk = 0.28 * g["CAN"] + 0.22 * g["JPN"] + 0.18 * g["CHN"] + 0.16 * g["DEU"] + 0.16 * 0.5
    assert ga["geopolrisk_import_risk"] == pytest.approx(risk)
    assert ga["geopolrisk"] == pytest.approx(ga["hhi"] * risk)
    trade = ga["inputs"]["geopolrisk"]["inputs"][-1]
    assert trade["status"] == "derived" and "US import sources 2021–2024 (metal)" in trade["source"]


def test_table_and_csv(url):
    table = invoke("criticality", "--db", url)
    assert table.exit_code == 0 and "Cobalt" in table.output and "n/a" in table.output
    csv = invoke("criticality", "--db", url, "--format", "csv")
    assert csv.exit_code == 0 and csv.output.splitlines()[0].startswith("mineral,mineral_label")


def test_inputs_file_gives_gallium_imports(url, tmp_path):
    path = tmp_path / "inputs.yaml"
    path.write_text("minerals:\n  gallium:\n    imports: {JPN: 60, DEU: 40}\n"
                    "    imports_source: test figures\n", encoding="utf-8")  # fmt: skip
    risk = _pv(url, ["JPN", "DEU"])
    result = invoke("criticality", "--inputs", str(path), "--format", "json", "--db", url)
    assert result.exit_code == 0, result.output
    ga = _by_mineral(result.output)["gallium"]
    # no US production (0 kg): import risk = (60 g_JPN + 40 g_DEU) / 100
    expected = (60 * risk["JPN"] + 40 * risk["DEU"]) / 100
    assert ga["geopolrisk_import_risk"] == pytest.approx(expected)
    assert ga["geopolrisk"] == pytest.approx(ga["hhi"] * ga["geopolrisk_import_risk"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("minerals:\n  gallium:\n    eu: {eol_rir: -0.5}\n", encoding="utf-8")
    out = invoke("criticality", "--inputs", str(bad), "--db", url)
    assert out.exit_code == 1
    assert "bad.yaml" in out.output and "minerals.gallium.eu" in out.output
    assert "eol_rir" in out.output and "-0.5" in out.output


@pytest.fixture
def files(tmp_path):
    out = {}
    for name, text in (("p", "country,quantity\nCHN,80\nAUS,15\nUSA,5\n"),
                       ("i", "exporter,quantity\nCHN,30\nAUS,10\nJPN,10\n"),
                       ("g", "country,score\nCHN,0.7\nAUS,0.2\nJPN,0.25\n")):  # fmt: skip
        out[name] = tmp_path / f"{name}.csv"
        out[name].write_text(text, encoding="utf-8")
    return out


def test_geopolrisk_from_files(files):
    result = invoke("criticality", "geopolrisk", "--importer", "USA", "--production",
                    str(files["p"]), "--imports", str(files["i"]), "--governance",
                    str(files["g"]), "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    # HHI (6400 + 225 + 25) / 10000 = .665; import risk (21 + 2 + 2.5) / (50 + 5)
    assert out["hhi"] == pytest.approx(0.665)
    assert out["import_risk"] == pytest.approx(25.5 / 55)
    assert out["score"] == pytest.approx(0.665 * 25.5 / 55)


def test_geopolrisk_bad_files(files, tmp_path):
    files["g"].write_text("country,score\nCHN,0.7\nAUS,high\n", encoding="utf-8")
    result = invoke("criticality", "geopolrisk", "--importer", "USA", "--production",
                    str(files["p"]), "--imports", str(files["i"]), "--governance",
                    str(files["g"]))  # fmt: skip
    assert result.exit_code == 1
    flat = " ".join(result.output.split())
    assert f"{files['g']}, row 3, column 'score': got 'high', expected a score from 0 to 1" in flat
    missing = invoke("criticality", "geopolrisk", "--importer", "USA", "--production",
                     str(tmp_path / "none.csv"), "--imports", str(files["i"]), "--governance",
                     str(files["g"]))  # fmt: skip
    assert missing.exit_code == 1 and "cannot read" in missing.output
    region = invoke("criticality", "geopolrisk", "--importer", "ZZZ", "--production",
                    str(files["p"]), "--imports", str(files["i"]), "--governance",
                    str(tmp_path / "g.csv"))  # fmt: skip
    assert region.exit_code != 0
