"""Straightforward networkx / dense-numpy references for the exposure engine's tests:
plain Python loops over nodes and edges, written independently of the engine."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np

from critmin.analytics.network import END, SOURCE, Network


def ref_edge_shares(net: Network) -> list[float]:
    """Per edge: the input_shares rule, one customer at a time."""
    out = [0.0] * net.n_edges
    by_customer: dict[int, list[int]] = {}
    for i in range(net.n_edges):
        if net.supplier[i] != net.customer[i]:
            by_customer.setdefault(int(net.customer[i]), []).append(i)
    for edges in by_customer.values():
        known = [i for i in edges if not math.isnan(net.share[i])]
        unknown = [i for i in edges if math.isnan(net.share[i])]
        rest = max(0.0, 1.0 - sum(float(net.share[i]) for i in known))
        for i in known:
            out[i] = float(net.share[i])
        for i in unknown:
            out[i] = rest / len(unknown)
        for _ in range(2):  # normalise, drop shares below 1e-9, normalise again
            total = sum(out[i] for i in edges)
            if total > 0:
                for i in edges:
                    out[i] /= total
                    out[i] = 0.0 if out[i] < 1e-9 else out[i]
    return out


def ref_share_matrix(net: Network) -> np.ndarray:
    s = np.zeros((net.n_nodes, net.n_nodes))
    for i, x in enumerate(ref_edge_shares(net)):
        s[net.customer[i], net.supplier[i]] += x
    return s


def digraph(net: Network) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    g.add_edges_from((int(u), int(v)) for u, v in zip(net.supplier, net.customer, strict=True)
                     if u != v)
    return g


def ref_any_tier(net: Network, targets: np.ndarray) -> np.ndarray:
    g = digraph(net)
    out = np.zeros(net.n_nodes, dtype=bool)
    for t in np.flatnonzero(targets):
        out[t] = True
        for d in nx.descendants(g, int(t)):
            out[d] = True
    return out


def ref_weighted_matrix(s: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Least solution of w = 1 on targets, w = S w elsewhere: nodes without a
    positive-share path from a target get 0; the rest solve a nonsingular system."""
    n = s.shape[0]
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    g.add_edges_from((int(u), int(v)) for v in range(n) for u in range(n) if s[v, u] > 0)
    tset = set(np.flatnonzero(targets).tolist())
    live: set[int] = set()
    for t in tset:
        live |= nx.descendants(g, t)
    live -= tset
    w = np.zeros(n)
    w[list(tset)] = 1.0
    p = sorted(live)
    if p:
        a = np.eye(len(p)) - s[np.ix_(p, p)]
        b = s[np.ix_(p, sorted(tset))].sum(axis=1)
        w[p] = np.linalg.solve(a, b)
    return w


def ref_weighted(net: Network, targets: np.ndarray) -> np.ndarray:
    return ref_weighted_matrix(ref_share_matrix(net), targets)


def ref_sources(net: Network) -> list[int]:
    src = [i for i in range(net.n_nodes) if net.kind[i] == SOURCE]
    if src:
        return src
    g = digraph(net)
    return [i for i in range(net.n_nodes) if g.in_degree(i) == 0]


def ref_chokepoints(net: Network) -> dict[tuple[str, int], int]:
    """{(kind, index): end products cut} from networkx.immediate_dominators on the
    graph with every edge subdivided and a super-source linked to all sources."""
    g = nx.DiGraph()
    root = ("root",)
    g.add_node(root)
    for s in ref_sources(net):
        g.add_edge(root, ("n", s))
    for i in range(net.n_nodes):
        g.add_node(("n", i))
    for i, (u, v) in enumerate(zip(net.supplier, net.customer, strict=True)):
        if u != v:
            g.add_edge(("n", int(u)), ("e", i))
            g.add_edge(("e", i), ("n", int(v)))
    idom = nx.immediate_dominators(g, root)
    out: dict[tuple[str, int], int] = {}
    for e in range(net.n_nodes):
        if net.kind[e] != END or ("n", e) not in idom:
            continue
        x = ("n", e)
        while x != root:
            if x != ("n", e):
                key = ("node" if x[0] == "n" else "edge", x[1])
                out[key] = out.get(key, 0) + 1
            x = idom[x]
    return out


def ref_subdivided_matrix(net: Network, edges: list[int]) -> np.ndarray:
    n, k = net.n_nodes, len(edges)
    es = ref_edge_shares(net)
    s = np.zeros((n + k, n + k))
    for i, x in enumerate(es):
        if i not in edges:
            s[net.customer[i], net.supplier[i]] += x
    for j, i in enumerate(edges):
        s[net.customer[i], n + j] += es[i]
        s[n + j, net.supplier[i]] = 1.0
    return s
