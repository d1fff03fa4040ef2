"""Imported trade: each import is a shared record; its flows reference it.

Bundled BACI stays in ``trade_flows`` (public reference data). An import of a BACI or
customs-style file is a :class:`TradeImport` owned by an organisation (or reference
data without one) and shared like every other record; its flows are stored as
:class:`TradeFlowBlock` column blocks (one per HS code and parsed chunk), seen only
through a visible import. Values are kUSD, quantities metric tons, whatever the layout
(the import converts).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from critmin.store.base import Base, Provenanced, Shared, Timestamped


class TradeImport(Base, Timestamped, Provenanced, Shared):
    """One imported trade file: its layout, what it held, who imported it."""

    __tablename__ = "trade_imports"
    id: Mapped[int] = mapped_column(primary_key=True)
    file: Mapped[str] = mapped_column(String(300))
    layout: Mapped[str] = mapped_column(String(12))  # baci | customs
    hs_revision: Mapped[str | None] = mapped_column(String(8))
    rows: Mapped[int] = mapped_column(Integer, default=0)
    years: Mapped[list[Any]] = mapped_column(default=list)
    reporters: Mapped[list[Any]] = mapped_column(default=list)
    actor: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(String(500))


class TradeFlowBlock(Base):
    """The flows of one HS code from one parsed chunk of an import, stored column by
    column: each field is a binary array (raw little-endian numbers, fixed-width ASCII
    text; see :mod:`critmin.store.trade_bulk` for the dtypes). A field NULL in the whole
    block is NULL here. Blocks are seen only through a visible import."""

    __tablename__ = "trade_flow_blocks"
    # the key is the index reads use: an import's blocks of given HS codes, in order
    # (no foreign key: blocks are written only by the import, in its transaction)
    import_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    hs6: Mapped[str] = mapped_column(String(6), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)  # order within the import
    rows: Mapped[int] = mapped_column(Integer)
    year_min: Mapped[int] = mapped_column(Integer)
    year_max: Mapped[int] = mapped_column(Integer)
    row: Mapped[bytes] = mapped_column(LargeBinary)  # the file's row (header = 1)
    year: Mapped[bytes] = mapped_column(LargeBinary)
    month: Mapped[bytes | None] = mapped_column(LargeBinary)
    reporter: Mapped[bytes | None] = mapped_column(LargeBinary)
    flow: Mapped[bytes | None] = mapped_column(LargeBinary)
    exporter: Mapped[bytes | None] = mapped_column(LargeBinary)
    importer: Mapped[bytes | None] = mapped_column(LargeBinary)
    exporter_code: Mapped[bytes | None] = mapped_column(LargeBinary)
    importer_code: Mapped[bytes | None] = mapped_column(LargeBinary)
    value_kusd: Mapped[bytes] = mapped_column(LargeBinary)
    quantity_t: Mapped[bytes | None] = mapped_column(LargeBinary)
