"""Vectorised checks for CSV data frames that report the failing cells precisely.

Rows are numbered as a spreadsheet shows them: the header is row 1, so the frame's
0-based position ``i`` is row ``i + 2``. Only failing rows are visited in Python.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from itertools import repeat
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from critmin.ingest.errors import IngestError, Problem


def read_text_frame(path: Path, columns: Sequence[str]) -> pd.DataFrame:
    """Read a CSV (plain or .gz) with every cell as text; the header must be ``columns``."""
    file = str(path)
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, EOFError) as exc:
        raise IngestError(
            [Problem(file, None, "(file)", None, f"a readable CSV ({exc})")]
        ) from None
    check_header(file, list(frame.columns), columns)
    return frame


def check_header(file: str, found: list[str], expected: Sequence[str]) -> None:
    problems = [
        Problem(file, 1, c, None, "this column in the header") for c in expected if c not in found
    ]
    problems += [
        Problem(file, 1, c, c, f"only the columns {', '.join(expected)}")
        for c in found
        if c not in expected
    ]
    if problems:
        raise IngestError(problems)


def cell_problems(
    file: str, frame: pd.DataFrame, mask: Any, column: str, expected: str
) -> list[Problem]:
    """One Problem per row where ``mask`` is true, quoting the cell of ``column``."""
    positions = np.flatnonzero(np.asarray(mask, dtype=bool))
    values = frame[column].to_numpy()[positions].tolist()  # plain Python values
    return [
        Problem(file, int(i) + 2, column, v, expected)
        for i, v in zip(positions, values, strict=True)
    ]


def numeric(
    file: str,
    frame: pd.DataFrame,
    column: str,
    problems: list[Problem],
    *,
    required: bool = False,
    integer: bool = False,
    minimum: float | None = None,
) -> pd.Series:
    """The text column as numbers (NaN where empty); bad cells are added to ``problems``."""
    text = frame[column].str.strip()
    values = pd.to_numeric(text.where(text != ""), errors="coerce")
    empty = text == ""
    bad = ~empty & (values.isna() | ~np.isfinite(values.fillna(0)))
    what = "an integer" if integer else "a number"
    if integer:
        bad |= ~empty & values.notna() & (values != values.round())
    if minimum is not None:
        bad |= values < minimum
        what += f" >= {minimum:g}"
    if required:
        bad |= empty
    else:
        what += " or empty"
    problems.extend(cell_problems(file, frame, bad, column, what))
    return values


def allowed(
    file: str, frame: pd.DataFrame, column: str, values: Iterable[str], problems: list[Problem]
) -> None:
    """Add a problem for each cell of ``column`` not among ``values``."""
    ok = set(values)
    bad = ~frame[column].isin(ok)
    shown = ", ".join(sorted(ok)) if len(ok) <= 12 else f"one of {len(ok)} known codes"
    problems.extend(cell_problems(file, frame, bad, column, f"one of: {shown}"))


def plain_columns(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Each column as an object array of plain Python values with None for missing."""
    out = {}
    for name in frame.columns:
        column = frame[name]
        values = np.array(column.to_numpy(), dtype=object)  # Python int/float/str
        values[pd.isna(column).to_numpy()] = None
        out[str(name)] = values
    return out


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain Python values, NaN as None (for a DBAPI executemany).

    Built column-wise: ``zip``/``dict`` run in C, with no Python loop over rows.
    """
    columns = plain_columns(frame)
    return list(map(dict, map(zip, repeat(list(columns)), zip(*columns.values(), strict=True))))


def insert_frame(session: Session, table: Table, frame: pd.DataFrame, chunk: int = 50_000) -> int:
    """Insert a frame in chunks with Core ``insert()`` executemany; returns rows inserted."""
    columns = plain_columns(frame)
    names = list(columns)
    for start in range(0, len(frame), chunk):
        part = zip(*(v[start : start + chunk] for v in columns.values()), strict=True)
        session.execute(insert(table), list(map(dict, map(zip, repeat(names), part))))
    return len(frame)
