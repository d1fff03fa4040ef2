"""The partner exchange format for projects: JSON (with JSON Schema) and CSV.

JSON documents are ``{"schema_version": "1.0", "projects": [...]}`` where each item is
a :class:`~critmin.domain.projects.ProjectRecord`. The CSV template holds one row per
project; nested parts live in documented columns (see :data:`CSV_COLUMNS`):

* ``partners``: names separated by ``|``;
* ``capacity_by_year``: ``YEAR:T_PER_YR`` pairs separated by ``|`` (``2026:15|2027:40``);
* ``financing_*``: the scalar financing fields;
* ``funding_sources``, ``milestones``, ``offtakers``, ``history``, ``sources``: JSON arrays.

An empty cell means "not given" (null, or an empty list). Rows are numbered as a
spreadsheet shows them: the header is row 1, the first project row 2.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from critmin.domain.projects import SCHEMA_VERSION, ProjectFile, ProjectRecord
from critmin.ingest.errors import IngestError, Problem

LIST_SEP = "|"
JSON_COLUMNS = ("funding_sources", "milestones", "offtakers", "history", "sources")
CSV_COLUMNS: tuple[str, ...] = (
    "key", "name", "name_original", "mineral", "form", "stage", "feed", "feed_note", "operator",
    "partners", "country", "site", "status", "capacity_tpa", "capacity_by_year", "start_year",
    "end_year",
    "financing_needed_usd", "financing_committed_usd", "capex_amount", "capex_currency",
    "funding_sources", "milestones", "offtakers", "sharing", "notes", "curation_note",
    "history", "sources",
)  # fmt: skip
REQUIRED_COLUMNS = ("key", "name", "mineral", "stage", "country", "status")
_FINANCING = {
    "financing_needed_usd": "needed_usd",
    "financing_committed_usd": "committed_usd",
    "capex_amount": "capex_amount",
    "capex_currency": "capex_currency",
    "funding_sources": "sources",
}
_FIELD_TO_COLUMN = {v: k for k, v in _FINANCING.items()}


def json_schema() -> dict[str, Any]:
    """The versioned JSON Schema of an exchange-format document."""
    schema = ProjectFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://critmin.org/schema/project-exchange/{SCHEMA_VERSION}.json"
    schema["title"] = f"critmin project exchange format {SCHEMA_VERSION}"
    return schema


# ---------------------------------------------------------------- writing


def to_json(records: Iterable[ProjectRecord]) -> str:
    doc = {
        "schema_version": SCHEMA_VERSION,
        "projects": [r.model_dump(mode="json") for r in records],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _csv_cell(column: str, data: dict[str, Any]) -> str:
    value = data["financing"][_FINANCING[column]] if column in _FINANCING else data[column]
    if column == "partners":
        return LIST_SEP.join(value)
    if column == "capacity_by_year":
        return LIST_SEP.join(f"{p['year']}:{_num(p['capacity_tpa'])}" for p in value)
    if column in JSON_COLUMNS:
        return json.dumps(value, ensure_ascii=False) if value else ""
    if value is None:
        return ""
    if isinstance(value, float):
        return _num(value)
    return str(value)


def _num(value: float) -> str:
    return repr(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


def to_csv(records: Iterable[ProjectRecord]) -> str:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for record in records:
        data = record.model_dump(mode="json")
        writer.writerow([_csv_cell(c, data) for c in CSV_COLUMNS])
    return buf.getvalue()


def csv_template() -> str:
    """An empty CSV with the header row, for partners to fill in."""
    return ",".join(CSV_COLUMNS) + "\n"


# ---------------------------------------------------------------- reading


def _problems_from_validation(
    exc: ValidationError, *, file: str, row: int | str, raw: dict[str, Any], csv_mode: bool
) -> list[Problem]:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        if csv_mode:
            column = loc[0] if loc else ""
            if column == "financing" and len(loc) > 1:
                column = _FIELD_TO_COLUMN.get(loc[1], "financing")
            detail = ".".join(loc[1:]) if column in JSON_COLUMNS and len(loc) > 1 else ""
            value = raw.get(column, err.get("input"))
        else:
            column = ".".join(loc)
            detail = ""
            value = err.get("input")
        expected = err["msg"].removeprefix("Value error, ")
        if detail:
            expected = f"{detail}: {expected}"
        if not column:
            column = "(row)"
        problems.append(Problem(file=file, row=row, column=column, value=value, expected=expected))
    return problems


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEP) if part.strip()]


def _csv_row_to_data(
    raw: dict[str, str], *, file: str, row: int
) -> tuple[dict[str, Any], list[Problem]]:
    problems: list[Problem] = []
    data: dict[str, Any] = {"financing": {}}
    for column in CSV_COLUMNS:
        text = (raw.get(column) or "").strip()
        target = data["financing"] if column in _FINANCING else data
        name = _FINANCING.get(column, column)
        if column == "partners":
            target[name] = _split_list(text)
        elif column == "capacity_by_year":
            points = []
            for part in _split_list(text):
                year, sep, cap = part.partition(":")
                if not sep:
                    problems.append(
                        Problem(
                            file=file,
                            row=row,
                            column=column,
                            value=part,
                            expected="YEAR:T_PER_YR pairs separated by '|', e.g. 2026:15|2027:40",
                        )
                    )
                    continue
                points.append({"year": year.strip(), "capacity_tpa": cap.strip()})
            target[name] = points
        elif column in JSON_COLUMNS:
            if not text:
                target[name] = []
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                problems.append(
                    Problem(
                        file=file,
                        row=row,
                        column=column,
                        value=text,
                        expected=f"a JSON array ({exc.msg} at character {exc.pos})",
                    )
                )
                continue
            if not isinstance(value, list):
                problems.append(
                    Problem(file=file, row=row, column=column, value=text, expected="a JSON array")
                )
                continue
            target[name] = value
        elif text == "":
            if column in ("sharing",):
                continue
            target[name] = None
        else:
            target[name] = text
    return data, problems


def parse_csv(text: str, *, file: str = "<csv>") -> list[ProjectRecord]:
    """Parse an exchange-format CSV; raise IngestError listing every problem."""
    text = text.removeprefix("\ufeff")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = reader.fieldnames or []
    problems: list[Problem] = []
    unknown = [c for c in header if c not in CSV_COLUMNS]
    missing = [c for c in REQUIRED_COLUMNS if c not in header]
    for column in unknown:
        problems.append(
            Problem(
                file=file,
                row=1,
                column=column,
                value=column,
                expected=f"a known column: {', '.join(CSV_COLUMNS)}",
            )
        )
    for column in missing:
        problems.append(
            Problem(
                file=file,
                row=1,
                column=column,
                value=None,
                expected="this required column in the header",
            )
        )
    if problems:
        raise IngestError(problems)
    records: list[ProjectRecord] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(reader, start=2):
        if None in raw:
            problems.append(
                Problem(
                    file=file,
                    row=index,
                    column="(row)",
                    value=raw[None],
                    expected=f"at most {len(header)} cells, as in the header",
                )
            )
            continue
        if not any((v or "").strip() for v in raw.values()):
            continue
        key = (raw.get("key") or "").strip()
        if key and key in seen:
            problems.append(
                Problem(
                    file=file,
                    row=index,
                    column="key",
                    value=key,
                    expected=f"a unique key (already used on row {seen[key]})",
                )
            )
            continue
        seen.setdefault(key, index)
        data, row_problems = _csv_row_to_data(raw, file=file, row=index)
        problems.extend(row_problems)
        try:
            record = ProjectRecord.model_validate(data)
        except ValidationError as exc:
            problems.extend(
                _problems_from_validation(exc, file=file, row=index, raw=raw, csv_mode=True)
            )
            continue
        if not row_problems:
            records.append(record)
    if problems:
        raise IngestError(problems)
    return records


def parse_document(doc: Any, *, file: str = "<json>") -> list[ProjectRecord]:
    """Validate a parsed JSON/YAML exchange document; raise IngestError listing every problem."""
    if not isinstance(doc, dict) or not isinstance(doc.get("projects"), list):
        raise IngestError(
            [
                Problem(
                    file=file,
                    row=None,
                    column="projects",
                    value=type(doc).__name__,
                    expected='an object {"schema_version": "1.0", "projects": [...]}',
                )
            ]
        )
    problems: list[Problem] = []
    version = str(doc.get("schema_version", SCHEMA_VERSION))
    if not version.startswith("1."):
        problems.append(
            Problem(
                file=file,
                row=None,
                column="schema_version",
                value=version,
                expected="a 1.x schema version",
            )
        )
    records: list[ProjectRecord] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(doc["projects"], start=1):
        key = item.get("key") if isinstance(item, dict) else None
        if isinstance(key, str) and key in seen:
            problems.append(
                Problem(
                    file=file,
                    row=index,
                    column="key",
                    value=key,
                    expected=f"a unique key (already used by project {seen[key]})",
                )
            )
            continue
        if isinstance(key, str):
            seen[key] = index
        try:
            record = ProjectRecord.model_validate(item)
        except ValidationError as exc:
            raw = item if isinstance(item, dict) else {}
            problems.extend(
                _problems_from_validation(exc, file=file, row=index, raw=raw, csv_mode=False)
            )
            continue
        records.append(record)
    if problems:
        raise IngestError(problems)
    return records


def parse_text(text: str, *, fmt: str, file: str) -> list[ProjectRecord]:
    if fmt == "csv":
        return parse_csv(text, file=file)
    try:
        doc = json.loads(text) if fmt == "json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise IngestError(
            [
                Problem(
                    file=file,
                    row=getattr(exc, "lineno", None),
                    column="(document)",
                    value=None,
                    expected=f"valid {fmt.upper()}: {exc}",
                )
            ]
        ) from None
    return parse_document(doc, file=file)


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv",):
        return "csv"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return "json"


def read_file(path: Path, fmt: str | None = None) -> list[ProjectRecord]:
    """Read and validate an exchange-format file (JSON, YAML or CSV)."""
    fmt = fmt or detect_format(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError(
            [
                Problem(
                    file=str(path),
                    row=None,
                    column="(file)",
                    value=None,
                    expected=f"a readable UTF-8 file ({exc})",
                )
            ]
        ) from None
    return parse_text(text, fmt=fmt, file=str(path))
