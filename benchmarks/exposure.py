"""Benchmark: the multi-tier exposure engine against a networkx reference.

The network is SYNTHETIC (:func:`critmin.analytics.network_synth.generate`: tiers,
heavy-tailed degrees, an invented country mix, a few cycles, 30 % of shares missing).
Not a test; run it:

    .venv/bin/python benchmarks/exposure.py [--nodes 1000000] [--edges 5000000]

Questions, each timed from a cold start (the network's cached condensation cleared, so
every question pays for its own strongly connected components and levels):

- ``exposure``: which end products depend, at any tier, on each country - every
  country of the network at once (``any_tier`` with one column per country, bitsets);
- ``weighted``: the fraction of every node's input that traces to one country (CHN);
- ``chokepoints``: the top 20 node and edge chokepoints with their weighted supply lost.

Memory: ``tracemalloc`` peak of each question (numpy and Python allocations made while
it runs; SuperLU's own buffers are not seen), measured in a second run of the question,
and ``ru_maxrss`` (peak resident set of the whole process, network included).

networkx reference (``--nx``), same question, same answer checked:

- exposure: ``nx.descendants`` from a super-source linked to one country's nodes, one
  country at a time, on the full network; measured for ``--nx-countries`` countries
  (the most frequent ones) and extrapolated linearly to all countries;
- weighted: ``nx.condensation`` + topological order + a Python loop per node (cycles:
  ``scipy.sparse.linalg.spsolve`` per component), on the full network;
- chokepoints: ``nx.immediate_dominators`` on the graph with every edge subdivided and
  a super-source, then end products counted up the dominator tree (cut counts only:
  the reference does not compute supply lost, which favours it).

Chokepoints are measured on a network generated with the same settings at
1/``--nx-scale`` of the size (the engine is timed there too, for a same-network ratio;
the subdivided full-size graph would need many GiB in networkx) and the time is
extrapolated linearly to full size; linear is generous to networkx.
Building the plain networkx graph is reported but left out of its times (also
generous); building the subdivided graph is part of the chokepoint reference.
``--nx-scale 1`` runs everything on the full network.
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import time
import tracemalloc
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import spsolve

from critmin.analytics import exposure as ex
from critmin.analytics.network import END, Network
from critmin.analytics.network_synth import generate


def cold(net: Network) -> None:
    ex._CACHE.pop(net, None)
    gc.collect()


def timed(fn, net: Network, memory: bool) -> tuple[float, float | None, Any]:  # type: ignore[no-untyped-def]
    """(wall seconds, tracemalloc peak MiB or None, result), cold each time."""
    cold(net)
    t0 = time.perf_counter()
    out = fn()
    wall = time.perf_counter() - t0
    peak = None
    if memory:
        cold(net)
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return wall, peak, out


def rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------ networkx reference


def nx_graph(net: Network) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(range(net.n_nodes))
    keep = net.supplier != net.customer
    g.add_edges_from(zip(net.supplier[keep].tolist(), net.customer[keep].tolist(), strict=True))
    return g


def nx_exposed(g: nx.DiGraph, net: Network, country: str) -> set[int]:
    """Nodes with a node of ``country`` upstream (or in it)."""
    hub = -1
    members = np.flatnonzero(net.country == country).tolist()
    g.add_edges_from((hub, v) for v in members)
    try:
        return nx.descendants(g, hub)
    finally:
        g.remove_node(hub)


def nx_weighted(g: nx.DiGraph, net: Network, targets: np.ndarray) -> np.ndarray:
    """w = 1 on targets, sum of share x supplier's w elsewhere, in topological order of
    the condensation; cycles by one sparse solve each."""
    share: dict[tuple[int, int], float] = {}
    for u, v, s in zip(net.supplier.tolist(), net.customer.tolist(),
                       ex.edge_shares(net).tolist(), strict=True):
        if u != v:
            share[(u, v)] = share.get((u, v), 0.0) + s
    w = np.zeros(net.n_nodes)
    c = nx.condensation(g)
    for comp in nx.topological_sort(c):
        members = sorted(c.nodes[comp]["members"])
        if len(members) == 1:
            v = members[0]
            w[v] = 1.0 if targets[v] else sum(share[(u, v)] * w[u] for u in g.predecessors(v))
            continue
        inside = {v: i for i, v in enumerate(v for v in members if not targets[v])}
        for v in members:
            if targets[v]:
                w[v] = 1.0
        if not inside:
            continue
        rows, cols, vals, rhs = [], [], [], np.zeros(len(inside))
        for v, i in inside.items():
            rows.append(i), cols.append(i), vals.append(1.0)
            for u in g.predecessors(v):
                if u in inside:
                    rows.append(i), cols.append(inside[u]), vals.append(-share[(u, v)])
                else:
                    rhs[i] += share[(u, v)] * w[u]
        a = sp.csc_matrix((vals, (rows, cols)), shape=(len(inside), len(inside)))
        # a closed part would be singular: the least solution there is 0
        reach = _fed(g, inside, share, rhs)
        idx = [inside[v] for v in reach]
        if idx:
            sub = a[idx][:, idx]
            w[reach] = np.atleast_1d(spsolve(sub.tocsc(), rhs[idx]))
    return w


def _fed(g: nx.DiGraph, inside: dict[int, int], share: dict[tuple[int, int], float],
         rhs: np.ndarray) -> list[int]:
    """Members of a cycle reachable, over positive shares inside it, from a member with
    positive input from outside."""
    seeds = [v for v, i in inside.items()
             if any(share[(u, v)] > 0 and u not in inside for u in g.predecessors(v))]
    seen, stack = set(seeds), list(seeds)
    while stack:
        u = stack.pop()
        for v in g.successors(u):
            if v in inside and v not in seen and share[(u, v)] > 0:
                seen.add(v)
                stack.append(v)
    return sorted(seen)


def nx_cut_counts(net: Network) -> dict[tuple[str, int], int]:
    """End products cut per node / edge from nx.immediate_dominators (subdivided graph)."""
    h = nx.DiGraph()
    root = -1
    n = net.n_nodes
    sources = np.flatnonzero(ex.sources_of(net)).tolist()
    h.add_edges_from((root, s) for s in sources)
    h.add_nodes_from(range(n))
    for i, (u, v) in enumerate(zip(net.supplier.tolist(), net.customer.tolist(), strict=True)):
        if u != v:
            h.add_edge(u, n + i)
            h.add_edge(n + i, v)
    idom = nx.immediate_dominators(h, root)
    counts: dict[int, int] = {}
    for e in np.flatnonzero(net.kind == END).tolist():
        if e not in idom:
            continue
        x = idom[e]
        while x != root:
            counts[x] = counts.get(x, 0) + 1
            x = idom[x]
    return {("node", x) if x < n else ("edge", x - n): k for x, k in counts.items()}


# ------------------------------------------------------------------ the run


def questions(net: Network) -> dict[str, Any]:
    countries = np.unique(net.country)
    cols = net.country[:, None] == countries[None, :]
    ends = net.kind == END
    return {
        "countries": countries,
        "exposure": lambda: ex.any_tier(net, cols)[ends],
        "weighted": lambda: ex.weighted(net, net.country == "CHN"),
        "chokepoints": lambda: ex.chokepoints(net, top=20),
    }


def run_ours(net: Network, memory: bool) -> dict[str, Any]:
    q = questions(net)
    out: dict[str, Any] = {}
    for name in ("exposure", "weighted", "chokepoints"):
        wall, peak, res = timed(q[name], net, memory)
        out[name] = {"wall_s": wall, "tracemalloc_peak_mib": peak, "result": res}
    out["countries"] = q["countries"]
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--nodes", type=int, default=1_000_000)
    ap.add_argument("--edges", type=int, default=5_000_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--nx", choices=("on", "off"), default="on")
    ap.add_argument("--nx-countries", type=int, default=2)
    ap.add_argument("--nx-scale", type=int, default=10)
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    ap.add_argument("--json-out", type=Path)
    args = ap.parse_args(argv)
    memory = not args.no_memory
    report: dict[str, Any] = {"nodes": args.nodes, "edges": args.edges, "seed": args.seed}

    t0 = time.perf_counter()
    net = generate(args.nodes, args.edges, seed=args.seed)
    report["generate_s"] = time.perf_counter() - t0
    print(f"SYNTHETIC network: {net.n_nodes:,} nodes, {net.n_edges:,} edges, seed {args.seed}; "
          f"generated in {report['generate_s']:.2f} s")
    ours = run_ours(net, memory)
    k = int(ours["countries"].size)
    report["countries"] = k
    for name in ("exposure", "weighted", "chokepoints"):
        r = ours[name]
        mem = "" if r["tracemalloc_peak_mib"] is None else \
            f", tracemalloc peak {r['tracemalloc_peak_mib']:.0f} MiB"
        what = f" ({k} countries at once)" if name == "exposure" else ""
        print(f"ours {name}{what}: {r['wall_s']:.2f} s{mem}")
        report[f"ours_{name}_s"] = r["wall_s"]
        report[f"ours_{name}_tracemalloc_mib"] = r["tracemalloc_peak_mib"]
    report["ru_maxrss_mib_after_ours"] = rss_mib()
    print(f"ru_maxrss (whole process so far): {report['ru_maxrss_mib_after_ours']:.0f} MiB")
    report["top_chokepoints"] = [{k_: v for k_, v in c.items()}
                                 for c in ours["chokepoints"]["result"][:5]]

    if args.nx == "on":
        report.update(run_nx(net, ours, args))
    if args.json_out:
        args.json_out.write_text(json.dumps(report, indent=2, default=float))
    return 0


def run_nx(net: Network, ours: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    rep: dict[str, Any] = {}
    t0 = time.perf_counter()
    g = nx_graph(net)
    rep["nx_build_s"] = time.perf_counter() - t0
    print(f"networkx graph built in {rep['nx_build_s']:.1f} s (not counted below)")
    countries = ours["countries"]
    freq = np.array([(net.country == c).sum() for c in countries])
    sample = countries[np.argsort(-freq)[:args.nx_countries]]
    ends = np.flatnonzero(net.kind == END)
    got = ours["exposure"]["result"]
    t0 = time.perf_counter()
    for c in sample:
        exposed = nx_exposed(g, net, str(c))
        j = int(np.flatnonzero(countries == c)[0])
        want = np.isin(ends, np.fromiter(exposed, dtype=np.int64))
        if not np.array_equal(want, got[:, j]):
            raise SystemExit(f"exposure differs from networkx for {c}")
    per_country = (time.perf_counter() - t0) / sample.size
    nx_exp = per_country * countries.size
    rep.update(nx_exposure_measured_countries=sample.size, nx_exposure_s=nx_exp,
               ratio_exposure=nx_exp / ours["exposure"]["wall_s"])
    print(f"networkx exposure: {per_country:.2f} s per country measured on {sample.size} "
          f"({', '.join(map(str, sample))}), x {countries.size} countries = {nx_exp:.0f} s "
          f"(extrapolated); answers equal; ours is {rep['ratio_exposure']:.0f}x faster")
    t0 = time.perf_counter()
    w = nx_weighted(g, net, net.country == "CHN")
    nx_w = time.perf_counter() - t0
    diff = float(np.abs(w - ours["weighted"]["result"]).max())
    if diff > 1e-9:
        raise SystemExit(f"weighted differs from networkx by {diff}")
    rep.update(nx_weighted_s=nx_w, ratio_weighted=nx_w / ours["weighted"]["wall_s"],
               weighted_max_diff=diff)
    print(f"networkx weighted on the full network: {nx_w:.1f} s (max difference {diff:.1e}); "
          f"ours is {rep['ratio_weighted']:.0f}x faster")
    del g, w
    gc.collect()

    s = args.nx_scale
    small = net if s == 1 else generate(max(net.n_nodes // s, 10), max(net.n_edges // s, 20),
                                        seed=args.seed)
    small_ours = ours if s == 1 else run_ours(small, memory=False)
    label = "full network" if s == 1 else \
        f"network at 1/{s} size ({small.n_nodes:,} nodes, {small.n_edges:,} edges)"
    t0 = time.perf_counter()
    want = nx_cut_counts(small)
    nx_c = time.perf_counter() - t0
    top = small_ours["chokepoints"]["result"]
    for c in top:
        if want.get((c["kind"], c["index"])) != c["end_products_cut"]:
            raise SystemExit(f"chokepoint {c['id']} differs from networkx")
    best = sorted(want.values(), reverse=True)[:len(top)]
    if [c["end_products_cut"] for c in top] != best:
        raise SystemExit("top chokepoint counts differ from networkx")
    rep.update(nx_chokepoints_small_s=nx_c, nx_chokepoints_s=nx_c * s,
               ratio_chokepoints_same_network=nx_c / small_ours["chokepoints"]["wall_s"],
               ratio_chokepoints=nx_c * s / ours["chokepoints"]["wall_s"])
    print(f"networkx chokepoints (dominators, subdivided graph, build included) on the "
          f"{label}: {nx_c:.1f} s (ours there {small_ours['chokepoints']['wall_s']:.2f} s, "
          f"{rep['ratio_chokepoints_same_network']:.0f}x; top counts equal); extrapolated to "
          f"full size {nx_c * s:.0f} s, ours is {rep['ratio_chokepoints']:.0f}x faster")
    rep["ru_maxrss_mib"] = rss_mib()
    print(f"ru_maxrss (whole process, networkx included): {rep['ru_maxrss_mib']:.0f} MiB")
    return rep


if __name__ == "__main__":
    raise SystemExit(main())
