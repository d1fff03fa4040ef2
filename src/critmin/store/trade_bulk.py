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

from collections.abc import Iterable, Iterator
from contextlib import suppress
from itertools import repeat
from queue import Queue
from threading import Thread
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from critmin.ingest.trade import FLOW_COLUMNS, Chunk

TABLE = "trade_import_flows"
COLUMNS = ("import_id", *FLOW_COLUMNS)
_INT = {"import_id", "row", "year", "month", "exporter_code", "importer_code"}
_FLOAT = {"value_kusd", "quantity_t"}
WIDTH = {"reporter": 3, "flow": 1, "exporter": 3, "importer": 3, "hs6": 6}
PG_HEADER = b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
PG_TRAILER = (-1).to_bytes(2, "big", signed=True)


def _column(frame: Chunk, column: str) -> np.ndarray:
    """A column as numpy values (text as fixed-width bytes)."""
    values = frame[column]
    width = WIDTH.get(column)
    return values if width is None or values.dtype == f"S{width}" else values.astype(f"S{width}")


def _nulls(frame: Chunk) -> dict[str, np.ndarray]:
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


def _python(values: np.ndarray, null: np.ndarray) -> list[Any]:
    """A column as Python values for the DBAPI (None where NULL)."""
    if not null.any():
        return values.tolist()
    cells = values.astype(object)
    cells[null] = None
    return cells.tolist()


def sqlite_columns(frame: Chunk) -> tuple[str, list[tuple[np.ndarray, np.ndarray]]]:
    """The prepared statement of a chunk and its columns (text decoded), still as numpy
    arrays: Python objects are made only when the chunk is written, one chunk at a time."""
    nulls = _nulls(frame)
    columns = [c for c in FLOW_COLUMNS if not nulls[c].all()]
    arrays = []
    for c in columns:
        values = _column(frame, c)
        if c in WIDTH:
            values = values.astype(f"U{WIDTH[c]}")
        arrays.append((values, nulls[c]))
    sql = (f"INSERT INTO {TABLE} (import_id, {', '.join(columns)}) "
           f"VALUES ({', '.join('?' * (len(columns) + 1))})")  # fmt: skip
    return sql, arrays


def _pg_field(frame: Chunk, column: str, import_id: int) -> tuple[str, np.ndarray]:
    """The binary COPY type and values of a column (big-endian)."""
    if column == "import_id":
        return ">i4", np.full(len(frame["row"]), import_id, dtype=">i4")
    values = _column(frame, column)
    if column in _INT:
        return ">i4", values.astype(">i4")
    if column in _FLOAT:
        return ">f8", values.astype(">f8")
    return values.dtype.str, values


def pg_binary(frame: Chunk, import_id: int) -> bytes:
    """The rows of ``frame`` as a PostgreSQL binary COPY body (no header or trailer)."""
    nulls = _nulls(frame)
    fields = {c: _pg_field(frame, c, import_id) for c in COLUMNS}
    mask = np.zeros(len(frame["row"]), dtype=np.int64)
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

    def write(self, body: bytes) -> None:
        self._copy.write(body)

    def close(self, failed: bool = False) -> None:
        if failed:
            exc = RuntimeError("import abandoned")
            with suppress(Exception):  # the transaction is rolled back anyway
                self._context.__exit__(type(exc), exc, None)
        else:
            self._copy.write(PG_TRAILER)
            self._context.__exit__(None, None, None)
        self._cursor.close()


def prefetch(items: Iterable[Any], depth: int = 1) -> Iterator[Any]:
    """``items``, produced by a background thread at most ``depth`` ahead (so parsing and
    converting the next chunk overlaps the database's work on this one; memory stays
    bounded). An exception in the producer is raised here."""
    queue: Queue[tuple[str, Any]] = Queue(maxsize=depth)
    stop = False

    def produce() -> None:
        try:
            for item in items:
                queue.put(("item", item))
                if stop:
                    return
            queue.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            queue.put(("error", exc))

    worker = Thread(target=produce, daemon=True, name="trade-prefetch")
    worker.start()
    try:
        while True:
            kind, value = queue.get()
            if kind == "end":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop = True
        while worker.is_alive():  # let a blocked producer finish
            while not queue.empty():
                queue.get_nowait()
            worker.join(timeout=0.05)


class FlowWriter:
    """Writes the chunks of one import through the backend's fast path: ``prepare`` turns
    a chunk into what the driver takes (may run in another thread), ``write`` sends it."""

    def __init__(self, session: Session, import_id: int) -> None:
        self.session, self.import_id = session, import_id
        self.postgres = session.get_bind().dialect.name == "postgresql"
        self._copy: PgCopy | None = None

    def prepare(self, frame: Chunk) -> tuple[int, Any]:
        if self.postgres:
            return len(frame["row"]), pg_binary(frame, self.import_id)
        return len(frame["row"]), sqlite_columns(frame)

    def write(self, prepared: tuple[int, Any]) -> int:
        count, payload = prepared
        if not self.postgres:
            sql, arrays = payload
            cells = [_python(values, null) for values, null in arrays]
            dbapi = self.session.connection().connection.driver_connection
            dbapi.executemany(sql, zip(repeat(self.import_id), *cells))  # type: ignore[union-attr]
            return count
        if self._copy is None:
            self._copy = PgCopy(self.session)
        self._copy.write(payload)
        return count

    def close(self, failed: bool = False) -> None:
        if self._copy is not None:
            self._copy.close(failed)
            self._copy = None
