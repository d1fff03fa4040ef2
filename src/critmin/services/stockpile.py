"""The stockpile planner: inventory, requirement sizing, the plan with its uncertainty, and
the annual adequacy report. Reads stockpile lots through the caller's view only."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.analytics import stockpile as sp
from critmin.analytics.price_paths import fit_annual, lognormal_paths
from critmin.services.access import visible_clause
from critmin.services.auth import Caller
from critmin.store.tables import StockpileLot

DAYS_PER_MONTH = 365.25 / 12
HOLDING_SHARE_PER_YEAR = 0.02
SERVED_PATH_MONTHS = 3_000  # the API's and the page's limit on paths x months
UNIT_TO_T = {"t": 1.0, "kg": 1e-3, "mt": 1e6, "kt": 1e3}


class StockpileError(ValueError):
    """Bad stockpile input (file, field, value): answered as 4xx / a CLI error."""


def _ref_dir() -> Path:
    from critmin.ingest.datasets import REFERENCE_DIR

    return REFERENCE_DIR


def _slug(mineral: str) -> str:
    m = str(mineral).strip().lower()
    if not re.fullmatch(r"[a-z][a-z_-]{0,39}", m):
        raise StockpileError(f"mineral {mineral!r}: expected a mineral name such as gallium")
    return m


def chapter(mineral: str) -> dict[str, Any]:
    """The bundled USGS MCS 2026 chapter of ``mineral``."""
    mineral = _slug(mineral)
    path = _ref_dir() / "usgs-mcs2026" / f"{mineral}.json"
    if not path.exists():
        raise StockpileError(f"no USGS MCS 2026 chapter bundled for {mineral!r}")
    return json.loads(path.read_text())


def _stat(ch: dict[str, Any], prefix: str) -> tuple[dict[str, float], str] | None:
    for s in ch.get("salient_stats", []):
        if str(s.get("label", "")).lower().startswith(prefix):
            vals = {k: v for k, v in s["values"].items() if v is not None}
            return vals, s["label"]
    return None


def us_demand_t(mineral: str) -> dict[str, Any]:
    """US consumption (t/year) of the chapter's latest year, with its source."""
    ch = chapter(mineral)
    got = _stat(ch, "consumption") or _stat(ch, "apparent consumption")
    if got is None:
        raise StockpileError(f"the USGS chapter of {mineral!r} gives no US consumption")
    vals, label = got
    year = ch.get("latest_year") if ch.get("latest_year") in vals else sorted(vals)[-1]
    scale = 1e-3 if "kilogram" in str(ch.get("units_note", "")).lower() else 1.0
    return {"value_t_per_year": float(vals[year]) * scale, "year": year, "label": label,
            "source": f"USGS {ch.get('edition', 'MCS 2026')} {ch.get('name', mineral)}: "
                      f"{label}, {year}", "url": ch.get("source_url")}


def annual_prices(mineral: str) -> dict[str, Any]:
    """The chapter's annual price series in USD per t (e.g. the import unit value)."""
    ch = chapter(mineral)
    q = (ch.get("price_quotes") or [None])[0]
    if not q:
        raise StockpileError(f"the USGS chapter of {mineral!r} gives no price series")
    note = str(q.get("unit_note", "")).lower()
    scale = 1e3 if "kilogram" in note else (2204.62 if "pound" in note else 1.0)
    years = sorted(k for k, v in q["values"].items() if v is not None)
    return {"years": years, "usd_per_t": [float(q["values"][y]) * scale for y in years],
            "source": f"USGS {ch.get('edition', 'MCS 2026')} {ch.get('name', mineral)}: "
                      f"{q.get('form')}", "url": ch.get("source_url")}


# -- suppliers -----------------------------------------------------------------------------

SUPPLIER_FIELDS = ("name", "country", "capacity_t_per_year", "lead_time_months")


