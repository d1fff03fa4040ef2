"""Disruption scenarios end to end: the market stage's Monte Carlo gives the quantity
shortfall of a mineral in the region, its end uses map that shortfall to BEA
industries, and the economy stage turns it into lost value added (GDP) by industry.

The chain (``docs/scenarios.md``, "Joining the stages"):

1. market stage: :func:`critmin.analytics.disruption_mc.sweep_cases` with the mineral's
   bundled defaults, every destination restricted, seeded draws (common random numbers
   across levels); per draw, the mean price ratio and the shortfall as a share of
   baseline demand over the restriction window;
2. the region's shortfall share is the market's (one price, one demand elasticity for
   every outside buyer);
3. end-use shares of US consumption by BEA 2017 detail industry
   (``data/reference/end_uses.yaml``);
4. economy stage: the supply-constrained LP (default) or the Leontief model on the BEA
   2017 detail table, with :data:`DEPENDENT_SHARE` of each using industry's output
   needing the mineral.

The economy stage is monotone in the shortfall (more shortfall never frees output), so
the quantiles of the GDP loss are the losses at the quantiles of the shortfall: three
solves per level (central = median, low = P5, high = P95), not one per draw.
Public data only: nothing here reads shared records.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import numpy as np

from critmin.analytics.disruption_mc import QUANTILES, summarise, sweep_cases

Model = Literal["supply_constrained", "leontief"]
MODELS: tuple[str, ...] = ("supply_constrained", "leontief")
REGIONS: tuple[str, ...] = ("USA",)
MILLION = 1.0e6

DEPENDENT_SHARE: dict[str, dict[str, Any]] = {
    "gallium": {
        "value": 0.10,
        "low": 0.05,
        "high": 0.20,
        "source": "analyst assumption: share of NAICS 334413 (semiconductors and related "
                  "devices) output made on gallium (GaAs and GaN devices, LEDs, laser "
                  "diodes); silicon devices, most of the industry's output, need none. "
                  "Not from a bundled source; the GDP loss is proportional to it. Drawn "
                  "in the Monte Carlo (triangular 0.05, 0.10, 0.20)",
    },
}
"""Share of each using industry's output that cannot run without the mineral; ``low`` and
``high`` make it an uncertain parameter of the Monte Carlo (minerals with one using
industry only: there the loss depends on the product of this share and the shortfall,
so its quantiles stay exact with three solves per level)."""
DEPENDENT_STREAM = 0xD5
"""Seed-sequence key of the dependent-share draws (independent of the market draws)."""
DEFAULT_DEPENDENT_SHARE = 1.0


class ScenarioError(ValueError):
    """A scenario that cannot be run (unknown mineral, country, region or level)."""


def _defaults(mineral: str) -> Any:
    from critmin.ingest.errors import IngestError
    from critmin.ingest.scenario_defaults import available, load_defaults

    if mineral.lower() not in available():
        raise ScenarioError(f"no scenario defaults for mineral {mineral!r}; "
                            f"available: {', '.join(available()) or 'none'}")
    try:
        return load_defaults(mineral.lower())
    except IngestError as exc:
        raise ScenarioError(str(exc)) from None


def _levels(levels: Sequence[float]) -> np.ndarray:
    lv = np.asarray(list(levels), dtype=float)
    if lv.size == 0 or not np.all(np.isfinite(lv)) or np.any((lv < 0) | (lv > 1)):
        raise ScenarioError(f"restriction levels must be shares between 0 and 1, got "
                            f"{list(levels)}")
    return lv


def economy_inputs(mineral: str, dependent_share: float | None) -> dict[str, Any]:
    """BEA 2017 detail table, the mineral's shares by industry and the dependent share."""
    from critmin.ingest.bea_io import load_bea
    from critmin.ingest.end_uses import industry_shares, load_end_uses

    maps = load_end_uses()
    if mineral not in maps:
        raise ScenarioError(f"no end-use shares for mineral {mineral!r} in end_uses.yaml")
    table = load_bea("detail")
    shares = industry_shares(maps[mineral], table, "detail")
    spec = DEPENDENT_SHARE.get(mineral, {
        "value": DEFAULT_DEPENDENT_SHARE,
        "source": "whole-industry model (no dependent share known): an upper bound"})
    d = float(spec["value"]) if dependent_share is None else float(dependent_share)
    if not 0.0 < d <= 1.0:
        raise ScenarioError(f"dependent share must be in (0, 1], got {d}")
    source = spec["source"] if dependent_share is None else "given by the caller"
    d_range = None
    if dependent_share is None and "low" in spec and int((shares > 0).sum()) == 1:
        d_range = (float(spec["low"]), d, float(spec["high"]))
    return {"table": table, "map": maps[mineral], "shares": shares, "d": d,
            "d_source": source, "d_range": d_range}


