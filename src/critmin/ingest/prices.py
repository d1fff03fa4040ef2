"""The price import layout: one observation per row of a CSV file or an Excel workbook.

Required columns: ``series, market, mineral, form, currency, unit, date, value, source``
(``form`` may be left empty). Optional: ``purity, frequency, date_precision, qualifier,
kind, window, relative_to, reference, note, description, sharing, source_url,
source_locator, source_quote``. See docs/prices.md for every column.

Each row is checked on its own here (:func:`parse_row`); that rows of one series agree
and that observations are unique is checked by the import service as the file streams.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from pydantic import ValidationError

from critmin.domain import vocab
from critmin.domain.entities import KEY_PATTERN, storable_text
from critmin.domain.enums import DatePrecision, Frequency, ObservationKind, Qualifier, Sharing
from critmin.domain.prices import (
    CURRENCIES,
    check_observation,
    observation_unit,
    parse_partial_date,
    parse_window,
    price_unit,
    price_units,
    unit_parts,
)
from critmin.domain.projects import MAX_PRICE, MAX_SHORT_NOTE
from critmin.domain.provenance import SourceRef
from critmin.ingest.errors import IngestError, Problem, validation_problems
from critmin.ingest.prices_sheet import iter_rows

REQUIRED = ("series", "market", "mineral", "form", "currency", "unit", "date", "value", "source")
OPTIONAL = ("purity", "frequency", "date_precision", "qualifier", "kind", "window",
            "relative_to", "reference", "note", "description", "sharing", "source_url",
            "source_locator", "source_quote")  # fmt: skip
SERIES_COLUMNS = ("market", "mineral", "form", "purity", "unit", "frequency", "description",
                  "sharing")  # fmt: skip
"""Columns that describe the series: every row of a series must agree on those it fills."""
VALUE_MARKS = {">=": "lower_bound", "≥": "lower_bound", ">": "lower_bound",
               "<=": "upper_bound", "≤": "upper_bound", "<": "upper_bound",
               "~": "approximate", "≈": "approximate"}  # fmt: skip
_KEY_RE = re.compile(KEY_PATTERN)
_LIMITS = {"market": 120, "purity": 40, "window": 40, "relative_to": 120, "reference": 120,
           "note": MAX_SHORT_NOTE, "description": 4000}  # fmt: skip


@dataclass(frozen=True)
class SeriesFields:
    """What a row says about its series (None: not stated)."""

    market: str
    mineral: str
    form: str | None
    purity: str | None
    unit: str
    frequency: str | None
    description: str | None
    sharing: str | None


@dataclass(frozen=True)
class PriceRow:
    """One validated observation row."""

    row: int
    series: str
    fields: SeriesFields
    date: dt.date
    date_precision: str
    kind: str
    qualifier: str
    value: float
    unit: str
    window: str | None
    relative_to: str | None
    reference: str | None
    note: str | None
    sources: tuple[dict[str, Any], ...]

    @property
    def identity(self) -> tuple[Any, ...]:
        """What makes an observation the same one again: date and its precision, kind,
        window and the other series."""
        return (self.date, self.date_precision, self.kind, self.window, self.relative_to)


def _text(cell: Any) -> str | None:
    if cell is None:
        return None
    if isinstance(cell, float) and cell.is_integer():
        cell = int(cell)
    return str(cell).strip() or None


def _one_of(exc: vocab.UnknownValue) -> str:
    """``one of: a, b (did you mean 'a'?)`` from a vocabulary error."""
    hint, _, listed = exc.expected.rpartition("expected one of: ")
    return f"one of: {listed}" + (f" ({hint.strip()})" if hint.strip() else "")


class _Row:
    """Collects the problems of one row while its cells are read."""

    def __init__(self, file: str, row: int, cells: dict[str, Any]) -> None:
        self.file, self.row, self.cells = file, row, cells
        self.problems: list[Problem] = []

    def bad(self, column: str, expected: str, value: Any = ...) -> None:
        value = self.cells.get(column) if value is ... else value
        self.problems.append(Problem(self.file, self.row, column, value, expected))

    def text(self, column: str, required: bool = False) -> str | None:
        value = _text(self.cells.get(column))
        if value is None and required:
            self.bad(column, "a value (this column is required)")
        elif value is not None and not storable_text(value):
            self.bad(column, "valid Unicode text without NUL characters")
            return None
        elif value is not None and len(value) > _LIMITS.get(column, 500):
            self.bad(column, f"at most {_LIMITS.get(column, 500)} characters")
            return None
        return value

    def choice(self, column: str, enum: type, default: str | None) -> str | None:
        value = self.text(column)
        if value is None:
            return default
        try:
            return vocab.resolve_enum(value, enum, column)
        except vocab.UnknownValue as exc:
            self.bad(column, _one_of(exc))
            return default


def _value(r: _Row) -> tuple[float | None, str | None]:
    """The value and the qualifier its text implies (``>43`` -> lower_bound)."""
    cell = r.cells.get("value")
    if cell is None:
        r.bad("value", "a number (this column is required)")
        return None, None
    mark = None
    if isinstance(cell, bool) or not isinstance(cell, int | float | str):
        r.bad("value", "a number such as 687, 43.5 or >43")
        return None, None
    if isinstance(cell, str):
        text = cell.strip().replace(",", "")
        for symbol, qualifier in VALUE_MARKS.items():
            if text.startswith(symbol):
                mark, text = qualifier, text[len(symbol):].strip()
                break
        text = text.removesuffix("%").strip()
        try:
            number = float(text)
        except ValueError:
            r.bad("value", "a number such as 687, 43.5 or >43 (>, <, ≈ mark bounds)")
            return None, None
    else:
        number = float(cell)
    if not math.isfinite(number) or abs(number) > MAX_PRICE:
        r.bad("value", f"a finite number of at most {MAX_PRICE:g} in size")
        return None, None
    return number, mark


def _date(r: _Row) -> tuple[dt.date | None, str | None]:
    cell = r.cells.get("date")
    stated = r.choice("date_precision", DatePrecision, None)
    if cell is None:
        r.bad("date", "a date such as 2025-05-14, 2025-05 or 2025 (this column is required)")
        return None, None
    if isinstance(cell, dt.datetime | dt.date):
        day = cell.date() if isinstance(cell, dt.datetime) else cell
        return day, stated or "day"
    text = _text(cell) or ""
    try:
        day, precision = parse_partial_date(text)
    except ValueError:
        r.bad("date", "a date such as 2025-05-14, 2025-05 (a month) or 2025 (a year)")
        return None, None
    rank = {"day": 0, "month": 1, "year": 2}
    if stated is not None and rank[stated] < rank[precision]:
        r.bad("date_precision", f"at most {precision} precision: the date {text!r} gives no "
              f"{'day' if precision == 'month' else 'month'}")  # fmt: skip
        return None, None
    return day, stated or precision


def _unit(r: _Row) -> str | None:
    currency, unit = r.text("currency", True), r.text("unit", True)
    if currency is None or unit is None:
        return None
    if currency.upper() not in CURRENCIES:
        r.bad("currency", f"one of {', '.join(CURRENCIES)}")
        return None
    try:
        return price_unit(currency, unit)
    except ValueError:
        units = sorted({unit_parts(u.value)[1] for u in price_units()
                        if u.value.startswith(currency.upper() + "/")})  # fmt: skip
        r.bad("unit", f"a unit priced in {currency.upper()}: {', '.join(units)}")
        return None


def _series_fields(r: _Row) -> SeriesFields | None:
    market = r.text("market", True)
    mineral_text = r.text("mineral", True)
    mineral = form = None
    if mineral_text is not None:
        try:
            mineral = vocab.resolve_mineral(mineral_text)
        except vocab.UnknownValue as exc:
            r.bad("mineral", _one_of(exc))
    form_text = r.text("form")
    if form_text is not None and mineral is not None:
        try:
            form = vocab.resolve_form(form_text, mineral)
        except vocab.UnknownValue as exc:
            r.bad("form", _one_of(exc))
    unit = _unit(r)
    frequency = r.choice("frequency", Frequency, None)
    sharing = r.choice("sharing", Sharing, None)
    purity, description = r.text("purity"), r.text("description")
    if market is None or mineral is None or unit is None:
        return None
    return SeriesFields(market, mineral, form, purity, unit, frequency, description, sharing)


def _sources(r: _Row) -> tuple[dict[str, Any], ...]:
    document = r.text("source", True)
    if document is None:
        return ()
    data = {"document": document, "url": r.text("source_url"),
            "locator": r.text("source_locator"), "quote": r.text("source_quote")}  # fmt: skip
    try:
        ref = SourceRef.model_validate({k: v for k, v in data.items() if v is not None})
    except ValidationError as exc:
        r.problems.extend(validation_problems(exc, file=r.file, row=r.row, prefix="source."))
        return ()
    return (ref.model_dump(mode="json", exclude_none=True),)


def parse_row(
    row: int, cells: dict[str, Any], *, file: str
) -> tuple[PriceRow | None, list[Problem]]:
    """One row of the layout, validated on its own: the row, or its problems."""
    r = _Row(file, row, cells)
    key = r.text("series", True)
    if key is not None and not _KEY_RE.match(key):
        r.bad("series", "a series key: lowercase letters, digits and '-', 2 to 120 characters")
        key = None
    fields = _series_fields(r)
    day, precision = _date(r)
    value, mark = _value(r)
    kind = r.choice("kind", ObservationKind, "level")
    qualifier = r.choice("qualifier", Qualifier, None)
    if mark is not None and qualifier not in (None, mark):
        r.bad("qualifier", f"{mark}, as the value {cells.get('value')!r} says (or no qualifier)")
    window = r.text("window")
    if window is not None:
        try:
            window = parse_window(window)
        except ValueError as exc:
            r.bad("window", str(exc).split(" is not ", 1)[-1])
            window = None
    relative_to, reference, note = r.text("relative_to"), r.text("reference"), r.text("note")
    if relative_to is not None and not _KEY_RE.match(relative_to):
        r.bad("relative_to", "the key of another series")
    sources = _sources(r)
    if not r.problems and value is not None and kind is not None:
        try:
            check_observation(kind, value, window, relative_to, reference)
        except ValueError as exc:
            column = ("relative_to" if "relative_to" in str(exc) else "window"
                      if "window" in str(exc) else "value")  # fmt: skip
            r.bad(column, str(exc))
    if key == relative_to and key is not None:
        r.bad("relative_to", "another series than the row's own")
    if r.problems or key is None or fields is None or day is None or value is None:
        return None, r.problems
    assert precision is not None and kind is not None
    return PriceRow(
        row=row, series=key, fields=fields, date=day, date_precision=precision, kind=kind,
        qualifier=qualifier or mark or "exact", value=value,
        unit=observation_unit(kind, fields.unit), window=window, relative_to=relative_to,
        reference=reference, note=note, sources=sources,
    ), []  # fmt: skip


def iter_price_rows(
    stream: IO[bytes], *, fmt: str, file: str
) -> Iterator[tuple[PriceRow | None, list[Problem]]]:
    """Each row of a price file, parsed; IngestError for an unreadable file or header."""
    for row, cells in iter_rows(stream, fmt=fmt, file=file, required=REQUIRED, optional=OPTIONAL):
        yield parse_row(row, cells, file=file)


__all__ = ["IngestError", "PriceRow", "SeriesFields", "iter_price_rows", "parse_row"]
