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
    the acyclic ones first, up to ``order[cptr[L]]``. The in-edges of the vertex at
    position i of ``order`` are ``in_src[in_ptr[i]:in_ptr[i+1]]`` (parallel edges
    merged; ``in_mult`` counts them).
    """

    n: int
    comp: IntArray
    n_comp: int
    cyclic: IntArray  # (n_comp,) bool
    level: IntArray  # (n_comp,) int
    order: IntArray  # (n,) vertices by (level, cyclic, comp)
    lptr: IntArray  # (levels + 1,)
    cptr: IntArray  # (levels,) first cyclic position within each level
    in_ptr: IntArray  # (n + 1,) by position in order
    in_src: IntArray  # predecessors
    in_mult: IntArray  # multiplicity of each (predecessor, vertex) pair

    @property
    def n_levels(self) -> int:
        return int(self.lptr.size - 1)


def topo_levels(n_comp: int, src: IntArray, dst: IntArray) -> IntArray:
    """Longest-path level of each vertex of a DAG given by edges ``src -> dst``
    (duplicates allowed), by in-degree peeling: one vectorised step per level."""
    out = sp.csr_matrix((np.ones(src.size, dtype=np.int32), (src, dst)), shape=(n_comp, n_comp))
    ptr, out_dst = out.indptr.astype(np.int64), out.indices
    indeg = np.bincount(out_dst, minlength=n_comp).astype(np.int64)
    level = np.full(n_comp, -1, dtype=np.int64)
    frontier = np.flatnonzero(indeg == 0)
    depth = 0
    while frontier.size:
        level[frontier] = depth
        reached = out_dst[ranges(ptr[frontier], ptr[frontier + 1] - ptr[frontier])]
        if reached.size == 0:
            break
        if reached.size * 8 > n_comp:
            hits = np.bincount(reached, minlength=n_comp)
            vertex = np.flatnonzero(hits)
            hits = hits[vertex]
        else:
            vertex, hits = np.unique(reached, return_counts=True)
        indeg[vertex] -= hits
        frontier = vertex[indeg[vertex] == 0]
        depth += 1
    if np.any(level < 0):  # cannot happen on a condensation
        raise ValueError("graph has a cycle; expected a DAG")
    return level


def plan(n: int, src: IntArray, dst: IntArray) -> Plan:
    """Components, levels, sweep order and in-edges of the graph ``src -> dst`` on
    ``n`` vertices (self-loops must already be removed)."""
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    into = sp.csr_matrix((np.ones(src.size, dtype=np.int32), (dst, src)), shape=(n, n))
    if src.size:
        n_comp, comp = connected_components(into, directed=True, connection="strong")
        comp = comp.astype(np.int64)
    else:
        n_comp, comp = n, np.arange(n, dtype=np.int64)
    cyclic = np.bincount(comp, minlength=n_comp) > 1
    rows = np.repeat(np.arange(n, dtype=np.int64), np.diff(into.indptr))
    cs, cd = comp[into.indices], comp[rows]
    cross = cs != cd
    level = topo_levels(n_comp, cs[cross], cd[cross])
    node_level = level[comp]
    key = (node_level * 2 + cyclic[comp]) * n_comp + comp
    order = np.argsort(key, kind="stable")
    n_levels = int(level.max()) + 1 if n_comp else 0
    counts = np.bincount(node_level, minlength=n_levels)
    lptr = np.zeros(n_levels + 1, dtype=np.int64)
    np.cumsum(counts, out=lptr[1:])
    acyclic_counts = np.bincount(node_level[~cyclic[comp]], minlength=n_levels)
    cptr = lptr[:-1] + acyclic_counts
    into = into[order] if n else into
    return Plan(n=n, comp=comp, n_comp=int(n_comp), cyclic=cyclic, level=level,
                order=order, lptr=lptr, cptr=cptr, in_ptr=into.indptr.astype(np.int64),
                in_src=into.indices.astype(np.int64), in_mult=into.data)


def with_root(p: Plan, targets: IntArray) -> Plan:
    """The plan of the same graph plus a root vertex ``p.n`` with an edge to each of
    ``targets`` (indices, distinct): the root alone at level 0, every other level one
    down (still a valid topological levelling), no new component or sort."""
    n = p.n
    targets = np.asarray(targets, dtype=np.int64)
    pos_of = np.empty(n, dtype=np.int64)
    pos_of[p.order] = np.arange(n)
    extra = np.zeros(n, dtype=np.int64)
    extra[pos_of[targets]] = 1
    cnt = np.diff(p.in_ptr) + extra
    in_ptr = np.zeros(n + 2, dtype=np.int64)
    np.cumsum(cnt, out=in_ptr[2:])
    # each position's root edge (if any) goes first, then its old in-edges
    old_slot = np.arange(p.in_src.size) + np.repeat(np.cumsum(extra), np.diff(p.in_ptr))
    in_src = np.full(in_ptr[-1], n, dtype=np.int64)
    in_mult = np.ones(in_ptr[-1], dtype=p.in_mult.dtype)
    in_src[old_slot] = p.in_src
    in_mult[old_slot] = p.in_mult
    return Plan(n=n + 1, comp=np.append(p.comp, p.n_comp), n_comp=p.n_comp + 1,
                cyclic=np.append(p.cyclic, False), level=np.append(p.level + 1, 0),
                order=np.concatenate([[n], p.order]), lptr=np.concatenate([[0], p.lptr + 1]),
                cptr=np.concatenate([[1], p.cptr + 1]), in_ptr=in_ptr, in_src=in_src,
                in_mult=in_mult)
