"""Supply-network exposure: load a network (a folder or file, or a stored network through
the caller's view) and answer the questions: how exposed the end products are to a
country, a set of suppliers or a mineral; the chokepoints; what if a country, node or
edge is lost; the paths from one end product back to the targets; and the numbers a
dashboard page shows.

Results are plain JSON-ready dicts with labels next to codes. A synthetic network
(made by the generator) carries ``synthetic: true`` and a ``note`` in every result.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from critmin.analytics import exposure as engine
from critmin.analytics.network import END, KINDS, Network
from critmin.domain.countries import country_name
from critmin.ingest import network as ingest
from critmin.services.auth import Caller
from critmin.services.exposure_records import RECORDS, load_records
from critmin.services.exposure_store import Loaded, load_stored
from critmin.services.tracker import InvalidRecord

STORED = "db:"
"""``--network db:NAME`` (or ``db:ID``) names a stored network; ``db:records`` is the
network of the node and edge records the caller may see."""
SYNTHETIC_NOTE = ("synthetic network: invented by the generator for tests and benchmarks; "
                  "not real firms, countries' roles or flows")  # fmt: skip
TOP_AFFECTED = 20

__all__ = ["Loaded", "chokepoints", "country", "dashboard", "demo", "generate", "load",
           "page", "paths", "what_if"]


def _bad(field: str, problem: str) -> InvalidRecord:
    return InvalidRecord([{"field": field, "problem": problem}])


def load(*, network: str | Path, session: Session | None = None,
         caller: Caller | None = None) -> Loaded:  # fmt: skip
    """A network from a folder or file path, or ``db:NAME``/``db:ID`` from the store (then
    ``session`` and ``caller`` are required; hidden is NotFound like missing)."""
    text = str(network)
    if text.startswith(STORED):
        if session is None or caller is None:
            raise TypeError("a stored network needs a session and a caller")
        if text[len(STORED):] == RECORDS:
            return load_records(session=session, caller=caller)
        return load_stored(session=session, caller=caller, ref=text[len(STORED):])
    path = Path(text)
    net, meta = ingest.read_network_meta(path)
    return Loaded(net, name=path.name or text, synthetic=bool(meta.get("synthetic")),
                  source=str(path), meta=meta)  # fmt: skip


def generate(*, n_nodes: int, n_edges: int, seed: int, folder: Path,
             fmt: str = "csv") -> dict[str, Any]:
    """Write a SYNTHETIC network (and a ``network.json`` saying so) to ``folder``."""
    from critmin.analytics.network_synth import generate as synthesise

    # the documented columns only: id,country,kind and supplier,customer,share
    try:
        net = replace(synthesise(n_nodes, n_edges, seed), mineral=None, product=None)
    except ValueError as exc:
        raise _bad("nodes", str(exc)) from None
    meta = {"synthetic": True, "generator": "critmin.analytics.network_synth", "seed": seed,
            "requested": {"nodes": n_nodes, "edges": n_edges}}  # fmt: skip
    files = ingest.write_network(net, folder, meta=meta, fmt=fmt)
    return {"nodes": net.n_nodes, "edges": net.n_edges, "synthetic": True,
            "files": [str(f) for f in files]}


def label_country(code: str) -> str:
    """A country's name; ``unknown`` for an empty code."""
    if not code:
        return "unknown"
    try:
        return country_name(code)
    except LookupError:
        return code


def _about(loaded: Loaded) -> dict[str, Any]:
    out: dict[str, Any] = {"network": loaded.name, "synthetic": loaded.synthetic}
    if loaded.synthetic:
        out["note"] = SYNTHETIC_NOTE
    return out


def _node(net: Network, i: int) -> dict[str, Any]:
    code = str(net.country[i])
    out = {"id": str(net.ids[i]), "country": code, "country_label": label_country(code),
           "kind": KINDS[int(net.kind[i])]}  # fmt: skip
    if net.mineral is not None and net.mineral[i]:
        out["mineral"] = str(net.mineral[i])
    return out


