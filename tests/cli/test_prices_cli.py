"""``critmin prices`` on a real SQLite database with the bundled data: CSV and Excel
imports (a bad file exits 1 and changes nothing), a series in another currency and unit,
two markets compared, the event study around the bundled measures, the FX table."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()
HEADER = "series,market,mineral,form,currency,unit,date,value,source,date_precision\n"
ROWS = (
    "ga-cn-test,China domestic,Gallium,,CNY,kg,2024-10,2000,Test quotes,month\n"
    "ga-cn-test,China domestic,Gallium,,CNY,kg,2024-11,2100,Test quotes,month\n"
)


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('prices') / 'cli.db'}"
    assert invoke("init", "--no-trade", "--db", url).exit_code == 0
    return url


def test_import_show_in_usd_per_tonne_and_repeat(url, tmp_path):
    path = tmp_path / "prices.csv"
    path.write_text(HEADER + ROWS, encoding="utf-8")
    result = invoke("prices", "import", str(path), "--db", url)
    assert result.exit_code == 0, result.output
    assert "series 1 created" in result.output and "observations 2 added" in result.output
    again = invoke("prices", "import", str(path), "--db", url)
    assert "observations 0 added, 0 updated, 2 unchanged" in again.output
    shown = json.loads(invoke("prices", "show", "ga-cn-test", "--currency", "USD", "--unit", "t",
                              "--db", url, "--format", "json").stdout)  # fmt: skip
    # 2000 CNY/kg at the October 2024 monthly average 7.0881 CNY/USD = 282,163.06 USD/t
    first = shown["levels"][0]
    assert first["value"] == pytest.approx(2000 / 7.0881 * 1000)
    assert first["fx"]["rate"] == "USD/CNY 7.0881 (monthly average 2024-10)"
    assert shown["shown_in"] == "USD/t" and first["stated"] == {"value": 2000, "unit": "CNY/kg"}


def test_a_bad_file_exits_1_names_the_cell_and_changes_nothing(url, tmp_path):
    before = invoke("prices", "list", "--db", url, "--format", "json").stdout
    path = tmp_path / "bad.csv"
    path.write_text(HEADER + "ga-new,Rotterdam,gallium,,USD,kg,2024-10,abc,Test,\n"
                    "ga-new,Rotterdam,gallium,,USD,kg,2024-11,5,Test,\n", encoding="utf-8")
    result = invoke("prices", "import", str(path), "--db", url)
    assert result.exit_code == 1
    assert f"{path}, row 2, column 'value': got 'abc', expected a number" in result.output
    assert "Traceback" not in result.output
    assert invoke("prices", "list", "--db", url, "--format", "json").stdout == before
    missing = invoke("prices", "import", str(tmp_path / "nope.csv"), "--db", url)
    assert missing.exit_code == 1 and "cannot read" in missing.output


def test_excel_workbook_import(url, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["ga-rot-xl", "Rotterdam", "gallium", None, "USD", "kg", dt.date(2024, 10, 15),
                  600, "Test quotes", None])  # fmt: skip
    sheet.append(["ga-rot-xl", "Rotterdam", "gallium", None, "USD", "kg", "2024-11", ">650",
                  "Test quotes", None])  # fmt: skip
    path = tmp_path / "prices.xlsx"
    book.save(path)
    result = invoke("prices", "import", str(path), "--db", url)
    assert result.exit_code == 0, result.output
    shown = json.loads(invoke("prices", "show", "ga-rot-xl", "--db", url, "-f", "json").stdout)
    assert [(p["date"], p["date_precision"], p["value"], p["qualifier"]) for p in
            shown["levels"]] == [("2024-10-15", "day", 600, "exact"),
                                 ("2024-11-01", "month", 650, "lower_bound")]  # fmt: skip
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not really a workbook")
    result = invoke("prices", "import", str(broken), "--db", url)
    assert result.exit_code == 1 and "a readable .xlsx workbook" in result.output


def test_compare_and_events_over_the_bundled_measures(url):
    result = invoke("prices", "compare", "ga-rot-xl", "ga-cn-test", "--tolerance-days", "31",
                    "--db", url, "-f", "json")  # fmt: skip
    rows = json.loads(result.stdout)["rows"]
    # 15 Oct: 600 USD/kg vs 2000/7.0881 = 282.16 USD/kg (the 1 Oct value, 14 days old)
    assert rows[0]["b_date"] == "2024-10-01" and rows[0]["ratio"] == pytest.approx(600 * 7.0881
                                                                                     / 2000)
    study = json.loads(invoke("prices", "events", "ga-rotterdam-low-purity", "--db", url,
                              "-f", "json").stdout)  # fmt: skip
    keys = {m["key"] for m in study["measures"]}
    assert {"cn-2023-ga-ge-licensing", "cn-2024-12-us-ban-ga-ge-sb-superhard"} <= keys
    licensing = next(m for m in study["measures"] if m["key"] == "cn-2023-ga-ge-licensing")
    # in force on 1 August 2023, a date known to the day: the event window is that day
    assert (licensing["start"], licensing["end"]) == ("2023-08-01", "2023-08-01")
    suspension = next(m for m in study["measures"]
                      if m["key"] == "cn-2025-11-us-gallium-ban-suspension")  # fmt: skip
    assert (suspension["start"], suspension["end"]) == ("2025-11-09", "2025-11-09")
    campaign = next(m for m in study["measures"]
                    if m["key"] == "cn-2025-05-anti-smuggling-enforcement")  # fmt: skip
    assert (campaign["start"], campaign["end"]) == ("2025-05-01", "2025-05-31")  # month


def test_bad_options_and_unknown_series_are_clear(url):
    bad = invoke("prices", "show", "ga-cn-test", "--currency", "EUR", "--db", url)
    assert bad.exit_code == 2 and "not a known price unit" in bad.output
    missing = invoke("prices", "show", "no-such", "--db", url)
    assert missing.exit_code == 1 and "no such price series 'no-such'" in missing.output
    norate = invoke("prices", "show", "w-rotterdam-apt", "--currency", "CNY", "--unit", "kg",
                    "--db", url)
    assert norate.exit_code == 1 and "no USD/CNY exchange rate for 2025" in norate.output
    window = invoke("prices", "events", "ga-cn-test", "--window", "0", "--db", url)
    assert window.exit_code == 2 and "windows" in window.output


def test_fx_table_lists_sources_and_imports(url, tmp_path):
    rates = json.loads(invoke("prices", "fx", "list", "--db", url, "-f", "json").stdout)
    y2023 = next(r for r in rates if r["period"] == "2023")
    assert y2023["rate"] == 7.0809 and "G.5A" in y2023["sources"][0]["document"]
    assert y2023["sources"][0]["quote"] == "CHINA, P.R. YUAN 7.0809 6.7290 6.4508 6.9042"
    path = tmp_path / "fx.csv"
    path.write_text("base,quote,date,rate,source\nUSD,CNY,2016,6.6,My table\n", encoding="utf-8")
    assert invoke("prices", "fx", "import", str(path), "--db", url).exit_code == 0
    path.write_text("base,quote,date,rate,source\nUSD,EUR,2016,-1,\n", encoding="utf-8")
    bad = invoke("prices", "fx", "import", str(path), "--db", url)
    assert bad.exit_code == 1 and "row 2, column 'quote'" in bad.output
    assert "column 'rate'" in bad.output and "column 'source'" in bad.output


def test_org_import_is_owner_only_and_reference_data_stays_public(url, tmp_path):
    assert invoke("org", "create", "Acme Gallium", "--db", url).exit_code == 0
    path = tmp_path / "org.csv"
    path.write_text(HEADER + ROWS.replace("ga-cn-test", "acme-cn"), encoding="utf-8")
    result = invoke("prices", "import", str(path), "--org", "Acme Gallium", "--db", url)
    assert result.exit_code == 0, result.output
    shown = json.loads(invoke("prices", "show", "acme-cn", "--db", url, "-f", "json").stdout)
    assert shown["sharing"] == "owner"
    unknown = invoke("prices", "import", str(path), "--org", "Nobody", "--db", url)
    assert unknown.exit_code == 2 and "critmin org list" in unknown.output
    private = tmp_path / "private.csv"
    private.write_text(HEADER.strip() + ",sharing\n" + ROWS.splitlines()[0] + ",owner\n",
                       encoding="utf-8")  # fmt: skip
    refused = invoke("prices", "import", str(private), "--db", url)
    assert refused.exit_code == 1 and "public reference data" in refused.output
