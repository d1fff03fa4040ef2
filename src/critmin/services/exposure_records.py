"""A supply network read from the store's record tables (``network_nodes`` and
``network_edges``), through the caller's view: every node and every edge is a shared
record of its own, so the caller's network holds only the nodes it may see and the edges
it may see whose two ends it may see. Nothing derived from a hidden record comes back:
a hidden supplier is simply absent (its customer may then have fewer suppliers, never a
share computed from it).

Node kinds come from the records' ``kind`` (``source``, ``intermediate`` or ``end``; any
other stage is an intermediate) and, when missing, from the visible edges (no suppliers:
source; no customers: end).
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from critmin.analytics.network import END, INTERMEDIATE, KINDS, SOURCE, Network
from critmin.services.access import visible_clause
from critmin.services.auth import Caller
from critmin.services.exposure_store import Loaded
from critmin.store.tables import NetworkEdge, NetworkNode

RECORDS = "records"
"""``--network db:records`` (and ``network=records`` on the page): the record tables."""


def has_records(*, session: Session, caller: Caller) -> bool:
    """Whether the caller may see any node record."""
    return session.execute(select(NetworkNode.id).where(
        visible_clause(NetworkNode, caller), NetworkNode.deleted_at.is_(None))
        .limit(1)).first() is not None  # fmt: skip


def load_records(*, session: Session, caller: Caller) -> Loaded:
    """The network of the node and edge records the caller may see."""
    nodes = session.execute(
        select(NetworkNode.id, NetworkNode.key, NetworkNode.country, NetworkNode.kind,
               NetworkNode.mineral)
        .where(visible_clause(NetworkNode, caller), NetworkNode.deleted_at.is_(None))
        .order_by(NetworkNode.id)).all()  # fmt: skip
    supplier, customer = aliased(NetworkNode), aliased(NetworkNode)
    edges = session.execute(
        select(NetworkEdge.supplier_id, NetworkEdge.customer_id, NetworkEdge.share)
        .join(supplier, supplier.id == NetworkEdge.supplier_id)
        .join(customer, customer.id == NetworkEdge.customer_id)
        .where(visible_clause(NetworkEdge, caller), NetworkEdge.deleted_at.is_(None),
               visible_clause(supplier, caller), supplier.deleted_at.is_(None),
               visible_clause(customer, caller), customer.deleted_at.is_(None))
        .order_by(NetworkEdge.id)).all()  # fmt: skip
    record_ids = np.array([r.id for r in nodes], dtype=np.int64)
    order = np.argsort(record_ids)
    e_sup = np.array([r.supplier_id for r in edges], dtype=np.int64)
    e_cus = np.array([r.customer_id for r in edges], dtype=np.int64)
    sup = order[np.searchsorted(record_ids[order], e_sup)] if edges else e_sup
    cus = order[np.searchsorted(record_ids[order], e_cus)] if edges else e_cus
    n = len(nodes)
    given = np.array([KINDS.index(r.kind) if r.kind in KINDS else -1 for r in nodes],
                     dtype=np.int8)  # fmt: skip
    has_in = np.zeros(n, dtype=bool)
    has_out = np.zeros(n, dtype=bool)
    has_in[cus] = True
    has_out[sup] = True
    derived = np.where(~has_in, SOURCE, np.where(~has_out, END, INTERMEDIATE)).astype(np.int8)
    kind = np.where(given >= 0, given, derived).astype(np.int8)
    net = Network(
        ids=np.array([r.key for r in nodes], dtype=str),
        country=np.array([r.country or "" for r in nodes], dtype=str), kind=kind,
        supplier=sup.astype(np.int64), customer=cus.astype(np.int64),
        share=np.array([np.nan if r.share is None else r.share for r in edges], dtype=float),
        mineral=np.array([r.mineral or "" for r in nodes], dtype=str))  # fmt: skip
    return Loaded(net, name="supply-network records", source="network_nodes, network_edges")
