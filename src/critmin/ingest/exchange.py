"""The partner exchange format for projects: JSON/YAML (with JSON Schema) and CSV.

JSON documents are ``{"schema_version": "1.0", "projects": [...]}`` where each item is
a :class:`~critmin.domain.projects.ProjectRecord`. The CSV template holds one row per
project; nested parts live in documented columns (see :data:`CSV_COLUMNS`):

* ``partners``: names separated by ``|``;
* ``capacity_by_year``: ``YEAR:T_PER_YR`` pairs separated by ``|`` (``2026:15|2027:40``);
* ``financing_*``: the scalar financing fields;
* ``funding_sources``, ``milestones``, ``offtakers``, ``history``, ``sources``: JSON arrays.

An empty cell means "not given" (null, or an empty list). Rows are numbered as a
spreadsheet shows them: the header is row 1, the first project row 2.

Reading streams the input (:func:`iter_stream`): each row or item becomes a
:class:`Parsed`, which also says which fields the file states (a CSV column absent
from the header, or a key absent from a JSON/YAML item, is not stated).

CSV cells that a spreadsheet would run as a formula (starting ``=``, ``+``, ``-``,
``@``, tab or carriage return) are written with a leading ``'``; so are cells that
start with ``'`` followed by one of those or another ``'``. Reading removes exactly
that one ``'``, so export -> import -> export gives the same file.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from pydantic import ValidationError

from critmin.domain.projects import (
    MAX_CELL_CHARS,
    SCHEMA_VERSION,
    ProjectFile,
    ProjectRecord,
)
from critmin.ingest.documents import DocumentError, iter_json, iter_yaml
from critmin.ingest.errors import IngestError, Problem, ProblemLog

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
FINANCING_FIELDS = frozenset(f"financing.{name}" for name in _FINANCING.values())
MERGE_FIELDS: frozenset[str] = frozenset(
    {name for name in ProjectRecord.model_fields if name != "financing"} | FINANCING_FIELDS
)
"""What a file can state about a record: each top-level field, financing part by part."""
COLUMN_FIELD = {c: f"financing.{_FINANCING[c]}" if c in _FINANCING else c for c in CSV_COLUMNS}
"""The field each CSV column states."""
_LIST_FIELDS = frozenset(
    {"partners", "capacity_by_year", "milestones", "offtakers", "history", "sources"}
)
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula (OWASP)."""
_ESCAPED_AFTER_QUOTE = (*FORMULA_START, "'")
DOCUMENT_SHAPE = 'an object {"schema_version": "1.0", "projects": [...]}'


def escape_cell(text: str) -> str:
    """A CSV cell no spreadsheet runs as a formula: see the module docstring."""
    if text.startswith(FORMULA_START) or (
        text.startswith("'") and text[1:2].startswith(_ESCAPED_AFTER_QUOTE) and len(text) > 1
    ):
        return "'" + text
    return text


def unescape_cell(text: str) -> str:
    """The inverse of :func:`escape_cell`."""
    if text.startswith("'") and len(text) > 1 and text[1].startswith(_ESCAPED_AFTER_QUOTE):
        return text[1:]
    return text


def json_schema() -> dict[str, Any]:
    """The versioned JSON Schema of an exchange-format document."""
    schema = ProjectFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = f"https://critmin.org/schema/project-exchange/{SCHEMA_VERSION}.json"
    schema["title"] = f"critmin project exchange format {SCHEMA_VERSION}"
    # an import gives a new record without a stated level "owner", not the API's default
    schema["$defs"]["ProjectRecord"]["properties"]["sharing"].pop("default", None)
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
        text = LIST_SEP.join(value)
    elif column == "capacity_by_year":
        text = LIST_SEP.join(f"{p['year']}:{_num(p['capacity_tpa'])}" for p in value)
    elif column in JSON_COLUMNS:
        text = json.dumps(value, ensure_ascii=False) if value else ""
    elif value is None:
        text = ""
    elif isinstance(value, float):
        text = _num(value)
    else:
        text = str(value)
    return escape_cell(text)


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


