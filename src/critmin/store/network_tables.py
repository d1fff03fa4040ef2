"""Stored supply networks: one shared record per network, its tables in a second row.

A :class:`SupplyNetwork` is owned by an organisation (or is reference data without one)
and shared ``public``, ``partners`` or ``owner`` only, like every other record; names are
unique per owner. Its nodes and edges are read whole by every question asked of it, so
they are kept as two compressed columnar blobs (Parquet, zstd) in
:class:`SupplyNetworkData` rather than as one row per node and edge: a million-edge
network is one read of a few megabytes and decodes in well under a second, and lists of
networks never touch the blobs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from critmin.store.base import Base, Shared, Timestamped


class SupplyNetwork(Base, Timestamped, Shared):
    """One stored network: its name, description, counts and where it came from."""

    __tablename__ = "supply_networks"
    __table_args__ = (UniqueConstraint("owner_org_id", "name",
                                       name="uq_supply_networks_owner_name"),)  # fmt: skip
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str | None] = mapped_column(String(1000))
    nodes: Mapped[int] = mapped_column(Integer, default=0)
    edges: Mapped[int] = mapped_column(Integer, default=0)
    synthetic: Mapped[bool] = mapped_column(Boolean, default=False)
    meta: Mapped[dict[str, Any]] = mapped_column(default=dict)  # layout, files, generator
    actor: Mapped[str | None] = mapped_column(String(200))


class SupplyNetworkData(Base):
    """The node and edge tables of a network as Parquet (zstd) bytes; read only through a
    network the caller may see."""

    __tablename__ = "supply_network_data"
    network_id: Mapped[int] = mapped_column(
        Integer, ForeignKey("supply_networks.id", ondelete="CASCADE"), primary_key=True)
    format: Mapped[str] = mapped_column(String(16), default="parquet-zstd")
    nodes_blob: Mapped[bytes] = mapped_column(LargeBinary)
    edges_blob: Mapped[bytes] = mapped_column(LargeBinary)