def loss_quantiles(econ: dict[str, Any], shortfall_draws: np.ndarray, model: Model,
                   seed: int) -> np.ndarray:
    """Value-added loss by industry (USD) at the central, low and high quantiles of the
    draws, ``(3, n_levels, n_industries)``, from the shortfall shares ``(n_levels,
    n_draws)`` (common draws across levels). With a dependent-share range (one using
    industry) each draw's share is drawn too and the loss is a function of the product
    ``d x shortfall``, solved with the whole-industry model at that product's quantiles."""
    from critmin.analytics.disruption_mc import draw

    short = np.atleast_2d(shortfall_draws)
    if econ.get("d_range") is not None:
        rng = np.random.default_rng(np.random.SeedSequence([seed, DEPENDENT_STREAM]))
        d = draw({"dependent_share": econ["d_range"]}, short.shape[1], rng)["dependent_share"]
        short, econ = short * d[None, :], {**econ, "d": 1.0}
    q = summarise(short, axis=-1)
    grid = np.stack([q["central"], q["low"], q["high"]])
    return value_added_losses(econ, grid.ravel(), model).reshape(3, short.shape[0], -1) \
        * MILLION


def value_added_losses(econ: dict[str, Any], shortfalls: np.ndarray, model: Model) -> np.ndarray:
    """Value-added loss by industry (million USD) for each shortfall share: (k, n)."""
    from critmin.analytics.io import LeontiefSolver, shortfall_impact

    t, shares, d = econ["table"], econ["shares"], econ["d"]
    v = t.va_coefficients
    users = shares > 0
    out = np.zeros((shortfalls.size, t.n))
    hit = np.flatnonzero(shortfalls > 0)  # no shortfall: the baseline, exactly
    if hit.size == 0:
        return out
    if model == "leontief":
        # final sales of the dependent part of each using industry fall by the shortfall
        df = -np.outer(np.where(users, d * t.final_demand, 0.0), shortfalls[hit])
        out[hit] = (v[:, None] * LeontiefSolver(t.A).solve(df)).T * -1.0
        return out
    dep = np.where(users, d, 1.0)
    for k in hit:  # one LP per quantile (three per level), not per draw
        res = shortfall_impact(t.A, v, t.x, t.final_demand, shares, float(shortfalls[k]),
                               dependent_share=dep)
        out[k] = res.value_added_loss
    return out


def _assumptions(defaults: Any, econ: dict[str, Any], region: str, model: Model,
                 n_draws: int, seed: int) -> list[dict[str, Any]]:
    rows = [{"name": a["parameter"], "value": a["value"], "unit": a["unit"],
             "source": a["source"], "assumption": a["assumption"]}
            for a in defaults.assumptions]  # fmt: skip
    t, m = econ["table"], econ["map"]
    rows += [
        {"name": "restricted destinations", "value": "all", "unit": "",
         "source": "complete restriction of net exports to every destination, as in USGS "
                   "OFR 2024-1057", "assumption": True},
        {"name": f"{region} shortfall share", "value": "market shortfall share",
         "unit": "share", "source": "one price and one demand elasticity for every buyer "
                                    "outside the restrictor", "assumption": True},
        {"name": "end-use shares", "value": {u.end_use: u.share for u in m.end_uses},
         "unit": "share of US consumption", "source": m.source, "assumption": False},
        {"name": "input-output table", "value": "BEA 2017 detail, domestic requirements",
         "unit": t.unit, "source": t.source, "assumption": False},
        {"name": "dependent_share", "value": econ["d"], "unit": "share of output",
         "source": econ["d_source"], "assumption": True,
         **({"low": econ["d_range"][0], "high": econ["d_range"][2]}
            if econ.get("d_range") else {})},
        {"name": "economy model", "value": model, "unit": "",
         "source": "supply-constrained: LP maximising value added under the mineral's "
                   "limit; Leontief: final sales of the dependent output cut by the "
                   "shortfall", "assumption": True},
        {"name": "price and GDP dollars", "value": "2017 economy, 2017 USD", "unit": "",
         "source": "GDP losses are measured on the 2017 BEA table, not rescaled",
         "assumption": True},
        {"name": "GDP loss period", "value": "one year", "unit": "",
         "source": "the economy stage runs on annual tables; over a restriction of "
                   "several years it gives the loss per year at the window's average "
                   "shortfall share", "assumption": True},
        {"name": "Monte Carlo", "value": {"draws": n_draws, "seed": seed,
                                          "quantiles": list(QUANTILES)},
         "unit": "", "source": "central = median (P50), low = P5, high = P95",
         "assumption": False},
    ]
    return rows


