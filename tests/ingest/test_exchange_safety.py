"""Hostile exchange files: formula cells, alias bombs, deep nesting, huge cells, floods of
errors. Each is answered with a bounded, precise problem report, quickly."""

from __future__ import annotations

import csv
import io
import json
import random
import time

import pytest

from critmin.domain.projects import MAX_CELL_CHARS, ProjectRecord
from critmin.ingest import exchange
from critmin.ingest.documents import MAX_DEPTH
from critmin.ingest.errors import MAX_PROBLEMS, IngestError, Problem

BASE = {"mineral": "gallium", "stage": "extraction", "country": "CAN", "status": "announced"}
HEADER = "key,name,mineral,stage,country,status,notes\n"

# 516 bytes of YAML whose aliases expand to tens of megabytes
ALIAS_BOMB = "\n".join(
    [
        'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]',
        "b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]",
        "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]",
        "d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]",
        "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]",
        "f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]",
        "g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]",
        "projects:",
        "- {key: bomb-1, name: [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g, *g, *g, *g, *g, *g],",
        "   mineral: gallium, stage: extraction, country: CAN, status: announced}",
        "",
    ]
)

TRICKY = [
    "=1+1", "+cmd", "-2", "@SUM(A1)", "\t=x", "\r=x", "'", "''", "'=1", "''=1", "'''",
    "'abc", "it's", "'t Hooft", "a=b", "==", "'-", "-", "'\t", "plain",
]  # fmt: skip


def _record(key: str, **fields) -> ProjectRecord:
    return ProjectRecord.model_validate({"key": key, "name": key, **BASE, **fields})


@pytest.mark.parametrize("text", TRICKY)
def test_escaping_is_a_bijection(text):
    escaped = exchange.escape_cell(text)
    assert exchange.unescape_cell(escaped) == text
    assert not escaped.startswith(exchange.FORMULA_START)


def test_random_cells_round_trip():
    rng = random.Random(7)
    alphabet = "=+-@'\t\rab "
    for _ in range(5_000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6)))
        escaped = exchange.escape_cell(text)
        assert exchange.unescape_cell(escaped) == text
        assert not escaped.startswith(exchange.FORMULA_START)


def test_csv_export_neutralises_formulas_and_round_trips():
    records = [
        _record(f"f-{i}", name=f"{text}name", operator=text.strip() or None, notes=text,
                partners=[f"{text}p".strip()])
        for i, text in enumerate(["=HYPERLINK(\"http://x\")", "+1", "-1", "@cmd", "'=1", "''"])
    ]  # fmt: skip
    text = exchange.to_csv(records)
    for row in list(csv.reader(io.StringIO(text)))[1:]:
        for cell in row:
            assert not cell.startswith(exchange.FORMULA_START), cell
    again = exchange.parse_csv(text)
    assert again == records
    assert exchange.to_csv(again) == text


def test_yaml_aliases_are_refused_fast_without_echoing_the_expansion():
    assert len(ALIAS_BOMB.encode()) <= 600
    started = time.process_time()
    with pytest.raises(IngestError) as info:
        exchange.parse_text(ALIAS_BOMB, fmt="yaml", file="bomb.yaml")
    assert time.process_time() - started < 1.0
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column) == ("bomb.yaml", 1, "(document)")
    assert "aliases" in problem.expected
    assert len(str(info.value)) < 500 and "lol" not in str(info.value)


@pytest.mark.parametrize("fmt", ["json", "yaml"])
@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 1_000, 50_000])
def test_deep_nesting_is_a_problem_not_a_crash(fmt, depth):
    inner = "[" * depth + "]" * depth
    text = (
        '{"schema_version": "1.0", "projects": [{"key": "deep-1", "notes": ' + inner + "}]}"
        if fmt == "json"
        else "projects:\n- key: deep-1\n  notes: " + inner + "\n"
    )
    started = time.process_time()
    with pytest.raises(IngestError) as info:
        exchange.parse_text(text, fmt=fmt, file=f"deep.{fmt}")
    assert time.process_time() - started < 2.0
    (problem,) = info.value.problems
    assert problem.column == "(document)" and f"at most {MAX_DEPTH} levels" in problem.expected