@dataclass
class Parsed:
    """One row (CSV) or item (JSON/YAML) of an import, validated on its own.

    ``given`` names the fields the file states (see :data:`MERGE_FIELDS`); ``record`` is
    None when ``problems`` is not empty. ``key`` is the key as written (for duplicates).
    """

    row: int | None
    key: str | None
    record: ProjectRecord | None
    given: frozenset[str]
    problems: list[Problem] = field(default_factory=list)


_MESSAGE_FIELD = re.compile(r"^([a-z_]+(?:\.[a-z_]+)?): (.+)$", re.S)


def problems_from_validation(
    exc: ValidationError,
    *,
    file: str,
    row: int | str | None,
    raw: dict[str, Any] | None = None,
    csv_mode: bool = False,
) -> list[Problem]:
    """One Problem per validation error; CSV problems name the column, JSON the field path."""
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err["loc"]]
        expected = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        if not loc:  # a rule over several fields: its message starts with the field
            value = None
            match = _MESSAGE_FIELD.match(expected)
            if match and match.group(1).split(".")[0] in ProjectRecord.model_fields:
                loc, expected = match.group(1).split("."), match.group(2)
                if not csv_mode and raw is not None and len(loc) == 1:
                    value = raw.get(loc[0])
        if csv_mode:
            column = loc[0] if loc else ""
            if column == "financing" and len(loc) > 1:
                column = _FIELD_TO_COLUMN.get(loc[1], "financing")
                loc = loc[1:]
            detail = ".".join(loc[1:]) if column in JSON_COLUMNS and len(loc) > 1 else ""
            if raw is not None and column in raw:
                value = raw[column]
            if detail:
                expected = f"{detail}: {expected}"
        else:
            column = ".".join(loc)
        problems.append(
            Problem(file=file, row=row, column=column or "(row)", value=value, expected=expected)
        )
    return problems


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(LIST_SEP) if part.strip()]


def _cell_value(column: str, text: str, *, file: str, row: int) -> tuple[Any, Problem | None]:
    """The value of one non-empty CSV cell for validation, or a problem."""
    if column == "partners":
        return _split_list(text), None
    if column == "capacity_by_year":
        points = []
        for part in _split_list(text):
            year, sep, cap = part.partition(":")
            if not sep:
                expected = "YEAR:T_PER_YR pairs separated by '|', e.g. 2026:15|2027:40"
                return None, Problem(file, row, column, part, expected)
            points.append({"year": year.strip(), "capacity_tpa": cap.strip()})
        return points, None
    if column in JSON_COLUMNS:
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            detail = f"{exc.msg} at character {exc.pos}" if hasattr(exc, "msg") else "too deep"
            return None, Problem(file, row, column, text, f"a JSON array ({detail})")
        if not isinstance(value, list):
            return None, Problem(file, row, column, text, "a JSON array")
        return value, None
    return text, None


def _column_plan(header: list[str]) -> list[tuple[str, str, bool, str]]:
    """For each header column: (column, field name, is a financing part, kind of cell)."""
    plan = []
    for column in header:
        if column == "sharing":
            kind = "sharing"
        elif column in ("partners", "capacity_by_year") or column in JSON_COLUMNS:
            kind = "list"
        else:
            kind = "text"
        plan.append((column, _FINANCING.get(column, column), column in _FINANCING, kind))
    return plan


