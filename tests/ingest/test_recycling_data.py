"""The bundled recycling figures and targets: every figure has a source and matches the
quoted statement (the USGS ones the bundled MCS 2026 chapter's text, word for word), its
number and qualifier are the ones the words state; bad files are refused naming file,
entry, field, value and what was expected."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from critmin.ingest.errors import IngestError
from critmin.ingest.recycling import RATES_FILE, TARGETS_FILE, load_rates, load_targets

USGS_DIR = RATES_FILE.parent.parent / "usgs-mcs2026"
RATES = load_rates()
TARGETS = load_targets()
STATEMENTS = {s.key: s for s in RATES.statements}
QUALIFIER_WORDS = {
    "approximate": ("about", "approximately", "约"),
    "upper_bound": ("as much as",),
    "withheld": ("withheld",),
}


def test_every_usgs_chapter_has_its_statement_verbatim():
    usgs = [s for s in RATES.statements if s.source.document.startswith("usgs-mcs2026/")]
    assert len(usgs) == len(list(USGS_DIR.glob("*.json"))) == 16
    for s in usgs:
        chapter = json.loads((RATES_FILE.parent.parent / s.source.document).read_text("utf-8"))
        assert s.text == chapter["recycling_summary"], s.key
        assert s.source.url == chapter["source_url"], s.key
        assert s.country == "USA" and s.year == 2025


def test_every_figure_has_a_source_and_its_quote_is_in_the_statement():
    assert len(RATES.figures) == 11
    for f in RATES.figures:
        s = STATEMENTS[f.statement]
        assert s.source.document and s.source.title, f.key
        assert f.quote in s.text, f.key
        assert (s.mineral, s.country) == (f.mineral, f.country), f.key


def _numbers(text: str) -> set[float]:
    found = {float(x.replace(",", "")) for x in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}
    found |= {float(x) * 1e6 for x in re.findall(r"(\d+(?:\.\d+)?) million", text)}
    return found


def test_each_value_and_qualifier_is_what_the_words_say():
    for f in RATES.figures:
        words = f.quote.lower()
        if f.qualifier == "withheld":
            assert f.value is None and "withheld" in words, f.key
            continue
        if f.value == 0:
            assert "none" in words, f.key
        else:
            assert f.value in _numbers(f.quote), (f.key, f.value)
        if f.unit == "percent" and f.value:
            assert f"{f.value:g}%" in f.quote, f.key
        for qualifier, cues in QUALIFIER_WORDS.items():
            said = any(c in words for c in cues)
            assert said == (f.qualifier == qualifier), (f.key, qualifier)


def test_the_figures_as_stated():
    by_key = {f.key: f for f in RATES.figures}
    al = by_key["usgs-2025-usa-aluminum-old-scrap-consumption"]
    assert (al.value, al.unit, al.qualifier, al.kind) == (
        28,
        "percent",
        "approximate",
        "old_scrap_share_of_apparent_consumption",
    )
    assert by_key["usgs-2025-usa-niobium-recycled-consumption"].qualifier == "upper_bound"
    assert by_key["usgs-2025-usa-cobalt-scrap-consumption"].qualifier == "none"
    jp = by_key["csis-jpn-gallium-domestic-scrap-feed"]
    assert (jp.country, jp.value, jp.year) == ("JPN", 40, None)
    assert STATEMENTS[jp.statement].source.published.isoformat() == "2025-09-09"
    # the EU's EOL-RIR is not in the bundled sources, so no figure claims to be one
    assert not [f for f in RATES.figures if f.kind == "eol_rir"]


def test_targets_as_the_analysis_states_them():
    by_key = {t.key: t for t in TARGETS.targets}
    w = by_key["cn-tungsten-recycling-rate-70-by-2028"]
    assert (w.mineral, w.country, w.target_pct, w.target_year, w.status) == (
        "tungsten",
        "CHN",
        70,
        2028,
        "proposal",
    )
    assert "目標2028年鎢回收率達70%" in w.sources[0].quote
    assert w.expected_extra_supply_t_per_year == 10_000
    assert w.expected_extra_supply_qualifier == "approximate"
    assert "約1萬噸" in w.sources[1].quote
    us = by_key["us-tungsten-recovery-rate-60"]
    assert (us.target_pct, us.target_year, us.status) == (60, None, "reported")
    assert "回收率目標60%" in us.sources[0].quote


def _write(tmp_path: Path, doc: dict, name: str = "rates.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


def _doc() -> dict:
    return yaml.safe_load(RATES_FILE.read_text(encoding="utf-8"))


def test_bad_entries_name_file_entry_field_value_and_expected(tmp_path):
    doc = _doc()
    fig = doc["figures"][0]
    fig["qualifier"] = "roughly"
    doc["figures"][1]["value"] = 120
    path = _write(tmp_path, doc)
    with pytest.raises(IngestError) as err:
        load_rates(path)
    problems = err.value.problems
    first = next(p for p in problems if p.column == "qualifier")
    assert first.file == str(path) and first.row == f"figures[1] ({fig['key']})"
    assert first.value == "roughly" and "none" in first.expected and "withheld" in first.expected
    pct = next(p for p in problems if p.row.startswith("figures[2]"))
    assert pct.value == doc["figures"][1] or "percentage" in pct.expected


def test_a_withheld_value_and_a_quote_not_in_its_statement_are_refused(tmp_path):
    doc = _doc()
    doc["figures"][-2]["value"] = 5  # the tungsten figure the source withholds
    with pytest.raises(IngestError, match="withheld"):
        load_rates(_write(tmp_path, doc))
    doc = _doc()
    doc["figures"][0]["quote"] = "about 99% of everything"
    with pytest.raises(IngestError, match="quote is not in the statement"):
        load_rates(_write(tmp_path, doc))


def test_unknown_mineral_country_and_layout_are_refused(tmp_path):
    doc = _doc()
    doc["statements"][0]["mineral"] = "unobtainium"
    doc["statements"][1]["country"] = "XX"
    with pytest.raises(IngestError) as err:
        load_rates(_write(tmp_path, doc))
    cols = {(p.row.split(" ")[0], p.column) for p in err.value.problems}
    assert ("statements[1]", "mineral") in cols and ("statements[2]", "country") in cols
    with pytest.raises(IngestError, match="top-level list 'targets'"):
        load_targets(_write(tmp_path, {"target": []}, "targets.yaml"))
    bad = tmp_path / "broken.yaml"
    bad.write_text("figures: [\n", encoding="utf-8")
    with pytest.raises(IngestError, match="valid YAML"):
        load_rates(bad)


def test_a_target_beyond_100_percent_is_refused(tmp_path):
    doc = yaml.safe_load(TARGETS_FILE.read_text(encoding="utf-8"))
    doc["targets"][0]["target_pct"] = 170
    with pytest.raises(IngestError) as err:
        load_targets(_write(tmp_path, doc, "targets.yaml"))
    (p,) = err.value.problems
    assert (p.row, p.column, p.value) == (
        "targets[1] (cn-tungsten-recycling-rate-70-by-2028)",
        "target_pct",
        170,
    )
