"""A SYNTHETIC tiered supply network for benchmarks, tests and demonstrations.

Nothing here is data: every firm, edge, share and country is invented from a seeded
random generator, and every node id starts with ``SYN-`` so the network is labelled
synthetic wherever it is shown. The shape is meant to be plausible, not true:

- tiers: sources (mines, ~5 % of nodes) -> ``tiers - 2`` tiers of intermediates
  (refiners, processors, component makers) -> end products (~10 %);
- edges mostly run from tier t to tier t + 1; a fraction ``skip_frac`` skip tiers
  (a refiner selling straight to an assembler); every non-source node has at least one
  supplier;
- heavy-tailed out-degrees: a supplier is drawn within its tier with probability
  proportional to a Pareto(``pareto_a``) popularity, so a few hubs serve thousands;
- cycles: a fraction ``back_frac`` of the tier-to-next-tier edges between
  intermediates is mirrored (tolling and recycling loops between processors);
- countries: drawn per tier from an invented mix loosely shaped like real sourcing
  (mining spread over CHN, AUS, COD, CHL, IDN, ...; processing concentrated in CHN,
  JPN, KOR, ...; end products in USA, CHN, DEU, JPN, ...). The weights are
  illustrative, not statistics;
- shares: random weights normalised per customer, then a fraction ``missing_share``
  set unknown (NaN).

1 M nodes / 5 M edges take a few seconds and about 0.5 GB.
"""

from __future__ import annotations

import numpy as np

from critmin.analytics.network import END, INTERMEDIATE, SOURCE, Network

SOURCE_MIX = {"CHN": 25, "AUS": 15, "COD": 8, "CHL": 8, "IDN": 7, "ZAF": 6, "BRA": 5,
              "RUS": 5, "PER": 5, "USA": 5, "CAN": 5, "ARG": 2, "GAB": 2, "MMR": 2}
PROCESS_MIX = {"CHN": 35, "JPN": 12, "KOR": 10, "USA": 8, "DEU": 7, "TWN": 6, "IND": 4,
               "FIN": 3, "BEL": 3, "VNM": 3, "MYS": 3, "MEX": 3, "CAN": 3}
END_MIX = {"USA": 22, "CHN": 20, "DEU": 12, "JPN": 10, "KOR": 8, "FRA": 5, "GBR": 5,
           "TWN": 4, "ITA": 4, "MEX": 4, "SWE": 3, "CAN": 3}
MINERALS = ("lithium", "cobalt", "nickel", "graphite", "rare earths", "gallium", "germanium",
            "copper", "manganese", "tungsten")


def _draw(rng: np.random.Generator, mix: dict[str, int], size: int) -> np.ndarray:
    names = np.array(list(mix))
    p = np.array(list(mix.values()), dtype=float)
    return names[rng.choice(names.size, size=size, p=p / p.sum())]


def generate(n_nodes: int, n_edges: int, seed: int = 0, *, tiers: int = 6,
             source_frac: float = 0.05, end_frac: float = 0.10, skip_frac: float = 0.1,
             back_frac: float = 0.002, missing_share: float = 0.3,
             pareto_a: float = 1.2) -> Network:
    """A SYNTHETIC network of ``n_nodes`` nodes and ``n_edges`` edges (see the module
    doc), deterministic per ``seed``. Needs ``n_nodes >= tiers`` and ``n_edges`` at
    least the number of non-source nodes (each gets one supplier)."""
    if tiers < 3 or n_nodes < tiers:
        raise ValueError(f"need tiers >= 3 and n_nodes >= tiers; got {tiers}, {n_nodes}")
    rng = np.random.default_rng(seed)
    n_src = max(1, round(n_nodes * source_frac))
    n_end = max(1, round(n_nodes * end_frac))
    n_mid = n_nodes - n_src - n_end
    if n_mid < tiers - 2:
        raise ValueError(f"{n_nodes} nodes leave too few intermediates for {tiers} tiers")
    mid = np.full(tiers - 2, n_mid // (tiers - 2))
    mid[: n_mid % (tiers - 2)] += 1
    sizes = np.concatenate([[n_src], mid, [n_end]]).astype(np.int64)
    start = np.concatenate([[0], np.cumsum(sizes)])
    tier = np.repeat(np.arange(tiers), sizes)
    spine = n_nodes - n_src
    if n_edges < spine:
        raise ValueError(f"n_edges must be >= {spine} (one supplier per non-source node)")
    n_back = int(round(n_edges * back_frac))
    n_rand = max(0, n_edges - spine - n_back)
    n_back = n_edges - spine - n_rand

    popularity = rng.pareto(pareto_a, n_nodes) + 1.0
    cum = np.cumsum(popularity)

    def pick(t: np.ndarray) -> np.ndarray:
        lo = np.where(start[t] > 0, cum[np.maximum(start[t] - 1, 0)], 0.0)
        hi = cum[start[t + 1] - 1]
        x = lo + rng.random(t.size) * (hi - lo)
        o = np.argsort(x)  # sorted queries: searchsorted walks the table in order
        found = np.empty(t.size, dtype=np.int64)
        found[o] = np.searchsorted(cum, x[o], side="right")
        return np.minimum(found, start[t + 1] - 1)

    cust = np.concatenate([np.arange(n_src, n_nodes),
                           rng.integers(n_src, n_nodes, n_rand)]).astype(np.int64)
    ct = tier[cust]
    st = ct - 1
    skip = (rng.random(cust.size) < skip_frac) & (ct >= 2)
    st[skip] = (rng.random(int(skip.sum())) * (ct[skip] - 1)).astype(np.int64)
    sup = pick(st).astype(np.int64)
    # mirrored edges between intermediates of consecutive tiers: small cycles
    cand = np.flatnonzero(~skip & (tier[sup] >= 1) & (ct <= tiers - 2))
    if n_back and cand.size:
        mirror = rng.choice(cand, size=n_back, replace=cand.size < n_back)
        sup, cust = np.concatenate([sup, cust[mirror]]), np.concatenate([cust, sup[mirror]])
    elif n_back:  # nothing to mirror (tiny networks): more forward edges instead
        extra = rng.integers(n_src, n_nodes, n_back)
        sup = np.concatenate([sup, pick(tier[extra] - 1)])
        cust = np.concatenate([cust, extra])
    weight = rng.lognormal(0.0, 1.0, sup.size)
    total = np.bincount(cust, weights=weight, minlength=n_nodes)
    share = weight / total[cust]
    share[rng.random(sup.size) < missing_share] = np.nan

    kind = np.full(n_nodes, INTERMEDIATE, dtype=np.int8)
    kind[tier == 0] = SOURCE
    kind[tier == tiers - 1] = END
    country = np.empty(n_nodes, dtype="<U3")
    country[kind == SOURCE] = _draw(rng, SOURCE_MIX, n_src)
    country[kind == INTERMEDIATE] = _draw(rng, PROCESS_MIX, n_mid)
    country[kind == END] = _draw(rng, END_MIX, n_end)
    mineral = np.full(n_nodes, "", dtype="<U11")
    mineral[kind == SOURCE] = np.array(MINERALS)[rng.integers(0, len(MINERALS), n_src)]
    prefix = np.array(["SYN-M", "SYN-P", "SYN-E"])[kind]
    ids = np.char.add(prefix, np.char.zfill(np.arange(n_nodes).astype(str), 7))
    return Network(ids=ids, country=country, kind=kind, supplier=sup, customer=cust,
                   share=share, mineral=mineral)
