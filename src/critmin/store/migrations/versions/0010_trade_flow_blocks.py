"""imported trade flows as columnar blocks

Revision ID: 0010
Revises: 0009

- ``trade_flow_blocks``: an import's flows, one row per HS code within each parsed chunk,
  each field one binary column (raw little-endian numbers, fixed-width text), keyed by
  import, HS code and sequence (on PostgreSQL the binary columns are stored
  ``EXTERNAL``: out of line when large, without pglz compression, which cost about a
  third of the import's time for little gain on numeric data);
- every existing ``trade_import_flows`` row is converted into blocks (an import at a
  time, in chunks of file rows), then the row table is dropped.

The downgrade recreates the row table from the blocks and drops them.
"""

from collections.abc import Iterator
from typing import Any

import numpy as np
import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

CHUNK = 100_000
BLOCKS = 500
FIELDS = ("row", "year", "month", "reporter", "flow", "exporter", "importer", "exporter_code",
          "importer_code", "value_kusd", "quantity_t")  # fmt: skip
INTS = ("row", "year", "month", "exporter_code", "importer_code")


def _rows_table() -> sa.Table:
    return sa.Table(
        "trade_import_flows", sa.MetaData(),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("row", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("month", sa.Integer(), nullable=True),
        sa.Column("reporter", sa.String(length=3), nullable=True),
        sa.Column("flow", sa.String(length=1), nullable=True),
        sa.Column("exporter", sa.String(length=3), nullable=True),
        sa.Column("importer", sa.String(length=3), nullable=True),
        sa.Column("exporter_code", sa.Integer(), nullable=True),
        sa.Column("importer_code", sa.Integer(), nullable=True),
        sa.Column("hs6", sa.String(length=6), nullable=False),
        sa.Column("value_kusd", sa.Float(), nullable=False),
        sa.Column("quantity_t", sa.Float(), nullable=True),
        sa.PrimaryKeyConstraint("import_id", "row", name="pk_trade_import_flows"),
        sqlite_with_rowid=False,
    )  # fmt: skip


def _blocks_table() -> sa.Table:
    binary = [sa.Column(f, sa.LargeBinary(), nullable=f not in ("row", "year", "value_kusd"))
              for f in FIELDS]
    return sa.Table(
        "trade_flow_blocks", sa.MetaData(),
        sa.Column("import_id", sa.Integer(), nullable=False),
        sa.Column("hs6", sa.String(length=6), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("year_min", sa.Integer(), nullable=False),
        sa.Column("year_max", sa.Integer(), nullable=False),
        *binary,
        sa.PrimaryKeyConstraint("import_id", "hs6", "seq", name="pk_trade_flow_blocks"),
    )  # fmt: skip


def _chunks(conn: Any, import_id: int) -> Iterator[dict[str, np.ndarray]]:
    """An import's rows in file order as chunks of numpy columns (nulls as the block
    encoding has them: -1, NaN, empty text)."""
    t = _rows_table().c
    last = 0
    while True:
        rows = conn.execute(sa.select(t.hs6, *(t[f] for f in FIELDS)).where(
            t.import_id == import_id, t.row > last).order_by(t.row).limit(CHUNK)).all()  # fmt: skip
        if not rows:
            return
        cols = list(zip(*rows, strict=True))
        chunk = {"hs6": np.array(cols[0], dtype="S6")}
        for f, values in zip(FIELDS, cols[1:], strict=True):
            if f in INTS:
                chunk[f] = np.array([-1 if v is None else v for v in values], dtype=np.int64)
            elif f in ("value_kusd", "quantity_t"):
                chunk[f] = np.array(values, dtype=float)  # None -> NaN
            else:
                chunk[f] = np.array([v or "" for v in values], dtype="S3")
        yield chunk
        last = int(chunk["row"][-1])


def upgrade() -> None:
    from critmin.store.trade_bulk import COLUMNS, encode

    conn = op.get_bind()
    blocks = _blocks_table()
    blocks.create(conn)
    if conn.dialect.name == "postgresql":  # blocks are stored as they are: no pglz
        for field in FIELDS:
            op.execute(f'ALTER TABLE trade_flow_blocks ALTER COLUMN "{field}" SET STORAGE EXTERNAL')
    rows = _rows_table()
    ids = conn.execute(sa.select(rows.c.import_id).distinct()).scalars().all()
    for import_id in ids:
        seq = 0
        for chunk in _chunks(conn, import_id):
            encoded = encode(chunk, import_id, seq)
            seq += len(encoded)
            conn.execute(blocks.insert(), [dict(zip(COLUMNS, b, strict=True)) for b in encoded])
    op.drop_table("trade_import_flows")


def _records(data: dict[str, np.ndarray], import_id: int) -> list[dict[str, Any]]:
    """Decoded block columns as row-table records (None where NULL)."""
    cells: dict[str, list[Any]] = {}
    for f in ("hs6", *FIELDS):
        values = data[f]
        if values.dtype.kind == "S":
            cells[f] = [v or None for v in values.astype("U6").tolist()]
        elif values.dtype.kind == "f":
            cells[f] = [None if v != v else v for v in values.tolist()]
        else:
            cells[f] = [None if v < 0 else v for v in values.tolist()]
    return [dict(zip(cells, r, strict=True), import_id=import_id)
            for r in zip(*cells.values(), strict=True)]  # fmt: skip


def downgrade() -> None:
    from critmin.store.trade_bulk import COLUMNS, decode

    conn = op.get_bind()
    rows = _rows_table()
    rows.create(conn)
    blocks = _blocks_table()
    c = blocks.c
    ids = conn.execute(sa.select(c.import_id).distinct()).scalars().all()
    for import_id in ids:
        last = conn.execute(sa.select(sa.func.max(c.seq)).where(c.import_id == import_id)).scalar()
        for first in range(0, last + 1, BLOCKS):  # a bounded number of blocks at a time
            chosen = sa.select(*(c[k] for k in COLUMNS[1:])).where(
                c.import_id == import_id, c.seq >= first, c.seq < first + BLOCKS)
            data = decode(conn.execute(chosen).all())
            conn.execute(rows.insert(), _records(data, import_id))
    op.drop_table("trade_flow_blocks")
