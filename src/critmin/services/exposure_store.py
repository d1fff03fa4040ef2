"""Stored supply networks: import a network into the store, list the ones the caller may
see, and load one through the caller's view.

A network is a shared record (:class:`~critmin.store.network_tables.SupplyNetwork`):
owned by the importing organisation (``owner`` only unless asked otherwise) or, from the
local operator without ``--org``, public reference data. Names are unique per owner
only: a partner's network of the same name is neither a clash nor visible. A network the
caller may not see is :class:`NotFound` with the same message as a missing one. Imports
are all or nothing and never widen the sharing of the network they replace.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.analytics.network import Network
from critmin.ingest import network as ingest
from critmin.services.access import LEVEL_RANK, check_caller, own_clause, visible_clause
from critmin.services.auth import Caller, Role
from critmin.services.entities import NotFound
from critmin.services.tracker import Conflict, Forbidden, InvalidRecord
from critmin.store.network_tables import SupplyNetwork, SupplyNetworkData
from critmin.store.tables import Organisation

SHARING = ("public", "partners", "owner")
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,119}$")
NAME_RULE = ("1 to 120 letters, digits, spaces, dots, dashes or underscores, "
             "starting with a letter or digit")  # fmt: skip


@dataclass
class Loaded:
    """A network ready for the questions, with what outputs must say about it."""

    net: Network
    name: str
    synthetic: bool = False
    source: str = ""  # a path, or "stored network NAME (id N)"
    meta: dict[str, Any] = field(default_factory=dict)


def _bad(field_name: str, problem: str) -> InvalidRecord:
    return InvalidRecord([{"field": field_name, "problem": problem}])


def not_found(ref: str | int) -> NotFound:
    """The one message for a network that is missing or hidden from the caller."""
    return NotFound(f"no supply network {str(ref)!r}")


def encode(net: Network) -> tuple[bytes, bytes]:
    """The node table (id, country, kind code, mineral) and the edge table (supplier and
    customer as node numbers, share, product) as Parquet (zstd) bytes."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    nodes = {"id": pa.array(net.ids, pa.string()), "country": pa.array(net.country, pa.string()),
             "kind": pa.array(net.kind, pa.int8())}  # fmt: skip
    if net.mineral is not None:
        nodes["mineral"] = pa.array(net.mineral, pa.string())
    edges = {"supplier": pa.array(net.supplier, pa.int64()),
             "customer": pa.array(net.customer, pa.int64()),
             "share": pa.array(net.share, pa.float64())}  # fmt: skip
    if net.product is not None:
        edges["product"] = pa.array(net.product, pa.string())
    blobs = []
    for columns in (nodes, edges):
        buffer = io.BytesIO()
        pq.write_table(pa.table(columns), buffer, compression="zstd")
        blobs.append(buffer.getvalue())
    return blobs[0], blobs[1]


def decode(nodes_blob: bytes, edges_blob: bytes) -> Network:
    """A network from :func:`encode`'s bytes (checked when it was imported)."""
    import pyarrow.parquet as pq

    nodes = pq.read_table(io.BytesIO(nodes_blob))
    edges = pq.read_table(io.BytesIO(edges_blob))

    def column(table: Any, name: str, text: bool = True) -> Any:
        if name not in table.column_names:
            return None
        values = table.column(name).to_numpy()
        return values.astype(str) if text else values

    return Network(ids=column(nodes, "id"), country=column(nodes, "country"),
                   kind=column(nodes, "kind", text=False).astype(np.int8),
                   supplier=column(edges, "supplier", text=False).astype(np.int64),
                   customer=column(edges, "customer", text=False).astype(np.int64),
                   share=column(edges, "share", text=False).astype(np.float64),
                   mineral=column(nodes, "mineral"), product=column(edges, "product"))


def _owner(caller: Caller, owner_org_id: int | None) -> int | None:
    check_caller(caller)
    if caller.local:
        return owner_org_id
    if caller.org_id is None or not caller.at_least(Role.EDITOR):
        raise Forbidden("importing a supply network needs an editor or admin token")
    return caller.org_id


