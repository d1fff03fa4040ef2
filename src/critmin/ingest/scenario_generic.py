"""Market-stage inputs for a restriction by any major producer of any bundled mineral,
derived from the USGS Mineral Commodity Summaries 2026 world-production tables.

A curated defaults file (``scenario_defaults/<mineral>.yaml``) describes one mineral and
one restricting country carefully; the *generic* inputs here let a sweep cover every
mineral x every major producer the way USGS OFR 2025-1047 covered its commodity list.
For a producer R with production ``P_R`` of a world total ``W`` (latest year):

- ``production_other = W - P_R`` (sourced);
- ``exports = export_share x P_R`` and ``consumption = production_other + exports``
  (outside R; the central ``export_share`` is :data:`GENERIC_ASSUMPTIONS`'
  ``export_share``; USGS gives no exports by producing country, so this is an
  assumption with a range, and the balance ignores secondary supply);
- ``capacity_other``: USGS capacity of the other producers where the table gives it for
  every one of them, else ``production_other x (1 + spare_capacity)`` (assumption);
- ``idle_capacity``: USGS capacity of countries that produced nothing; else 0;
- elasticities, restart and stocks: the same documented ranges as the curated gallium
  file (all analyst assumptions).

Quantities are converted to tonnes of the chapter's content basis. Each case says which
figures are sourced and which are assumed; nothing here is tuned to a published result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from critmin.domain.countries import UnknownCountry, to_iso3
from critmin.ingest.datasets import REFERENCE_DIR
from critmin.ingest.usgs import unit_from_note

USGS_DIR = REFERENCE_DIR / "usgs-mcs2026"
TONNES_PER_UNIT = {"kg": 0.001, "t": 1.0, "kt": 1000.0, "t REO": 1.0}
MAJOR_SHARE = 0.10
"""A producer with at least this share of world production is a *major producer*."""

GENERIC_ASSUMPTIONS: dict[str, dict[str, Any]] = {
    "export_share": {"value": 0.6, "low": 0.3, "high": 0.9, "unit": "share of output",
                     "source": "analyst assumption: share of the restricting producer's "
                               "output sold abroad (USGS MCS gives no exports by "
                               "producing country)"},
    "spare_capacity": {"value": 0.15, "low": 0.05, "high": 0.3, "unit": "share of output",
                       "source": "analyst assumption: spare operating capacity of the other "
                                 "producers where USGS gives no capacity"},
    "demand_elasticity": {"value": -0.5, "low": -0.9, "high": -0.2, "unit": "",
                          "source": "analyst assumption: short-run price elasticity of "
                                    "demand (the curated gallium range, used for every "
                                    "mineral)"},
    "supply_elasticity": {"value": 0.5, "low": 0.2, "high": 1.0, "unit": "",
                          "source": "analyst assumption: short-run supply elasticity of the "
                                    "other producers, capped by their capacity"},
    "idle_available": {"value": 0.3, "low": 0.1, "high": 0.6, "unit": "share",
                       "source": "analyst assumption: share of idle capacity that can "
                                 "restart"},
    "response_speed": {"value": 0.3, "low": 0.1, "high": 0.6, "unit": "share per year",
                       "source": "analyst assumption: share of restartable idle capacity "
                                 "brought back each year"},
    "stock_months": {"value": 3.0, "low": 1.0, "high": 6.0, "unit": "months of consumption",
                     "source": "analyst assumption: commercial stocks outside the producer"},
}
"""Documented assumptions of the generic inputs, each with a range for the Monte Carlo."""

FIXED = {"price": 1.0, "stock_draw": 0.5, "diversion": 1.0, "choke": 20.0}
"""Fixed parameters: price 1 (results are ratios), at most half the stocks drawn a year,
a destination-specific ban diverted in full, demand rationed above 20x the price."""


@dataclass(frozen=True)
class ProducerCase:
    """One mineral and one restricting producer with its market inputs."""

    mineral: str
    country: str
    country_name: str
    production_share: float
    basis: str
    params: dict[str, float]
    uncertain: dict[str, tuple[float, float, float]]
    assumptions: list[dict[str, Any]] = field(default_factory=list)
    sums: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """A mineral or producer a sweep leaves out, and why."""

    mineral: str
    country: str | None
    reason: str


def _chapter(mineral: str) -> dict[str, Any]:
    return json.loads((USGS_DIR / f"{mineral}.json").read_text(encoding="utf-8"))


def minerals() -> list[str]:
    """Minerals with a bundled USGS chapter."""
    return sorted(p.stem for p in USGS_DIR.glob("*.json"))


def _rows(chapter: dict[str, Any]) -> list[tuple[str, float, float | None]]:
    out = []
    for r in chapter.get("world_production", []):
        name = str(r.get("country", ""))
        if name.lower().startswith("world"):
            continue
        out.append((name, float(r.get("production_latest_year") or 0.0), r.get("capacity")))
    return out


def _tri(spec: dict[str, Any], scale: float = 1.0) -> tuple[float, float, float]:
    return (spec["low"] * scale, spec["value"] * scale, spec["high"] * scale)


def producer_case(mineral: str, country: str, chapter: dict[str, Any] | None = None,
                  source_path: Path | None = None) -> ProducerCase:
    """Generic inputs for a restriction of ``mineral`` by ``country`` (ISO3). ValueError
    when the chapter has no production for it."""
    chapter = chapter or _chapter(mineral)
    unit = unit_from_note(str(chapter.get("units_note", "")))
    to_t = TONNES_PER_UNIT[unit]
    rows = _rows(chapter)
    world = sum(p for _, p, _ in rows)
    iso = {}
    for name, _, _ in rows:
        try:
            iso[name] = to_iso3(name)
        except UnknownCountry:
            continue
    mine = [n for n in iso if iso[n] == country.upper()]
    if not mine or world <= 0:
        raise ValueError(f"no {mineral} production for {country!r} in the USGS MCS 2026 "
                         f"table '{chapter.get('world_production_label', '')}'")
    p_r = sum(p for n, p, _ in rows if n in mine)
    if p_r <= 0:
        raise ValueError(f"{country} produced no {mineral} in {chapter.get('latest_year')}")
    others = [(n, p, c) for n, p, c in rows if n not in mine]
    p_o = sum(p for _, p, _ in others)
    running = [(p, c) for _, p, c in others if p > 0]
    capacity_given = bool(running) and all(c is not None for _, c in running)
    idle = sum(float(c or 0.0) for _, p, c in others if p == 0) * to_t
    a = GENERIC_ASSUMPTIONS
    exp_c = a["export_share"]["value"] * p_r * to_t
    consumption = p_o * to_t + exp_c
    label = chapter.get("world_production_label", "world production")
    year = str(chapter.get("latest_year", ""))
    src = f"USGS MCS 2026 {mineral}, {label}, {year}"
    params = {**FIXED, "production_other": p_o * to_t, "exports": exp_c,
              "consumption": consumption, "idle_capacity": idle}
    uncertain = {k: _tri(a[k]) for k in ("demand_elasticity", "supply_elasticity",
                                          "idle_available", "response_speed")}
    uncertain["exports"] = _tri(a["export_share"], p_r * to_t)
    uncertain["stocks"] = _tri(a["stock_months"], consumption / 12.0)
    if capacity_given:
        params["capacity_other"] = max(sum(float(c) for _, c in running) * to_t,
                                       p_o * to_t)
        cap_src, cap_assumed = f"{src}: capacity of the other producers", False
    else:
        uncertain["capacity_other"] = _tri(
            {k: 1.0 + a["spare_capacity"][k] for k in ("low", "value", "high")}, p_o * to_t)
        cap_src, cap_assumed = (f"production of the other producers x (1 + spare capacity); "
                                f"{a['spare_capacity']['source']}"), True
    for k in ("demand_elasticity", "supply_elasticity", "idle_available", "response_speed",
              "exports", "stocks", "capacity_other"):
        if k in uncertain:
            params[k] = uncertain[k][1]
    rows_out = [
        _row("production share", p_r / world, "share of world", src, False),
        _row("production_other", params["production_other"], "t/year", src, False),
        _row("exports", uncertain["exports"], "t/year",
             f"production x export share; {a['export_share']['source']}", True),
        _row("consumption", consumption, "t/year",
             "production outside the producer + its exports, draw by draw (secondary "
             "supply left out); the value shown is at the central export share", True),
        _row("capacity_other", uncertain.get("capacity_other", params["capacity_other"]),
             "t/year", cap_src, cap_assumed),
        _row("idle_capacity", idle, "t/year", f"{src}: capacity of non-producing countries",
             False),
        _row("stocks", uncertain["stocks"], "t", a["stock_months"]["source"], True),
    ]
    rows_out += [_row(k, uncertain[k], a[k]["unit"], a[k]["source"], True)
                 for k in ("demand_elasticity", "supply_elasticity", "idle_available",
                           "response_speed")]  # fmt: skip
    rows_out += [_row(k, v, "", "fixed (see critmin.ingest.scenario_generic.FIXED)", True)
                 for k, v in FIXED.items()]  # fmt: skip
    return ProducerCase(
        mineral=mineral, country=country.upper(), country_name=", ".join(mine),
        production_share=p_r / world, basis=f"{unit} -> t ({chapter.get('units_note', '')})",
        params=params, uncertain=uncertain, assumptions=rows_out,
        sums={"consumption": ("production_other", "exports")})


def _row(name: str, value: Any, unit: str, source: str, assumption: bool) -> dict[str, Any]:
    if isinstance(value, tuple):
        low, central, high = value
        return {"name": name, "value": central, "low": low, "high": high, "unit": unit,
                "source": source, "assumption": assumption}
    return {"name": name, "value": value, "low": value, "high": value, "unit": unit,
            "source": source, "assumption": assumption}


def major_producers(mineral: str, min_share: float = MAJOR_SHARE
                    ) -> tuple[list[str], list[Skipped]]:
    """ISO3 codes of the producers with at least ``min_share`` of world production
    (largest first), and what is left out with its reason."""
    chapter = _chapter(mineral)
    rows = _rows(chapter)
    world = sum(p for _, p, _ in rows)
    if world <= 0:
        return [], [Skipped(mineral, None, "the USGS MCS 2026 table gives no production "
                                           "figures (withheld or not reported)")]
    found: list[tuple[float, str]] = []
    skipped: list[Skipped] = []
    for name, p, _ in rows:
        if p / world < min_share:
            continue
        try:
            found.append((p / world, to_iso3(name)))
        except UnknownCountry:
            skipped.append(Skipped(mineral, None, f"'{name}' ({p / world:.0%} of world "
                                                  f"production) is not one country"))
    return [c for _, c in sorted(found, reverse=True)], skipped
