"""Multi-tier supply-network exposure: who depends, at any tier, on a country, a firm
or a mineral, how much of their input traces back to it, and which single nodes or
edges every path runs through.

All functions are vectorised over ``scipy.sparse`` matrices and run level by level over
the condensation of the network (:mod:`critmin.analytics.condensation`), so cycles in
supplier data (tolling, recycling, firms supplying each other) are handled exactly:

- :func:`any_tier` carries many target sets at once as uint64 bitsets and ORs them
  down the levels; a cycle's members share one value.
- :func:`weighted` solves w = 1 on targets, w = S w elsewhere (S from
  :func:`input_shares`), the least non-negative solution: acyclic nodes by one sparse
  mat-vec per level, the cycles of a level together by one sparse LU solve of
  (I - S_RR) w_R = b on the part R that input from outside can reach (the rest of a
  cycle is closed and gets 0).
- :func:`chokepoints` (see :mod:`critmin.analytics.dominators`) finds the nodes and
  edges that every path from the sources to an end product passes.

The model and formulas are in docs/exposure.md.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order, shortest_path
from scipy.sparse.linalg import splu

from critmin.analytics import condensation as cond
from critmin.analytics.network import END, SOURCE, Network

_CACHE: weakref.WeakKeyDictionary[Network, dict[str, Any]] = weakref.WeakKeyDictionary()


def _cached(net: Network, key: str, make):  # type: ignore[no-untyped-def]
    store = _CACHE.setdefault(net, {})
    if key not in store:
        store[key] = make()
    return store[key]


# --------------------------------------------------------------------------- shares


MIN_SHARE = 1e-9
"""Normalised input shares below this count as zero (see :func:`input_shares`)."""


def edge_shares(net: Network) -> np.ndarray:
    """Each edge's share of its customer's input after the :func:`input_shares` rule
    (self-loops get 0)."""
    return _cached(net, "edge_shares", lambda: _edge_shares(net))


def _edge_shares(net: Network) -> np.ndarray:
    n, cust = net.n_nodes, net.customer
    keep = net.supplier != cust
    nan = np.isnan(net.share)
    known = keep & ~nan
    unknown = keep & nan
    sum_known = np.bincount(cust, weights=np.where(known, net.share, 0.0), minlength=n)
    n_unknown = np.bincount(cust, weights=unknown, minlength=n)
    per_unknown = np.maximum(0.0, 1.0 - sum_known) / np.maximum(n_unknown, 1.0)
    share = np.where(known, net.share, np.where(unknown, per_unknown[cust], 0.0))
    total = np.bincount(cust, weights=share, minlength=n)
    share = share / np.where(total > 0, total, 1.0)[cust]
    # a share below MIN_SHARE is no link: a cycle fed by 1e-300 of its input would make
    # the least solution's linear system singular in floating point
    share = np.where(share < MIN_SHARE, 0.0, share)
    total = np.bincount(cust, weights=share, minlength=n)
    return share / np.where(total > 0, total, 1.0)[cust]


def input_shares(net: Network) -> sp.csr_matrix:
    """``(n, n)`` CSR, row = customer, column = supplier: the share of the customer's
    input that comes from the supplier.

    A customer's known shares are kept; its unknown ones split what is left
    (``max(0, 1 - sum known)``) equally (all unknown: equal shares); each row with
    positive total is then normalised to sum to 1 and parallel edges add up. Self-loops
    are dropped. A row whose shares are all known and zero stays zero. A normalised
    share below :data:`MIN_SHARE` (1e-9) is set to zero and the row normalised again: the
    least solution is numerically meaningless on a cycle fed by such a trickle."""
    return _cached(net, "input_shares", lambda: _share_matrix(net.n_nodes, net.customer,
                                                              net.supplier, edge_shares(net)))


def _share_matrix(n: int, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray) -> sp.csr_matrix:
    m = sp.csr_matrix((vals, (rows, cols)), shape=(n, n))
    m.sum_duplicates()
    m.eliminate_zeros()
    return m


# --------------------------------------------------------------------------- targets


def targets_for(net: Network, countries: Iterable[str] = (), node_ids: Iterable[str] = (),
                minerals: Iterable[str] = ()) -> np.ndarray:
    """``(n,)`` bool: nodes in any of ``countries`` (ISO3), with an id in ``node_ids``,
    or producing one of ``minerals``. ValueError naming an id that is not a node."""
    out = np.zeros(net.n_nodes, dtype=bool)
    countries = [str(c) for c in countries]
    if countries:
        out |= np.isin(net.country, countries)
    ids = [str(i) for i in node_ids]
    if ids:
        hit = np.isin(ids, net.ids)
        if not hit.all():
            raise ValueError(f"node id {ids[int(np.flatnonzero(~hit)[0])]!r} is not a node "
                             "of the network")
        out |= np.isin(net.ids, ids)
    minerals = [str(m) for m in minerals]
    if minerals and net.mineral is not None:
        out |= np.isin(net.mineral, minerals)
    return out


def _as_2d(targets: np.ndarray, n: int) -> tuple[np.ndarray, bool]:
    t = np.asarray(targets)
    if t.dtype != bool:
        raise ValueError(f"targets must be a bool array; got dtype {t.dtype}")
    if t.ndim == 1 and t.shape[0] == n:
        return t[:, None], True
    if t.ndim == 2 and t.shape[0] == n:
        return t, False
    raise ValueError(f"targets must have shape ({n},) or ({n}, k); got {t.shape}")


# --------------------------------------------------------------------------- any tier


def structure(net: Network) -> cond.Plan:
    """The condensation plan of the network's edges (self-loops dropped)."""
    def make() -> cond.Plan:
        keep = net.supplier != net.customer
        return cond.plan(net.n_nodes, net.supplier[keep], net.customer[keep])
    return _cached(net, "plan", make)