def save_network(*, session: Session, caller: Caller, net: Network, name: str,
                 description: str | None = None, sharing: str | None = None,
                 owner_org_id: int | None = None, replace: bool = False,
                 synthetic: bool = False, meta: dict[str, Any] | None = None
                 ) -> dict[str, Any]:  # fmt: skip
    """Store ``net`` under ``name`` for the caller's organisation (the local operator:
    ``owner_org_id`` or reference data) in the caller's transaction. A name the owner
    already uses is a Conflict unless ``replace``; a replacement keeps the stricter of the
    old and the requested sharing (an import never widens sharing)."""
    owner = _owner(caller, owner_org_id)
    name = (name or "").strip()
    if not NAME.match(name):
        raise _bad("name", NAME_RULE)
    if sharing is not None and sharing not in SHARING:
        raise _bad("sharing", f"one of {', '.join(SHARING)}")
    if owner is None and sharing not in (None, "public"):
        raise _bad("sharing", "public: a network without an organisation is reference data")
    if description is not None and len(description) > 1000:
        raise _bad("description", "at most 1000 characters")
    level = sharing or ("owner" if owner is not None else "public")
    mine = SupplyNetwork.owner_org_id.is_(None) if owner is None else (
        SupplyNetwork.owner_org_id == owner)
    record = session.scalars(select(SupplyNetwork).where(mine, SupplyNetwork.name == name)
                             .with_for_update()).first()  # fmt: skip
    if record is not None and record.deleted_at is None and not replace:
        raise Conflict(f"a supply network named {name!r} already exists for this owner; "
                       "import with replace to overwrite it")  # fmt: skip
    nodes_blob, edges_blob = encode(net)
    values = {"description": description, "nodes": net.n_nodes, "edges": net.n_edges,
              "synthetic": bool(synthetic), "meta": dict(meta or {}),
              "actor": caller.label[:200]}  # fmt: skip
    if record is None:
        record = SupplyNetwork(name=name, owner_org_id=owner, sharing=level,
                               section_sharing={}, version=1, **values)  # fmt: skip
        session.add(record)
        session.flush()
        session.add(SupplyNetworkData(network_id=record.id, nodes_blob=nodes_blob,
                                      edges_blob=edges_blob))  # fmt: skip
    else:
        old = record.sharing if record.deleted_at is None else level
        record.sharing = max(old, level, key=LEVEL_RANK.__getitem__)
        record.deleted_at = None
        record.version = (record.version or 1) + 1
        for key, value in values.items():
            setattr(record, key, value)
        data = session.get(SupplyNetworkData, record.id)
        data.nodes_blob, data.edges_blob = nodes_blob, edges_blob
    session.flush()
    return _view(record, _owner_names(session, [record]))


def import_files(*, session: Session, caller: Caller, name: str,
                 nodes: ingest.Source | None = None, edges: ingest.Source | None = None,
                 bom: ingest.Source | None = None, files: dict[str, str] | None = None,
                 **options: Any) -> dict[str, Any]:  # fmt: skip
    """Import a network from a node and an edge table, or a bill of materials (with an
    optional node table), each a path or the file's bytes; ``files`` gives the names the
    problems quote. All or nothing: IngestError lists every problem."""
    _owner(caller, options.get("owner_org_id"))
    files = files or {}
    if bom is not None:
        if edges is not None:
            raise _bad("edges", "either a bill of materials or an edge table, not both")
        net = ingest.read_bom(bom, nodes, files.get("bom", "bom.csv"),
                              files.get("nodes", "nodes.csv"))  # fmt: skip
        layout = "bill of materials"
    elif nodes is not None and edges is not None:
        net = ingest.read_nodes_edges(nodes, edges, files.get("nodes", "nodes.csv"),
                                      files.get("edges", "edges.csv"))  # fmt: skip
        layout = "nodes and edges"
    else:
        raise _bad("files", "a nodes and an edges file, or a bill of materials (bom)")
    meta = {"layout": layout, "files": sorted({Path(v).name for v in files.values()})}
    meta |= options.pop("meta", None) or {}
    return save_network(session=session, caller=caller, net=net, name=name, meta=meta,
                        **options)  # fmt: skip


