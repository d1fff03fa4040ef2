"""Criticality assessment per mineral for a region: production HHI, net import
reliance, governance-weighted concentration, the EU CRM supply risk and economic
importance, a USGS-2021-style supply risk and GeoPolRisk.

Inputs come from the stored reference data (USGS world production tables in
``production_stats``, CEPII BACI in ``trade_flows``, WGI in ``governance_indicators``),
all public; inputs critmin does not bundle come from a criticality input file
(:mod:`critmin.services.criticality_inputs`). Every indicator lists its inputs, each
``given`` (from the file or a published figure), ``derived`` (computed from stored
data) or ``missing`` with the reason; an indicator with a missing input is null,
never zero. A trade code with no rows in the requested year is flagged as stale.
"""

from __future__ import annotations

import contextlib
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from critmin.analytics import criticality as crit
from critmin.domain.countries import country_name
from critmin.domain.units import UnitError, convert_mass
from critmin.services import access
from critmin.services.auth import Caller
from critmin.services.criticality_inputs import read_geopolrisk_csv
from critmin.services.stats import StatsNotFound, production_shares
from critmin.services.tracker import InvalidRecord
from critmin.services.trade_balance import hs_codes_for
from critmin.store.tables import GovernanceIndicator, MineralRow, ProductionStat, TradeFlow

EU27 = ("AUT", "BEL", "BGR", "HRV", "CYP", "CZE", "DNK", "EST", "FIN", "FRA", "DEU", "GRC",
        "HUN", "IRL", "ITA", "LVA", "LTU", "LUX", "MLT", "NLD", "POL", "PRT", "ROU", "SVK",
        "SVN", "ESP", "SWE")  # fmt: skip
REGIONS = {"EU": ("European Union (27)", EU27)}
WGI_ALL = ("CC", "GE", "PV", "RL", "RQ", "VA")
INDICATORS = ("hhi", "import_reliance", "governance_weighted_hhi", "eu_supply_risk",
              "eu_economic_importance", "usgs_supply_risk", "geopolrisk")  # fmt: skip
LABELS = {
    "hhi": ("Production concentration (HHI)", "0-1"),
    "import_reliance": ("Net import reliance", "fraction of apparent consumption"),
    "governance_weighted_hhi": ("Governance-weighted concentration", "0-1"),
    "eu_supply_risk": ("EU supply risk", "index (critical at >= 1.0)"),
    "eu_economic_importance": ("EU economic importance", "index 0-10 (critical at >= 2.8)"),
    "usgs_supply_risk": ("USGS-style supply risk", "0-1"),
    "geopolrisk": ("GeoPolRisk score", "0-1"),
}


def _bad(field: str, problem: str) -> InvalidRecord:
    return InvalidRecord([{"field": field, "problem": problem}])


def resolve_region(region: str) -> tuple[str, str, tuple[str, ...]]:
    """(code, label, member ISO3 codes) of an ISO3 country or a group (``EU``)."""
    code = (region or "").strip().upper()
    if code in REGIONS:
        label, members = REGIONS[code]
        return code, label, members
    try:
        return code, country_name(code), (code,)
    except Exception:  # noqa: BLE001 - any unknown code is a bad request
        raise _bad("region", f"an ISO3 country code or EU, not {region!r}") from None


def _governance(session: Session, year: int) -> tuple[pd.DataFrame, int | None]:
    """Risk (0..1) per country: ``pv`` (political stability) and ``all`` (mean of the six),
    from the latest WGI year not after ``year``."""
    g = GovernanceIndicator
    used = session.scalar(select(func.max(g.year)).where(g.year <= year, g.estimate.is_not(None)))
    if used is None:
        return pd.DataFrame(columns=["pv", "all"]), None
    rows = session.execute(select(g.iso3, g.indicator, g.estimate).where(
        g.year == used, g.indicator.in_(WGI_ALL))).all()  # fmt: skip
    wide = pd.DataFrame(rows, columns=["iso3", "indicator", "estimate"]).pivot_table(
        index="iso3", columns="indicator", values="estimate", aggfunc="first")
    frame = pd.DataFrame({"pv": crit.governance_risk(wide.get("PV", np.nan)),
                          "all": crit.governance_risk(wide.reindex(columns=list(WGI_ALL))
                                                      .mean(axis=1, skipna=False))},
                         index=wide.index)  # fmt: skip
    return frame, int(used)


