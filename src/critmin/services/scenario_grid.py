"""The large sweep: every bundled mineral x every major producer x restriction levels x
Monte Carlo draws, the market stage run on a Dask cluster, then the economy stage for the
minerals whose end uses are mapped to BEA industries.

Inputs per case: the curated defaults file where one describes that mineral and
restricting country (gallium from China), else the generic inputs of
:mod:`critmin.ingest.scenario_generic` derived from the USGS MCS 2026 tables. Cases are
chunked over the cluster by :func:`critmin.services.disruption_dask.sweep_dask`: a local
cluster by default, ``scheduler=ADDRESS`` for a running one, ``scheduler="none"`` in
process. A case's draws depend only on ``(seed, case index)``, so every way of running
gives the same numbers. Public reference data only: no stored records are read.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from critmin.analytics.disruption_mc import QUANTILES, sweep_cases, sweep_summary
from critmin.services.scenario import MODELS, ScenarioError, economy_inputs, loss_quantiles

ELEVEN_LEVELS: tuple[float, ...] = tuple(round(0.1 * i, 1) for i in range(11))
ECONOMY = (*MODELS, "none")
IN_PROCESS = "none"


def _cases(minerals: Sequence[str] | None, min_share: float
           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from critmin.ingest import scenario_defaults as curated
    from critmin.ingest import scenario_generic as generic

    known = generic.minerals()
    wanted = [m.lower() for m in minerals] if minerals else known
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        raise ScenarioError(f"no USGS MCS 2026 chapter for mineral(s) {', '.join(unknown)}; "
                            f"available: {', '.join(known)}")
    if not 0.0 < min_share <= 1.0:
        raise ScenarioError(f"min share must be in (0, 1], got {min_share}")
    cases: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for mineral in wanted:
        producers, left = generic.major_producers(mineral, min_share)
        skipped += [{"mineral": s.mineral, "country": s.country, "reason": s.reason}
                    for s in left]  # fmt: skip
        own = curated.load_defaults(mineral) if mineral in curated.available() else None
        for iso in producers:
            case = generic.producer_case(mineral, iso)
            if own is not None and own.restrictor == iso:
                cases.append({"mineral": mineral, "country": iso,
                              "country_name": case.country_name,
                              "production_share": case.production_share,
                              "inputs": "curated", "params": dict(own.params),
                              "uncertain": dict(own.uncertain),
                              "assumptions": own.assumptions})  # fmt: skip
            else:
                cases.append({"mineral": mineral, "country": iso,
                              "country_name": case.country_name,
                              "production_share": case.production_share,
                              "inputs": "generic", "params": case.params,
                              "uncertain": case.uncertain, "sums": case.sums,
                              "assumptions": case.assumptions})  # fmt: skip
    return cases, skipped


def _market(cases: list[dict[str, Any]], levels: np.ndarray, n_draws: int, seed: int,
            scheduler: str | None, n_workers: int) -> dict[str, np.ndarray]:
    runnable = [{"key": (c["mineral"], c["country"]), "params": c["params"],
                 "uncertain": c["uncertain"], "sums": c.get("sums", {}),
                 "restriction": {"start": 0, "duration": 1}}
                for c in cases]  # fmt: skip
    if scheduler == IN_PROCESS:
        return sweep_cases(runnable, levels, n_draws, seed)
    from critmin.services.disruption_dask import sweep_dask

    return sweep_dask(runnable, levels, n_draws, seed, address=scheduler or None,
                      n_workers=n_workers)


def _q(summary: dict[str, np.ndarray], i: int, j: int) -> dict[str, float]:
    return {k: float(summary[k][i, j]) for k in ("central", "low", "high")}


def grid(minerals: Sequence[str] | None = None, *, min_share: float = 0.10,
         levels: Sequence[float] = ELEVEN_LEVELS, n_draws: int = 1000, seed: int = 0,
         scheduler: str | None = None, n_workers: int = 2,
         economy: str = "supply_constrained", region: str = "USA") -> dict[str, Any]:
    """Market and (where end uses are mapped) GDP results for every case x level:
    ``{"levels", "draws", "seed", "cases": [{mineral, country, production_share, inputs,
    results: [{level, price_ratio, shortfall_share, shortfall_t, gdp_loss_usd}]}],
    "skipped", "timing_s"}``; every figure is ``{central, low, high}`` (P50, P5, P95)."""
    from critmin.ingest.end_uses import load_end_uses

    lv = np.asarray(list(levels), dtype=float)
    if lv.size == 0 or not np.all(np.isfinite(lv)) or np.any((lv < 0) | (lv > 1)):
        raise ScenarioError(f"restriction levels must be shares between 0 and 1, got "
                            f"{list(levels)}")
    if economy not in ECONOMY:
        raise ScenarioError(f"economy {economy!r}: expected one of {', '.join(ECONOMY)}")
    if region.upper() != "USA":
        raise ScenarioError(f"region {region!r}: the economy stage has input-output tables "
                            "for USA only")
    if n_draws < 1:
        raise ScenarioError("draws must be at least 1")
    t0 = time.perf_counter()
    cases, skipped = _cases(minerals, min_share)
    if not cases:
        raise ScenarioError("no mineral x producer case to run: every mineral asked for was "
                            "skipped (see min share)")
    t1 = time.perf_counter()
    m = _market(cases, lv, n_draws, seed, scheduler, n_workers)
    t2 = time.perf_counter()
    summary = sweep_summary(m)
    mapped = set(load_end_uses()) if economy != "none" else set()
    out_cases = []
    for i, c in enumerate(cases):
        gdp = _gdp(c, m["shortfall_share"][i], seed, economy, mapped)
        out_cases.append({
            "mineral": c["mineral"], "country": c["country"],
            "country_name": c["country_name"], "production_share": c["production_share"],
            "inputs": c["inputs"], "economy_note": gdp["note"],
            "assumptions": c["assumptions"],
            "results": [{"level": float(lv[j]),
                         "price_ratio": _q(summary["price_ratio"], i, j),
                         "shortfall_share": _q(summary["shortfall_share"], i, j),
                         "shortfall_t": _q(summary["shortfall_t"], i, j),
                         "gdp_loss_usd": gdp["loss"][j] if gdp["loss"] else None}
                        for j in range(lv.size)],
        })
    t3 = time.perf_counter()
    return {
        "levels": lv.tolist(), "draws": n_draws, "seed": seed, "region": region.upper(),
        "quantiles": {"central": QUANTILES[0], "low": QUANTILES[1], "high": QUANTILES[2]},
        "economy": economy, "scheduler": scheduler or "local cluster",
        "scenarios": len(cases) * lv.size * n_draws, "cases": out_cases,
        "skipped": skipped,
        "timing_s": {"inputs": t1 - t0, "market": t2 - t1, "economy": t3 - t2},
    }


def _gdp(case: dict[str, Any], shortfall: np.ndarray, seed: int, economy: str,
         mapped: set[str]) -> dict[str, Any]:
    if economy == "none":
        return {"loss": None, "note": "economy stage not run"}
    if case["mineral"] not in mapped:
        return {"loss": None, "note": "no end-use mapping to BEA industries for this "
                                      "mineral in end_uses.yaml: market stage only"}
    if case["country"] == "USA":
        return {"loss": None, "note": "the restricting producer is the region assessed"}
    econ = economy_inputs(case["mineral"], None)
    total = loss_quantiles(econ, shortfall, economy, seed).sum(axis=-1)  # type: ignore[arg-type]
    return {"note": f"{economy}; dependent share {econ['d']:g} ({econ['d_source']})",
            "loss": [{"central": float(total[0, j]), "low": float(total[1, j]),
                      "high": float(total[2, j])} for j in range(shortfall.shape[0])]}
