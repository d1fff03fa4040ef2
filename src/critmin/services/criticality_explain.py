"""One criticality row: each indicator's value and the inputs behind it, each given,
derived or missing (with the reason); an indicator with a missing input is null."""

from __future__ import annotations

from typing import Any

import numpy as np

from critmin.services.criticality import LABELS, _inp, _num

BACI = "CEPII BACI HS92 (bundled), t gross weight as traded"
WGI = "World Bank Worldwide Governance Indicators"


def _status(parts: list[dict[str, Any]]) -> str | None:
    missing = [p for p in parts if p["status"] == "missing"]
    if not missing:
        return None
    return "; ".join(f"{p['name']}: {p.get('reason', 'missing')}" for p in missing)


def explain(i: int, m: str, values: dict[str, np.ndarray],
            ctx: dict[str, Any]) -> dict[str, Any]:  # fmt: skip
    """The JSON-ready row of mineral ``m`` (index ``i``)."""
    prod, inputs = ctx["prod"][m], ctx["inputs"].get(m, {})
    eu, usgs = inputs.get("eu") or {}, inputs.get("usgs") or {}
    gov_src = f"{WGI} {ctx['gov_year']}" if ctx["gov_year"] else None
    production = (_inp("world production shares", "derived", None, prod.get("source"),
                       note="; ".join(prod.get("notes") or []) or None)
                  if "values" in prod else
                  _inp("world production shares", "missing", reason=prod["missing"]))  # fmt: skip
    governance = (_inp("governance risk (WGI, mean of six, scaled 0-1)", "derived", None, gov_src)
                  if gov_src else _inp("governance risk", "missing",
                                       reason=f"no WGI year up to {ctx['year']}"))  # fmt: skip
    pv = (_inp("governance risk (WGI political stability, scaled 0-1)", "derived", None, gov_src)
          if gov_src else governance)  # fmt: skip
    state, why, stale = ctx["trade"][i]
    trade_source = (inputs.get("imports_source") or "inputs file" if state == "given"
                    else ctx["proxy"].get(m, BACI))  # fmt: skip
    trade = _inp(f"imports into {ctx['region_label']} by exporter", state,
                 _num(ctx["imports_total"][i]) if state != "missing" else None,
                 trade_source if state != "missing" else None, reason=why)  # fmt: skip
    given = ctx["reliance_given"].get(m)
    if given:
        reliance = _inp("net import reliance", "given", given["value"],
                        f"USGS Mineral Commodity Summaries ({given['measure']})",
                        note=given["note"])  # fmt: skip
    elif state == "missing" or "values" not in prod:
        reliance = _inp("net import reliance", "missing",
                        reason=why or prod.get("missing"))  # fmt: skip
    else:
        reliance = _inp("net import reliance", "derived", _num(values["import_reliance"][i]),
                        f"USGS production + {BACI}",
                        note="trade is gross weight, production is contained metal: indicative")

    def given_or_missing(name: str, group: dict[str, Any], key: str, what: str) -> dict:
        if group.get(key) is not None:
            return _inp(name, "given", group[key], group.get("source") or "inputs file")
        return _inp(name, "missing", reason=f"not bundled: give {what} in the inputs file")

    eol = given_or_missing("EOL-RIR", eu, "eol_rir", "eu.eol_rir")
    si_sr = given_or_missing("substitution index SI_SR", eu, "si_sr", "eu.si_sr")
    si_ei = given_or_missing("substitution index SI_EI", eu, "si_ei", "eu.si_ei")
    end_use = (_inp("end-use shares x value added by NACE sector", "given", eu["end_use"],
                    eu.get("source") or "inputs file") if eu.get("end_use") else
               _inp("end-use shares x value added by NACE sector", "missing",
                    reason="not bundled: give eu.end_use in the inputs file"))  # fmt: skip
    q_max = given_or_missing("largest manufacturing sector value added", eu,
                             "largest_sector_value_added", "eu.largest_sector_value_added")
    t = _inp("trade-adjustment factors t", "given" if eu.get("trade_adjustment") else "derived",
             eu.get("trade_adjustment") or {}, None if eu.get("trade_adjustment") else
             "default t = 1 (no export restriction recorded)")  # fmt: skip
    ev = given_or_missing("economic vulnerability", usgs, "economic_vulnerability",
                          "usgs.economic_vulnerability")
    hhi_gs = _inp("HHI_WGI,t global supply", production["status"], _num(ctx["hhi_gs"][i]))
    hhi_src = _inp(f"HHI_WGI,t {ctx['region_label']} sourcing", trade["status"],
                   _num(ctx["hhi_src"][i]), reason=trade.get("reason"))  # fmt: skip
    parts = {
        "hhi": [production],
        "import_reliance": [reliance],
        "governance_weighted_hhi": [production, governance],
        "eu_supply_risk": [hhi_gs, governance, t, hhi_src, reliance, eol, si_sr],
        "eu_economic_importance": [end_use, q_max, si_ei],
        "usgs_supply_risk": [production, governance, reliance, ev],
        "geopolrisk": [production, pv, trade],
    }
    row: dict[str, Any] = {"mineral": m, "mineral_label": ctx["catalogue"][m],
                           "region": ctx["region"], "region_label": ctx["region_label"],
                           "year": ctx["year"]}  # fmt: skip
    inputs_out = {}
    for key, items in parts.items():
        reason = _status(items)
        value = None if reason else _num(values[key][i])
        if value is None and not reason:
            reason = ctx["unscored"].get(m) or ("not computable: an input has no value (an "
                                                "exporter or producer without a governance "
                                                "score, or a zero total)")  # fmt: skip
        row[key] = value
        inputs_out[key] = {"label": LABELS[key][0], "unit": LABELS[key][1], "value": value,
                           "reason": None if value is not None else reason,
                           "inputs": items}  # fmt: skip
    ei, sr = row["eu_economic_importance"], row["eu_supply_risk"]
    row["eu_critical"] = None if ei is None or sr is None else bool(ei >= 2.8 and sr >= 1.0)
    row["geopolrisk_hhi"] = None if row["geopolrisk"] is None else _num(ctx["g_hhi"][i])
    row["geopolrisk_import_risk"] = None if row["geopolrisk"] is None else _num(ctx["g_risk"][i])
    row["stale_trade"] = [{"hs6": hs, "last_year": y} for hs, y in sorted(stale.items())]
    row["governance_year"] = ctx["gov_year"]
    row["inputs"] = inputs_out
    return row
