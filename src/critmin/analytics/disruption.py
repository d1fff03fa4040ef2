"""Market stage of a supply-disruption scenario: post-disruption equilibrium prices and
quantities, vectorised over scenarios and periods.

The equations are written out in ``docs/scenarios.md`` ("Market stage"); in short, for
scenario ``s`` and period ``t`` (log price ratio ``x = ln(P / P0)``):

- demand in a market with baseline consumption ``D0`` is ``D0 (1 - shift) e^(e_d x)``
  (constant elasticity ``e_d < 0``; substitution makes ``e_d`` more negative and
  removes a ``shift`` share of baseline demand);
- operating producers outside the restricting country supply
  ``min(S0 e^(e_s x), C_op)`` (constant elasticity ``e_s >= 0`` up to their capacity);
- idle capacity restarts along a ramp ``a * K_idle * (1 - (1 - speed)^k)``, ``k`` the
  number of restricted periods so far; restarts and commercial stock draws fill at
  most the market's shortfall at the baseline price;
- every other source is exogenous in a period: the restrictor's remaining exports,
  baseline secondary (scrap) supply, and the mitigation levers.

The restricted destinations (a ``dest_share`` of ex-restrictor demand) and the rest
clear together (one price) when arbitrage can serve the restricted market; when the
rest cannot absorb the restrictor-origin metal diverted to it, the markets separate:
the rest clears on restrictor-origin supply alone (closed form) and the restricted
market on everything else. A ``choke`` price ratio caps the price: at the choke,
demand is rationed to the supply available.

All functions are pure numpy: parameters broadcast to ``(n_scenarios, n_periods)``
and every scenario is solved at once by a safeguarded Newton iteration on log price.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

PARAMETERS: dict[str, str] = {
    "price": "baseline price (any currency per tonne; results are ratios to it)",
    "consumption": "baseline consumption outside the restricting country, t/period",
    "exports": "restrictor's baseline net exports to the rest of the world, t/period",
    "production_other": "baseline primary production outside the restrictor, t/period",
    "capacity_other": "operating capacity outside the restrictor, t/period (>= production)",
    "idle_capacity": "idle (shut) capacity outside the restrictor, t/period",
    "idle_available": "share of idle capacity that can restart (0-1)",
    "response_speed": "share of the not-yet-restarted idle capacity restarted each period",
    "demand_elasticity": "price elasticity of demand (< 0)",
    "supply_elasticity": "price elasticity of operating supply outside the restrictor (>= 0)",
    "stocks": "commercial stocks outside the restrictor, t",
    "stock_draw": "share of the stocks that can be drawn in one period (0-1)",
    "dest_share": "restricted destinations' share of ex-restrictor demand (1 = all)",
    "diversion": "share of the restricted volume the restrictor sells to the rest (0-1)",
    "choke": "price ratio at which demand is rationed rather than price rising further",
}
"""Market parameters: scalars, ``(n,)`` or ``(n, T)`` arrays."""

LEVERS: dict[str, str] = {
    "stockpile_release": "government stockpile released to the restricted market, t/period",
    "project_capacity": "capacity from accelerated projects online in each period, t/period",
    "recycling_increase": "additional recycling, as a share of baseline consumption",
    "substitution_elasticity": "added to the restricted market's demand elasticity (<= 0)",
    "substitution_shift": "share of the restricted market's baseline demand substituted away",
    "reserved_supply": "supply reserved by allied joint procurement, t/period",
    "floor_price": "contract price ratio paid on the reserved supply",
}
"""Mitigation levers (all default to 0; active only while the restriction is)."""

RESTRICTION: dict[str, str] = {
    "level": "share of the restrictor's net exports to the restricted destinations removed",
    "start": "first restricted period (0-based)",
    "duration": "number of restricted periods",
}

DEFAULT_CHOKE = 20.0
TOL = 1e-10


def _arr(value: Any, shape: tuple[int, int], name: str) -> np.ndarray:
    """``value`` broadcast to ``shape``: a scalar, ``(n,)`` (one per scenario) or ``(n, T)``."""
    a = np.asarray(value, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    try:
        return np.broadcast_to(a, shape)
    except ValueError:
        raise ValueError(
            f"parameter {name!r}: shape {np.shape(value)} does not fit "
            f"{shape[0]} scenarios x {shape[1]} periods; expected a scalar, (n,) or (n, T)"
        ) from None


def _check(name: str, a: np.ndarray, ok: np.ndarray, expected: str) -> None:
    if not np.all(ok):
        bad = np.argwhere(~ok)[0]
        raise ValueError(
            f"parameter {name!r}: value {a[tuple(bad)]!r} at scenario {bad[0]}, period "
            f"{bad[1]}; expected {expected}"
        )


def ramp(active: np.ndarray, speed: np.ndarray) -> np.ndarray:
    """Share of restartable idle capacity running in each period: ``1 - (1 - speed)^k``
    with ``k`` the number of active periods up to and including this one (0 when not
    active)."""
    k = np.cumsum(active, axis=1)
    return np.where(active, 1.0 - (1.0 - speed) ** k, 0.0)


def projects_from_outlook(
    years: np.ndarray, p50: np.ndarray, first_year: int, n_periods: int,
    baseline: float | None = None,
) -> np.ndarray:
    """The ``project_capacity`` lever from a capacity outlook: for each period (year
    ``first_year + t``), the outlook's P50 capacity outside the restrictor above its
    ``baseline`` (default: the P50 of the year before ``first_year``, or the first
    year's), never negative; the last year's value carries on past the outlook."""
    years, p50 = np.asarray(years, dtype=int), np.asarray(p50, dtype=float)
    if baseline is None:
        before = years < first_year
        baseline = float(p50[before][-1]) if before.any() else float(p50[0])
    want = first_year + np.arange(n_periods)
    pos = np.clip(np.searchsorted(years, want, side="right") - 1, 0, len(years) - 1)
    return np.maximum(p50[pos] - baseline, 0.0)


def responses(
    need: np.ndarray, restart: np.ndarray, stocks: np.ndarray, rate: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Restarted capacity and commercial stock draws used in each period, filling at most
    ``need`` (the market's shortfall at the baseline price): restarts first, then stocks,
    at most ``rate * stocks`` a period until the stocks are gone. The loop runs over
    periods; every scenario is handled at once."""
    used = np.minimum(restart, need)
    gap = need - used
    draws = np.zeros(need.shape)
    left = stocks[:, 0].copy()
    for t in range(need.shape[1]):  # periods, not scenarios
        draws[:, t] = np.minimum(np.minimum(rate[:, t] * stocks[:, t], left), gap[:, t])
        left -= draws[:, t]
    return used, draws


def solve_log_price(
    a1: np.ndarray, b1: np.ndarray, a2: np.ndarray, b2: np.ndarray,
    s0: np.ndarray, es: np.ndarray, cap: np.ndarray, exo: np.ndarray,
    hi: np.ndarray, tol: float = TOL, max_iter: int = 100, rows: np.ndarray | None = None,
) -> tuple[np.ndarray, int]:
    """Root in ``x`` of ``a1 e^(b1 x) + a2 e^(b2 x) = min(s0 e^(es x), cap) + exo`` on
    ``[-hi, hi]`` (arrays broadcast to ``hi``'s shape; ``b1, b2 < 0``, ``a1 + a2 > 0``).

    Newton steps on ``g(x) = ln(demand) - ln(supply)``, which is concave (and Newton
    monotone) when ``a2 = 0`` and the cap does not bind, kept inside a shrinking
    bracket (bisection when a step leaves it); only unconverged scenarios are iterated.
    Where demand exceeds supply even at ``hi`` the answer is ``hi``. ``rows`` (a boolean
    mask) limits the solve to some scenarios (0 elsewhere). Returns ``(x, iterations)``."""
    shape = hi.shape
    out = np.zeros(hi.size)
    idx = np.flatnonzero(rows) if rows is not None else np.arange(hi.size)
    A1, B1, A2, B2, S0, ES, CAP, X, HI = (
        np.broadcast_to(v, shape).ravel()[idx] for v in (a1, b1, a2, b2, s0, es, cap, exo, hi))

    def g(x: np.ndarray, k: np.ndarray | slice = slice(None)) -> tuple[np.ndarray, np.ndarray]:
        d1, d2 = A1[k] * np.exp(B1[k] * x), A2[k] * np.exp(B2[k] * x)
        s = S0[k] * np.exp(ES[k] * x)
        capped = s >= CAP[k]
        sup = np.where(capped, CAP[k], s) + X[k]
        dem = d1 + d2
        with np.errstate(divide="ignore", invalid="ignore"):
            val = np.log(dem) - np.log(sup)
            slope = (B1[k] * d1 + B2[k] * d2) / dem - np.where(capped, 0.0, ES[k] * s) / sup
        return val, slope

    choke = g(HI)[0] >= 0  # demand exceeds supply even at the choke price
    x = np.where(choke, HI, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        start = np.log((np.minimum(S0, CAP) + X) / (A1 + A2)) * (A1 + A2) / (A1 * B1 + A2 * B2)
    x = np.where(choke, HI, np.clip(np.nan_to_num(start), -HI, HI))
    lo, up = -HI.copy(), HI.copy()
    todo = np.flatnonzero(~choke)
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 (iterations, not scenarios)
        if todo.size == 0:
            break
        xk = x[todo]
        val, slope = g(xk, todo)
        lk = np.where(val > 0, xk, lo[todo])
        uk = np.where(val > 0, up[todo], xk)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = xk - val / slope
        bad = ~np.isfinite(step) | (step < lk) | (step > uk)
        new = np.where(bad, 0.5 * (lk + uk), step)
        x[todo], lo[todo], up[todo] = new, lk, uk
        moving = (np.abs(new - xk) >= tol) & ((uk - lk) >= tol)
        todo = todo[moving]
    out[idx] = x
    return out.reshape(shape), it


def simulate(
    params: Mapping[str, Any],
    restriction: Mapping[str, Any],
    levers: Mapping[str, Any] | None = None,
    *,
    n_periods: int = 1,
    n_scenarios: int | None = None,
) -> dict[str, np.ndarray]:
    """Equilibrium per scenario and period after a restriction; every output is
    ``(n_scenarios, n_periods)``.

    Returns price ratios (``P / P0``) and consumption (t/period) in the restricted
    market and in the rest, the restricted market's shortfall against its baseline
    demand, the supply by source, whether the markets separated, whether the choke
    price bound, and the average price ratio paid in the restricted market (reserved
    supply at ``floor_price``). See :data:`PARAMETERS`, :data:`LEVERS`,
    :data:`RESTRICTION`."""
    levers = dict(levers or {})
    unknown = (set(params) - set(PARAMETERS)) | (set(levers) - set(LEVERS)) | (
        set(restriction) - set(RESTRICTION))  # fmt: skip
    if unknown:
        raise ValueError(f"unknown parameter(s): {', '.join(sorted(unknown))}")
    missing = [k for k in ("price", "consumption", "exports", "production_other",
                           "demand_elasticity") if k not in params]  # fmt: skip
    if missing or "level" not in restriction:
        raise ValueError(f"missing parameter(s): {', '.join(missing or ['level'])}")
    if n_scenarios is None:
        sizes = [np.shape(v)[0] for v in (*params.values(), *levers.values(),
                                         *restriction.values()) if np.ndim(v) >= 1]
        n_scenarios = max(sizes, default=1)
    shape = (int(n_scenarios), int(n_periods))
    g = {k: _arr(params.get(k, d), shape, k) for k, d in (
        ("price", 1.0), ("consumption", 0.0), ("exports", 0.0), ("production_other", 0.0),
        ("capacity_other", np.inf), ("idle_capacity", 0.0), ("idle_available", 0.0),
        ("response_speed", 1.0), ("demand_elasticity", -1.0), ("supply_elasticity", 0.0),
        ("stocks", 0.0), ("stock_draw", 0.0), ("dest_share", 1.0), ("diversion", 0.0),
        ("choke", DEFAULT_CHOKE))}  # fmt: skip
    lv = {k: _arr(levers.get(k, 0.0), shape, k) for k in LEVERS}
    level = _arr(restriction["level"], shape, "level")
    start = _arr(restriction.get("start", 0), shape, "start")
    duration = _arr(restriction.get("duration", n_periods), shape, "duration")

    q0, e0, s0 = g["consumption"], g["exports"], g["production_other"]
    secondary = q0 - e0 - s0
    _check("demand_elasticity", g["demand_elasticity"], g["demand_elasticity"] < 0, "< 0")
    _check("supply_elasticity", g["supply_elasticity"], g["supply_elasticity"] >= 0, ">= 0")
    _check("consumption", q0, secondary >= -1e-9 * np.maximum(q0, 1),
           ">= exports + production_other (the balance: consumption = restrictor exports "
           "+ other production + secondary supply)")
    _check("consumption", q0, q0 > 0, "> 0")
    _check("capacity_other", g["capacity_other"], g["capacity_other"] >= s0,
           ">= production_other")
    for name, a in (("level", level), ("dest_share", g["dest_share"]),
                    ("diversion", g["diversion"]), ("idle_available", g["idle_available"]),
                    ("response_speed", g["response_speed"]), ("stock_draw", g["stock_draw"]),
                    ("substitution_shift", lv["substitution_shift"])):  # fmt: skip
        _check(name, a, (a >= 0) & (a <= 1), "a share between 0 and 1")
    _check("choke", g["choke"], g["choke"] > 1, "a price ratio > 1")
    _check("substitution_elasticity", lv["substitution_elasticity"],
           lv["substitution_elasticity"] <= 0, "<= 0")
    secondary = np.maximum(secondary, 0.0)

    t = np.arange(shape[1])[None, :]
    active = (t >= start) & (t < start + duration) & (level > 0)
    on = active.astype(float)
    theta = g["dest_share"]
    div = np.where(theta < 1, g["diversion"], 0.0)
    restart = g["idle_available"] * g["idle_capacity"] * ramp(active, g["response_speed"])
    lever_supply = on * (lv["stockpile_release"] + lv["project_capacity"]
                         + lv["recycling_increase"] * q0 + lv["reserved_supply"])
    shift = on * lv["substitution_shift"]
    ed, ed_r = g["demand_elasticity"], g["demand_elasticity"] + on * lv[
        "substitution_elasticity"]
    lvl = on * level
    hi = np.log(g["choke"])
    es, cap = g["supply_elasticity"], g["capacity_other"]
    a_r, a_w = theta * q0 * (1 - shift), (1 - theta) * q0
    op0 = np.minimum(s0, cap)

    # one market: every ex-restrictor buyer pays the same price
    base_one = e0 * (1 - lvl * theta * (1 - div)) + secondary + lever_supply
    need = np.where(active, np.maximum(a_r + a_w - op0 - base_one, 0.0), 0.0)
    restart_one, draws_one = responses(need, restart, g["stocks"], g["stock_draw"])
    exo_one = base_one + restart_one + draws_one
    x_one, it1 = solve_log_price(a_r, ed_r, a_w, ed, s0, es, cap, exo_one, hi, rows=active)
    rest_local = (1 - theta) * (e0 + secondary) + div * lvl * theta * e0
    rest_demand = a_w * np.exp(ed * x_one)
    separate = rest_local > rest_demand * (1 + 1e-9) + 1e-12

    # separated markets: the rest clears on its local (restrictor-origin) supply
    with np.errstate(divide="ignore", invalid="ignore"):
        x_rest = np.clip(np.log(rest_local / a_w) / ed, -hi, hi)
    base_r = (1 - lvl) * theta * e0 + theta * secondary + lever_supply
    need = np.where(active, np.maximum(a_r - op0 - base_r, 0.0), 0.0)
    restart_r, draws_r = responses(need, restart, g["stocks"], g["stock_draw"])
    exo_r = base_r + restart_r + draws_r
    zero = np.zeros(shape)
    x_sep, it2 = solve_log_price(a_r, ed_r, zero, ed, s0, es, cap, exo_r, hi,
                                 rows=separate & active)

    # outside the restriction every period is the baseline, exactly
    x_r = np.where(active, np.where(separate, x_sep, x_one), 0.0)
    x_w = np.where(active, np.where(separate, x_rest, x_one), 0.0)
    separate &= active
    operating = np.minimum(s0 * np.exp(es * x_r), cap)
    q_r = a_r * np.exp(ed_r * x_r)
    q_w = a_w * np.exp(ed * x_w)
    choked = x_r >= hi - 1e-12
    supply_total = operating + np.where(separate, exo_r, exo_one)
    # at the choke price, consumption is what is available (demand is rationed)
    q_r = np.where(choked & ~separate, np.maximum(supply_total - q_w, 0.0), q_r)
    q_r = np.where(choked & separate, supply_total, q_r)
    p_r, p_w = np.exp(x_r), np.where(theta < 1, np.exp(x_w), np.nan)
    reserved = on * lv["reserved_supply"]
    with np.errstate(divide="ignore", invalid="ignore"):
        paid = np.where(
            q_r > 0,
            (p_r * np.maximum(q_r - reserved, 0) + lv["floor_price"] * np.minimum(reserved, q_r))
            / q_r, p_r)  # fmt: skip
    return {
        "price_ratio_restricted": p_r,
        "price_ratio_rest": p_w,
        "consumption_restricted": q_r,
        "consumption_rest": np.where(theta < 1, q_w, np.nan),
        "baseline_restricted": theta * q0,
        "shortfall_restricted": theta * q0 - q_r,
        "supply_operating": operating,
        "supply_restart": np.where(separate, restart_r, restart_one),
        "supply_stocks": np.where(separate, draws_r, draws_one),
        "supply_levers": lever_supply,
        "separated": separate,
        "choked": choked,
        "price_ratio_paid_restricted": paid,
        "active": active,
        "iterations": np.full(shape, max(it1, it2)),
    }