def _csv_row(
    cells: list[str],
    plan: list[tuple[str, str, bool, str]],
    given: frozenset[str],
    *,
    file: str,
    row: int,
) -> Parsed:
    financing: dict[str, Any] = {}
    data: dict[str, Any] = {"financing": financing}
    problems: list[Problem] = []
    for (column, name, in_financing, kind), cell in zip(plan, cells, strict=False):
        text = cell.strip()
        if text[:1] == "'":
            text = unescape_cell(text)
        target = financing if in_financing else data
        if not text:
            if kind == "sharing":
                given = given - {"sharing"}  # an empty cell states no level
            else:
                target[name] = [] if kind == "list" else None
        elif kind == "list":
            value, problem = _cell_value(column, text, file=file, row=row)
            if problem is not None:
                problems.append(problem)
            else:
                target[name] = value
        else:
            target[name] = text
    raw = data.get("key")
    key = raw if isinstance(raw, str) else None
    try:
        record = ProjectRecord.model_validate(data)
    except ValidationError as exc:
        failed = {p.column for p in problems}
        cells_by_column = zip([c for c, *_ in plan], cells, strict=False)
        cellmap = {c: unescape_cell(cell.strip()) for c, cell in cells_by_column}
        problems += [
            p
            for p in problems_from_validation(exc, file=file, row=row, raw=cellmap, csv_mode=True)
            if p.column not in failed
        ]
        record = None
    return Parsed(row, key, None if problems else record, given, problems)


def _header_problems(header: list[str], file: str) -> list[Problem]:
    problems = [
        Problem(file, 1, column, column, f"a known column: {', '.join(CSV_COLUMNS)}")
        for column in header
        if column not in CSV_COLUMNS
    ]
    problems += [
        Problem(file, 1, column, column, "a column named once in the header")
        for i, column in enumerate(header)
        if column in header[:i]
    ]
    problems += [
        Problem(file, 1, column, None, "this required column in the header")
        for column in REQUIRED_COLUMNS
        if column not in header
    ]
    return problems


def iter_csv(stream: IO[str], *, file: str = "<csv>") -> Iterator[Parsed]:
    """Each project row of an exchange-format CSV; IngestError for a bad header or file."""
    reader = csv.reader(stream)
    index = 0
    try:
        header = [h.strip() for h in next(reader, [])]
        header[:1] = [header[0].removeprefix("\ufeff")] if header else []
        index = 1
        problems = _header_problems(header, file)
        if problems:
            raise IngestError(problems)
        given = frozenset(COLUMN_FIELD[c] for c in header)
        plan = _column_plan(header)
        width = len(header)
        for index, cells in enumerate(reader, start=2):
            if len(cells) > width:
                expected = f"at most {width} cells, as in the header"
                problem = Problem(file, index, "(row)", cells[width:], expected)
                yield Parsed(index, None, None, given, [problem])
                continue
            if not any(c.strip() for c in cells):
                continue
            yield _csv_row(cells, plan, given, file=file, row=index)
    except csv.Error as exc:
        expected = f"well-formed CSV with cells of at most {MAX_CELL_CHARS:,} characters ({exc})"
        raise IngestError([Problem(file, index + 1, "(row)", None, expected)]) from None


def parse_item(item: Any, *, row: int, file: str) -> Parsed:
    """One JSON/YAML project item: ``null`` for a list or ``financing`` clears it."""
    if not isinstance(item, dict):
        problem = Problem(file, row, "(item)", item, "an object with the project's fields")
        return Parsed(row, None, None, frozenset(), [problem])
    data = dict(item)
    given: set[str] = set()
    for name, value in item.items():
        if name == "financing" and value is None:
            data["financing"] = {}
            given |= FINANCING_FIELDS
        elif name == "financing" and isinstance(value, dict):
            given |= {f"financing.{k}" for k in value}
        elif name == "sharing" and value is None:
            del data["sharing"]  # no level stated
        elif name in _LIST_FIELDS and value is None:
            data[name] = []
            given.add(name)
        else:
            given.add(str(name))
    key = item.get("key")
    key = key.strip() if isinstance(key, str) else None
    try:
        record = ProjectRecord.model_validate(data)
    except ValidationError as exc:
        problems = problems_from_validation(exc, file=file, row=row, raw=item)
        return Parsed(row, key, None, frozenset(given), problems)
    return Parsed(row, key, record, frozenset(given))


def _version_problem(version: Any, file: str) -> Problem | None:
    if version is None or str(version).startswith("1."):
        return None
    return Problem(file, None, "schema_version", version, "a 1.x schema version")