def _node_indices(net: Network, ids: Sequence[str], field: str) -> np.ndarray:
    wanted = np.asarray([str(i).strip() for i in ids], dtype=str)
    if wanted.size == 0:
        return np.empty(0, dtype=np.int64)
    order = np.argsort(net.ids, kind="stable")
    pos = np.clip(np.searchsorted(net.ids[order], wanted), 0, max(net.n_nodes - 1, 0))
    ok = net.ids[order][pos] == wanted if net.n_nodes else np.zeros(wanted.size, bool)
    if not np.all(ok):
        missing = ", ".join(repr(str(v)) for v in wanted[~ok][:5])
        raise _bad(field, f"not a node of this network: {missing}")
    return order[pos].astype(np.int64)


def _countries(values: Sequence[str], field: str = "country") -> list[str]:
    from critmin.domain.vocab import UnknownValue, resolve_country

    out = []
    for value in values:
        try:
            out.append(resolve_country(value, field))
        except UnknownValue as exc:
            raise _bad(field, str(exc)) from None
    return out


def _minerals(values: Sequence[str]) -> list[str]:
    from critmin.domain.vocab import UnknownValue, resolve_mineral

    out = []
    for value in values:
        try:
            out.append(resolve_mineral(value))
        except UnknownValue:
            out.append(value.strip())  # materials outside the vocabulary, as the file has them
    return out


def targets(loaded: Loaded, *, countries: Sequence[str] = (), suppliers: Sequence[str] = (),
            minerals: Sequence[str] = ()) -> tuple[np.ndarray, dict[str, Any]]:  # fmt: skip
    """The target mask and its description (codes with labels); at least one is needed."""
    if not (countries or suppliers or minerals):
        raise _bad("country", "a country, a supplier set or a mineral to measure exposure to")
    codes = _countries(countries)
    nodes = _node_indices(loaded.net, suppliers, "supplier")
    names = _minerals(minerals)
    mask = engine.targets_for(loaded.net, countries=tuple(codes),
                              node_ids=tuple(str(loaded.net.ids[i]) for i in nodes),
                              minerals=tuple(names))  # fmt: skip
    about = {"countries": [{"code": c, "label": label_country(c)} for c in codes],
             "suppliers": [str(loaded.net.ids[i]) for i in nodes],
             "minerals": names, "target_nodes": int(np.count_nonzero(mask))}  # fmt: skip
    return np.asarray(mask, dtype=bool), about


def country(loaded: Loaded, *, countries: Sequence[str] = (), suppliers: Sequence[str] = (),
            minerals: Sequence[str] = (), per_node: bool = False) -> dict[str, Any]:
    """How many end products have a target anywhere upstream (``exposed``, ``share``) and
    the mean fraction of their input that traces back to the targets (``weighted_mean``);
    with ``per_node`` every end product's ``id``, ``exposed`` and ``weighted``."""
    mask, about = targets(loaded, countries=countries, suppliers=suppliers, minerals=minerals)
    result = engine.country_exposure(loaded.net, mask)
    out = _headline(loaded, result, about)
    if per_node:
        out["per_node"] = per_node_rows(result)
    return out


def _headline(loaded: Loaded, result: dict[str, Any], about: dict[str, Any]) -> dict[str, Any]:
    return {**_about(loaded), "targets": about,
            "end_products": int(result["end_products"]), "exposed": int(result["exposed"]),
            "share": float(result["share"]), "weighted_mean": float(result["weighted_mean"])}


def per_node_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """``id, exposed, weighted`` for every end product of a ``country_exposure`` result."""
    nodes = result["per_node"]
    return [{"id": i, "exposed": e, "weighted": w} for i, e, w in zip(
        np.asarray(nodes["ids"]).astype(str).tolist(),
        np.asarray(nodes["exposed"], dtype=bool).tolist(),
        np.asarray(nodes["weighted"], dtype=np.float64).tolist(), strict=True)]  # fmt: skip


def chokepoints(loaded: Loaded, *, top: int = 20, edges: bool = True) -> dict[str, Any]:
    """The nodes (and edges) every path from the sources to some end products passes
    through, ranked by end products cut, then weighted supply lost."""
    if top < 1:
        raise _bad("top", "a whole number >= 1")
    ranked = engine.chokepoints(loaded.net, top=top, edges=edges)
    rows = []
    for rank, entry in enumerate(ranked, start=1):
        code = str(entry.get("country") or "")
        rows.append({"rank": rank, "kind": entry["kind"], "id": str(entry["id"]),
                     "country": code, "country_label": label_country(code),
                     "end_products_cut": int(entry["end_products_cut"]),
                     "weighted_supply_lost": float(entry["weighted_supply_lost"]),
                     "synthetic": loaded.synthetic})  # fmt: skip
    ends = int(np.count_nonzero(loaded.net.kind == END))
    return {**_about(loaded), "end_products": ends, "chokepoints": rows}


