"""Reading the rows of a CSV file or an Excel workbook one at a time.

Both formats give ``(row number, {column: cell})`` pairs, numbered as a spreadsheet
shows them (the header is row 1). CSV cells are text; workbook cells keep their type
(numbers, dates) and are read from the first worksheet in openpyxl's streaming
read-only mode, so neither format is loaded whole. Blank rows are skipped.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from typing import IO, Any

from critmin.ingest.errors import IngestError, Problem
from critmin.ingest.exchange import MAX_CELL_CHARS, unescape_cell

FORMATS = ("csv", "xlsx")
XLSX_MAGIC = b"PK\x03\x04"


def detect_format(name: str, head: bytes = b"") -> str:
    """``xlsx`` for a ``.xlsx`` name or a ZIP payload, else ``csv``."""
    if name.lower().endswith(".xlsx") or head.startswith(XLSX_MAGIC):
        return "xlsx"
    return "csv"


def header_problems(
    header: Sequence[str], file: str, *, required: Sequence[str], optional: Sequence[str]
) -> list[Problem]:
    """Unknown, repeated and missing columns of a header (row 1)."""
    known = (*required, *optional)
    problems = [
        Problem(file, 1, c, c, f"a known column: {', '.join(known)}") for c in header if c
        and c not in known
    ]  # fmt: skip
    problems += [
        Problem(file, 1, c, c, "a column named once in the header")
        for i, c in enumerate(header)
        if c and c in header[:i]
    ]
    problems += [
        Problem(file, 1, c, None, "this required column in the header")
        for c in required
        if c not in header
    ]
    return problems


def _csv_rows(stream: IO[bytes], file: str) -> Iterator[tuple[int, list[Any]]]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    reader = csv.reader(text)
    index = 0
    try:
        for index, cells in enumerate(reader, start=1):
            yield index, [unescape_cell(c) for c in cells]
    except csv.Error as exc:
        expected = f"well-formed CSV with cells of at most {MAX_CELL_CHARS:,} characters ({exc})"
        raise IngestError([Problem(file, index + 1, "(row)", None, expected)]) from None
    except UnicodeDecodeError as exc:
        problem = Problem(file, None, "(file)", None, f"UTF-8 text ({exc.reason})")
        raise IngestError([problem]) from None


def _xlsx_rows(stream: IO[bytes], file: str) -> Iterator[tuple[int, list[Any]]]:
    from openpyxl import load_workbook

    # A workbook is a ZIP of XML parts: a damaged or hostile one can fail in many ways
    # (ZIP, XML, openpyxl's own checks); each is reported as an unreadable file.
    try:
        book = load_workbook(stream, read_only=True, data_only=True)
        sheet = book.worksheets[0]
    except Exception as exc:  # noqa: BLE001 - see above
        raise IngestError([_unreadable(file, exc)]) from None
    index = 0
    try:
        for index, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield index, [c.strip() if isinstance(c, str) else c for c in cells]
    except IngestError:
        raise
    except Exception as exc:  # noqa: BLE001 - a part of the workbook is damaged
        raise IngestError([_unreadable(file, exc, index + 1)]) from None
    finally:
        book.close()


def _unreadable(file: str, exc: Exception, row: int | None = None) -> Problem:
    reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return Problem(file, row, "(file)", None, f"a readable .xlsx workbook ({reason})")


def iter_rows(
    stream: IO[bytes],
    *,
    fmt: str,
    file: str,
    required: Sequence[str],
    optional: Sequence[str] = (),
) -> Iterator[tuple[int, dict[str, Any]]]:
    """Each data row of a CSV or .xlsx file as ``(row, {column: cell})``; IngestError for a
    bad header, a row wider than the header, or an unreadable file. Empty cells are None."""
    rows = _xlsx_rows(stream, file) if fmt == "xlsx" else _csv_rows(stream, file)
    first = next(rows, None)
    if first is None:
        raise IngestError([Problem(file, 1, "(header)", None, "a header row naming the columns")])
    header = [str(h).strip() if h is not None else "" for h in first[1]]
    if header:
        header[0] = header[0].removeprefix("\ufeff")
    while header and not header[-1]:  # workbooks pad rows with empty cells
        header.pop()
    problems = header_problems(header, file, required=required, optional=optional)
    if problems:
        raise IngestError(problems)
    width = len(header)
    for index, cells in rows:
        extra = [c for c in cells[width:] if c not in (None, "")]
        if extra:
            expected = f"at most {width} cells, as in the header"
            raise IngestError([Problem(file, index, "(row)", extra, expected)])
        values = {
            name: (None if cell is None or (isinstance(cell, str) and not cell.strip()) else cell)
            for name, cell in zip(header, cells, strict=False)
        }
        if all(v is None for v in values.values()):
            continue
        yield index, values
