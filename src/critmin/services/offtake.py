"""Consortium offtakes with price floors, and retrofit matching funds, from spec files.

Stored records (projects, offtake agreements, price series) are read through the
caller's view: a record the caller may not see is treated as missing, and a missing
one is reported in the same words as a hidden one, so nothing private leaks. The
engines are :mod:`critmin.analytics.offtake` and :mod:`critmin.analytics.retrofit`;
completion and delay draws reuse the capacity outlook's model
(:func:`critmin.analytics.outlook.simulate_capacity`, its default parameters for a
stored project's status). Every assumption the spec labels, and every modelling
choice, is returned with the result under ``assumptions``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import false, select
from sqlalchemy.orm import Session

from critmin.analytics.offtake import (
    annual_mean,
    completion_with_floor,
    indexed_floor,
    quantiles,
    simulate_offtake,
)
from critmin.analytics.outlook import simulate_capacity
from critmin.analytics.price_paths import (
    bootstrap_paths,
    fit_annual,
    lognormal_paths,
    monthly_log_returns,
)
from critmin.analytics.retrofit import (
    floor_payouts,
    irr,
    npv,
    public_cost_per_tonne,
    retrofit_cashflows,
)
from critmin.services.access import check_caller, visible_clause
from critmin.services.auth import LOCAL, Caller
from critmin.services.offtake_spec import (
    Floor,
    OfftakeSpec,
    PriceModel,
    ProjectSpec,
    RetrofitPortfolio,
    SpecError,
    read_spec,
)

KG_PER_T = 1000.0
MAX_CELLS = 4_000_000
MODEL_NOTES = [
    "Completion and delay: the capacity outlook's model (Bernoulli completion, "
    "negative-binomial delay in whole years); stored projects take the outlook's default "
    "probability and mean delay for their status (analyst judgement).",
    "Prices are simulated monthly and averaged by calendar year; contracts settle at the "
    "annual average.",
    "The benchmark path is simulated independently of the market path (no correlation).",
    "Producer revenue without the floor keeps the same contract with the floor removed.",
]


def _money_per_t(unit: str) -> float:
    return KG_PER_T if unit == "USD/kg" else 1.0


# ------------------------------------------------------------------ price paths


def _series_levels(session: Session | None, caller: Caller, key: str,
                   field: str) -> tuple[list[dt.date], list[float], str]:
    from critmin.services.entities import NotFound
    from critmin.services.prices import get_series
    from critmin.store.tables import PriceObservation

    if session is None:
        raise SpecError([{"field": field, "problem": "a stored series needs a database"}])
    try:
        series = get_series(session=session, caller=caller, ref=key)
    except NotFound:
        raise SpecError([{"field": field, "problem": f"no price series {key!r} visible to "
                          "you"}]) from None
    rows = session.scalars(select(PriceObservation).where(
        PriceObservation.series_id == series.id, PriceObservation.kind == "level",
    ).order_by(PriceObservation.date)).all()
    return [r.date for r in rows], [float(r.value) for r in rows], series.unit


def _in_unit(value: float, unit: str, price_unit: str, field: str) -> float:
    from critmin.domain.units import UnitError, convert_price

    try:
        return float(convert_price(value, unit, price_unit))
    except UnitError as exc:
        raise SpecError([{"field": field, "problem": f"series unit {unit!r} cannot be "
                          f"converted to {price_unit}: {exc}"}]) from None


def market_paths(pm: PriceModel, *, months: int, draws: int, seed: int,
                 session: Session | None = None, caller: Caller = LOCAL,
                 field: str = "price_model",
                 price_unit: str = "USD/kg") -> tuple[np.ndarray, dict[str, Any]]:
    """``(draws, months)`` seeded monthly prices and what was used."""
    used: dict[str, Any] = {"kind": pm.kind, "source": pm.source, "assumption": pm.assumption}
    if pm.kind == "lognormal":
        start, mu, sigma = float(pm.start), float(pm.mu), float(pm.sigma)  # type: ignore[arg-type]
        paths = lognormal_paths(start, mu, sigma, draws, months, seed)
    elif pm.kind == "fit_annual":
        prices = pm.annual_prices
        if pm.series is not None:  # annual levels of a stored series, e.g. USGS unit values
            _, levels, unit = _series_levels(session, caller, pm.series, f"{field}.series")
            prices = [_in_unit(v, unit, price_unit, f"{field}.series") for v in levels]
            used.update(series=pm.series, series_unit=unit, observations=len(levels))
        try:
            mu, sigma = fit_annual(prices or [])
        except ValueError as exc:
            raise SpecError([{"field": f"{field}.{'series' if pm.series else 'annual_prices'}",
                              "problem": str(exc)}]) from None
        start = float(pm.start or (prices or [0])[-1])
        paths = lognormal_paths(start, mu, sigma, draws, months, seed)
    else:
        dates, levels, unit = _series_levels(session, caller, str(pm.series),
                                             f"{field}.series")
        try:
            returns = monthly_log_returns(dates, levels)
            start = float(pm.start or _in_unit(levels[-1], unit, price_unit, f"{field}.series"))
            paths = bootstrap_paths(returns, start, draws, months, seed, pm.block)
        except (ValueError, IndexError) as exc:
            raise SpecError([{"field": f"{field}.series", "problem": str(exc)}]) from None
        mu = sigma = None
        used.update(series=pm.series, series_unit=unit, observations=len(levels))
    used.update(start=start, mu=mu, sigma=sigma)
    return paths, used


def _fx_table(session: Session | None) -> Any:
    from critmin.domain.fx import FxTable, Rate

    if session is not None:
        from critmin.services.prices import fx_table

        return fx_table(session)
    from critmin.ingest.prices_fx import FX_FILE, parse_fx

    with FX_FILE.open("rb") as fh:
        rows = parse_fx(fh, fmt="csv", file=str(FX_FILE))
    return FxTable(Rate(r["base"], r["quote"], r["date"], r["date_precision"], r["rate"],
                        r.get("basis", "average")) for r in rows)


def _benchmark(spec: OfftakeSpec, market_start: float, months: int, seed: int,
               session: Session | None) -> tuple[np.ndarray, dict[str, Any]]:
    from critmin.domain.fx import MissingRate
    from critmin.domain.units import UnitError

    b = spec.benchmark
    assert b is not None
    used: dict[str, Any] = {"name": b.name, "series": b.series, "source": b.source,
                            "assumption": b.assumption, "mu": b.mu, "sigma": b.sigma}
    if b.start is not None:
        text = b.start.date
        precision = "month" if len(text) == 7 else "year"
        try:
            day = dt.date.fromisoformat(text + ("-01" if precision == "month" else "-01-01"))
            start, rate = _fx_table(session).convert(b.start.value, b.start.unit,
                                                     spec.price_unit, day, precision)
        except (ValueError, UnitError, MissingRate) as exc:
            raise SpecError([{"field": "benchmark.start", "problem": str(exc)}]) from None
        used["start_stated"] = {"value": b.start.value, "unit": b.start.unit, "date": text}
        if rate is not None:
            used["fx"] = {"pair": f"{rate.base}/{rate.quote}", "rate": rate.rate,
                          "period": rate.date.isoformat()[: 7 if precision == "month" else 4]}
    else:
        start = market_start * float(b.start_ratio_to_market)  # type: ignore[arg-type]
        used["start_ratio_to_market"] = b.start_ratio_to_market
    used["start"] = start
    return lognormal_paths(start, b.mu, b.sigma, spec.draws, months, seed), used


# ------------------------------------------------------------------ projects


def _project(ps: ProjectSpec, i: int, spec: OfftakeSpec, session: Session | None,
             caller: Caller) -> dict[str, Any]:
    from critmin.analytics.outlook_params import OutlookParams, completion_probability
    from critmin.store.tables import Project

    field = f"projects.{i}"
    out: dict[str, Any] = {"name": ps.name, "country": ps.country, "capacity_tpa": ps.capacity_tpa,
                           "first_year": ps.first_year, "completion_p": ps.completion_p,
                           "mean_delay_years": ps.mean_delay_years, "stored": False,
                           "source": ps.source, "assumption": ps.assumption, "id": None}
    if ps.key is not None or ps.id is not None:
        ref = ps.key if ps.key is not None else ps.id
        row = None
        if session is not None:
            stmt = select(Project).where(visible_clause(Project, caller),
                                         Project.deleted_at.is_(None))
            stmt = stmt.where(Project.key == ps.key) if ps.key is not None else stmt.where(
                Project.id == ps.id)
            row = session.scalars(stmt.order_by(Project.id)).first()
        if row is None:
            why = "visible to you" if session is not None else "(stored projects need a database)"
            raise SpecError([{"field": field, "problem": f"no project {ref!r} {why}"}])
        params = OutlookParams()
        stored = {"name": row.name, "country": row.country, "capacity_tpa": row.capacity_tpa,
                  "first_year": row.start_year,
                  "completion_p": completion_probability(params, status=row.status),
                  "mean_delay_years": params.mean_delay_years.get(row.status, 0.0)}
        out.update({k: v for k, v in stored.items() if out.get(k) is None})
        out.update(stored=True, id=row.id, key=row.key, status=row.status)
    if out["first_year"] is None:
        out["first_year"] = spec.start_year
    missing = [k for k in ("name", "capacity_tpa", "completion_p", "mean_delay_years")
               if out.get(k) is None]
    if missing:
        raise SpecError([{"field": f"{field}.{k}", "problem": "required (not given, and no "
                          "stored project supplies it)"} for k in missing])
    out.update(unit_cost=ps.unit_cost, offered_share=ps.offered_share,
               label=ps.key or ps.name or str(ps.id))
    return out


def _agreements(spec: OfftakeSpec, projects: list[dict[str, Any]], session: Session | None,
                caller: Caller) -> list[dict[str, Any]]:
    from critmin.store.tables import OfftakeAgreement

    if spec.agreements != "from_store" or session is None:
        return []
    by_id = {p["id"]: p["label"] for p in projects if p["id"] is not None}
    rows = session.scalars(select(OfftakeAgreement).where(
        visible_clause(OfftakeAgreement, caller), OfftakeAgreement.deleted_at.is_(None),
        OfftakeAgreement.mineral == spec.mineral,
        OfftakeAgreement.project_id.in_(sorted(by_id)) if by_id else false(),
    ).order_by(OfftakeAgreement.id)).all()
    out = []
    for r in rows:
        if not r.volume_tpa:
            continue
        same_unit = (r.price_unit or spec.price_unit) == spec.price_unit
        out.append({"name": r.buyer, "tier": 1, "commitments": {by_id[r.project_id]:
                                                               r.volume_tpa},
                    "floor": r.floor_price if same_unit else None,
                    "cap": r.ceiling_price if same_unit else None, "agreement_id": r.id})
    return out


# ------------------------------------------------------------------ simulate


def _floor_array(f: Floor | None, bench: np.ndarray | None, n_paths: int,
                 n_years: int, field: str) -> np.ndarray:
    if f is None:
        return np.full((n_paths, n_years), -np.inf)
    if f.kind == "fixed":
        return np.full((n_paths, n_years), float(f.value))  # type: ignore[arg-type]
    if bench is None:
        raise SpecError([{"field": field, "problem": "an indexed floor needs a benchmark"}])
    return indexed_floor(bench, f.margin_pct, f.margin_abs)


def simulate(spec_data: Mapping[str, Any] | str | bytes | Path, *, seed: int,
             session: Session | None = None, caller: Caller = LOCAL) -> dict[str, Any]:
    """Run an offtake spec: per buyer and per producer distributions (see docs/offtake.md)."""
    check_caller(caller)
    spec: OfftakeSpec = read_spec(spec_data, OfftakeSpec)
    n_years, months, draws = spec.years, 12 * spec.years, spec.draws
    monthly, price_used = market_paths(spec.price_model, months=months, draws=draws, seed=seed,
                                       session=session, caller=caller,
                                       price_unit=spec.price_unit)
    market = annual_mean(monthly, n_years)
    bench = bench_used = None
    if spec.benchmark is not None:
        bm, bench_used = _benchmark(spec, price_used["start"], months, seed + 1, session)
        bench = annual_mean(bm, n_years)
    projects = [_project(p, i, spec, session, caller) for i, p in enumerate(spec.projects)]
    labels = [p["label"] for p in projects]
    buyers: list[dict[str, Any]] = [b.model_dump() for b in spec.buyers]
    buyers += _agreements(spec, projects, session, caller)
    if not buyers:
        raise SpecError([{"field": "buyers", "problem": "no buyers (give buyers, or "
                          "agreements: from_store with visible agreements)"}])
    cells = draws * len(buyers) * len(projects) * n_years
    if cells > MAX_CELLS:
        raise SpecError([{"field": "draws", "problem": f"draws x buyers x projects x years is "
                          f"{cells:,}; at most {MAX_CELLS:,}"}])
    commit = np.zeros((len(buyers), len(projects)))
    for b_i, b in enumerate(buyers):
        for label, tpa in b["commitments"].items():
            if label not in labels:
                raise SpecError([{"field": f"buyers.{b_i}.commitments.{label}",
                                  "problem": f"not a project of this spec ({', '.join(labels)})"}])
            commit[b_i, labels.index(label)] = tpa
    if np.any(commit < 0):
        raise SpecError([{"field": "buyers", "problem": "commitments must be >= 0"}])
    tier = np.array([b["tier"] if spec.allocation == "priority" else 1 for b in buyers])
    floors = np.empty((draws, len(buyers), 1, n_years))
    caps = np.empty((len(buyers), 1, 1))
    for b_i, b in enumerate(buyers):
        own = b.get("floor")
        f = Floor(kind="fixed", value=own) if isinstance(own, float | int) else (
            Floor(**own) if isinstance(own, dict) else spec.floor)
        floors[:, b_i, 0, :] = _floor_array(f, bench, draws, n_years, f"buyers.{b_i}.floor")
        caps[b_i] = b.get("cap") or spec.cap or np.inf
    # completion and delay draws, with the floor-completion link where given
    base_p = np.array([p["completion_p"] for p in projects], dtype=float)
    p_used = base_p
    link_used = None
    if spec.completion_link is not None:
        level = float(np.nanmean(np.where(np.isfinite(floors[:, :, 0, 0]), floors[:, :, 0, 0],
                                          np.nan))) if np.isfinite(floors).any() else None
        if level is not None and level > 0:
            p_used = completion_with_floor(base_p, level, spec.completion_link.reference_floor,
                                           spec.completion_link.beta)
        link_used = {**spec.completion_link.model_dump(), "floor_level": level}
    profiles = np.zeros((len(projects), n_years))
    for j, p in enumerate(projects):
        start_col = max(int(p["first_year"]) - spec.start_year, 0)
        if start_col < n_years:
            profiles[j, start_col:] = float(p["capacity_tpa"])
    mean_delay = np.array([p["mean_delay_years"] for p in projects], dtype=float)
    output = simulate_capacity(profiles, p_used, mean_delay, dispersion=spec.delay_dispersion,
                               n_draws=draws, seed=seed + 2,
                               groups=np.arange(len(projects)), n_groups=len(projects))
    unit_cost = np.array([p["unit_cost"] for p in projects])
    offered = np.array([p["offered_share"] for p in projects])
    r = simulate_offtake(market, output, offered, commit, tier=tier, floor=floors, cap=caps,
                         unit_cost=unit_cost, discount_rate=spec.discount_rate)
    scale = _money_per_t(spec.price_unit)
    years = list(range(spec.start_year, spec.start_year + n_years))
    buyer_rows = []
    for b_i, b in enumerate(buyers):
        cost = r.buyer_cost[:, b_i] * scale
        mkt = r.buyer_market_cost[:, b_i] * scale
        buyer_rows.append({
            "name": b["name"], "tier": int(tier[b_i]),
            "from_agreement": "agreement_id" in b,
            "commitments_tpa": {k: float(v) for k, v in b["commitments"].items()},
            "volume_t": quantiles(r.alloc[:, b_i].sum(axis=(1, 2))),
            "cost_usd": quantiles(cost), "market_cost_usd": quantiles(mkt),
            "extra_cost_usd": quantiles(cost - mkt),
            "floor_option_value_usd": float(r.put_value[:, b_i].mean() * scale),
            "cap_value_usd": float(r.call_value[:, b_i].mean() * scale),
        })
    producer_rows = []
    for j, p in enumerate(projects):
        prod = r.producing[:, j]
        n_prod = max(int(prod.sum()), 1)
        rev, rev_nf = r.producer_revenue[:, j] * scale, r.producer_revenue_no_floor[:, j] * scale
        producer_rows.append({
            "project": p["label"], "name": p["name"], "country": p["country"],
            "stored": p["stored"], "capacity_tpa": p["capacity_tpa"],
            "completion_p": float(base_p[j]), "completion_p_with_floor": float(p_used[j]),
            "output_t": quantiles(output[:, j].sum(axis=1)),
            "revenue_usd": quantiles(rev.sum(axis=1)),
            "revenue_no_floor_usd": quantiles(rev_nf.sum(axis=1)),
            "revenue_market_only_usd": quantiles(r.producer_revenue_market[:, j].sum(axis=1)
                                                 * scale),
            "annual_revenue_p10_usd": [float(v) for v in np.percentile(rev, 10, axis=0)],
            "annual_revenue_no_floor_p10_usd": [float(v) for v in
                                                np.percentile(rev_nf, 10, axis=0)],
            "p_loss_year": float(r.loss_year[:, j].sum() / n_prod),
            "p_loss_year_no_floor": float(r.loss_year_no_floor[:, j].sum() / n_prod),
            "unit_cost": p["unit_cost"],
        })
    assumptions = list(spec.assumptions) + MODEL_NOTES
    assumptions += [f"project {p['label']}: {p['source'] or 'figures given in the spec'}"
                    + (" (assumption)" if p["assumption"] else "") for p in projects]
    return {
        "name": spec.name, "mineral": spec.mineral, "seed": seed, "draws": draws,
        "years": years, "price_unit": spec.price_unit, "money_unit": "USD",
        "allocation": spec.allocation, "discount_rate": spec.discount_rate,
        "price_model": price_used, "benchmark": bench_used,
        "market_price": quantiles(market), "benchmark_price": (
            quantiles(bench) if bench is not None else None),
        "floor": spec.floor.model_dump() if spec.floor else None, "cap": spec.cap,
        "completion_link": link_used,
        "consortium": {
            "floor_option_value_usd": float(r.put_value.sum(axis=1).mean() * scale),
            "cap_value_usd": float(r.call_value.sum(axis=1).mean() * scale),
            "expected_extra_cost_usd": float((r.buyer_cost - r.buyer_market_cost).sum(axis=1)
                                             .mean() * scale),
        },
        "buyers": buyer_rows, "producers": producer_rows, "assumptions": assumptions,
    }


# ------------------------------------------------------------------ retrofits


def retrofit(spec_data: Mapping[str, Any] | str | bytes | Path, *, seed: int,
             session: Session | None = None, caller: Caller = LOCAL) -> dict[str, Any]:
    """NPV/IRR with and without support for each candidate, ranked by public cost per
    tonne of secured capacity (lowest first)."""
    check_caller(caller)
    spec: RetrofitPortfolio = read_spec(spec_data, RetrofitPortfolio)
    life = max(c.life_years for c in spec.candidates)
    cells = spec.draws * len(spec.candidates) * (life + 1)
    if cells > MAX_CELLS:
        raise SpecError([{"field": "draws", "problem": f"draws x candidates x years is "
                          f"{cells:,}; at most {MAX_CELLS:,}"}])
    monthly, price_used = market_paths(spec.price_model, months=12 * life, draws=spec.draws,
                                       seed=seed, session=session, caller=caller,
                                       price_unit=spec.price_unit)
    market = annual_mean(monthly, life)
    n = len(spec.candidates)
    ramp = np.zeros((n, life))
    for i, c in enumerate(spec.candidates):
        full = (c.ramp + [c.ramp[-1]] * life)[: c.life_years]
        ramp[i, : c.life_years] = full
    scale = _money_per_t(spec.price_unit)
    capex = np.array([c.capex_usd for c in spec.candidates]) / scale  # in price x t units
    cap = np.array([c.capacity_tpa for c in spec.candidates])
    opex = np.array([c.opex_per_unit for c in spec.candidates])
    match = np.array([c.match_share for c in spec.candidates])
    floor = np.array([np.nan if c.floor is None else c.floor for c in spec.candidates])
    backed = np.array([c.backed_share for c in spec.candidates])
    plain = retrofit_cashflows(market, capex, cap, opex, ramp)
    backed_cf = retrofit_cashflows(market, capex, cap, opex, ramp, match=match, floor=floor,
                                   backed=backed)
    npv0 = npv(plain, spec.discount_rate) * scale
    npv1 = npv(backed_cf, spec.discount_rate) * scale
    irr0, irr1 = irr(plain), irr(backed_cf)
    pay = floor_payouts(market, cap, ramp, floor, backed, spec.discount_rate)
    p_viable = (npv1 > 0).mean(axis=1)
    per_t = public_cost_per_tonne(capex, match, pay, cap, p_viable) * scale
    rows = []
    for i, c in enumerate(spec.candidates):
        rows.append({
            "name": c.name, "plant": c.plant, "country": c.country, "host": c.host,
            "capacity_tpa": c.capacity_tpa, "capex_usd": c.capex_usd,
            "match_share": c.match_share, "floor": c.floor, "backed_share": c.backed_share,
            "npv_usd": quantiles(npv0[i]), "npv_supported_usd": quantiles(npv1[i]),
            "irr": _irr_summary(irr0[i]), "irr_supported": _irr_summary(irr1[i]),
            "p_npv_positive": float((npv0[i] > 0).mean()),
            "p_npv_positive_supported": float(p_viable[i]),
            "public_cost_usd": float(match[i] * c.capex_usd + pay[i].mean() * scale),
            "public_cost_per_t_secured": (float(per_t[i]) if np.isfinite(per_t[i])
                                          else None),
            "sources": c.sources, "assumptions": c.assumptions,
        })
    order = sorted(range(n), key=lambda i: (rows[i]["public_cost_per_t_secured"] is None,
                                            rows[i]["public_cost_per_t_secured"] or 0.0))
    for rank, i in enumerate(order, 1):
        rows[i]["rank"] = rank
    return {"name": spec.name, "mineral": spec.mineral, "seed": seed, "draws": spec.draws,
            "price_unit": spec.price_unit, "discount_rate": spec.discount_rate,
            "price_model": price_used, "candidates": [rows[i] for i in order],
            "assumptions": list(spec.assumptions) + [
                "Capex is spent in year 0, output starts in year 1 and follows the ramp; "
                "the last ramp value holds to the end of life.",
                "Public cost = matching fund + expected discounted floor payouts; secured "
                "capacity = capacity x P(supported NPV > 0)."]}


def _irr_summary(values: np.ndarray) -> dict[str, float | None]:
    ok = values[np.isfinite(values)]
    if ok.size == 0:
        return {"p10": None, "p50": None, "p90": None, "share_defined": 0.0}
    q = np.percentile(ok, (10, 50, 90))
    return {"p10": float(q[0]), "p50": float(q[1]), "p90": float(q[2]),
            "share_defined": float(ok.size / values.size)}
