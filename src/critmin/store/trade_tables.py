"""Imported trade: each import is a shared record; its flows reference it.

Bundled BACI stays in ``trade_flows`` (public reference data). An import of a BACI or
customs-style file is a :class:`TradeImport` owned by an organisation (or reference
data without one) and shared like every other record; its rows are
:class:`ImportedTradeFlow` and are seen only through a visible import. Values are kUSD,
quantities metric tons, whatever the layout (the import converts).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer, String
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


class ImportedTradeFlow(Base):
    """A flow of an import. ``reporter``/``flow`` (X export, M import) are the declaring
    country and direction of a customs row; BACI rows (reconciled) have neither."""

    __tablename__ = "trade_import_flows"
    # one b-tree: rows cluster by import (appended in file order, no separate index)
    __table_args__ = {"sqlite_with_rowid": False}
    # no foreign key: PostgreSQL would check it row by row (about half the import time);
    # rows are written only by the import, in the transaction that creates their import
    import_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    row: Mapped[int] = mapped_column(Integer, primary_key=True)  # the file's row (header = 1)
    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int | None] = mapped_column(Integer)
    reporter: Mapped[str | None] = mapped_column(String(3))
    flow: Mapped[str | None] = mapped_column(String(1))
    exporter: Mapped[str | None] = mapped_column(String(3))
    importer: Mapped[str | None] = mapped_column(String(3))
    exporter_code: Mapped[int | None] = mapped_column(Integer)
    importer_code: Mapped[int | None] = mapped_column(Integer)
    hs6: Mapped[str] = mapped_column(String(6))
    value_kusd: Mapped[float] = mapped_column(Float)
    quantity_t: Mapped[float | None] = mapped_column(Float)
