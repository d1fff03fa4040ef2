"""Columnar blocks of imported flows: encoding, bulk writing and decoding.

An import's flows are stored as :class:`~critmin.store.trade_tables.TradeFlowBlock`
rows, one per HS code within each parsed chunk: every field is one binary value holding
the block's column as raw bytes of a fixed dtype (:data:`FIELDS`: little-endian numbers,
fixed-width ASCII text). Nulls are -1 for integers, NaN for floats, empty text; a field
NULL in the whole block is stored as SQL NULL. Grouping, null counts and year ranges are
computed with numpy over the whole chunk; Python touches each block, never each row.

Writing is in the session's transaction (the import stays all or nothing): one prepared
``INSERT`` a block through the driver's ``executemany``; on PostgreSQL a chunk of many
small blocks goes through one binary ``COPY`` instead.
Chunks come from :func:`critmin.ingest.trade.iter_chunks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing
from itertools import repeat
from queue import Queue
from threading import Thread
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from critmin.ingest.trade import Chunk

TABLE = "trade_flow_blocks"
FIELDS = {"row": "<i4", "year": "<i2", "month": "<i1", "reporter": "S3", "flow": "S1",
          "exporter": "S3", "importer": "S3", "exporter_code": "<i2",
          "importer_code": "<i2", "value_kusd": "<f8", "quantity_t": "<f8"}  # fmt: skip
"""The dtype of each stored field (the HS code is the block's key, not a field)."""
KEYS = ("import_id", "hs6", "seq", "rows", "year_min", "year_max")
COLUMNS = (*KEYS, *FIELDS)
TEXT = {f for f, d in FIELDS.items() if d.startswith("S")}


def is_null(values: np.ndarray, field: str) -> np.ndarray:
    """Where a field's values are NULL."""
    if field in TEXT:
        return values == b""
    if FIELDS[field].startswith("<f"):
        return np.isnan(values)
    return values < 0


def encode(frame: Chunk, import_id: int, first_seq: int) -> list[tuple[Any, ...]]:
    """The blocks of one chunk as ``COLUMNS`` tuples, numbered from ``first_seq`` (one per
    HS code, in code order; rows keep their file order within a block)."""
    hs = frame["hs6"].astype("S6")
    if not len(hs):
        return []
    digits = np.frombuffer(hs.tobytes(), dtype=np.uint8).reshape(-1, 6).astype(np.int64)
    key = digits @ (256 ** np.arange(5, -1, -1, dtype=np.int64))  # sorts as the text does
    order = np.argsort(key, kind="stable")
    key = key[order]
    firsts = np.flatnonzero(np.concatenate([[True], key[1:] != key[:-1]]))
    starts = np.append(firsts, len(key))
    counts = np.diff(starts)
    codes = hs[order[firsts]]
    year = frame["year"][order]
    year_min, year_max = (np.minimum.reduceat(year, starts[:-1]).tolist(),
                          np.maximum.reduceat(year, starts[:-1]).tolist())  # fmt: skip
    bounds = starts.tolist()
    lows, highs = bounds[:-1], bounds[1:]
    fields = []  # per field, its slice of every block (None where NULL in the whole block)
    for field, dtype in FIELDS.items():
        values = frame[field][order].astype(dtype)
        nulls = np.add.reduceat(is_null(values, field).astype(np.int64), starts[:-1])
        data, size = values.tobytes(), values.dtype.itemsize
        blobs = [data[lo * size:hi * size] for lo, hi in zip(lows, highs, strict=True)]
        for b in np.flatnonzero(nulls == counts).tolist():
            blobs[b] = None
        fields.append(blobs)
    keys = zip(repeat(import_id), [c.decode() for c in codes.tolist()],
               range(first_seq, first_seq + len(codes)), counts.tolist(), year_min, year_max)
    return [(*k, *f) for k, f in zip(keys, zip(*fields, strict=True), strict=True)]


def decode(blocks: Sequence[Sequence[Any]]) -> dict[str, np.ndarray]:
    """The columns of ``blocks`` (``COLUMNS`` rows from ``hs6`` on, in the order given)
    as numpy arrays, ``hs6`` included; NULL fields decode to their null value."""
    out: dict[str, np.ndarray] = {}
    sizes = [int(b[2]) for b in blocks]
    out["hs6"] = np.repeat(np.array([b[0] for b in blocks], dtype="S6"), sizes)
    for at, (field, dtype) in enumerate(FIELDS.items(), start=5):
        null = b"" if field in TEXT else (np.nan if dtype.startswith("<f") else -1)
        parts = [np.full(n, null, dtype=dtype) if b[at] is None
                 else np.frombuffer(b[at], dtype=dtype)
                 for b, n in zip(blocks, sizes, strict=True)]  # fmt: skip
        out[field] = np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
    return out


def prefetch(items: Iterable[Any], depth: int = 1) -> Iterator[Any]:
    """``items``, produced by a background thread at most ``depth`` ahead (so parsing and
    encoding the next chunk overlaps the database's work on this one; memory stays
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


PG_COPY_FROM = 256
"""PostgreSQL: a chunk of this many blocks or more is written by ``COPY`` (measured
faster for many small blocks, slower for a few large ones than ``executemany``)."""
PG_TYPES = ["int4", "varchar", "int4", "int4", "int4", "int4"] + ["bytea"] * len(FIELDS)


def write_blocks(session: Session, blocks: list[tuple[Any, ...]]) -> None:
    """Insert encoded blocks in the session's transaction, on the raw DBAPI connection:
    one prepared ``INSERT`` through ``executemany``, or on PostgreSQL one binary ``COPY``
    when the chunk has many blocks (:data:`PG_COPY_FROM`)."""
    if not blocks:
        return
    dbapi: Any = session.connection().connection.driver_connection
    postgres = session.get_bind().dialect.name == "postgresql"
    if not postgres or len(blocks) < PG_COPY_FROM:
        marks = ", ".join(("%s" if postgres else "?") for _ in COLUMNS)
        sql = f"INSERT INTO {TABLE} ({', '.join(COLUMNS)}) VALUES ({marks})"
        with closing(dbapi.cursor()) as cursor:
            cursor.executemany(sql, blocks)
        return
    with dbapi.cursor() as cursor, cursor.copy(
            f"COPY {TABLE} ({', '.join(COLUMNS)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types(PG_TYPES)
        for block in blocks:
            copy.write_row(block)


class FlowWriter:
    """Writes the chunks of one import as blocks: ``prepare`` encodes a chunk (may run in
    another thread, one chunk after another), ``write`` inserts its blocks."""

    def __init__(self, session: Session, import_id: int) -> None:
        self.session, self.import_id = session, import_id
        self._seq = 0

    def prepare(self, frame: Chunk) -> tuple[int, list[tuple[Any, ...]]]:
        blocks = encode(frame, self.import_id, self._seq)
        self._seq += len(blocks)
        return len(frame["row"]), blocks

    def write(self, prepared: tuple[int, list[tuple[Any, ...]]]) -> int:
        count, blocks = prepared
        write_blocks(self.session, blocks)
        return count

    def close(self, failed: bool = False) -> None:
        """Nothing is held open between chunks (kept for the import's protocol)."""