def _run(mineral: str, country: str, levels: Sequence[float], *, region: str, seed: int,
         n_draws: int, model: Model, dependent_share: float | None,
         duration: int, levers: dict[str, float] | None = None) -> list[dict[str, Any]]:
    from critmin.analytics.disruption import LEVERS
    from critmin.ingest.scenario_defaults import market_inputs

    if region.upper() not in REGIONS:
        raise ScenarioError(f"region {region!r}: the economy stage has input-output "
                            f"tables for {', '.join(REGIONS)} only")
    if model not in MODELS:
        raise ScenarioError(f"model {model!r}: expected one of {', '.join(MODELS)}")
    if n_draws < 1 or duration < 1:
        raise ScenarioError("draws and duration must be at least 1")
    lv = _levels(levels)
    unknown = sorted(set(levers or {}) - set(LEVERS))
    if unknown:
        raise ScenarioError(f"unknown lever(s) {', '.join(unknown)}; expected any of "
                            f"{', '.join(LEVERS)}")
    defaults = _defaults(mineral)
    try:
        params = market_inputs(defaults, country)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    econ = economy_inputs(defaults.mineral, dependent_share)
    case = {"key": (defaults.mineral, country.upper()), "params": params,
            "uncertain": defaults.uncertain,
            "restriction": {"start": 0, "duration": duration}, "levers": dict(levers or {})}
    try:
        m = sweep_cases([case], lv, n_draws, seed, n_periods=duration)
    except ValueError as exc:
        raise ScenarioError(str(exc)) from None
    price = summarise(m["price_ratio"][0], axis=-1)
    short = summarise(m["shortfall_share"][0], axis=-1)
    short_t = summarise(m["shortfall_t"][0], axis=-1)
    loss = loss_quantiles(econ, m["shortfall_share"][0], model, seed)
    total = loss.sum(axis=-1)
    t = econ["table"]
    assumptions = _assumptions(defaults, econ, region.upper(), model, n_draws, seed)
    assumptions += [{"name": f"lever {k}", "value": float(v), "unit": "",
                     "source": "given by the caller", "assumption": True}
                    for k, v in sorted((levers or {}).items())]  # fmt: skip
    out = []
    for i, level in enumerate(lv):
        nz = np.flatnonzero(np.abs(loss[0, i]) > 0.5)
        order = nz[np.argsort(-loss[0, i, nz])]
        out.append({
            "mineral": defaults.mineral, "country": country.upper(),
            "region": region.upper(), "level": float(level), "model": model,
            "duration": duration,
            "price_ratio": {k: float(price[k][i]) for k in ("central", "low", "high")},
            "shortfall_share": {k: float(short[k][i]) for k in ("central", "low", "high")},
            "shortfall_t": {k: float(short_t[k][i]) for k in ("central", "low", "high")},
            "gdp_loss_usd": {"central": float(total[0, i]), "low": float(total[1, i]),
                             "high": float(total[2, i])},
            "by_industry": [{"industry": t.labels[j], "code": t.codes[j],
                             "gdp_loss_usd": float(loss[0, i, j]),
                             "gdp_loss_low_usd": float(loss[1, i, j]),
                             "gdp_loss_high_usd": float(loss[2, i, j])} for j in order],
            "assumptions": assumptions,
        })
    return out


