"""How much end-product input each node or edge carries, for every candidate at once.

For a node v, the supply lost is L(v) = sum over end products e of h_v(e), where h_v
is :func:`critmin.analytics.exposure.weighted` with targets {v}: the probability that a
walk upstream from e (stepping to supplier u with probability s(u, x)) reaches v.
Solving one weighted problem per candidate costs a full sweep each; instead, with
G = sum_k S^k (expected visits, G[e, v]) and h_v(e) = G[e, v] / G[v, v]:

- y = 1_ends + S^T y, one *downstream* level sweep over the condensation (the adjoint
  of :func:`weighted`), gives y_v = sum_e G[e, v] for every v at once;
- G[v, v] = 1 outside cycles; inside a cycle it is the diagonal of (I - S_CC)^-1,
  from one LU per cyclic component that holds a candidate (a loop over those
  components, not over nodes);
- an edge (u, v) with share s, subdivided by a vertex x: sum_e G'[e, x] = s y_v and
  G'[x, x] = 1 + s G[u, v], so L(u, v) = s y_v / (1 + s G[u, v]) (G[u, v] = 0 unless
  the edge lies inside a cycle);
- a closed cycle K (no input from outside, rows summing to 1) is entered for good:
  every node and inner edge of it carries P(reach K), so L = y_K with
  y_K = (end products in K) + sum over edges leaving K of s y.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from critmin.analytics import condensation as cond
from critmin.analytics.exposure import edge_shares, input_shares, positive_structure
from critmin.analytics.network import END, Network


def _closed(s: sp.csr_matrix, p: cond.Plan) -> np.ndarray:
    """Per component: cyclic and without positive input from another component."""
    coo = s.tocoo()
    ext = p.comp[coo.row] != p.comp[coo.col]
    fed = np.bincount(p.comp[coo.row[ext]], minlength=p.n_comp) > 0
    return p.cyclic & ~fed


def downstream_totals(s: sp.csr_matrix, p: cond.Plan, rhs: np.ndarray) -> np.ndarray:
    """y = rhs + S^T y swept from the last level to the first; on a closed cycle K every
    node gets rhs summed over K plus what leaves K (see the module doc)."""
    n = s.shape[0]
    y = np.zeros(n)
    st = s.T.tocsr()[p.order] if n else s
    closed = _closed(s, p)
    for lv in reversed(range(p.n_levels)):
        a, c, b = int(p.lptr[lv]), int(p.cptr[lv]), int(p.lptr[lv + 1])
        if c > a:
            rows = p.order[a:c]
            y[rows] = rhs[rows] + st[a:c] @ y
        if b > c:
            block = p.order[c:b]
            out = rhs[block] + st[c:b] @ y  # y inside the block is still 0
            shut = closed[p.comp[block]]
            if shut.any():
                comps = p.comp[block[shut]]
                total = np.bincount(comps, weights=out[shut], minlength=p.n_comp)
                y[block[shut]] = total[comps]
            open_ = np.flatnonzero(~shut)
            if open_.size:
                nodes = block[open_]
                sbb = s[nodes][:, nodes]
                a_ = (sp.identity(nodes.size, format="csc") - sbb.T.tocsc()).tocsc()
                y[nodes] = splu(a_).solve(out[open_])
    return y


def _green_entries(s: sp.csr_matrix, p: cond.Plan, rows: np.ndarray,
                   cols: np.ndarray) -> np.ndarray:
    """G[rows, cols] = [(I - S)^-1] entries for pairs inside one non-closed cyclic
    component each (one LU per component involved)."""
    out = np.zeros(rows.size)
    comps = p.comp[cols]
    by_comp = np.argsort(p.comp, kind="stable")
    starts = np.searchsorted(p.comp[by_comp], np.arange(p.n_comp + 1))
    for c in np.unique(comps):
        members = by_comp[starts[c]:starts[c + 1]]
        srt = np.sort(members)
        scc = s[srt][:, srt]
        lu = splu((sp.identity(srt.size, format="csc") - scc.tocsc()).tocsc())
        pick = np.flatnonzero(comps == c)
        want_cols, inv = np.unique(np.searchsorted(srt, cols[pick]), return_inverse=True)
        rhs = np.zeros((srt.size, want_cols.size))
        rhs[want_cols, np.arange(want_cols.size)] = 1.0
        g = lu.solve(rhs).reshape(srt.size, want_cols.size)
        out[pick] = g[np.searchsorted(srt, rows[pick]), inv]
    return out


def supply_lost(net: Network, kinds: np.ndarray, index: np.ndarray) -> np.ndarray:
    """Per candidate (kind 0 node, 1 edge; ``index`` node or edge number): the sum over
    end products of the fraction of their input that traces to the node / flows over
    the edge, exactly as :func:`weighted` would give it, for all candidates at once."""
    s = input_shares(net)
    p = positive_structure(net)
    closed = _closed(s, p)
    y = downstream_totals(s, p, (net.kind == END).astype(np.float64))
    out = np.zeros(index.size)
    is_node = kinds == 0
    v = index[is_node]
    val = y[v]
    inner = p.cyclic[p.comp[v]] & ~closed[p.comp[v]]
    if inner.any():
        val[inner] /= _green_entries(s, p, v[inner], v[inner])
    out[is_node] = val
    e = index[~is_node]
    if e.size:
        es = edge_shares(net)[e]
        u, w = net.supplier[e], net.customer[e]
        same = p.comp[u] == p.comp[w]
        val = es * y[w]
        shut = same & closed[p.comp[w]] & (es > 0)
        val[shut] = y[w[shut]]
        loop = same & ~closed[p.comp[w]] & (es > 0)
        if loop.any():
            val[loop] = es[loop] * y[w[loop]] / (
                1.0 + es[loop] * _green_entries(s, p, u[loop], w[loop]))
        out[~is_node] = val
    return out