def _reliance_given(session: Session, mineral: str, year: int) -> dict[str, Any] | None:
    """USGS's published US net import reliance (percent) for ``year``, if any."""
    s = ProductionStat
    rows = session.execute(select(s.measure, s.value, s.raw_value).where(
        s.mineral == mineral, s.year == year, s.measure.like("net_import_reliance%"))
        .order_by(s.measure)).all()  # fmt: skip
    if not rows:
        return None
    measure, value, raw = next((r for r in rows if r[0] == "net_import_reliance"), rows[0])
    if raw == "E":
        return {"value": 0.0, "measure": measure, "note": "USGS: net exporter (E)"}
    if value is None:
        return None
    note = f"lower bound (USGS gives {raw}%)" if raw and raw[0] in "><" else None
    return {"value": float(value) / 100.0, "measure": measure, "note": note}


def _usgs_import_shares(session: Session, minerals: list[str],
                        year: int) -> dict[str, dict[str, Any]]:  # fmt: skip
    """Per mineral, USGS's US import sources (shares of imports by country, ``other`` for
    the rest; normalised to sum to 1) of the latest period ending by ``year``."""
    s = ProductionStat
    rows = session.execute(select(s.mineral, s.measure, s.country, s.year, s.year_start,
                                  s.value).where(
        s.mineral.in_(minerals), s.measure.like("import_share:%"), s.year <= year,
        s.value.is_not(None))).all()  # fmt: skip
    frame = pd.DataFrame(rows, columns=["mineral", "measure", "country", "year", "start",
                                        "value"])  # fmt: skip
    out: dict[str, dict[str, Any]] = {}
    for mineral, group in frame.groupby("mineral"):
        latest = group[group["year"] == group["year"].max()]
        names = sorted(latest["measure"].unique())
        pick = next((n for n in names if n == "import_share:all"), None) or next(
            (n for n in names if "total" in n or "combined" in n), names[0])
        chosen = latest[latest["measure"] == pick]
        values = chosen["value"].to_numpy(dtype=float)
        shares = dict(zip(chosen["country"].fillna("other"), values / values.sum(), strict=True))
        first, last = chosen["start"].min(), chosen["year"].max()
        period = f"{int(first)}–{int(last)}" if pd.notna(first) else str(int(last))
        category = pick.split(":", 1)[1].replace("_", " ")
        out[str(mineral)] = {"shares": shares, "source": (
            f"USGS Mineral Commodity Summaries, US import sources {period} ({category}), "
            f"average shares scaled to USGS net import reliance; 'other' counted at "
            f"governance risk 0.5; stated shares summed to {values.sum():.0f} %")}
    return out


def _trade(session: Session, codes: dict[str, list[str]], members: tuple[str, ...],
           year: int) -> tuple[pd.DataFrame, pd.Series, dict[str, int]]:  # fmt: skip
    """Imports into the region by (mineral, exporter), exports from it by mineral (t,
    gross weight) and the last year with rows of each HS code."""
    hs_to = {hs: m for m, hs_list in codes.items() for hs in hs_list}
    t = TradeFlow.__table__.c
    last = dict(session.execute(select(t.hs6, func.max(t.year)).where(
        t.hs6.in_(list(hs_to))).group_by(t.hs6)).all()) if hs_to else {}  # fmt: skip
    stmt = select(t.hs6, t.exporter, t.importer, t.quantity_t).where(
        t.hs6.in_(list(hs_to)), t.year == year)
    flows = pd.DataFrame(session.execute(stmt).all() if hs_to else [],
                         columns=["hs6", "exporter", "importer", "quantity_t"])  # fmt: skip
    flows["mineral"] = flows["hs6"].map(hs_to)
    into = flows[flows["importer"].isin(members)]
    imports = into.groupby(["mineral", "exporter"])["quantity_t"].sum(min_count=1).unstack(
        fill_value=0.0) if len(into) else pd.DataFrame()  # fmt: skip
    out = flows[flows["exporter"].isin(members) & ~flows["importer"].isin(members)]
    exports = out.groupby("mineral")["quantity_t"].sum()
    return imports, exports, {k: int(v) for k, v in last.items()}


def _inp(name: str, status: str, value: Any = None, source: str | None = None,
         reason: str | None = None, note: str | None = None) -> dict[str, Any]:  # fmt: skip
    out = {"name": name, "status": status, "value": value, "source": source}
    if reason:
        out["reason"] = reason
    if note:
        out["note"] = note
    return out


def _num(x: Any) -> float | None:
    return None if x is None or not np.isfinite(x) else float(x)