def test_nesting_within_the_bound_is_read():
    doc = {"projects": [{"key": "ok-1", "name": "ok", **BASE,
                         "sources": [{"document": "d", "title": "t"}]}]}  # fmt: skip
    for fmt, text in (("json", json.dumps(doc)), ("yaml", json.dumps(doc))):
        (record,) = exchange.parse_text(text, fmt=fmt, file=f"x.{fmt}")
        assert record.sources[0].title == "t"


def test_a_cell_over_the_csv_field_limit_is_a_problem():
    text = HEADER + "ok-1,Ok,gallium,extraction,CAN,announced,fine\n"
    text += "big-1,Big,gallium,extraction,CAN,announced," + "x" * 140_000 + "\n"
    with pytest.raises(IngestError) as info:
        exchange.parse_csv(text, file="big.csv")
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column) == ("big.csv", 3, "(row)")
    assert f"{MAX_CELL_CHARS:,} characters" in problem.expected


def test_an_over_long_notes_cell_is_named():
    text = HEADER + "big-1,Big,gallium,extraction,CAN,announced," + "x" * 20_000 + "\n"
    with pytest.raises(IngestError) as info:
        exchange.parse_csv(text, file="notes.csv")
    (problem,) = info.value.problems
    assert (problem.row, problem.column) == (2, "notes") and "10000" in problem.expected
    assert len(problem.to_dict()["value"]) <= 120


def test_the_error_list_is_bounded_and_counts_the_rest():
    rows = "".join(f"k-{i},N,gallium,extraction,XXX,announced,\n" for i in range(500))
    with pytest.raises(IngestError) as info:
        exchange.parse_csv(HEADER + rows, file="many.csv")
    problems = info.value.problems
    assert len(problems) == MAX_PROBLEMS + 1
    assert [p.row for p in problems[:3]] == [2, 3, 4]
    assert problems[-1].value == 500 - MAX_PROBLEMS and problems[-1].row is None


def test_problem_values_are_cut_short_everywhere():
    problem = Problem("f.csv", 2, "notes", "y" * 10_000, "short text")
    assert len(problem.to_dict()["value"]) == 120 and len(str(problem)) < 250
    nested = Problem("f.json", 1, "x", {"a": [[[1]]]}, "text")
    assert nested.to_dict()["value"] == "{...}"


def test_json_nulls_and_absent_keys_are_told_apart():
    doc = {"projects": [{"key": "p-1", "name": "P", **BASE, "partners": None, "notes": None,
                         "financing": {"committed_usd": 5}}]}  # fmt: skip
    (item,) = exchange.iter_stream(io.BytesIO(json.dumps(doc).encode()), fmt="json", file="d")
    assert item.record is not None and item.record.partners == []
    assert {"partners", "notes", "financing.committed_usd"} <= item.given
    assert not {"offtakers", "sharing", "financing.needed_usd", "milestones"} & item.given


def test_csv_states_only_the_columns_of_its_header():
    text = "key,name,mineral,stage,country,status,sharing\np-1,P,gallium,refining,CAN,announced,\n"
    (item,) = exchange.iter_csv(io.StringIO(text), file="c.csv")
    assert item.given == {"key", "name", "mineral", "stage", "country", "status"}


@pytest.mark.parametrize("text", ["\x9f projects: []", "projects:\n- {key: a\x9f}", "\x00"])
def test_unreadable_yaml_characters_are_a_problem(text):
    with pytest.raises(IngestError) as info:
        exchange.parse_text(text, fmt="yaml", file="odd.yaml")
    (problem,) = info.value.problems
    assert problem.column == "(document)" and "character" in problem.expected
