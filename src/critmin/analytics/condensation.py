"""Strongly connected components and topological levels of a directed graph, as arrays.

The exposure engine (:mod:`critmin.analytics.exposure`) runs level by level over the
*condensation* of a supply network: every strongly connected component (a cycle of
firms supplying each other) becomes one vertex, and the resulting DAG is peeled into
levels (level 0 has no predecessors; a component's level is one more than its deepest
predecessor's). One numpy step per level; no loop over nodes or edges.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

IntArray = np.ndarray


def ranges(starts: IntArray, counts: IntArray) -> IntArray:
    """The concatenation of ``arange(s, s + c)`` for each pair, without a Python loop."""
    counts = np.asarray(counts, dtype=np.int64)
    total = int(counts.sum())
    if total == 0:
        return np.zeros(0, dtype=np.int64)
    ends = np.cumsum(counts)
    offsets = np.repeat(np.asarray(starts, dtype=np.int64) - (ends - counts), counts)
    return offsets + np.arange(total, dtype=np.int64)


def group_fold(values: IntArray, groups: IntArray,
               pair: Callable[[IntArray, IntArray], IntArray]) -> tuple[IntArray, IntArray]:
    """Fold each run of equal ``groups`` (sorted) with the associative ``pair`` function,
    all groups at once: adjacent elements are paired within their group each round,
    so a group of size d takes ceil(log2 d) rounds. Returns (group ids, folded values)."""
    values, groups = np.asarray(values).copy(), np.asarray(groups)
    while values.size:
        first = np.ones(values.size, dtype=bool)
        first[1:] = groups[1:] != groups[:-1]
        if first.all():
            break
        starts = np.flatnonzero(first)
        sizes = np.diff(np.append(starts, values.size))
        pos = np.arange(values.size) - np.repeat(starts, sizes)
        even = pos % 2 == 0
        partner = np.zeros(values.size, dtype=bool)
        partner[:-1] = even[:-1] & ~first[1:]
        i = np.flatnonzero(partner)
        if i.size:
            values[i] = pair(values[i], values[i + 1])
        values, groups = values[even], groups[even]
    return groups, values


@dataclass(frozen=True)
class Plan:
    """The condensation of a graph on ``n`` vertices, ordered for level-synchronous sweeps.

    ``comp[v]`` is v's component; ``cyclic[c]`` marks components with more than one
    vertex (self-loops are ignored by the callers). ``order`` lists the vertices by
    (level, cyclic, component); vertices of level L are ``order[lptr[L]:lptr[L+1]]``,
    the acyclic ones first, up to ``order[cptr[L]]``.
    """

    n: int
    comp: IntArray
    n_comp: int
    cyclic: IntArray  # (n_comp,) bool
    level: IntArray  # (n_comp,) int
    order: IntArray  # (n,) vertices by (level, cyclic, comp)
    lptr: IntArray  # (levels + 1,)
    cptr: IntArray  # (levels,) first cyclic position within each level

    @property
    def n_levels(self) -> int:
        return int(self.lptr.size - 1)

    def node_level(self) -> IntArray:
        return self.level[self.comp]

    def node_cyclic(self) -> IntArray:
        return self.cyclic[self.comp]


def topo_levels(n_comp: int, src: IntArray, dst: IntArray) -> IntArray:
    """Longest-path level of each vertex of a DAG given by edges ``src -> dst``
    (duplicates allowed), by in-degree peeling: one vectorised step per level."""
    indeg = np.bincount(dst, minlength=n_comp).astype(np.int64)
    by_src = np.argsort(src, kind="stable")
    out_dst = dst[by_src]
    ptr = np.zeros(n_comp + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n_comp), out=ptr[1:])
    level = np.full(n_comp, -1, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0)
    depth = 0
    while frontier.size:
        level[frontier] = depth
        reached = out_dst[ranges(ptr[frontier], ptr[frontier + 1] - ptr[frontier])]
        if reached.size == 0:
            break
        vertex, hits = np.unique(reached, return_counts=True)
        indeg[vertex] -= hits
        frontier = vertex[indeg[vertex] == 0]
        depth += 1
    if np.any(level < 0):  # cannot happen on a condensation
        raise ValueError("graph has a cycle; expected a DAG")
    return level


def plan(n: int, src: IntArray, dst: IntArray) -> Plan:
    """Components, levels and sweep order of the graph ``src -> dst`` on ``n`` vertices
    (self-loops must already be removed)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if src.size:
        adj = sp.csr_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(n, n))
        n_comp, comp = connected_components(adj, directed=True, connection="strong")
        comp = comp.astype(np.int64)
    else:
        n_comp, comp = n, np.arange(n, dtype=np.int64)
    cyclic = np.bincount(comp, minlength=n_comp) > 1
    cs, cd = comp[src], comp[dst]
    cross = cs != cd
    level = topo_levels(n_comp, cs[cross], cd[cross])
    node_level = level[comp]
    node_cyc = cyclic[comp]
    order = np.lexsort((comp, node_cyc, node_level))
    n_levels = int(level.max()) + 1 if n_comp else 0
    counts = np.bincount(node_level, minlength=n_levels)
    lptr = np.zeros(n_levels + 1, dtype=np.int64)
    np.cumsum(counts, out=lptr[1:])
    acyclic_counts = np.bincount(node_level[~node_cyc], minlength=n_levels)
    cptr = lptr[:-1] + acyclic_counts
    return Plan(n=n, comp=comp, n_comp=int(n_comp), cyclic=cyclic, level=level,
                order=order, lptr=lptr, cptr=cptr)
