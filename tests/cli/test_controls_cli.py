"""``critmin controls`` on a real SQLite database with the bundled measures: the check's
JSON contract, a batch from CSV, the timeline with --as-of, and bad input exiting 2 with
a clear message."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from critmin.cli.main import app

runner = CliRunner()


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


@pytest.fixture(scope="module")
def url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('controls') / 'cli.db'}"
    assert invoke("init", "--no-trade", "--db", url).exit_code == 0
    return url


def check(url: str, *extra: str) -> dict:
    result = invoke("controls", "check", "--item", "gallium", "--origin", "CHN",
                    "--destination", "USA", *extra, "--db", url, "--format", "json")  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_check_contract_through_the_phases(url):
    ban = check(url, "--date", "2025-03-01")
    assert ban["verdict"] == "prohibited"
    first = ban["measures"][0]
    assert {"key", "title", "effect", "sources"} <= set(first)
    assert first["key"] == "cn-2024-12-us-ban-ga-ge-sb-superhard" and first["effect"] == (
        "prohibited")
    assert first["sources"] and all("title" in src for src in first["sources"])
    assert check(url, "--date", "2023-06-01")["verdict"] == "allowed"
    assert check(url, "--date", "2025-03-01", "--via", "VNM")["verdict"] == "prohibited"
    assert check(url, "--date", "2026-03-01")["verdict"] == "licence_required"
    assert check(url, "--date", "2026-03-01", "--end-use", "military")["verdict"] == "prohibited"
    table = invoke("controls", "check", "--item", "gallium", "--origin", "CHN", "--destination",
                   "USA", "--date", "2026-03-01", "--db", url)  # fmt: skip
    assert "licence_required" in table.output and "suspended on that date" in table.output


def test_batch_and_timeline(url, tmp_path):
    path = tmp_path / "ships.csv"
    path.write_text("item,origin,destination,date,via\ngallium,CHN,USA,2023-09-01,\n"
                    "technology:gallium,CHN,USA,2025-03-01,\ntungsten,CHN,USA,2025-01-15,\n",
                    encoding="utf-8")  # fmt: skip
    result = invoke("controls", "check-batch", str(path), "--db", url, "--format", "json")
    assert result.exit_code == 0, result.output
    assert [r["verdict"] for r in json.loads(result.stdout)] == [
        "licence_required", "licence_required", "allowed"]  # fmt: skip
    shown = invoke("controls", "timeline", "--mineral", "gallium", "--as-of", "2026-03-01",
                   "--db", url, "--format", "json")  # fmt: skip
    rows = json.loads(shown.stdout)
    assert all({"key", "title", "type", "announced", "effective", "expiry", "status"} <= set(r)
               for r in rows)  # fmt: skip
    by = {r["key"]: r for r in rows}
    assert by["cn-2024-12-us-ban-ga-ge-sb-superhard"]["status"] == "suspended"
    assert by["cn-2025-11-us-gallium-ban-suspension"]["expiry"] == "2026-11-27"
    every = invoke("controls", "timeline", "--db", url, "--as-of", "2026-03-01")
    assert every.exit_code == 0 and "undated (no dates given): 4" in every.output
    cn = invoke("controls", "timeline", "--jurisdiction", "CHN", "--db", url)
    assert cn.exit_code == 0 and "undated (no dates given)" not in cn.output


def test_check_and_timeline_in_chinese_keep_records_words_and_english_csv(url):
    zh = invoke("controls", "check", "--item", "germanium", "--origin", "CHN", "--destination",
                "USA", "--date", "2026-03-01", "--db", url, "--lang", "zh")  # fmt: skip
    assert zh.exit_code == 0, zh.output
    out = zh.output
    assert "锗 CHN → USA，2026-03-01：需要许可证" in out  # mineral and verdict as labels
    assert "licence_required" not in out and "Licence required" not in out  # no code
    assert "决定性措施：China export licensing for gallium and germanium" in out
    assert "当日暂停：China ban on exports of gallium" in out  # titles: the record's words
    assert "本应适用，但当日已暂停" in out and "需要出口许可证" in out  # effects
    for english in ("requires an export licence", "suspended on that date", "Suspended on"):
        assert english not in out, english
    table = invoke("controls", "timeline", "--mineral", "gallium", "--as-of", "2026-03-01",
                   "--db", url, "--lang", "zh")  # fmt: skip
    assert "禁令" in table.output and "已暂停" in table.output and "2023年8月" in table.output
    assert "in force" not in table.output and "Licence requirement" not in table.output
    csv = invoke("controls", "timeline", "--mineral", "gallium", "--as-of", "2026-03-01",
                 "--db", url, "--lang", "zh", "--format", "csv")  # fmt: skip
    english = invoke("controls", "timeline", "--mineral", "gallium", "--as-of", "2026-03-01",
                     "--db", url, "--format", "csv")  # fmt: skip
    assert csv.stdout == english.stdout and "Licence requirement" in csv.stdout


def test_bad_input_exits_2_and_names_it(url, tmp_path):
    bad = invoke("controls", "check", "--item", "unobtainium", "--origin", "CHN",
                 "--destination", "USA", "--date", "2025-01-01", "--db", url)  # fmt: skip
    assert bad.exit_code == 2 and "unknown item 'unobtainium'" in bad.output
    date = invoke("controls", "check", "--item", "gallium", "--origin", "CHN",
                  "--destination", "USA", "--date", "01/02/2025", "--db", url)  # fmt: skip
    assert date.exit_code == 2 and "YYYY-MM-DD" in date.output
    path = tmp_path / "bad.csv"
    path.write_text("item,origin,destination,date\ngallium,XXX,USA,2025-01-01\n", encoding="utf-8")
    batch = invoke("controls", "check-batch", str(path), "--db", url)
    assert batch.exit_code == 2 and f"{path}, row 2, column 'origin'" in batch.output
    assert "Traceback" not in batch.output
