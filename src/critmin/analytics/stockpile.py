"""Stockpile requirement sizing and the least-cost procurement and rotation plan.

The plan is a linear programme (a MILP when a supplier has a minimum order) solved with
HiGHS through :func:`scipy.optimize.milp`. Months ``t = 0..T-1``, suppliers ``s``, shelf
life ``S`` months, inventory held in age cohorts ``j = 0..S-1``:

- ``x[s,t] >= 0`` ordered from ``s`` in month ``t`` (paid in ``t``, arrives ``t + L_s``);
  ``x[s,t] <= cap_s / 12``; ``0`` for excluded origins and arrivals past the horizon.
- ``I[t,j]`` held in month ``t`` at age ``j``; ``R[t,j]`` rotated (sold back or swapped
  at ``rotation_discount`` times the cheapest eligible price at which material arriving
  in month ``t - j`` could have been bought, so never above what it cost) and
  ``D[t,j]`` disposed of at the end of month ``t``. Flows:
  ``I[t,0] = sum_s x[s, t - L_s]`` (+ initial lots of age 0 at ``t = 0``);
  ``I[t,j] = I[t-1,j-1] - R[t-1,j-1] - D[t-1,j-1]``; ``I[t,S-1] = R[t,S-1] + D[t,S-1]``
  (nothing is held past its shelf life). Rotation is allowed only in the last
  ``rotation_window_months`` of a lot's life (0: no rotation), disposal only at expiry, and
  nothing leaves at the horizon's end except expiring material (the stockpile is kept).
- Target: ``sum_j I[t,j] + u[t] >= target[t]`` with a shortfall ``u[t] >= 0`` priced at a
  penalty far above any purchase cost, so the solve always returns a best effort plan and a
  path is feasible exactly when ``sum u = 0``.
- Budget per year ``y``: ``sum_{t in y} sum_s p[s,t] x[s,t] <= B_y`` (gross purchases;
  rotation proceeds are not recycled into the budget).
- Objective: ``sum p x + h sum I - delta ref sum R + c_d sum D + M sum u``, where lots
  expiring in the last month earn and cost nothing (their replacement falls after the
  horizon), so the stockpile held at the end is paid for in full and never looks cheap
  because it is about to be sold back.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp
from scipy.optimize import Bounds, LinearConstraint, milp

MONTHS_PER_YEAR = 12
FEASIBILITY_TOL_T = 1e-6


def requirement_from_shortfall(shortfall_t_per_year: float, horizon_months: float,
                               mitigations_t: float = 0.0) -> float:
    """Tonnes to cover a yearly shortfall over an emergency horizon, less mitigations."""
    return max(0.0, float(shortfall_t_per_year) * float(horizon_months) / MONTHS_PER_YEAR
               - float(mitigations_t))


def requirement_from_demand(demand_t_per_year: float, months: float,
                            mitigations_t: float = 0.0) -> float:
    """Tonnes for ``months`` of demand (e.g. six months of consumption), less mitigations."""
    return max(0.0, float(demand_t_per_year) * float(months) / MONTHS_PER_YEAR
               - float(mitigations_t))


def coverage_months(inventory_t: np.ndarray, demand_t_per_year: float) -> np.ndarray:
    """Months of demand that each inventory level covers (inf where demand is 0)."""
    inv = np.asarray(inventory_t, dtype=float)
    if demand_t_per_year <= 0:
        return np.full(inv.shape, np.inf)
    return inv / (float(demand_t_per_year) / MONTHS_PER_YEAR)


@dataclass(frozen=True)
class Supplier:
    """A candidate supplier: capacity open to the stockpile, price and lead time."""

    name: str
    country: str
    capacity_t_per_year: float
    price_usd_per_t: float
    lead_time_months: int
    min_order_t: float = 0.0


@dataclass
class PlanInputs:
    """Everything the plan needs; see the module docstring for the formulation."""

    months: int
    target_t: np.ndarray
    suppliers: list[Supplier]
    shelf_life_months: int
    budget_usd: np.ndarray | None = None
    excluded_origins: set[str] = field(default_factory=set)
    initial_lots: list[tuple[float, int]] = field(default_factory=list)
    rotation_discount: float = 0.0
    holding_cost_usd_per_t_month: float = 0.0
    disposal_cost_usd_per_t: float = 0.0
    rotation_window_months: int = 1

    def validate(self) -> None:
        """ValueError naming the first inconsistent input."""
        if self.months < 1 or self.shelf_life_months < 1:
            raise ValueError("months and shelf_life_months must be at least 1")
        if np.asarray(self.target_t).shape != (self.months,):
            raise ValueError(f"target_t must have one value per month ({self.months})")
        if not 0.0 <= self.rotation_discount < 1.0:
            raise ValueError("rotation_discount must be in [0, 1)")
        if not self.suppliers:
            raise ValueError("at least one supplier is needed")
        years = -(-self.months // MONTHS_PER_YEAR)
        if self.budget_usd is not None and np.asarray(self.budget_usd).shape != (years,):
            raise ValueError(f"budget_usd must have one value per year ({years})")
        for q, age in self.initial_lots:
            if q < 0 or age < 0:
                raise ValueError(f"initial lot ({q} t, age {age}) must be >= 0")
        for s in self.suppliers:
            if s.capacity_t_per_year < 0 or s.price_usd_per_t < 0 or s.lead_time_months < 0:
                raise ValueError(f"supplier {s.name!r}: capacity, price, lead time must be >= 0")


@dataclass
class PlanResult:
    """A solved plan (best effort when infeasible)."""

    feasible: bool
    status: str
    why_infeasible: str | None
    purchases: list[dict]
    rotations: list[dict]
    disposals: list[dict]
    inventory_by_age: np.ndarray
    inventory_t: np.ndarray
    cost_usd: float
    shortfall_t: np.ndarray


class _Layout:
    """Variable offsets and the price-independent constraint matrix of one plan."""

    def __init__(self, inp: PlanInputs) -> None:
        inp.validate()
        self.inp = inp
        T, S, n = inp.months, inp.shelf_life_months, len(inp.suppliers)
        self.T, self.S, self.n = T, S, n
        self.ox, self.oI = 0, n * T
        self.oR, self.oD = self.oI + T * S, self.oI + 2 * T * S
        self.ou = self.oI + 3 * T * S
        self.nv = self.ou + T
        self.lead = np.array([s.lead_time_months for s in inp.suppliers], dtype=int)
        self.eligible = np.array([s.country.upper() not in {c.upper() for c in
                                  inp.excluded_origins} for s in inp.suppliers])
        self.init = np.zeros(S)
        self.expired_initial_t = 0.0
        for q, age in inp.initial_lots:
            if age < S:
                self.init[age] += q
            else:
                self.expired_initial_t += q
        self._build()

    def xi(self, s: np.ndarray, t: np.ndarray) -> np.ndarray:
        return self.ox + s * self.T + t

    def ii(self, base: int, t: np.ndarray, j: np.ndarray) -> np.ndarray:
        return base + t * self.S + j

    def _build(self) -> None:
        T, S, n, inp = self.T, self.S, self.n, self.inp
        rows, cols, vals, lo, hi = [], [], [], [], []
        r = 0

        def add(row_cols: list[np.ndarray], row_vals: list[float], k: int,
                lo_v: np.ndarray, hi_v: np.ndarray) -> None:
            nonlocal r
            ridx = r + np.arange(k)
            for c, v in zip(row_cols, row_vals, strict=True):
                rows.append(ridx)
                cols.append(c)
                vals.append(np.full(k, v))
            lo.append(lo_v)
            hi.append(hi_v)
            r += k

        # ageing: I[t,j] - I[t-1,j-1] + R[t-1,j-1] + D[t-1,j-1] = 0 (t, j >= 1)
        tt, jj = np.meshgrid(np.arange(1, T), np.arange(1, S), indexing="ij")
        tt, jj = tt.ravel(), jj.ravel()
        k = tt.size
        if k:
            add([self.ii(self.oI, tt, jj), self.ii(self.oI, tt - 1, jj - 1),
                 self.ii(self.oR, tt - 1, jj - 1), self.ii(self.oD, tt - 1, jj - 1)],
                [1.0, -1.0, 1.0, 1.0], k, np.zeros(k), np.zeros(k))
        # initial cohorts of age >= 1 at month 0
        if S > 1:
            j1 = np.arange(1, S)
            add([self.ii(self.oI, np.zeros_like(j1), j1)], [1.0], S - 1,
                self.init[1:], self.init[1:])
        # arrivals: I[t,0] - sum_s x[s, t - L_s] = init0 at t = 0 else 0
        t_all = np.arange(T)
        ridx = r + t_all
        rows.append(ridx)
        cols.append(self.ii(self.oI, t_all, np.zeros(T, dtype=int)))
        vals.append(np.ones(T))
        ss, to = np.meshgrid(np.arange(n), np.arange(T), indexing="ij")
        arr = to + self.lead[ss]
        ok = arr < T
        rows.append(r + arr[ok])
        cols.append(self.xi(ss[ok], to[ok]))
        vals.append(-np.ones(int(ok.sum())))
        rhs = np.zeros(T)
        rhs[0] = self.init[0]
        lo.append(rhs)
        hi.append(rhs)
        r += T
        # expiry: I[t,S-1] - R[t,S-1] - D[t,S-1] = 0
        last = np.full(T, S - 1)
        add([self.ii(self.oI, t_all, last), self.ii(self.oR, t_all, last),
             self.ii(self.oD, t_all, last)], [1.0, -1.0, -1.0], T, np.zeros(T), np.zeros(T))
        # target: sum_j I[t,j] + u[t] >= target[t]
        tj_t, tj_j = np.meshgrid(t_all, np.arange(S), indexing="ij")
        rows.append(r + tj_t.ravel())
        cols.append(self.ii(self.oI, tj_t.ravel(), tj_j.ravel()))
        vals.append(np.ones(T * S))
        rows.append(r + t_all)
        cols.append(self.ou + t_all)
        vals.append(np.ones(T))
        lo.append(np.asarray(inp.target_t, dtype=float))
        hi.append(np.full(T, np.inf))
        r += T
        self.A = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows),
                                np.concatenate(cols))), shape=(r, self.nv))
        self.lo, self.hi = np.concatenate(lo), np.concatenate(hi)
        # bounds
        ub = np.full(self.nv, np.inf)
        cap = np.array([s.capacity_t_per_year for s in inp.suppliers]) / MONTHS_PER_YEAR
        xub = np.where(self.eligible[:, None] & ok, cap[:, None], 0.0)
        ub[self.ox:self.oI] = xub.ravel()
        window = max(0, min(inp.rotation_window_months, S))
        rub = np.zeros((T, S))
        if window:
            rub[:, S - window:] = np.inf
        dub = np.zeros((T, S))
        dub[:, S - 1] = np.inf
        rub[T - 1, : S - 1] = 0.0  # the stockpile is kept at the horizon's end
        ub[self.oR:self.oD] = rub.ravel()
        ub[self.oD:self.ou] = dub.ravel()
        ub[self.ou:] = np.maximum(np.asarray(inp.target_t, dtype=float), 0.0)
        self.ub = ub
        self.integrality = np.zeros(self.nv)
        mins = np.array([s.min_order_t for s in inp.suppliers])
        self.has_min = bool((mins > 0).any())
        # month -> year for budget rows
        self.years = -(-T // MONTHS_PER_YEAR)

    def prices(self, prices: np.ndarray | None) -> np.ndarray:
        """``(n, T)`` supplier prices (defaults: each supplier's price, flat)."""
        if prices is None:
            base = np.array([s.price_usd_per_t for s in self.inp.suppliers], dtype=float)
            return np.repeat(base[:, None], self.T, axis=1)
        p = np.asarray(prices, dtype=float)
        if p.shape[-2:] != (self.n, self.T):
            raise ValueError(f"prices must be (n_suppliers={self.n}, months={self.T})")
        return p

    def objective(self, p: np.ndarray) -> np.ndarray:
        """Cost vectors for prices ``p`` of shape ``(..., n, T)``: ``(..., nv)``."""
        inp = self.inp
        lead_shape = p.shape[:-2]
        c = np.zeros((*lead_shape, self.nv))
        c[..., self.ox:self.oI] = p.reshape(*lead_shape, -1)
        c[..., self.oI:self.oR] = inp.holding_cost_usd_per_t_month
        # proceeds reference the cheapest eligible way to have bought the cohort: for the
        # cohort arriving in month a, min_s p[s, a - L_s]; so proceeds never exceed
        # rotation_discount times what the material cost (no buy-to-sell arbitrage)
        order = np.clip(np.arange(self.T)[None, :] - self.lead[:, None], 0, self.T - 1)
        paid = np.take_along_axis(p, np.broadcast_to(order, p.shape), axis=-1)
        elig = np.where(self.eligible[:, None], paid, np.inf)
        cheapest = elig.min(axis=-2)
        cheapest = np.where(np.isfinite(cheapest), cheapest, 0.0)  # (..., T) by arrival
        arrival = np.clip(np.arange(self.T)[:, None] - np.arange(self.S)[None, :], 0, None)
        ref = cheapest[..., arrival]  # (..., T, S)
        ref = (-inp.rotation_discount * ref).copy()
        ref[..., self.T - 1, :] = 0.0  # exits at the horizon's end: replaced after it
        c[..., self.oR:self.oD] = ref.reshape(*lead_shape, -1)
        disp = np.full((self.T, self.S), inp.disposal_cost_usd_per_t)
        disp[self.T - 1] = 0.0
        c[..., self.oD:self.ou] = disp.ravel()
        big = max(float(p.max(initial=1.0)), 1.0) * 1e3 + 1e3 * inp.holding_cost_usd_per_t_month
        c[..., self.ou:] = big * (1 + np.arange(self.T)[::-1] / self.T)  # earlier first
        return c

    def budget_rows(self, p: np.ndarray) -> sp.csr_matrix | None:
        """``(years, nv)`` budget rows for one price array ``(n, T)``."""
        if self.inp.budget_usd is None:
            return None
        ss, tt = np.meshgrid(np.arange(self.n), np.arange(self.T), indexing="ij")
        return sp.csr_matrix((p.ravel(), ((tt // MONTHS_PER_YEAR).ravel(),
                              self.xi(ss, tt).ravel())), shape=(self.years, self.nv))


def _solve(c: np.ndarray, A: sp.spmatrix, lo: np.ndarray, hi: np.ndarray, ub: np.ndarray,
           integrality: np.ndarray, time_limit: float | None = None):
    options = {"presolve": True}
    if time_limit:
        options["time_limit"] = time_limit
    return milp(c, constraints=LinearConstraint(A, lo, hi), bounds=Bounds(0.0, ub),
                integrality=integrality, options=options)


def _with_min_orders(lay: _Layout, c: np.ndarray, A: sp.spmatrix, lo: np.ndarray,
                     hi: np.ndarray, ub: np.ndarray):
    """Append a binary per purchase variable: ``m z <= x <= cap z``."""
    mins = np.array([s.min_order_t for s in lay.inp.suppliers])
    nx = lay.n * lay.T
    xub = ub[lay.ox:lay.oI]
    mrow = np.repeat(mins, lay.T)
    xsel = sp.hstack([sp.identity(nx, format="csr"), sp.csr_matrix((nx, lay.nv - nx))])
    lo_rows = sp.hstack([xsel, -sp.diags(mrow)])  # x - m z >= 0
    hi_rows = sp.hstack([xsel, -sp.diags(np.where(np.isfinite(xub), xub, 1e9))])  # x - cap z <= 0
    A2 = sp.vstack([sp.hstack([A, sp.csr_matrix((A.shape[0], nx))]), lo_rows, hi_rows]).tocsr()
    lo2 = np.concatenate([lo, np.zeros(nx), np.full(nx, -np.inf)])
    hi2 = np.concatenate([hi, np.full(nx, np.inf), np.zeros(nx)])
    c2 = np.concatenate([c, np.zeros(nx)])
    ub2 = np.concatenate([ub, np.where(xub > 0, 1.0, 0.0)])
    integ = np.concatenate([np.zeros(lay.nv), np.ones(nx)])
    return c2, A2, lo2, hi2, ub2, integ


def _why(lay: _Layout, u: np.ndarray) -> str:
    """Plain-language reason for a shortfall: capacity within the shelf life, or budget."""
    inp = lay.inp
    t_star = int(np.argmax(u > FEASIBILITY_TOL_T))
    cap = np.array([s.capacity_t_per_year for s in inp.suppliers]) / MONTHS_PER_YEAR
    t_order = np.arange(lay.T)[None, :]
    arr = t_order + lay.lead[:, None]
    window = (arr <= t_star) & (arr >= t_star - lay.S + 1)
    deliverable = float((cap[:, None] * window * lay.eligible[:, None]).sum())
    alive = float(lay.init[: max(0, lay.S - t_star)].sum()) if t_star < lay.S else 0.0
    most = deliverable + alive
    target = float(inp.target_t[t_star])
    who = "non-excluded suppliers" if inp.excluded_origins else "the suppliers"
    if most + FEASIBILITY_TOL_T < target:
        excl = (f" (excluding {', '.join(sorted(inp.excluded_origins))})"
                if inp.excluded_origins else "")
        return (f"capacity: {who}{excl} can deliver at most {most:.1f} t held by month "
                f"{t_star + 1} (arrivals within the {lay.S}-month shelf life) against a "
                f"target of {target:.1f} t")
    year = t_star // MONTHS_PER_YEAR
    budget = inp.budget_usd
    btxt = f" (${float(budget[year]):,.0f} in year {year + 1})" if budget is not None else ""
    return (f"budget: the yearly budget{btxt} cannot buy enough to hold {target:.1f} t by "
            f"month {t_star + 1}; short by {float(u[t_star]):.1f} t")


def _result(lay: _Layout, v: np.ndarray | None, p: np.ndarray, status: str) -> PlanResult:
    T, S, inp = lay.T, lay.S, lay.inp
    if v is None:
        return PlanResult(False, status, f"solver: {status}", [], [], [], np.zeros((T, S)),
                          np.zeros(T), float("nan"), np.asarray(inp.target_t, dtype=float))
    v = np.where(np.abs(v) < 1e-9, 0.0, v)
    x = v[lay.ox:lay.oI].reshape(lay.n, T)
    inv = v[lay.oI:lay.oR].reshape(T, S)
    rot = v[lay.oR:lay.oD].reshape(T, S)
    disp = v[lay.oD:lay.ou].reshape(T, S)
    u = v[lay.ou:lay.nv]
    c = lay.objective(p)
    cost = float(c[: lay.ou] @ v[: lay.ou])
    ref = c[lay.oR:lay.oD].reshape(T, S)
    s_i, t_i = np.nonzero(x > 1e-7)
    purchases = [{"month": int(t), "arrival_month": int(t + lay.lead[s]),
                  "supplier": inp.suppliers[s].name, "country": inp.suppliers[s].country,
                  "quantity_t": float(x[s, t]), "cost_usd": float(x[s, t] * p[s, t])}
                 for s, t in zip(s_i, t_i, strict=True)]
    purchases.sort(key=lambda d: (d["month"], d["supplier"]))
    rt, rj = np.nonzero(rot > 1e-7)
    rotations = [{"month": int(t), "quantity_t": float(rot[t, j]), "age_months": int(j + 1),
                  "proceeds_usd": float(-ref[t, j] * rot[t, j])}
                 for t, j in zip(rt, rj, strict=True)]
    dt_, dj = np.nonzero(disp > 1e-7)
    disposals = [{"month": int(t), "quantity_t": float(disp[t, j]), "age_months": int(j + 1),
                  "cost_usd": float(c[lay.oD + t * S + j] * disp[t, j])}
                 for t, j in zip(dt_, dj, strict=True)]
    feasible = bool(u.sum() <= FEASIBILITY_TOL_T * T)
    return PlanResult(feasible, status, None if feasible else _why(lay, u), purchases,
                      rotations, disposals, inv, inv.sum(axis=1), cost, u)


def plan(inputs: PlanInputs, prices: np.ndarray | None = None) -> PlanResult:
    """Least-cost monthly purchases, rotations and disposals (see the module docstring)."""
    lay = _Layout(inputs)
    p = lay.prices(prices)
    c = lay.objective(p)
    A, lo, hi = lay.A, lay.lo, lay.hi
    b = lay.budget_rows(p)
    if b is not None:
        A = sp.vstack([A, b]).tocsr()
        lo = np.concatenate([lo, np.full(lay.years, -np.inf)])
        hi = np.concatenate([hi, np.asarray(inputs.budget_usd, dtype=float)])
    ub, integ = lay.ub, lay.integrality
    if lay.has_min:
        c, A, lo, hi, ub, integ = _with_min_orders(lay, c, A, lo, hi, ub)
    res = _solve(c, A, lo, hi, ub, integ)
    v = res.x[: lay.nv] if res.x is not None else None
    return _result(lay, v, p, res.message if v is None else "optimal")


def plan_many(inputs: PlanInputs, price_paths: np.ndarray, batch: int = 1) -> dict:
    """Cost and feasibility of the plan under each price path ``(n_paths, n, T)``.

    The price-independent flow, expiry and target rows are built once, the objective and
    budget rows of all paths in one array operation; paths are then solved ``batch`` at
    a time as one block-diagonal LP (the rows tiled with a Kronecker product). The blocks
    share no variable, so one solve gives each path's own optimum. HiGHS takes longer
    than linearly in the block size (``benchmarks/stockpile.py``), so the default is one
    path a solve, reusing the built structure. Minimum orders are not used here
    (the LP relaxation); use :func:`plan` for one path with them.
    """
    lay = _Layout(inputs)
    P = lay.prices(price_paths)
    if P.ndim != 3:
        raise ValueError("price_paths must be (n_paths, n_suppliers, months)")
    n_paths = P.shape[0]
    C = lay.objective(P)  # (n_paths, nv)
    cost = np.empty(n_paths)
    short = np.empty(n_paths)
    ok = np.zeros(n_paths, dtype=bool)
    budget = None if inputs.budget_usd is None else np.asarray(inputs.budget_usd, dtype=float)
    ss, tt = np.meshgrid(np.arange(lay.n), np.arange(lay.T), indexing="ij")
    bcols = lay.xi(ss, tt).ravel()
    brows = (tt // MONTHS_PER_YEAR).ravel()
    for start in range(0, n_paths, batch):
        k = min(batch, n_paths - start)
        blocks = [sp.kron(sp.identity(k, format="csr"), lay.A, format="csr")]
        lo, hi = np.tile(lay.lo, k), np.tile(lay.hi, k)
        if budget is not None:
            kk = np.arange(k)[:, None]
            b = sp.csr_matrix((P[start:start + k].reshape(k, -1).ravel(),
                               ((kk * lay.years + brows[None, :]).ravel(),
                                (kk * lay.nv + bcols[None, :]).ravel())),
                              shape=(k * lay.years, k * lay.nv))
            blocks.append(b)
            lo = np.concatenate([lo, np.full(k * lay.years, -np.inf)])
            hi = np.concatenate([hi, np.tile(budget, k)])
        A = sp.vstack(blocks).tocsr()
        res = _solve(C[start:start + k].ravel(), A, lo, hi, np.tile(lay.ub, k),
                     np.zeros(k * lay.nv))
        if res.x is None:  # a block the solver could not finish: each path alone
            for i in range(start, start + k):
                one = plan(inputs, P[i])
                cost[i], short[i] = one.cost_usd, float(one.shortfall_t.sum())
                ok[i] = one.feasible
            continue
        V = res.x.reshape(k, lay.nv)
        cost[start:start + k] = np.einsum("kv,kv->k", C[start:start + k, : lay.ou],
                                          V[:, : lay.ou])
        short[start:start + k] = V[:, lay.ou:].sum(axis=1)
        ok[start:start + k] = short[start:start + k] <= FEASIBILITY_TOL_T * lay.T
    return {"cost_usd": cost, "feasible": ok, "shortfall_t": short}


def plan_many_loop(inputs: PlanInputs, price_paths: np.ndarray) -> dict:
    """Reference: each path solved as its own model with :func:`plan` (for benchmarks)."""
    res = [plan(inputs, p) for p in np.asarray(price_paths, dtype=float)]
    return {"cost_usd": np.array([r.cost_usd for r in res]),
            "feasible": np.array([r.feasible for r in res]),
            "shortfall_t": np.array([float(r.shortfall_t.sum()) for r in res])}
