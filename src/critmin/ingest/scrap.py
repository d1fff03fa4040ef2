"""Scrap listings from CSV or JSON (docs/scrap.md): read and validated whole before
anything is stored; every problem names the file, row, column, value and what was
expected.

CSV: a header with the columns of :data:`COLUMNS` (``mineral``, ``scrap_types``,
``quantity_t``, ``country`` and ``available_from`` required; the rest optional). Lists
(``scrap_types``, ``standards``, ``required_standards``) are separated by ``;``; an
``assay`` is written ``W=88.5;Co=8``. JSON: a list of objects with the same fields (lists
as lists, the assay as an object), or ``{"listings": [...]}``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from critmin.domain.scrap import ScrapListing, listing_problems
from critmin.ingest.errors import IngestError, Problem

COLUMNS = tuple(ScrapListing.model_fields)
REQUIRED = ("mineral", "scrap_types", "quantity_t", "country", "available_from")
LIST_COLUMNS = ("scrap_types", "standards", "required_standards")
MAX_ROWS = 10_000
MAX_BYTES = 20_000_000


def _assay(text: str) -> dict[str, str]:
    out = {}
    for part in (p.strip() for p in text.split(";") if p.strip()):
        element, sep, value = part.partition("=")
        if not sep:
            raise ValueError("an assay written as W=88.5;Co=8 (element=percent, ';' between)")
        out[element.strip()] = value.strip()
    return out


def _csv_row(raw: dict[str, str], side: str) -> dict[str, Any]:
    data: dict[str, Any] = {"side": side}
    for column, value in raw.items():
        text = (value or "").strip()
        if not text:
            continue
        if column in LIST_COLUMNS:
            data[column] = [p.strip() for p in text.split(";") if p.strip()]
        elif column == "assay":
            data[column] = {k: float(v) if _number(v) else v for k, v in _assay(text).items()}
        elif column in ("grade_pct", "grade_min_pct", "grade_max_pct", "quantity_t", "lat",
                        "lon", "price_usd_per_t"):  # fmt: skip
            data[column] = float(text) if _number(text) else text
        else:
            data[column] = text
    return data


def _number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _rows(path: Path, text: str) -> list[tuple[int, dict[str, Any], dict[str, Any] | None]]:
    """(row number, raw cells or object, None) per record; CSV rows are numbered as a
    spreadsheet shows them (header = row 1), JSON items from 1."""
    name = path.name
    if path.suffix.lower() == ".json":
        try:
            doc = json.loads(text)
        except json.JSONDecodeError as exc:
            raise IngestError([Problem(name, exc.lineno, None, None,
                                       f"JSON ({exc.msg})")]) from None  # fmt: skip
        items = doc.get("listings") if isinstance(doc, dict) else doc
        if not isinstance(items, list):
            raise IngestError(
                [
                    Problem(
                        name,
                        None,
                        None,
                        type(doc).__name__,
                        'a list of listings or {"listings": [...]}',
                    )
                ]
            )
        return [(n, item, None) for n, item in enumerate(items, start=1)]
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    unknown = [c for c in header if c not in COLUMNS]
    missing = [c for c in REQUIRED if c not in header]
    if unknown or missing:
        what = unknown[0] if unknown else None
        raise IngestError([Problem(name, 1, what or ", ".join(missing), what,
                                   f"the columns {', '.join(COLUMNS)} "
                                   f"(required: {', '.join(REQUIRED)})")])  # fmt: skip
    rows = []
    for n, raw in enumerate(reader, start=2):
        if None in raw:
            raise IngestError([Problem(name, n, None, raw[None], f"{len(header)} cells")])
        rows.append((n, raw, raw))
    return rows


def read_listings(path: Path, side: str) -> list[ScrapListing]:
    """Every listing of ``path`` (CSV or JSON) as ``side`` (offer or request), or an
    IngestError listing every problem; nothing is returned half-read."""
    name = path.name
    if path.suffix.lower() not in (".csv", ".json"):
        raise IngestError([Problem(name, None, None, path.suffix, "a .csv or .json file")])
    try:
        if path.stat().st_size > MAX_BYTES:
            raise IngestError([Problem(name, None, None, path.stat().st_size,
                                       f"at most {MAX_BYTES:,} bytes")])  # fmt: skip
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise IngestError([Problem(name, None, None, None, f"a readable UTF-8 file ({exc})")]
                          ) from None  # fmt: skip
    rows = _rows(path, text)
    if not rows:
        raise IngestError([Problem(name, None, None, None, "at least one listing")])
    if len(rows) > MAX_ROWS:
        raise IngestError([Problem(name, None, None, len(rows), f"at most {MAX_ROWS} rows")])
    problems: list[Problem] = []
    out = []
    for n, item, raw in rows:
        if raw is not None:
            try:
                data = _csv_row(raw, side)
            except ValueError as exc:
                problems.append(Problem(name, n, "assay", raw.get("assay"), str(exc)))
                continue
        elif not isinstance(item, dict):
            problems.append(Problem(name, n, None, item, "an object with the listing's fields"))
            continue
        else:
            data = {"side": side, **item}
        if data.get("side") != side:
            problems.append(Problem(name, n, "side", data.get("side"),
                                    f"{side} (this command imports {side}s)"))  # fmt: skip
            continue
        try:
            out.append(ScrapListing.model_validate(data))
        except ValidationError as exc:
            for p in listing_problems(exc):
                column = p["field"].split(".")[0]
                value = (raw or {}).get(column, p["value"]) if raw is not None else p["value"]
                problems.append(Problem(name, n, p["field"], value, p["problem"]))
    if problems:
        raise IngestError(problems)
    return out