def import_path(*, session: Session, caller: Caller, path: Path, name: str,
                **options: Any) -> dict[str, Any]:  # fmt: skip
    """Import what :func:`~critmin.ingest.network.read_network` reads at ``path`` (a
    generated network's ``network.json`` marks it synthetic)."""
    _owner(caller, options.get("owner_org_id"))
    net, meta = ingest.read_network_meta(path)
    return save_network(session=session, caller=caller, net=net, name=name,
                        synthetic=bool(meta.get("synthetic")),
                        meta={"layout": "path", "file": Path(path).name, **meta}, **options)


def _owner_names(session: Session, rows: list[SupplyNetwork]) -> dict[int, str]:
    ids = sorted({r.owner_org_id for r in rows if r.owner_org_id is not None})
    if not ids:
        return {}
    found = session.execute(select(Organisation.id, Organisation.name)
                            .where(Organisation.id.in_(ids))).all()  # fmt: skip
    return {i: n for i, n in found}


def _view(row: SupplyNetwork, owners: dict[int, str]) -> dict[str, Any]:
    return {
        "id": row.id, "name": row.name, "description": row.description,
        "nodes": row.nodes, "edges": row.edges, "synthetic": bool(row.synthetic),
        "sharing": row.sharing, "owner_org_id": row.owner_org_id,
        "owner": owners.get(row.owner_org_id, "reference data")
        if row.owner_org_id is not None else "reference data",
        "created_at": row.created_at.isoformat() if row.created_at else None,
        "layout": (row.meta or {}).get("layout"),
    }  # fmt: skip


def list_networks(*, session: Session, caller: Caller) -> list[dict[str, Any]]:
    """The networks the caller may see, by name then id (no tables read)."""
    rows = session.scalars(select(SupplyNetwork).where(
        visible_clause(SupplyNetwork, caller), SupplyNetwork.deleted_at.is_(None))
        .order_by(SupplyNetwork.name, SupplyNetwork.id)).all()  # fmt: skip
    owners = _owner_names(session, list(rows))
    return [_view(r, owners) for r in rows]


def find(*, session: Session, caller: Caller, ref: str | int) -> SupplyNetwork:
    """The visible network with id ``ref`` (a number) or name ``ref``: among several of
    that name, the caller's own; NotFound when missing or hidden, Conflict when a name
    stays ambiguous (the ids are named)."""
    check_caller(caller)
    text = str(ref).strip()
    visible = [visible_clause(SupplyNetwork, caller), SupplyNetwork.deleted_at.is_(None)]
    if isinstance(ref, int) or text.isdigit():
        row = session.scalars(select(SupplyNetwork).where(
            SupplyNetwork.id == int(text), *visible)).first()  # fmt: skip
        if row is not None:
            return row
        if isinstance(ref, int):
            raise not_found(ref)
    rows = session.scalars(select(SupplyNetwork).where(SupplyNetwork.name == text, *visible)
                           .order_by(SupplyNetwork.id)).all()  # fmt: skip
    if not rows:
        raise not_found(ref)
    if len(rows) > 1:
        own = session.scalars(select(SupplyNetwork).where(
            SupplyNetwork.name == text, own_clause(SupplyNetwork, caller), *visible)).first()
        if own is not None:
            return own
        raise Conflict(f"several supply networks are named {text!r} (ids "
                       f"{', '.join(str(r.id) for r in rows)}); give the id")
    return rows[0]


def describe(*, session: Session, caller: Caller, ref: str | int) -> dict[str, Any]:
    """One visible network's record (no tables read)."""
    row = find(session=session, caller=caller, ref=ref)
    return _view(row, _owner_names(session, [row]))


def load_stored(*, session: Session, caller: Caller, ref: str | int) -> Loaded:
    """A visible stored network's tables, decoded."""
    row = find(session=session, caller=caller, ref=ref)
    data = session.get(SupplyNetworkData, row.id)
    if data is None:
        raise not_found(ref)
    return Loaded(decode(data.nodes_blob, data.edges_blob), name=row.name,
                  synthetic=bool(row.synthetic), source=f"stored network {row.name} (id {row.id})",
                  meta={"id": row.id, "sharing": row.sharing})  # fmt: skip