def _production(session: Session, minerals: list[str], year: int) -> dict[str, dict[str, Any]]:
    """Per mineral: the USGS world production table of ``year`` (shares, unit, world total)
    or the reason there is none."""
    out: dict[str, dict[str, Any]] = {}
    for code in minerals:
        try:
            table = production_shares(session=session, mineral=code, year=year)
        except StatsNotFound as exc:
            out[code] = {"missing": f"no USGS world production table: {exc}"}
            continue
        out[code] = {"values": {s["country"]: s["value"] for s in table["shares"]},
                     "world": table["world_total"], "unit": table["unit"],
                     "source": (table["sources"] or [{}])[0].get("title"),
                     "notes": table["notes"], "other_share": table["other_share"]}  # fmt: skip
    return out


def _frame(rows: dict[str, dict[str, float]], index: list[str], columns: list[str]) -> np.ndarray:
    frame = pd.DataFrame.from_dict(rows, orient="index") if rows else pd.DataFrame()
    return frame.reindex(index=index, columns=columns).to_numpy(dtype=float)


def assess(*, session: Session, caller: Caller, region: str, year: int,
           inputs: dict[str, dict[str, Any]] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Every indicator for every catalogue mineral, for ``region`` (ISO3 or EU) in ``year``,
    each with the inputs behind it (JSON-ready). ``inputs``: from
    :func:`~critmin.services.criticality_inputs.load_inputs`."""
    access.check_caller(caller)
    code, label, members = resolve_region(region)
    if not 1990 <= int(year) <= 2100:
        raise _bad("year", f"a year from 1990 to 2100, not {year!r}")
    inputs = inputs or {}
    catalogue = {r.code: r.name for r in session.scalars(select(MineralRow))}
    unknown = sorted(set(inputs) - set(catalogue))
    if unknown:
        raise _bad("inputs", f"minerals of the catalogue ({', '.join(sorted(catalogue))}), "
                             f"not {', '.join(unknown)}")  # fmt: skip
    minerals = sorted(catalogue)
    prod = _production(session, minerals, year)
    gov, gov_year = _governance(session, year)
    codes = {m: [c["hs6"] for c in hs_codes_for(m, catalogue[m])] for m in minerals}
    imports, exports, last = _trade(session, codes, members, year)
    given_imports = {m: e["imports"] for m, e in inputs.items() if e.get("imports")}
    reliance_given = {m: r for m in minerals
                      if code == "USA" and (r := _reliance_given(session, m, year))}  # fmt: skip
    proxies = _usgs_import_shares(session, minerals, year) if code == "USA" else {}
    countries = sorted({c for p in prod.values() for c in p.get("values", {})}
                       | set(imports.columns) | {c for v in given_imports.values() for c in v}
                       | {c for v in proxies.values() for c in v["shares"]}
                       | set(members))  # fmt: skip
    col = {c: i for i, c in enumerate(countries)}
    in_region = np.isin(countries, members)
    P = _frame({m: p["values"] for m, p in prod.items() if "values" in p}, minerals, countries)
    world = np.array([prod[m].get("world", np.nan) for m in minerals], dtype=float)
    S = np.nan_to_num(P, nan=0.0) / world[:, None]
    risk_pv = gov["pv"].reindex(countries).to_numpy(dtype=float)
    risk_all = gov["all"].reindex(countries).to_numpy(dtype=float)
    # trade in the mineral's unit (BACI is t gross weight; given imports are in that unit)
    factor = np.full(len(minerals), np.nan)
    for i, m in enumerate(minerals):
        with contextlib.suppress(UnitError):
            factor[i] = convert_mass(1.0, "t", prod[m].get("unit", "t"))
    baci = imports.reindex(index=minerals, columns=countries).to_numpy(dtype=float)
    baci = np.nan_to_num(baci, nan=0.0) * factor[:, None]
    given = _frame(given_imports, minerals, countries)
    use_given = np.array([m in given_imports for m in minerals])
    imp = np.where(use_given[:, None], np.nan_to_num(given, nan=0.0), baci)
    exp = exports.reindex(minerals).fillna(0.0).to_numpy(dtype=float) * factor
    own = np.where(in_region[None, :], np.nan_to_num(P, nan=0.0), 0.0).sum(axis=1)
    trade_state = []
    for i, m in enumerate(minerals):
        stale = {hs: last.get(hs) for hs in codes[m] if last.get(hs, 0) < year}
        if use_given[i]:
            trade_state.append(("given", None, stale))
        elif not codes[m]:
            trade_state.append(("missing", "no HS code for it in the bundled BACI subset; give "
                                           "its imports in the inputs file", stale))  # fmt: skip
        elif len(stale) == len(codes[m]):
            trade_state.append(("missing", "stale trade data: " + ", ".join(
                f"HS {hs} has no rows after {y}" if y else f"HS {hs} has no rows"
                for hs, y in stale.items()), stale))
        elif np.isnan(factor[i]):
            trade_state.append(("missing", f"trade in t cannot be put in {prod[m].get('unit')}",
                                stale))  # fmt: skip
        else:
            trade_state.append(("derived", None, stale))
    # no usable BACI trade for the US: USGS's import sources, scaled so that imports /
    # (imports + production) is USGS's net import reliance
    own_g = own.copy()
    own_cols = np.where(in_region[None, :], np.nan_to_num(P, nan=0.0), 0.0)
    used_proxy: dict[str, str] = {}
    for i, m in enumerate(minerals):
        if trade_state[i][0] == "missing" and m in proxies and m in reliance_given:
            r = min(max(reliance_given[m]["value"], 0.0), 1.0)
            imp[i] = np.array([proxies[m]["shares"].get(c, 0.0) for c in countries]) * r
            own_g[i] = 1.0 - r
            own_cols[i] = in_region * (1.0 - r)
            used_proxy[m] = proxies[m]["source"]
            trade_state[i] = ("derived", None, trade_state[i][2])
    has_trade = np.array([s[0] != "missing" for s in trade_state])
    has_prod = np.array(["values" in prod[m] for m in minerals])
    # indicators, vectorised over minerals
    hhi = np.where(has_prod, crit.governance_weighted_hhi(S, 1.0), np.nan)
    derived_nir = crit.net_import_reliance(own, imp.sum(axis=1), exp)
    nir = np.array([reliance_given[m]["value"] if m in reliance_given
                    else (derived_nir[i] if has_trade[i] and has_prod[i] else np.nan)
                    for i, m in enumerate(minerals)])  # fmt: skip
    gw = np.where(has_prod, crit.governance_weighted_hhi(S, risk_all), np.nan)
    t = np.ones_like(S)
    for m, e in inputs.items():
        for iso, v in (e.get("eu", {}).get("trade_adjustment") or {}).items():
            if iso in col and v is not None:
                t[minerals.index(m), col[iso]] = v
    hhi_gs = crit.hhi_wgi_t(S, risk_all, t)
    sourcing = np.where(in_region[None, :], own_cols, imp)
    with np.errstate(invalid="ignore", divide="ignore"):
        src_shares = sourcing / sourcing.sum(axis=1, keepdims=True)
    hhi_src = crit.hhi_wgi_t(np.nan_to_num(src_shares, nan=0.0), risk_all, t)
    hhi_src = np.where(has_trade & (sourcing.sum(axis=1) > 0), hhi_src, np.nan)

    def eu(key: str) -> np.ndarray:
        return np.array([_get(inputs, m, "eu", key) for m in minerals], dtype=float)

    ir = np.clip(nir, 0.0, 1.0)
    sr = crit.eu_supply_risk(hhi_gs, hhi_src, ir, eu("eol_rir"), eu("si_sr"))
    sectors = sorted({s["sector"] for e in inputs.values()
                      for s in e.get("eu", {}).get("end_use") or []})  # fmt: skip
    A = _frame({m: {s["sector"]: s["share"] for s in e["eu"]["end_use"]} for m, e in inputs.items()
                if e.get("eu", {}).get("end_use")}, minerals, sectors)  # fmt: skip
    Q = _frame({m: {s["sector"]: s["value_added"] for s in e["eu"]["end_use"]}
                for m, e in inputs.items() if e.get("eu", {}).get("end_use")},
               minerals, sectors)  # fmt: skip
    has_eu = ~np.isnan(A).all(axis=1) if sectors else np.zeros(len(minerals), dtype=bool)
    ei = np.where(has_eu, crit.eu_economic_importance(np.nan_to_num(A, nan=0.0), Q,
                                                       eu("largest_sector_value_added"),
                                                       eu("si_ei")), np.nan)  # fmt: skip
    ev = np.array([_get(inputs, m, "usgs", "economic_vulnerability") for m in minerals],
                  dtype=float)  # fmt: skip
    usgs = crit.usgs_supply_risk(gw, nir, ev)
    g_hhi, g_risk, g_score = crit.geopolrisk(np.nan_to_num(P, nan=0.0), imp, risk_pv, own_g,
                                             in_region, world)  # fmt: skip
    ok = has_prod & has_trade
    g_hhi, g_risk, g_score = (np.where(ok, x, np.nan) for x in (g_hhi, g_risk, g_score))
    values = {"hhi": hhi, "import_reliance": nir, "governance_weighted_hhi": gw,
              "eu_supply_risk": sr, "eu_economic_importance": ei, "usgs_supply_risk": usgs,
              "geopolrisk": g_score}  # fmt: skip
    from critmin.services.criticality_explain import explain

    context = {"region": code, "region_label": label, "members": members, "year": year,
               "gov_year": gov_year, "prod": prod, "inputs": inputs, "trade": trade_state,
               "reliance_given": reliance_given, "catalogue": catalogue,
               "hhi_gs": hhi_gs, "hhi_src": hhi_src, "ir": ir, "ev": ev,
               "unscored": _unscored(minerals, countries, P, risk_all), "g_hhi": g_hhi,
               "g_risk": g_risk, "imports_total": imp.sum(axis=1), "proxy": used_proxy}
    return [explain(i, m, values, context) for i, m in enumerate(minerals)]


def _unscored(minerals: list[str], countries: list[str], P: np.ndarray,
              risk: np.ndarray) -> dict[str, str]:  # fmt: skip
    """Per mineral, the producing countries without a governance score, in words."""
    gap = (np.nan_to_num(P, nan=0.0) > 0) & np.isnan(risk)[None, :]
    rows, cols = np.nonzero(gap)
    out: dict[str, list[str]] = {}
    for r, c in zip(rows, cols, strict=True):
        out.setdefault(minerals[r], []).append(countries[c])
    return {m: "no WGI score for producing " + ", ".join(v) for m, v in out.items()}


def _get(inputs: dict[str, dict[str, Any]], mineral: str, group: str, key: str) -> float:
    value = (inputs.get(mineral, {}).get(group) or {}).get(key)
    return np.nan if value is None else float(value)


def geopolrisk_from_files(*, importer: str, production: tuple[str, str],
                          imports: tuple[str, str],
                          governance: tuple[str, str]) -> dict[str, Any]:  # fmt: skip
    """GeoPolRisk from three explicit CSV files, each ``(text, file name)``: production
    (country,quantity), the importer's imports (exporter,quantity) and governance
    (country,score on 0..1, 1 the highest risk). -> {hhi, import_risk, score, ...}."""
    p = read_geopolrisk_csv(*production, "production")
    q = read_geopolrisk_csv(*imports, "imports")
    g = read_geopolrisk_csv(*governance, "governance")
    return geopolrisk_from_values(importer=importer, production=p, imports=q, governance=g)


def geopolrisk_from_values(*, importer: str, production: dict[str, float],
                           imports: dict[str, float],
                           governance: dict[str, float]) -> dict[str, Any]:  # fmt: skip
    """GeoPolRisk of ``importer`` from {ISO3: quantity} production and imports and
    {ISO3: score 0..1} governance (public inputs only; no stored data is read)."""
    code, _, members = resolve_region(importer)
    for field, table in (("production", production), ("imports", imports),
                         ("governance", governance)):  # fmt: skip
        for iso in table:
            try:
                country_name(iso)
            except Exception:  # noqa: BLE001 - any unknown code is a bad request
                raise _bad(field, f"ISO3 country codes, not {iso!r}") from None
    if not production or sum(production.values()) <= 0:
        raise _bad("production", "at least one country with a positive quantity")
    p, q, g = production, imports, governance
    countries = sorted(set(p) | set(q))
    pv = np.array([p.get(c, 0.0) for c in countries])
    qv = np.array([q.get(c, 0.0) for c in countries])
    gv = np.array([g.get(c, np.nan) for c in countries])
    own = sum(p.get(m, 0.0) for m in members)
    h, risk, score = crit.geopolrisk(pv, qv, gv, [own], np.isin(countries, members))
    unscored = sorted(c for c in q if c not in g and c not in members)
    return {"importer": code, "hhi": float(h[0]), "import_risk": float(risk[0]),
            "score": float(score[0]), "domestic_production": own,
            "exporters_without_score": unscored,
            "notes": ["an exporter without a governance score counts 0.5, as in geopolrisk-py"]
            if unscored else []}  # fmt: skip
