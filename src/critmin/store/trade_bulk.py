"""Bulk writing of trade chunks in the session's transaction, on the raw DBAPI connection.

* SQLite: one prepared ``INSERT`` per set of non-null columns, ``executemany`` over
  plain Python tuples (columns that are NULL in the whole chunk are left out).
* PostgreSQL: ``COPY ... FROM STDIN (FORMAT BINARY)`` through psycopg; the binary rows
  are built with numpy: rows are grouped by which columns are NULL, each group is one
  fixed-width structured array (every text column here has a fixed width), so nothing
  loops over rows in Python.

Chunks come from :func:`critmin.ingest.trade.iter_chunks`: text as fixed-width bytes
(empty = NULL), integers with -1 = NULL, NaN floats = NULL.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from critmin.ingest.trade import FLOW_COLUMNS

TABLE = "trade_import_flows"
COLUMNS = ("import_id", *FLOW_COLUMNS)
_INT = {"import_id", "year", "month", "exporter_code", "importer_code"}
_FLOAT = {"value_kusd", "quantity_t"}
WIDTH = {"reporter": 3, "flow": 1, "exporter": 3, "importer": 3, "hs6": 6}
PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
PG_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _column(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as numpy values (text as fixed-width bytes)."""
    values = frame[column].to_numpy()
    return values.astype(f"S{WIDTH[column]}") if column in WIDTH else values


def _nulls(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Per column, where it is NULL."""
    out = {}
    for column in FLOW_COLUMNS:
        values = _column(frame, column)
        if column in _INT:
            out[column] = values < 0
        elif column in _FLOAT:
            out[column] = np.isnan(values)
        else:
            out[column] = values == b""
    return out


def _python(values: np.ndarray, null: np.ndarray, column: str) -> list[Any]:
    """A column as Python values for the DBAPI (None where NULL)."""
    if column in _INT or column in _FLOAT:
        cells = values.astype(object)
    else:
        cells = values.astype(f"U{values.dtype.itemsize}").astype(object)
    if null.any():
        cells[null] = None
    return cells.tolist()


def sqlite_write(session: Session, import_id: int, frame: pd.DataFrame) -> int:
    nulls = _nulls(frame)
    columns = [c for c in FLOW_COLUMNS if not nulls[c].all()]
    cells = [_python(_column(frame, c), nulls[c], c) for c in columns]
    sql = (f"INSERT INTO {TABLE} (import_id, {', '.join(columns)}) "
           f"VALUES ({', '.join('?' * (len(columns) + 1))})")  # fmt: skip
    dbapi = session.connection().connection.driver_connection
    dbapi.executemany(sql, zip([import_id] * len(frame), *cells, strict=True))  # type: ignore[union-attr]
    return len(frame)


def _pg_field(frame: pd.DataFrame, column: str, import_id: int) -> tuple[str, np.ndarray]:
    """The binary COPY type and values of a column (big-endian)."""
    if column == "import_id":
        return ">i4", np.full(len(frame), import_id, dtype=">i4")
    values = _column(frame, column)
    if column in _INT:
        return ">i4", values.astype(">i4")
    if column in _FLOAT:
        return ">f8", values.astype(">f8")
    return values.dtype.str, values


def pg_binary(frame: pd.DataFrame, import_id: int) -> bytes:
    """The rows of ``frame`` as a PostgreSQL binary COPY body (no header or trailer)."""
    nulls = _nulls(frame)
    fields = {c: _pg_field(frame, c, import_id) for c in COLUMNS}
    mask = np.zeros(len(frame), dtype=np.int64)
    for bit, column in enumerate(FLOW_COLUMNS):
        mask |= nulls[column].astype(np.int64) << bit
    parts = []
    for pattern in np.unique(mask):
        rows = np.flatnonzero(mask == pattern)
        null_cols = {c for bit, c in enumerate(FLOW_COLUMNS) if pattern >> bit & 1}
        spec: list[tuple[str, str]] = [("n", ">i2")]
        for column in COLUMNS:
            spec.append((f"{column}_len", ">i4"))
            if column not in null_cols:
                spec.append((column, fields[column][0]))
        out = np.empty(len(rows), dtype=spec)
        out["n"] = len(COLUMNS)
        for column in COLUMNS:
            if column in null_cols:
                out[f"{column}_len"] = -1
            else:
                kind, values = fields[column]
                out[f"{column}_len"] = np.dtype(kind).itemsize
                out[column] = values[rows]
        parts.append(out.tobytes())
    return b"".join(parts)


class PgCopy:
    """One binary COPY into ``trade_import_flows`` open for a whole import."""

    def __init__(self, session: Session) -> None:
        dbapi = session.connection().connection.driver_connection
        self._cursor = dbapi.cursor()  # type: ignore[union-attr]
        sql = f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)"
        self._context = self._cursor.copy(sql)
        self._copy = self._context.__enter__()
        self._copy.write(PG_HEADER)

    def write(self, import_id: int, frame: pd.DataFrame) -> int:
        self._copy.write(pg_binary(frame, import_id))
        return len(frame)

    def close(self, failed: bool = False) -> None:
        if failed:
            exc = RuntimeError("import abandoned")
            try:
                self._context.__exit__(type(exc), exc, None)
            except Exception:  # noqa: BLE001 - the transaction is rolled back anyway
                pass
        else:
            self._copy.write(PG_TRAILER)
            self._context.__exit__(None, None, None)
        self._cursor.close()


class FlowWriter:
    """Writes chunks of one import through the backend's fast path."""

    def __init__(self, session: Session, import_id: int) -> None:
        self.session, self.import_id = session, import_id
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self._copy: PgCopy | None = None

    def write(self, frame: pd.DataFrame) -> int:
        if not self.postgres:
            return sqlite_write(self.session, self.import_id, frame)
        if self._copy is None:
            self._copy = PgCopy(self.session)
        return self._copy.write(self.import_id, frame)

    def close(self, failed: bool = False) -> None:
        if self._copy is not None:
            self._copy.close(failed)
            self._copy = None
