"""The project exchange format: schema, CSV/JSON round trips and error reports."""

from __future__ import annotations

import csv
import io
import json

import jsonschema
import pytest

from critmin.domain.projects import ProjectRecord
from critmin.ingest import exchange
from critmin.ingest.errors import IngestError


@pytest.fixture
def records(curated_projects_path):
    return exchange.read_file(curated_projects_path)


def test_schema_validates_bundled_projects(records):
    schema = exchange.json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    doc = json.loads(exchange.to_json(records))
    jsonschema.validate(doc, schema)
    assert doc["schema_version"] == "1.0"


def test_schema_rejects_what_the_model_rejects():
    schema = exchange.json_schema()
    bad = {"schema_version": "1.0", "projects": [{"key": "x-1", "name": "x"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, schema)


def test_csv_round_trip_is_lossless(records):
    text = exchange.to_csv(records)
    again = exchange.parse_csv(text)
    assert again == records
    assert exchange.to_csv(again) == text


def test_json_round_trip_is_lossless(records):
    text = exchange.to_json(records)
    assert exchange.parse_text(text, fmt="json", file="x.json") == records


def test_csv_template_is_the_header():
    header = next(csv.reader(io.StringIO(exchange.csv_template())))
    assert header == list(exchange.CSV_COLUMNS)


def _csv_with(rows: list[dict]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=exchange.CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow(row)
    return buf.getvalue()


def _row(i: int, **over) -> dict:
    row = {c: "" for c in exchange.CSV_COLUMNS}
    row.update(
        key=f"p-{i}",
        name=f"Project {i}",
        mineral="gallium",
        stage="extraction",
        country="CAN",
        status="announced",
        capacity_tpa="10",
    )
    row.update(over)
    return row


def test_bad_capacity_names_spreadsheet_row_and_column():
    rows = [_row(i) for i in range(6)]
    rows[5]["capacity_tpa"] = "forty"  # 6th data row = spreadsheet row 7
    with pytest.raises(IngestError) as info:
        exchange.parse_csv(_csv_with(rows), file="partners.csv")
    (problem,) = info.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "partners.csv",
        7,
        "capacity_tpa",
        "forty",
    )
    assert "number" in problem.expected
    assert "row 7" in str(info.value) and "capacity_tpa" in str(info.value)


def test_every_problem_is_listed_not_just_the_first():
    rows = [
        _row(1, country="XXX"),
        _row(2, status="dreaming"),
        _row(3, capacity_by_year="2026=4"),
        _row(4, milestones="[not json"),
        _row(5, financing_needed_usd="-3"),
        _row(6, form="apt"),  # a tungsten form on a gallium project
        _row(1),  # duplicate key
    ]
    with pytest.raises(IngestError) as info:
        exchange.parse_csv(_csv_with(rows), file="f.csv")
    found = {(p.row, p.column) for p in info.value.problems}
    assert found == {
        (2, "country"),
        (3, "status"),
        (4, "capacity_by_year"),
        (5, "milestones"),
        (6, "financing_needed_usd"),
        (7, "form"),  # a rule over several fields names the field it is about
        (8, "key"),
    }


def test_unknown_and_missing_columns_are_reported_on_the_header_row():
    text = "key,name,colour\nk-1,x,red\n"
    with pytest.raises(IngestError) as info:
        exchange.parse_csv(text, file="h.csv")
    assert {(p.row, p.column) for p in info.value.problems} >= {
        (1, "colour"),
        (1, "mineral"),
        (1, "stage"),
        (1, "country"),
        (1, "status"),
    }


def test_json_errors_name_item_and_field_path():
    doc = {
        "schema_version": "1.0",
        "projects": [
            ProjectRecord(
                key="ok-1",
                name="ok",
                mineral="tungsten",
                stage="extraction",
                country="KAZ",
                status="operating",
            ).model_dump(mode="json"),
            {
                "key": "bad-1",
                "name": "bad",
                "mineral": "tungsten",
                "stage": "extraction",
                "country": "KAZ",
                "status": "operating",
                "financing": {"committed_usd": "lots"},
            },
        ],
    }
    with pytest.raises(IngestError) as info:
        exchange.parse_document(doc, file="d.json")
    (problem,) = info.value.problems
    assert (problem.row, problem.column, problem.value) == (2, "financing.committed_usd", "lots")


def test_nested_columns_parse():
    rows = [
        _row(
            1,
            partners="A Corp|B Ltd",
            capacity_by_year="2026:15|2027:40",
            milestones=json.dumps([{"name": "EU CRMA strategic project", "state": "achieved"}]),
        )
    ]
    (record,) = exchange.parse_csv(_csv_with(rows))
    assert record.partners == ["A Corp", "B Ltd"]
    assert [(p.year, p.capacity_tpa) for p in record.capacity_by_year] == [
        (2026, 15.0),
        (2027, 40.0),
    ]
    assert record.milestones[0].state == "achieved"
