"""Chokepoints of a supply network: the nodes and edges that every path from the
sources to an end product passes, from the dominator tree of a super-source.

A super-source r is linked to every source. Node v dominates x when every path from r
to x passes v; idom(x) is the nearest strict dominator, and the immediate dominators
form a tree. Node v cuts end product e (v != e) when v dominates e, so the number of
end products v cuts is the number in its dominator subtree (less itself). Edge (u, v)
cuts e when every path uses it, i.e. when the vertex subdividing it dominates e; that
vertex dominates v exactly when (u, v) is v's only incoming edge from a node that is
reachable and not dominated by v (so parallel edges never cut), and then it dominates
exactly what v dominates, plus v.

Method (exact, vectorised): the graph is condensed into strongly connected
components and swept level by level (:mod:`critmin.analytics.condensation`).

- A vertex outside any cycle has all its predecessors at earlier levels, so idom(x) is
  the lowest common ancestor, in the tree built so far, of its reachable predecessors:
  all vertices of a level at once, by binary lifting and a pairwise segmented fold.
- The cycles of a level are solved together: each component's entry predecessors
  meet at a = LCA (everything before the component that dominates it); inside, a
  local graph with one root per component standing for a is solved by the iterative
  (Cooper-Harvey-Kennedy) rule idom(x) = NCA of its predecessors, applied to all its
  vertices at once (Jacobi) from a breadth-first spanning tree until nothing changes.
  Starting from a spanning tree, every iterate is a tree whose dominator sets contain
  the true ones and shrink monotonically, so the fixed point is the dominator tree.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import breadth_first_order

from critmin.analytics import condensation as cond
from critmin.analytics.network import END, Network


def structure(net: Network) -> cond.Plan:
    from critmin.analytics.exposure import structure as plan_of

    return plan_of(net)


@dataclass(frozen=True)
class DominatorTree:
    """``idom[x]`` for the ``n`` nodes and the super-source ``root = n`` (-1 where not
    reachable from it; ``idom[root] = root``), with ``depth`` and the edge lists used."""

    root: int
    idom: np.ndarray
    depth: np.ndarray
    up: np.ndarray  # (log, n + 1) ancestor table: up[j, x] = 2^j-th dominator of x
    comp: np.ndarray  # strongly connected component of each vertex

    def reachable(self) -> np.ndarray:
        return self.idom >= 0

    def is_ancestor(self, anc: np.ndarray, x: np.ndarray) -> np.ndarray:
        """Per pair: ``anc`` dominates ``x`` (or equals it); both reachable."""
        diff = self.depth[x] - self.depth[anc]
        ok = diff >= 0
        y = x.copy()
        d = np.where(ok, diff, 0)
        for j in range(int(d.max()).bit_length() if d.size else 0):
            m = ((d >> j) & 1).astype(bool)
            y[m] = self.up[j, y[m]]
        return ok & (y == anc)


class _Builder:
    def __init__(self, n_vertices: int, root: int) -> None:
        self.idom = np.full(n_vertices, -1, dtype=np.int64)
        self.depth = np.full(n_vertices, -1, dtype=np.int64)
        self.log = max(1, int(n_vertices).bit_length())
        self.up = np.zeros((self.log, n_vertices), dtype=np.int64)
        self.idom[root] = root
        self.depth[root] = 0
        self.up[:, root] = root
        self.max_depth = 0

    def lca(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """Lowest common ancestors in the tree so far (binary lifting), pairwise."""
        swap = self.depth[a] < self.depth[b]
        a, b = np.where(swap, b, a), np.where(swap, a, b)
        diff = self.depth[a] - self.depth[b]
        for j in range(int(diff.max()).bit_length() if diff.size else 0):
            m = ((diff >> j) & 1).astype(bool)
            a[m] = self.up[j, a[m]]
        ne = np.flatnonzero(a != b)
        if ne.size:
            ai, bi = a[ne], b[ne]
            for j in reversed(range(max(1, self.max_depth.bit_length()))):
                ua, ub = self.up[j, ai], self.up[j, bi]
                m = ua != ub
                ai[m], bi[m] = ua[m], ub[m]
            a[ne] = self.up[0, ai]
        return a

    def place(self, x: np.ndarray, parent: np.ndarray) -> None:
        """Set idom(x) = parent (parents may be among x), with depths and lifting rows."""
        self.idom[x] = parent
        todo = x
        while todo.size:
            known = self.depth[self.idom[todo]] >= 0
            if not known.any():  # cannot happen: parents form a tree
                raise RuntimeError("dominator parents form a cycle")
            done = todo[known]
            self.depth[done] = self.depth[self.idom[done]] + 1
            todo = todo[~known]
        if x.size:
            self.max_depth = max(self.max_depth, int(self.depth[x].max()))
        self.up[0, x] = parent
        for j in range(1, self.log):
            self.up[j, x] = self.up[j - 1, self.up[j - 1, x]]


def dominator_tree(structure: cond.Plan, sources: np.ndarray) -> DominatorTree:
    """The dominator tree of a graph (given by its condensation plan, no self-loops)
    from a super-source ``n`` linked to the nodes in ``sources`` (indices)."""
    root = structure.n
    nv = root + 1
    p = cond.with_root(structure, sources)
    b = _Builder(nv, root)
    for lv in range(1, p.n_levels):
        lo, mid, hi = int(p.lptr[lv]), int(p.cptr[lv]), int(p.lptr[lv + 1])
        if mid > lo:
            _acyclic_level(b, p, lo, mid)
        if hi > mid:
            _cyclic_level(b, p, mid, hi)
    return DominatorTree(root=root, idom=b.idom, depth=b.depth, up=b.up, comp=p.comp)


def _in_edges(p: cond.Plan, lo: int, hi: int) -> tuple[np.ndarray, np.ndarray]:
    """Predecessors of the vertices ``order[lo:hi]`` and the position (from 0) of the
    vertex each belongs to."""
    cnt = np.diff(p.in_ptr[lo:hi + 1])
    return p.in_src[p.in_ptr[lo]:p.in_ptr[hi]], np.repeat(np.arange(hi - lo), cnt)


def _acyclic_level(b: _Builder, p: cond.Plan, lo: int, hi: int) -> None:
    x = p.order[lo:hi]
    preds, pos = _in_edges(p, lo, hi)
    ok = b.depth[preds] >= 0
    groups, meet = cond.group_fold(preds[ok], pos[ok], b.lca)
    b.place(x[groups], meet)


def _cyclic_level(b: _Builder, p: cond.Plan, lo: int, hi: int) -> None:
    x = p.order[lo:hi]
    preds, pos = _in_edges(p, lo, hi)
    comp_x = p.comp[x]
    external = (p.comp[preds] != comp_x[pos]) & (b.depth[preds] >= 0)
    # where everything before each component meets: the LCA of its entry predecessors
    ext_comp, meet = cond.group_fold(preds[external], comp_x[pos[external]], b.lca)
    if ext_comp.size == 0:
        return
    nx_, nc = x.size, ext_comp.size
    rho = nx_ + np.arange(nc)  # one local root per entered component
    g = nx_ + nc  # the local super-root
    ent_pos = pos[external]
    ent_rho = rho[np.searchsorted(ext_comp, comp_x[ent_pos])]
    internal = p.comp[preds] == comp_x[pos]
    order_x = np.argsort(x)
    int_src = order_x[np.searchsorted(x[order_x], preds[internal])]
    int_dst = pos[internal]
    hs = np.concatenate([np.full(nc, g), ent_rho, int_src])
    hd = np.concatenate([rho, ent_pos, int_dst])
    m = g + 1
    h = sp.csr_matrix((np.ones(hs.size, dtype=np.int8), (hs, hd)), shape=(m, m))
    bfs, pred = breadth_first_order(h, g, directed=True, return_predecessors=True)
    rank = np.full(m, -1, dtype=np.int64)
    rank[bfs] = np.arange(bfs.size)
    parent = pred.astype(np.int64)
    parent[g] = g
    # in-edges of reached local vertices (not the roots), grouped by target
    keep = (hd < nx_) & (rank[hd] >= 0) & (rank[hs] >= 0)
    o = np.argsort(hd[keep], kind="stable")
    es, ed = hs[keep][o], hd[keep][o]

    def nca(a: np.ndarray, c: np.ndarray) -> np.ndarray:
        a, c = a.copy(), c.copy()
        ne = np.flatnonzero(a != c)
        while ne.size:
            ra, rc = rank[a[ne]], rank[c[ne]]
            ma, mc = ne[ra > rc], ne[rc > ra]
            a[ma] = parent[a[ma]]
            c[mc] = parent[c[mc]]
            ne = ne[a[ne] != c[ne]]
        return a

    while True:
        targets, new = cond.group_fold(es, ed, nca)
        changed = parent[targets] != new
        if not changed.any():
            break
        parent[targets] = new
    reached = np.flatnonzero(rank[:nx_] >= 0)
    lp = parent[reached]
    glob = np.where(lp >= nx_, meet[np.clip(lp - nx_, 0, nc - 1)], x[np.minimum(lp, nx_ - 1)])
    b.place(x[reached], glob)


def cut_counts(net: Network, sources: np.ndarray) -> dict[str, Any]:
    """Per node the end products it cuts, and the edges that cut any with their counts:
    ``node_cut`` (n,), ``edge_index`` and ``edge_cut`` (candidate edges only)."""
    n = net.n_nodes
    keep = np.flatnonzero(net.supplier != net.customer)
    src, dst = net.supplier[keep], net.customer[keep]
    src_idx = np.flatnonzero(sources)
    t = dominator_tree(structure(net), src_idx)
    reach = t.reachable()
    cnt = np.zeros(n + 1, dtype=np.int64)
    cnt[:n] = (net.kind == END) & reach[:n]
    nodes = np.flatnonzero(reach)
    nodes = nodes[nodes != t.root]
    by_depth = nodes[np.argsort(-t.depth[nodes], kind="stable")]
    dd = t.depth[by_depth]
    bounds = np.flatnonzero(np.r_[True, dd[1:] != dd[:-1], True])
    for i in range(bounds.size - 1):
        grp = by_depth[bounds[i]:bounds[i + 1]]
        np.add.at(cnt, t.idom[grp], cnt[grp])
    node_cut = cnt[:n] - ((net.kind == END) & reach[:n])
    # edges, the super-source's included: an in-edge counts when its supplier is
    # reachable and not dominated by the customer (only possible inside a cycle)
    all_s = np.concatenate([src, np.full(src_idx.size, n)])
    all_d = np.concatenate([dst, src_idx])
    all_e = np.concatenate([keep, np.full(src_idx.size, -1)])
    live = reach[all_s] & reach[all_d]
    same = np.flatnonzero(live & (t.comp[all_s] == t.comp[all_d]))
    if same.size:
        live[same] &= ~t.is_ancestor(all_d[same], all_s[same])
    per_v = np.bincount(all_d[live], minlength=n + 1)
    sole = live & (per_v[all_d] == 1) & (all_e >= 0)
    e_idx = all_e[sole]
    e_cut = cnt[all_d[sole]]
    pos = e_cut > 0
    return {"node_cut": node_cut, "edge_index": e_idx[pos], "edge_cut": e_cut[pos], "tree": t}


def rank_chokepoints(net: Network, top: int = 20, edges: bool = True) -> list[dict[str, Any]]:
    """The ``top`` chokepoints by end products cut, then weighted supply lost, then id
    (``weighted_supply_lost`` of every candidate, exactly, by :func:`supply_lost`)."""
    from critmin.analytics.exposure import sources_of
    from critmin.analytics.supply_lost import supply_lost

    c = cut_counts(net, sources_of(net))
    node_idx = np.flatnonzero(c["node_cut"] > 0)
    kinds = np.zeros(node_idx.size, dtype=np.int8)
    index = node_idx
    cuts = c["node_cut"][node_idx]
    if edges:
        kinds = np.concatenate([kinds, np.ones(c["edge_index"].size, dtype=np.int8)])
        index = np.concatenate([index, c["edge_index"]])
        cuts = np.concatenate([cuts, c["edge_cut"]])
    if index.size == 0 or top <= 0:
        return []
    names = np.where(kinds == 0, net.ids[np.where(kinds == 0, index, 0)],
                     _edge_names(net, np.where(kinds == 1, index, 0)))
    lost = supply_lost(net, kinds, index)
    r = np.lexsort((names, -lost, -cuts))[:top]
    out = []
    for i in r:
        k, j = int(kinds[i]), int(index[i])
        node = j if k == 0 else int(net.supplier[j])
        out.append({"kind": "node" if k == 0 else "edge", "id": str(names[i]), "index": j,
                    "country": str(net.country[node]), "end_products_cut": int(cuts[i]),
                    "weighted_supply_lost": float(lost[i])})
    return out


def _edge_names(net: Network, e: np.ndarray) -> np.ndarray:
    sup = net.ids[net.supplier[e]].astype(str)
    cus = net.ids[net.customer[e]].astype(str)
    return np.char.add(np.char.add(sup, "->"), cus)