def _edge_indices(net: Network, edges: Sequence[str]) -> np.ndarray:
    found = []
    for text in edges:
        supplier, sep, customer = str(text).partition("->")
        if not sep:
            raise _bad("edge", f"SUPPLIER->CUSTOMER, got {text!r}")
        s, c = _node_indices(net, [supplier.strip(), customer.strip()], "edge")
        hit = np.flatnonzero((net.supplier == s) & (net.customer == c))
        if hit.size == 0:
            raise _bad("edge", f"an edge of this network, got {text!r}")
        found.append(hit)
    return np.unique(np.concatenate(found)) if found else np.empty(0, dtype=np.int64)


def what_if(loaded: Loaded, *, countries: Sequence[str] = (), nodes: Sequence[str] = (),
            edges: Sequence[str] = (), top: int = TOP_AFFECTED) -> dict[str, Any]:
    """Remove a country's nodes, some nodes or some edges: the end products cut off from
    every source and the fraction of each end product's input lost (the ``top`` hardest
    hit listed)."""
    if not (countries or nodes or edges):
        raise _bad("remove", "a country, a node or an edge to remove")
    net = loaded.net
    codes = _countries(countries)
    removed = _node_indices(net, nodes, "node")
    if codes:
        removed = np.union1d(removed, np.flatnonzero(np.isin(net.country, codes)))
    edge_index = _edge_indices(net, edges)
    result = engine.what_if(net, remove_nodes=removed.astype(np.int64),
                            remove_edges=edge_index.astype(np.int64))  # fmt: skip
    ends = np.flatnonzero(net.kind == END)
    cut = np.asarray(result["cut"], dtype=bool)
    lost = np.asarray(result["supply_lost"], dtype=np.float64)
    order = np.lexsort((net.ids[ends], -lost, ~cut))[:max(top, 0)]
    affected = [{**_node(net, int(ends[k])), "cut": bool(cut[k]),
                 "supply_lost": float(lost[k])}
                for k in order.tolist() if cut[k] or lost[k] > 0]  # fmt: skip
    return {**_about(loaded),
            "removed": {"countries": [{"code": c, "label": label_country(c)} for c in codes],
                        "nodes": int(removed.size), "edges": int(edge_index.size)},
            "end_products": int(result["end_products"]),
            "end_products_cut": int(result["end_products_cut"]),
            "mean_supply_lost": float(result["mean_supply_lost"]),
            "affected": affected}  # fmt: skip


def paths(loaded: Loaded, *, end: str, countries: Sequence[str] = (),
          suppliers: Sequence[str] = (), minerals: Sequence[str] = (),
          max_nodes: int = 200) -> dict[str, Any]:  # fmt: skip
    """The subgraph of every path from the targets to end product ``end``: its nodes (with
    labels and tier from the end product) and edges (with shares), ready to draw."""
    net = loaded.net
    (index,) = _node_indices(net, [end], "end")
    mask, about = targets(loaded, countries=countries, suppliers=suppliers, minerals=minerals)
    found = engine.paths(net, int(index), mask, max_nodes=max_nodes)
    node_ids = np.asarray(found["nodes"], dtype=np.int64)
    inside = np.zeros(net.n_nodes, dtype=bool)
    inside[node_ids] = True
    edge_ids = np.flatnonzero((net.supplier != net.customer) & inside[net.supplier]
                              & inside[net.customer])  # the engine's edges, with their numbers
    hops = dict(zip(node_ids.tolist(), np.asarray(found["hops"]).tolist(), strict=True))
    shares = engine.edge_shares(net)[edge_ids]
    raw = net.share[edge_ids]
    products = net.product[edge_ids].tolist() if net.product is not None else [""] * len(raw)
    nodes = [{**_node(net, i), "hops": int(hops[i]), "target": bool(mask[i]),
              "end": i == int(index)} for i in node_ids.tolist()]  # fmt: skip
    edges = [{"supplier": str(net.ids[s]), "customer": str(net.ids[c]),
              "share": None if np.isnan(r) else float(r), "input_share": float(v),
              "product": str(p)}
             for s, c, r, v, p in zip(net.supplier[edge_ids].tolist(),
                                      net.customer[edge_ids].tolist(), raw.tolist(),
                                      shares.tolist(), products, strict=True)]  # fmt: skip
    return {**_about(loaded), "end": _node(net, int(index)), "targets": about,
            "nodes": nodes, "edges": edges, "truncated": bool(found["truncated"])}