def ban(mineral: str, country: str, level: float = 1.0, *, region: str = "USA",
        seed: int = 0, n_draws: int = 2000, model: Model = "supply_constrained",
        dependent_share: float | None = None, duration: int = 1) -> dict[str, Any]:
    """One restriction: price ratio, GDP loss (USD, central/low/high) and loss by industry."""
    return _run(mineral, country, [level], region=region, seed=seed, n_draws=n_draws,
                model=model, dependent_share=dependent_share, duration=duration)[0]


def sweep(mineral: str, country: str, levels: Sequence[float], *, region: str = "USA",
          seed: int = 0, n_draws: int = 2000, model: Model = "supply_constrained",
          dependent_share: float | None = None, duration: int = 1) -> list[dict[str, Any]]:
    """One result per restriction level, on the same draws (common random numbers)."""
    return _run(mineral, country, levels, region=region, seed=seed, n_draws=n_draws,
                model=model, dependent_share=dependent_share, duration=duration)


SPEC_KEYS = {"mineral", "country", "levels", "region", "model", "dependent_share",
             "duration", "levers", "name"}


def run_spec(doc: Any, seed: int = 0, n_draws: int = 2000) -> list[dict[str, Any]]:
    """Every scenario of a spec document: ``{"scenarios": [{mineral, country, levels,
    [name, region, duration, model, dependent_share, levers]}, ...]}``. ScenarioError
    naming the scenario and field at fault; nothing is returned when any entry is bad."""
    items = doc.get("scenarios") if isinstance(doc, dict) else None
    if not isinstance(items, list) or not items:
        raise ScenarioError("spec: expected a mapping with a non-empty list 'scenarios'")
    for k, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise ScenarioError(f"spec: scenario {k}: expected a mapping, got {item!r}")
        extra = sorted(set(item) - SPEC_KEYS)
        missing = sorted({"mineral", "country"} - set(item))
        if extra or missing:
            raise ScenarioError(f"spec: scenario {k}: unknown field(s) {extra} or missing "
                                f"{missing}; fields: {', '.join(sorted(SPEC_KEYS))}")
    out = []
    for k, item in enumerate(items, start=1):  # one vectorised run per scenario entry
        levels = item.get("levels", [1.0])
        try:
            results = _run(str(item["mineral"]), str(item["country"]),
                           levels if isinstance(levels, list) else [levels],
                           region=str(item.get("region", "USA")), seed=seed,
                           n_draws=n_draws, model=item.get("model", "supply_constrained"),
                           dependent_share=item.get("dependent_share"),
                           duration=int(item.get("duration", 1)),
                           levers={str(a): float(b) for a, b in
                                   (item.get("levers") or {}).items()})  # fmt: skip
        except (TypeError, ValueError) as exc:
            raise ScenarioError(f"spec: scenario {k}: {exc}") from None
        out.append({"name": str(item.get("name", f"scenario {k}")), "results": results})
    return out


SWEEP_LEVELS: tuple[float, ...] = (0.0, 0.25, 0.5, 0.75, 1.0)
MODEL_LABELS = {"supply_constrained": "Supply-constrained (linear programme)",
                "leontief": "Leontief (demand-driven)"}


def dashboard(mineral: str, country: str, level: float = 1.0, *, seed: int = 0,
              n_draws: int = 2000, model: Model = "supply_constrained") -> dict[str, Any]:
    """One restriction and its sweep over :data:`SWEEP_LEVELS`, in one run on the same
    draws: ``{"result": <ban result>, "sweep": [<one per sweep level>], ...labels}``."""
    levels = sorted({*SWEEP_LEVELS, float(level)})
    runs = sweep(mineral, country, levels, seed=seed, n_draws=n_draws, model=model)
    by_level = {r["level"]: r for r in runs}
    return {"result": by_level[float(level)], "sweep": [by_level[x] for x in SWEEP_LEVELS],
            "model_label": MODEL_LABELS[model], "minerals": _available()}


def _available() -> list[str]:
    from critmin.ingest.scenario_defaults import available

    return available()