def iter_document(stream: IO[bytes], *, fmt: str, file: str) -> Iterator[Parsed]:
    """Each project item of a JSON or YAML document; a bad schema version comes last, as a
    Parsed with only a problem. IngestError for a malformed document."""
    try:
        if fmt == "json":
            events = iter_json(stream)
        else:
            events = iter_yaml(io.TextIOWrapper(stream, encoding="utf-8-sig"))
        index = 0
        for kind, value in events:
            if kind == "item":
                index += 1
                yield parse_item(value, row=index, file=file)
            elif (problem := _version_problem(value, file)) is not None:
                yield Parsed(None, None, None, frozenset(), [problem])
    except DocumentError as exc:
        where = "(document)"
        raise IngestError([Problem(file, exc.line, where, None, str(exc))]) from None


def iter_stream(stream: IO[bytes], *, fmt: str, file: str) -> Iterator[Parsed]:
    """Each row or item of an exchange-format file in ``fmt`` (``csv``, ``json``, ``yaml``).

    Raises IngestError (file, row, column, value, expected) for what makes the whole
    file unreadable: a bad CSV header, malformed JSON/YAML, text that is not UTF-8.
    """
    try:
        if fmt == "csv":
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            yield from iter_csv(text, file=file)
        else:
            yield from iter_document(stream, fmt=fmt, file=file)
    except UnicodeDecodeError as exc:
        problem = Problem(file, None, "(file)", None, f"UTF-8 text ({exc.reason})")
        raise IngestError([problem]) from None


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv",):
        return "csv"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    return "json"


def open_file(path: Path) -> IO[bytes]:
    """``path`` opened for :func:`iter_stream`; IngestError if it cannot be read."""
    try:
        return path.open("rb")
    except OSError as exc:
        problem = Problem(str(path), None, "(file)", None, f"a readable file ({exc})")
        raise IngestError([problem]) from None


# ---------------------------------------------------------------- whole files (small)


def collect(parsed: Iterable[Parsed], *, file: str) -> list[ProjectRecord]:
    """Every record of ``parsed``, or IngestError listing every problem (duplicate keys too)."""
    log = ProblemLog()
    records: list[ProjectRecord] = []
    seen: dict[str, int | None] = {}
    try:
        for item in parsed:
            if item.key and item.key in seen:
                log.add(duplicate_key(item, seen[item.key], file))
                continue
            if item.key:
                seen[item.key] = item.row
            log.extend(item.problems)
            if item.record is not None:
                records.append(item.record)
    except IngestError as exc:
        log.extend(exc.problems)
    log.raise_if_any()
    return records


def duplicate_key(item: Parsed, first: int | None, file: str) -> Problem:
    """The problem of a key the file already used on row ``first``."""
    return Problem(file, item.row, "key", item.key, f"a unique key (already used on row {first})")


def parse_csv(text: str, *, file: str = "<csv>") -> list[ProjectRecord]:
    """Parse an exchange-format CSV; raise IngestError listing every problem."""
    return collect(iter_csv(io.StringIO(text, newline=""), file=file), file=file)


def parse_document(doc: Any, *, file: str = "<json>") -> list[ProjectRecord]:
    """Validate a parsed JSON/YAML exchange document; raise IngestError listing every problem."""
    if not isinstance(doc, dict) or not isinstance(doc.get("projects"), list):
        raise IngestError([Problem(file, None, "projects", type(doc).__name__, DOCUMENT_SHAPE)])
    items = [parse_item(item, row=i, file=file) for i, item in enumerate(doc["projects"], 1)]
    problem = _version_problem(doc.get("schema_version"), file)
    if problem is not None:
        items.append(Parsed(None, None, None, frozenset(), [problem]))
    return collect(items, file=file)


def parse_text(text: str, *, fmt: str, file: str) -> list[ProjectRecord]:
    return collect(iter_stream(io.BytesIO(text.encode("utf-8")), fmt=fmt, file=file), file=file)


def read_file(path: Path, fmt: str | None = None) -> list[ProjectRecord]:
    """Read and validate an exchange-format file (JSON, YAML or CSV)."""
    with open_file(path) as stream:
        return collect(iter_stream(stream, fmt=fmt or detect_format(path), file=str(path)),
                       file=str(path))  # fmt: skip