def dashboard(loaded: Loaded, *, country_code: str = "CHN", top: int = 10,
              end: str | None = None, max_nodes: int = 120) -> dict[str, Any]:
    """What an exposure page shows for one country: the headline numbers, the top
    chokepoints and the paths subgraph of one end product (``end``, or the end product
    most exposed to the country; none when no end product is exposed)."""
    mask, about = targets(loaded, countries=[country_code])
    result = engine.country_exposure(loaded.net, mask)
    full = _headline(loaded, result, about)
    chosen = end
    nodes = result["per_node"]
    exposed = np.flatnonzero(np.asarray(nodes["exposed"], dtype=bool))
    if chosen is None and exposed.size:
        ids = np.asarray(nodes["ids"]).astype(str)[exposed]
        weights = np.asarray(nodes["weighted"], dtype=np.float64)[exposed]
        chosen = str(ids[np.lexsort((ids, -weights))[0]])  # most exposed, then by id
    graph = None
    if chosen is not None:
        graph = paths(loaded, end=chosen, countries=[country_code], max_nodes=max_nodes)
    return {**_about(loaded), "headline": full,
            "chokepoints": chokepoints(loaded, top=top)["chokepoints"], "paths": graph,
            "paths_reason": None if graph else "no end product is exposed to "
            + about["countries"][0]["label"]}  # fmt: skip


DEMO = "demo"
DEMO_SIZE = {"n_nodes": 2_000, "n_edges": 8_000, "seed": 1}
"""The page's built-in example: a small SYNTHETIC network made in memory."""


@lru_cache(maxsize=1)
def demo() -> Loaded:
    """The built-in SYNTHETIC example network (generated once per process)."""
    from critmin.analytics.network_synth import generate as synthesise

    net = synthesise(DEMO_SIZE["n_nodes"], DEMO_SIZE["n_edges"], DEMO_SIZE["seed"])
    return Loaded(net, name="Synthetic example (2,000 firms)", synthetic=True,
                  source="generated in memory", meta={"synthetic": True, **DEMO_SIZE})


def page(*, session: Session, caller: Caller, network: str = DEMO, country_code: str = "CHN",
         end: str | None = None, top: int = 10) -> dict[str, Any]:
    """The exposure page: the networks the caller may choose (stored ones it may see, and
    the synthetic example), then :func:`dashboard` for the chosen one and country.
    ``network`` is ``demo``, ``records`` (the node and edge records the caller may see)
    or a stored network's id; hidden is NotFound like missing."""
    from critmin.services.exposure_records import has_records
    from critmin.services.exposure_store import list_networks

    choices = [{"value": DEMO, "label": demo().name, "synthetic": True}]
    if has_records(session=session, caller=caller):
        choices.append({"value": RECORDS, "label": "Supply-network records you may see",
                        "synthetic": False})
    choices += [{"value": str(r["id"]), "label": r["name"], "synthetic": r["synthetic"]}
                for r in list_networks(session=session, caller=caller)]  # fmt: skip
    text = str(network).strip() or DEMO
    if text == DEMO:
        loaded = demo()
    elif text == RECORDS:
        loaded = load_records(session=session, caller=caller)
    elif text.isdigit():
        loaded = load_stored(session=session, caller=caller, ref=int(text))
    else:
        raise _bad("network", f"'{DEMO}', '{RECORDS}' or the id of a stored network, "
                              f"got {text!r}")
    return {"choices": choices, "selected": text,
            **dashboard(loaded, country_code=country_code, top=top, end=end)}