def _pack(t: np.ndarray) -> np.ndarray:
    """(n, k) bool -> (n, ceil(k/64)) uint64 bitsets."""
    n, k = t.shape
    words = max(1, -(-k // 64))
    packed = np.packbits(t, axis=1, bitorder="little")
    out = np.zeros((n, words * 8), dtype=np.uint8)
    out[:, :packed.shape[1]] = packed
    return out.view(np.uint64)


def _unpack(bits: np.ndarray, k: int) -> np.ndarray:
    return np.unpackbits(bits.view(np.uint8), axis=1, count=k, bitorder="little").astype(bool)


def reach_bits(p: cond.Plan, bits: np.ndarray) -> np.ndarray:
    """OR of ``bits`` (n, W) over each vertex and everything upstream of it, per vertex:
    per level, one gather of the predecessors' component values and one segmented OR
    per component (a cycle's members share one value)."""
    if p.n == 0:
        return bits
    comp_o = p.comp[p.order]
    first_o = np.flatnonzero(np.r_[True, comp_o[1:] != comp_o[:-1]])
    cv = np.zeros((p.n_comp, bits.shape[1]), dtype=bits.dtype)
    cv[comp_o[first_o]] = np.bitwise_or.reduceat(bits[p.order], first_o, axis=0)
    for lv in range(1, p.n_levels):
        a, b = int(p.lptr[lv]), int(p.lptr[lv + 1])
        f = first_o[np.searchsorted(first_o, a):np.searchsorted(first_o, b)]
        e0, e1 = p.in_ptr[f], np.r_[p.in_ptr[f[1:]], p.in_ptr[b]]
        nonempty = e1 > e0
        if not nonempty.any():
            continue
        f, e0 = f[nonempty], e0[nonempty]
        base = p.in_ptr[a]
        pred = p.comp[p.in_src[base:p.in_ptr[b]]]
        cv[comp_o[f]] |= np.bitwise_or.reduceat(cv[pred], e0 - base, axis=0)
    return cv[p.comp]


def any_tier(net: Network, targets: np.ndarray) -> np.ndarray:
    """True where the node is a target or has a target anywhere upstream (any tier);
    ``targets`` (n,) or (n, k) bool, the answer has the same shape. All k columns are
    carried together as bitsets, one sparse sweep for all of them."""
    t, squeeze = _as_2d(targets, net.n_nodes)
    bits = reach_bits(structure(net), _pack(t))
    out = _unpack(bits, t.shape[1])
    return out[:, 0] if squeeze else out


# --------------------------------------------------------------------------- weighted


def _positive_plan(s: sp.csr_matrix) -> cond.Plan:
    coo = s.tocoo()
    return cond.plan(s.shape[0], coo.col.astype(np.int64), coo.row.astype(np.int64))


def positive_structure(net: Network) -> cond.Plan:
    """The condensation plan of the positive entries of :func:`input_shares`."""
    def make() -> cond.Plan:
        s, p = input_shares(net), structure(net)
        # zero shares aside, the share pattern is the edge pattern: same plan
        return p if s.nnz == p.in_src.size else _positive_plan(s)
    return _cached(net, "positive_plan", make)


def solve_weighted(s: sp.csr_matrix, t: np.ndarray, p: cond.Plan | None = None) -> np.ndarray:
    """Least non-negative solution of w = 1 on targets ``t`` (n, k), w = S w elsewhere,
    for a share matrix ``s`` (rows = customers, non-negative, row sums <= 1)."""
    n, k = t.shape
    if p is None:
        p = _positive_plan(s)
    w = np.zeros((n, k), dtype=np.float64)
    w[t] = 1.0
    sp_ord = s[p.order] if n else s
    for lv in range(p.n_levels):
        a, c, b = int(p.lptr[lv]), int(p.cptr[lv]), int(p.lptr[lv + 1])
        if c > a:
            rows = p.order[a:c]
            val = np.asarray(sp_ord[a:c] @ w)
            w[rows] = np.where(t[rows], 1.0, val)
        if b > c:
            _cyclic_block(sp_ord[c:b], p.order[c:b], w, t)
    # a fraction by construction: rounding in an ill-conditioned cycle may step outside
    return np.clip(w, 0.0, 1.0, out=w)


def _reached_from(adj: sp.csr_matrix, seeds: np.ndarray) -> np.ndarray:
    """Bool mask of the vertices of ``adj`` (pattern, row -> column) reachable from
    ``seeds`` (bool mask), seeds included."""
    m = adj.shape[0]
    seed_idx = np.flatnonzero(seeds)
    coo = adj.tocoo()
    rows = np.concatenate([coo.row, np.full(seed_idx.size, m)])
    cols = np.concatenate([coo.col, seed_idx])
    aug = sp.csr_matrix((np.ones(rows.size, dtype=np.int8), (rows, cols)), shape=(m + 1, m + 1))
    found = breadth_first_order(aug, m, directed=True, return_predecessors=False)
    out = np.zeros(m + 1, dtype=bool)
    out[found] = True
    return out[:m]


def _cyclic_block(rows: sp.csr_matrix, block: np.ndarray, w: np.ndarray, t: np.ndarray) -> None:
    """Solve the cyclic components of one level (vertices ``block``, their share rows
    ``rows``) in place, every target column at once where the block holds no target."""
    sbb = rows[:, block].tocsr()
    rhs = np.asarray(rows @ w)
    nnz_all = np.diff(rows.indptr)
    tb = t[block]
    free = ~tb.any(axis=0)
    groups: list[tuple[np.ndarray, np.ndarray]] = []
    if free.any():
        groups.append((np.flatnonzero(free), np.zeros(block.size, dtype=bool)))
    groups += [(np.array([j]), tb[:, j]) for j in np.flatnonzero(~free)]
    for cols, tmask in groups:
        u = np.flatnonzero(~tmask)
        if u.size == 0:
            continue
        suu = sbb[u][:, u].tocsr()
        leak = (nnz_all[u] - np.diff(suu.indptr)) > 0
        live = _reached_from(suu.T.tocsr(), leak)
        r = u[live]
        if r.size == 0:
            continue
        srr = suu[live][:, live]
        a = (sp.identity(r.size, format="csc") - srr.tocsc()).tocsc()
        x = splu(a).solve(np.ascontiguousarray(rhs[np.ix_(r, cols)]))
        w[np.ix_(block[r], cols)] = x.reshape(r.size, cols.size)


def weighted(net: Network, targets: np.ndarray) -> np.ndarray:
    """The fraction of each node's input that traces back to the targets: w(v) = 1 on a
    target, else sum over suppliers u of s(u, v) w(u) (s from :func:`input_shares`); on
    cycles the least non-negative solution (the limit of fixed-point iteration from 0).
    ``targets`` (n,) or (n, k) bool; the answer has the same shape."""
    t, squeeze = _as_2d(targets, net.n_nodes)
    w = solve_weighted(input_shares(net), t, positive_structure(net))
    return w[:, 0] if squeeze else w


# --------------------------------------------------------------------------- questions


def sources_of(net: Network) -> np.ndarray:
    """``(n,)`` bool: the nodes of kind source, or (when there are none) the nodes
    without suppliers."""
    src = net.kind == SOURCE
    if src.any():
        return src
    keep = net.supplier != net.customer
    has_supplier = np.zeros(net.n_nodes, dtype=bool)
    has_supplier[net.customer[keep]] = True
    return ~has_supplier


def country_exposure(net: Network, targets: np.ndarray) -> dict[str, Any]:
    """How many end products depend, at any tier, on the targets and by how much:
    ``end_products``, ``exposed``, ``share``, ``weighted_mean`` and ``per_node``
    (end ``ids``, ``exposed``, ``weighted``)."""
    t, _ = _as_2d(targets, net.n_nodes)
    if t.shape[1] != 1:
        raise ValueError("country_exposure takes one target set, shape (n,)")
    ends = np.flatnonzero(net.kind == END)
    exposed = any_tier(net, t[:, 0])[ends]
    w = weighted(net, t[:, 0])[ends]
    n_end = int(ends.size)
    n_exp = int(exposed.sum())
    return {
        "end_products": n_end, "exposed": n_exp,
        "share": n_exp / n_end if n_end else 0.0,
        "weighted_mean": float(w.mean()) if n_end else 0.0,
        "per_node": {"ids": net.ids[ends], "exposed": exposed, "weighted": w},
    }


def subdivided_shares(net: Network, edges: np.ndarray) -> sp.csr_matrix:
    """The share matrix with each edge in ``edges`` replaced by a new vertex
    ``n + j`` (supplier -> new vertex with share 1, new vertex -> customer with the
    edge's share), so flow over an edge becomes flow through a vertex."""
    n, k = net.n_nodes, int(edges.size)
    es = edge_shares(net).copy()
    sub_share = es[edges]
    es[edges] = 0.0
    new = n + np.arange(k)
    rows = np.concatenate([net.customer, net.customer[edges], new])
    cols = np.concatenate([net.supplier, new, net.supplier[edges]])
    vals = np.concatenate([es, sub_share, np.ones(k)])
    m = sp.csr_matrix((vals, (rows, cols)), shape=(n + k, n + k))
    m.sum_duplicates()
    m.eliminate_zeros()
    return m


def what_if(net: Network, remove_nodes: Iterable[int] | np.ndarray | None = None,
            remove_edges: Iterable[int] | np.ndarray | None = None) -> dict[str, Any]:
    """End products after removing nodes and/or edges (by number): per end product
    (aligned with ``ids``) ``cut`` (had a source upstream before, none after) and
    ``supply_lost`` (fraction of its input that traces to the removed nodes or flows
    over the removed edges); totals ``end_products``, ``end_products_cut``,
    ``mean_supply_lost``."""
    n = net.n_nodes
    rn = np.unique(np.asarray([] if remove_nodes is None else list(remove_nodes), dtype=np.int64))
    re_ = np.unique(np.asarray([] if remove_edges is None else list(remove_edges), dtype=np.int64))
    if rn.size and (rn.min() < 0 or rn.max() >= n):
        raise ValueError(f"remove_nodes: node numbers must be 0..{n - 1}")
    if re_.size and (re_.min() < 0 or re_.max() >= net.n_edges):
        raise ValueError(f"remove_edges: edge numbers must be 0..{net.n_edges - 1}")
    ends = np.flatnonzero(net.kind == END)
    src = sources_of(net)
    before = any_tier(net, src)[ends]
    gone = np.zeros(n, dtype=bool)
    gone[rn] = True
    keep = np.ones(net.n_edges, dtype=bool)
    keep[re_] = False
    keep &= ~gone[net.supplier] & ~gone[net.customer] & (net.supplier != net.customer)
    p_after = cond.plan(n, net.supplier[keep], net.customer[keep])
    after_bits = reach_bits(p_after, _pack((src & ~gone)[:, None]))
    after = _unpack(after_bits, 1)[:, 0]
    after[gone] = False
    cut = before & ~after[ends]
    if re_.size:
        re_ = re_[net.supplier[re_] != net.customer[re_]]
    s = subdivided_shares(net, re_) if re_.size else input_shares(net)
    t = np.zeros((s.shape[0], 1), dtype=bool)
    t[rn, 0] = True
    t[n:, 0] = True
    lost = solve_weighted(s, t)[ends, 0] if (rn.size or re_.size) else np.zeros(ends.size)
    return {
        "ids": net.ids[ends], "cut": cut, "supply_lost": lost,
        "end_products": int(ends.size), "end_products_cut": int(cut.sum()),
        "mean_supply_lost": float(lost.mean()) if ends.size else 0.0,
    }


def paths(net: Network, end_index: int, targets: np.ndarray,
          max_nodes: int = 200) -> dict[str, Any]:
    """The nodes on some path from a target to end product ``end_index`` (upstream of
    it and downstream of a target, both included) and the edges among them. When more
    than ``max_nodes``, the ones fewest hops upstream of the end product are kept and
    ``truncated`` is True. Keys: ``end``, ``nodes`` (numbers), ``ids``, ``country``,
    ``kind``, ``hops`` (edges upstream of the end product), ``supplier``/``customer``
    (node numbers of the edges), ``share`` (:func:`edge_shares`), ``truncated``."""
    n = net.n_nodes
    if not 0 <= int(end_index) < n:
        raise ValueError(f"end_index must be a node number 0..{n - 1}; got {end_index}")
    t, _ = _as_2d(targets, n)
    keep = net.supplier != net.customer
    sup, cus = net.supplier[keep], net.customer[keep]
    down = any_tier(net, t.any(axis=1))
    rev = sp.csr_matrix((np.ones(sup.size), (cus, sup)), shape=(n, n))
    hops = shortest_path(rev, method="D", unweighted=True, indices=int(end_index))
    on = np.isfinite(hops) & down
    nodes = np.flatnonzero(on)
    order = np.lexsort((nodes, hops[nodes]))
    truncated = nodes.size > max_nodes
    nodes = np.sort(nodes[order][:max_nodes])
    inside = np.zeros(n, dtype=bool)
    inside[nodes] = True
    e = np.flatnonzero(keep & inside[net.supplier] & inside[net.customer])
    return {
        "end": int(end_index), "nodes": nodes, "ids": net.ids[nodes],
        "country": net.country[nodes], "kind": net.kind[nodes],
        "hops": hops[nodes].astype(np.int64), "supplier": net.supplier[e],
        "customer": net.customer[e], "share": edge_shares(net)[e], "truncated": bool(truncated),
    }


def chokepoints(net: Network, top: int = 20, edges: bool = True) -> list[dict[str, Any]]:
    """Single points of failure ranked by the end products they cut (see
    :mod:`critmin.analytics.dominators` for the definition and the method)."""
    from critmin.analytics.dominators import rank_chokepoints

    return rank_chokepoints(net, top=top, edges=edges)