def load_suppliers(mineral: str, path: str | Path | None = None) -> dict[str, Any]:
    """Candidate suppliers from a documented YAML file (the bundled one by default)."""
    file = (Path(path) if path
            else _ref_dir() / "stockpile" / f"{_slug(mineral)}_suppliers.yaml")
    if not file.exists():
        raise StockpileError(f"{file}: no supplier file (give one with --suppliers)")
    try:
        doc = yaml.safe_load(file.read_text())
    except yaml.YAMLError as exc:
        raise StockpileError(f"{file}: not valid YAML ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("suppliers"), list):
        raise StockpileError(f"{file}: expected a mapping with a 'suppliers' list")
    default_price = doc.get("price_usd_per_t")
    out, rows = [], []
    for i, row in enumerate(doc["suppliers"], start=1):
        if not isinstance(row, dict):
            raise StockpileError(f"{file}: supplier {i}: expected a mapping")
        for f in SUPPLIER_FIELDS:
            if row.get(f) in (None, ""):
                raise StockpileError(f"{file}: supplier {i}: field {f!r} is missing")
        price = row.get("price_usd_per_t", default_price)
        try:
            s = sp.Supplier(str(row["name"]), str(row["country"]).upper(),
                            float(row["capacity_t_per_year"]), float(price),
                            int(row["lead_time_months"]), float(row.get("min_order_t", 0.0)))
        except (TypeError, ValueError):
            raise StockpileError(f"{file}: supplier {i} ({row.get('name')!r}): capacity, "
                                 f"price and lead time must be numbers, got {row!r}") from None
        if s.capacity_t_per_year < 0 or s.price_usd_per_t <= 0 or s.lead_time_months < 0:
            raise StockpileError(f"{file}: supplier {i} ({s.name!r}): capacity and lead time "
                                 f"must be >= 0 and price > 0")
        out.append(s)
        rows.append({"name": s.name, "country": s.country,
                     "capacity_t_per_year": s.capacity_t_per_year,
                     "price_usd_per_t": s.price_usd_per_t,
                     "lead_time_months": s.lead_time_months,
                     "capacity_source": row.get("capacity_source"),
                     "price_source": row.get("price_source", doc.get("price_source")),
                     "lead_time_source": row.get("lead_time_source"),
                     "assumption": bool(row.get("assumption", False))})
    if not out:
        raise StockpileError(f"{file}: the 'suppliers' list is empty")
    return {"suppliers": out, "rows": rows, "file": file.name}


# -- inventory -----------------------------------------------------------------------------

def _expiry(lot: StockpileLot) -> dt.date | None:
    if lot.expires:
        return lot.expires
    if lot.acquired and lot.shelf_life_days:
        return lot.acquired + dt.timedelta(days=int(lot.shelf_life_days))
    return None


def inventory(session: Session, caller: Caller, mineral: str | None = None,
              as_of: dt.date | None = None, warn_days: int = 90) -> dict[str, Any]:
    """Visible lots (in t), the total held on ``as_of`` and lots expiring within
    ``warn_days`` flagged."""
    as_of = as_of or dt.date.today()
    q = select(StockpileLot).where(visible_clause(StockpileLot, caller),
                                   StockpileLot.deleted_at.is_(None))
    if mineral:
        q = q.where(StockpileLot.mineral == mineral)
    lots = []
    for lot in session.scalars(q.order_by(StockpileLot.id)):
        scale = UNIT_TO_T.get((lot.unit or "t").lower())
        if scale is None:
            raise StockpileError(f"stockpile lot {lot.id}: unit {lot.unit!r} is not a mass")
        exp = _expiry(lot)
        days = (exp - as_of).days if exp else None
        lots.append({"id": lot.id, "mineral": lot.mineral, "form": lot.form,
                     "quantity_t": float(lot.quantity) * scale, "location": lot.location,
                     "acquired": lot.acquired.isoformat() if lot.acquired else None,
                     "expires": exp.isoformat() if exp else None, "days_to_expiry": days,
                     "expired": days is not None and days <= 0,
                     "expiring_soon": days is not None and 0 < days <= warn_days,
                     "cost_usd": lot.cost_usd, "purity_pct": lot.purity_pct,
                     "supplier": lot.supplier, "supplier_country": lot.supplier_country,
                     "sharing": lot.sharing})
    held = sum(x["quantity_t"] for x in lots if not x["expired"])
    return {"as_of": as_of.isoformat(), "mineral": mineral, "lots": lots, "total_t": held,
            "expiring_soon": [x for x in lots if x["expiring_soon"]], "warn_days": warn_days}


def stockpile_lots_expiring(session: Session, view: Caller, mineral: str | None,
                            as_of: dt.date, days: int, sharing: str,
                            owner_org_id: int | None) -> list[dict[str, Any]]:
    """Lots ``view`` sees that expire within ``days`` of ``as_of``, restricted to lots at
    least as widely shared as an alert rule of ``sharing`` owned by ``owner_org_id``."""
    inv = inventory(session, view, mineral, as_of, warn_days=days)
    if sharing == "public":
        allowed: set[str] | None = {"public"}
    elif sharing == "partners":
        allowed = {"public", "partners"}
    else:
        allowed = None
    rows = {lot.id: lot for lot in session.scalars(select(StockpileLot).where(
        StockpileLot.id.in_([x["id"] for x in inv["lots"]])))}
    out = []
    for x in inv["lots"]:
        lot = rows[x["id"]]
        if allowed is not None and lot.sharing not in allowed:
            continue
        if sharing == "partners" and lot.sharing == "partners" and lot.owner_org_id != owner_org_id:
            continue
        if x["days_to_expiry"] is not None and 0 <= x["days_to_expiry"] <= days:
            out.append(x)
    return out


def _initial_lots(inv: dict[str, Any], shelf_life_months: int) -> list[tuple[float, int]]:
    """Lots as (t, age in months) for the plan: age = shelf life - months left."""
    out = []
    for x in inv["lots"]:
        if x["expired"]:
            continue
        left = (shelf_life_months if x["days_to_expiry"] is None
                else int(x["days_to_expiry"] // DAYS_PER_MONTH))
        if left >= 1:
            out.append((x["quantity_t"], max(0, shelf_life_months - min(left, shelf_life_months))))
    return out


def coverage_by_month(inv: dict[str, Any], demand_t: float, start: dt.date,
                      months: int) -> list[dict[str, Any]]:
    """Inventory and months of demand covered on the first of each of the ``months``
    months after ``start`` (lots held now, no purchases)."""
    dates = [_month(start.replace(day=1), m + 1) for m in range(months)]
    exp = np.array([np.datetime64(x["expires"]) if x["expires"] else np.datetime64("9999-12-31")
                    for x in inv["lots"]], dtype="datetime64[D]")
    q = np.array([x["quantity_t"] for x in inv["lots"]])
    d = np.array(dates, dtype="datetime64[D]")
    held = (q[None, :] * (exp[None, :] > d[:, None])).sum(axis=1) if q.size else np.zeros(months)
    cov = sp.coverage_months(held, demand_t)
    return [{"month": x.isoformat()[:7], "inventory_t": float(h), "coverage_months": float(c)}
            for x, h, c in zip(dates, held, cov, strict=True)]


def _month(start: dt.date, m: int) -> dt.date:
    y, mo = divmod(start.month - 1 + m, 12)
    return dt.date(start.year + y, mo + 1, 1)


# -- requirement ---------------------------------------------------------------------------

def requirement(mineral: str, *, months_of_demand: tuple[float, float] = (6.0, 12.0),
                horizon_months: float = 12.0, mitigations_t: float = 0.0,
                restricting_country: str = "CHN", seed: int = 0) -> dict[str, Any]:
    """Both sizing rules side by side with their inputs."""
    demand = us_demand_t(mineral)
    by_demand = [{"months": m, "requirement_t": sp.requirement_from_demand(
        demand["value_t_per_year"], m, mitigations_t)} for m in months_of_demand]
    shortfall: dict[str, Any] | None = None
    try:
        from critmin.services import scenario

        run = scenario.ban(mineral, restricting_country, seed=seed, n_draws=500)
        # the scenario's shortfall_t is the whole market's outside the restrictor; the US
        # loses the same share of its own consumption (the scenario engine's region rule)
        share = run["shortfall_share"]["central"]
        st = share * demand["value_t_per_year"]
        shortfall = {"restricting_country": restricting_country,
                     "shortfall_share": share, "shortfall_t_per_year": st,
                     "horizon_months": horizon_months,
                     "price_ratio": run["price_ratio"]["central"],
                     "requirement_t": sp.requirement_from_shortfall(st, horizon_months,
                                                                    mitigations_t),
                     "source": f"scenario engine: full {restricting_country} export ban, "
                               f"central of 500 draws, seed {seed}; US shortfall = the "
                               f"market's shortfall share x US consumption"}
    except ValueError as exc:  # no scenario defaults for this mineral
        shortfall = {"error": str(exc)}
    return {"mineral": mineral, "demand": demand, "mitigations_t": mitigations_t,
            "months_of_demand": by_demand, "shortfall": shortfall}


# -- the plan ------------------------------------------------------------------------------

RAMPS = ("step", "linear")


def _target_path(target_t: float, months: int, first: int = 0,
                 ramp: str = "step") -> np.ndarray:
    """``step``: ``target_t`` held in the last month (reached within the horizon);
    ``linear``: a straight ramp from 0 in month ``first`` (the first month anything ordered
    now can arrive) to ``target_t`` in the last month."""
    t = np.arange(months, dtype=float)
    if ramp == "step":
        return np.where(t == months - 1, float(target_t), 0.0)
    return target_t * np.clip((t - first + 1) / max(1, months - first), 0.0, 1.0)


def price_paths(mineral: str, n_paths: int, months: int, seed: int) -> dict[str, Any]:
    """Seeded monthly price multipliers ``(n_paths, months)`` (1 = today's price), a
    lognormal walk fitted to the USGS annual prices."""
    ap = annual_prices(mineral)
    mu, sigma = fit_annual(ap["usd_per_t"])
    paths = lognormal_paths(1.0, mu, sigma, n_paths, months, seed)
    return {"paths": paths, "mu": mu, "sigma": sigma,
            "method": f"lognormal walk fitted to {len(ap['years'])} annual prices "
                      f"({ap['years'][0]}-{ap['years'][-1]}) with fit_annual",
            "source": ap["source"]}


def make_plan(session: Session, caller: Caller, *, mineral: str, target_t: float, years: int,
              shelf_life_years: float, budget_usd: float | None = None,
              exclude_origins: list[str] | None = None, seed: int = 0, n_paths: int = 100,
              suppliers_file: str | Path | None = None, rotation_discount: float = 0.9,
              holding_cost_usd_per_t_month: float | None = None,
              disposal_cost_usd_per_t: float = 0.0,
              as_of: dt.date | None = None, disruption: bool = True,
              ramp: str = "step", max_path_months: int | None = None) -> dict[str, Any]:
    """The least-cost plan, its P10/P50/P90 cost over seeded price paths, the probability
    of meeting the target, and a disruption case."""
    if target_t < 0 or years < 1 or shelf_life_years <= 0 or not 1 <= n_paths <= 5000:
        raise StockpileError("target must be >= 0, years >= 1, shelf life > 0 and paths "
                             "between 1 and 5000")
    if max_path_months is not None and n_paths * years * 12 > max_path_months:
        raise StockpileError(f"{n_paths} price paths x {years * 12} months is more than "
                             f"{max_path_months:,} path-months; ask for fewer paths or years")
    if ramp not in RAMPS:
        raise StockpileError(f"ramp {ramp!r}: expected one of {', '.join(RAMPS)}")
    if budget_usd is not None and budget_usd < 0:
        raise StockpileError("budget must be >= 0")
    as_of = as_of or dt.date.today()
    start = _month(as_of.replace(day=1), 1)
    months = int(years * 12)
    life = max(1, int(round(shelf_life_years * 12)))
    sup = load_suppliers(mineral, suppliers_file)
    if holding_cost_usd_per_t_month is None:  # 2 % of the mean price a year (assumption)
        holding_cost_usd_per_t_month = HOLDING_SHARE_PER_YEAR * float(np.mean(
            [s.price_usd_per_t for s in sup["suppliers"]])) / 12
    inv = inventory(session, caller, mineral, as_of)
    excluded = sorted({c.upper() for c in exclude_origins or []})
    leads = [s.lead_time_months for s in sup["suppliers"] if s.country not in excluded]
    first = min(leads) if leads else 0
    inputs = sp.PlanInputs(
        months=months, target_t=_target_path(target_t, months, first, ramp),
        suppliers=sup["suppliers"],
        shelf_life_months=life,
        budget_usd=None if budget_usd is None else np.full(-(-months // 12), budget_usd),
        excluded_origins=set(excluded), initial_lots=_initial_lots(inv, life),
        rotation_discount=rotation_discount,
        holding_cost_usd_per_t_month=holding_cost_usd_per_t_month,
        disposal_cost_usd_per_t=disposal_cost_usd_per_t)
    try:
        res = sp.plan(inputs)
    except ValueError as exc:
        raise StockpileError(str(exc)) from None
    demand = us_demand_t(mineral)
    base = np.array([s.price_usd_per_t for s in sup["suppliers"]])
    pp = price_paths(mineral, n_paths, months, seed)
    many = sp.plan_many(inputs, base[None, :, None] * pp["paths"][:, None, :])
    cost = many["cost_usd"]
    out: dict[str, Any] = {
        "mineral": mineral, "start_month": start.isoformat()[:7], "months": months,
        "ramp": ramp,
        "feasible": res.feasible, "why_infeasible": res.why_infeasible,
        "target_t": [float(v) for v in inputs.target_t],
        "purchases": [_dated(p, start) for p in res.purchases],
        "rotations": [_dated(p, start) for p in res.rotations],
        "disposals": [_dated(p, start) for p in res.disposals],
        "cost_usd": {"deterministic": res.cost_usd, **_bands(cost)},
        "probability_meeting_target": float(many["feasible"].mean()),
        "inventory_t": [float(v) for v in res.inventory_t],
        "inventory_by_age": np.round(res.inventory_by_age, 6).tolist(),
        "coverage_months": [float(v) for v in sp.coverage_months(
            res.inventory_t, demand["value_t_per_year"])],
        "shelf_life_months": life, "excluded_origins": excluded,
        "budget_usd_per_year": budget_usd, "suppliers": sup["rows"],
        "initial_inventory_t": float(sum(q for q, _ in inputs.initial_lots)),
        "demand": demand,
        "uncertainty": {"n_paths": n_paths, "seed": seed, "method": pp["method"],
                        "mu": pp["mu"], "sigma": pp["sigma"], "source": pp["source"]},
        "assumptions": [
            {"name": "target path", "value": (
                f"{target_t:g} t held by month {months}" if ramp == "step" else
                f"straight ramp from 0 t in month {first + 1} (the shortest lead time) to "
                f"{target_t:g} t in month {months}"), "assumption": True},
            {"name": "rotation discount", "value": rotation_discount,
             "unit": "share of the cheapest eligible price recovered", "assumption": True},
            {"name": "holding cost", "value": holding_cost_usd_per_t_month,
             "unit": "USD per t-month (default: 2 % of the mean supplier price a year)",
             "assumption": True},
            {"name": "disposal cost", "value": disposal_cost_usd_per_t, "unit": "USD per t",
             "assumption": True},
            {"name": "suppliers", "value": sup["file"], "assumption": False}],
    }
    if disruption and excluded:
        out["disruption"] = _disruption(inputs, base, pp["paths"], mineral, excluded[0], seed)
    return out


def _bands(cost: np.ndarray) -> dict[str, float | None]:
    ok = cost[np.isfinite(cost)]
    if ok.size == 0:
        return {"p10": None, "p50": None, "p90": None}
    p10, p50, p90 = np.percentile(ok, [10, 50, 90])
    return {"p10": float(p10), "p50": float(p50), "p90": float(p90)}


def _disruption(inputs: sp.PlanInputs, base: np.ndarray, paths: np.ndarray, mineral: str,
                country: str, seed: int) -> dict[str, Any]:
    """The excluded origin's supply gone and prices scaled by the scenario's price ratio."""
    try:
        from critmin.services import scenario

        ratio = float(scenario.ban(mineral, country, seed=seed, n_draws=500)
                      ["price_ratio"]["central"])
        src = f"scenario engine: full {country} export ban, central price ratio"
    except ValueError as exc:
        return {"error": str(exc)}
    many = sp.plan_many(inputs, ratio * base[None, :, None] * paths[:, None, :])
    return {"restricting_country": country, "price_ratio": ratio, "source": src,
            "cost_usd": _bands(many["cost_usd"]),
            "probability_meeting_target": float(many["feasible"].mean())}


def _dated(row: dict[str, Any], start: dt.date) -> dict[str, Any]:
    out = {**row, "month_index": row["month"], "month": _month(start, row["month"]).isoformat()[:7]}
    if "arrival_month" in row:
        out["arrival_month"] = _month(start, row["arrival_month"]).isoformat()[:7]
    return out


# -- adequacy report -----------------------------------------------------------------------

def adequacy(session: Session, caller: Caller, *, mineral: str, target_t: float = 50.0,
             years: int = 5, shelf_life_years: float = 1.0, budget_usd: float | None = None,
             exclude_origins: list[str] | None = None, seed: int = 0, n_paths: int = 100,
             as_of: dt.date | None = None, max_path_months: int | None = None
             ) -> dict[str, Any]:
    """The annual stockpile-adequacy assessment: requirement, inventory, coverage,
    expiring lots, purchases and risks (one dict; :func:`render_html` draws it)."""
    as_of = as_of or dt.date.today()
    excl = exclude_origins if exclude_origins is not None else ["CHN"]
    inv = inventory(session, caller, mineral, as_of)
    req = requirement(mineral, seed=seed)
    demand = req["demand"]["value_t_per_year"]
    p = make_plan(session, caller, mineral=mineral, target_t=target_t, years=years,
                  shelf_life_years=shelf_life_years, budget_usd=budget_usd,
                  exclude_origins=excl, seed=seed, n_paths=n_paths, as_of=as_of,
                  max_path_months=max_path_months)
    first_year = [x for x in p["purchases"] if x["month_index"] < 12]
    risks = []
    if not p["feasible"]:
        risks.append(f"target not reachable: {p['why_infeasible']}")
    if p["probability_meeting_target"] < 0.9:
        risks.append(f"only {p['probability_meeting_target']:.0%} of price paths meet the "
                     "target within budget")
    if inv["expiring_soon"]:
        risks.append(f"{len(inv['expiring_soon'])} lot(s) expire within "
                     f"{inv['warn_days']} days")
    dis = p.get("disruption") or {}
    if dis.get("probability_meeting_target", 1.0) < p["probability_meeting_target"]:
        risks.append(f"under a {dis['restricting_country']} ban prices x"
                     f"{dis['price_ratio']:.2f}: {dis['probability_meeting_target']:.0%} "
                     "of paths meet the target")
    return {"mineral": mineral, "as_of": as_of.isoformat(), "year": as_of.year,
            "requirement": req, "target_t": target_t, "inventory": inv,
            "coverage_now_months": float(sp.coverage_months(np.array([inv["total_t"]]),
                                                            demand)[0]),
            "coverage_by_month": coverage_by_month(inv, demand, as_of, 12),
            "expiring_lots": inv["expiring_soon"], "purchases_next_year": first_year,
            "plan": p, "risks": risks}


def render_html(report: dict[str, Any]) -> str:
    """The adequacy report as a standalone HTML page (offline; chart as Plotly JSON)."""
    from critmin.web.stockpile_charts import report_html

    return report_html(report)
