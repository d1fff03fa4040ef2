"""A supply network as arrays: the common input of the exposure engine
(:mod:`critmin.analytics.exposure`), its importers and its generator.

Nodes are firms or facilities, numbered ``0..n-1``, with an id, a country (ISO3, ``""``
when unknown), a kind (source, intermediate or end) and optionally the mineral they
produce. Edges run supplier -> customer (both node numbers), with the share of the
customer's input that comes from the supplier (``NaN`` when unknown) and optionally the
product. Parallel edges and self-loops are allowed in the arrays; the engine decides
what they mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

KINDS: tuple[str, ...] = ("source", "intermediate", "end")
"""Node kinds; ``Network.kind`` holds their positions (0, 1, 2)."""
SOURCE, INTERMEDIATE, END = 0, 1, 2


@dataclass(frozen=True, eq=False)
class Network:
    """Nodes and supplier -> customer edges as numpy arrays (see the module doc)."""

    ids: np.ndarray  # (n,) str
    country: np.ndarray  # (n,) str, ISO3 or ""
    kind: np.ndarray  # (n,) int8 in {0, 1, 2}
    supplier: np.ndarray  # (m,) int64 node numbers
    customer: np.ndarray  # (m,) int64 node numbers
    share: np.ndarray  # (m,) float64, NaN = unknown
    mineral: np.ndarray | None = None  # (n,) str, "" = none
    product: np.ndarray | None = None  # (m,) str, "" = unknown

    def __post_init__(self) -> None:
        n, m = self.ids.shape[0], self.supplier.shape[0]
        if self.country.shape != (n,) or self.kind.shape != (n,):
            raise ValueError("ids, country and kind must have one entry per node")
        if self.customer.shape != (m,) or self.share.shape != (m,):
            raise ValueError("supplier, customer and share must have one entry per edge")
        if self.mineral is not None and self.mineral.shape != (n,):
            raise ValueError("mineral must have one entry per node")
        if self.product is not None and self.product.shape != (m,):
            raise ValueError("product must have one entry per edge")
        if m and (min(self.supplier.min(), self.customer.min()) < 0
                  or max(self.supplier.max(), self.customer.max()) >= n):  # fmt: skip
            raise ValueError("edge endpoints must be node numbers 0..n-1")
        if np.any((self.kind < 0) | (self.kind > 2)):
            raise ValueError("kind must be 0 (source), 1 (intermediate) or 2 (end)")
        known = ~np.isnan(self.share)
        if np.any(self.share[known] < 0):
            raise ValueError("shares must be >= 0")

    @property
    def n_nodes(self) -> int:
        return int(self.ids.shape[0])

    @property
    def n_edges(self) -> int:
        return int(self.supplier.shape[0])

    def adjacency(self) -> sp.csr_matrix:
        """``(n, n)`` CSR with a 1 at (supplier, customer) for each edge (duplicates
        summed)."""
        n = self.n_nodes
        data = np.ones(self.n_edges, dtype=np.float64)
        return sp.csr_matrix((data, (self.supplier, self.customer)), shape=(n, n))

    def index_of(self, node_id: str) -> int:
        """The node number of ``node_id``; KeyError when there is none."""
        hit = np.flatnonzero(self.ids == node_id)
        if hit.size == 0:
            raise KeyError(node_id)
        return int(hit[0])


def from_arrays(ids: np.ndarray, country: np.ndarray, kind: np.ndarray,
                supplier_ids: np.ndarray, customer_ids: np.ndarray, share: np.ndarray,
                mineral: np.ndarray | None = None,
                product: np.ndarray | None = None) -> Network:
    """A :class:`Network` from node ids and edges given by node id (vectorised lookup).
    ValueError naming the first edge whose endpoint is not a node, or a repeated id."""
    import pyarrow as pa
    import pyarrow.compute as pc

    ids = np.asarray(ids).astype(str)
    value_set = pa.array(ids, type=pa.string())
    if len(pc.unique(value_set)) != ids.size:
        counts = pc.value_counts(value_set)
        dup = counts.field("values").filter(pc.greater(counts.field("counts"), 1))[0]
        raise ValueError(f"node id {dup.as_py()!r} appears more than once")

    def lookup(values: np.ndarray, what: str) -> np.ndarray:
        values = np.asarray(values).astype(str)
        found = pc.index_in(pa.array(values, type=pa.string()), value_set=value_set)
        pos = pc.fill_null(found, -1).to_numpy(zero_copy_only=False).astype(np.int64)
        if np.any(pos < 0):  # hashed look-up (pyarrow), not a sort
            bad = int(np.flatnonzero(pos < 0)[0])
            raise ValueError(f"edge {bad + 1}: {what} {str(values[bad])!r} is not a node")
        return pos

    kinds = np.asarray(kind)
    if kinds.dtype.kind in "US" or kinds.dtype == object:
        kinds = kinds.astype(str)
        codes = np.full(kinds.size, -1, dtype=np.int8)
        for i, name in enumerate(KINDS):
            codes[kinds == name] = i
        if np.any(codes < 0):
            bad = int(np.flatnonzero(codes < 0)[0])
            raise ValueError(f"node {str(ids[bad])!r}: kind {str(kinds[bad])!r}; expected one of "
                             f"{', '.join(KINDS)}")
        kinds = codes
    return Network(
        ids=ids, country=np.asarray(country).astype(str), kind=kinds.astype(np.int8),
        supplier=lookup(supplier_ids, "supplier"), customer=lookup(customer_ids, "customer"),
        share=np.asarray(share, dtype=np.float64),
        mineral=None if mineral is None else np.asarray(mineral).astype(str),
        product=None if product is None else np.asarray(product).astype(str),
    )
