"""Default market-stage inputs of a disruption scenario, per mineral, from
``data/reference/scenario_defaults/<mineral>.yaml``.

Each parameter carries a value, a range (low, high) for the Monte Carlo, a unit, its
source and whether it is an analyst assumption. Entries marked ``derive:`` are computed
from the bundled USGS Mineral Commodity Summaries chapter and must agree with the value
written in the file (within 1 %); a disagreement is an error naming the file, the
parameter and both numbers. Bad input raises :class:`~critmin.ingest.errors.IngestError`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from critmin.ingest.datasets import REFERENCE_DIR
from critmin.ingest.errors import IngestError, Problem

DEFAULTS_DIR = REFERENCE_DIR / "scenario_defaults"
KG_PER_T = 1000.0


@dataclass(frozen=True)
class ScenarioDefaults:
    """A mineral's default market parameters with their ranges and sources."""

    mineral: str
    label: str
    unit: str
    restrictor: str
    restrictor_name: str
    params: dict[str, float]
    uncertain: dict[str, tuple[float, float, float]]
    destinations: dict[str, float]
    restrictor_production_share: float | None
    assumptions: list[dict[str, Any]] = field(default_factory=list)


def market_inputs(
    defaults: ScenarioDefaults, country: str, destinations: list[str] | None = None
) -> dict[str, float]:
    """Central market parameters for a restriction by ``country`` (ISO3) on
    ``destinations`` (ISO3 codes with a documented demand share; None = every
    destination). ValueError naming what is not covered."""
    if country.upper() != defaults.restrictor:
        raise ValueError(f"the {defaults.mineral} defaults describe restrictions by "
                         f"{defaults.restrictor}; got country {country!r}")
    params = dict(defaults.params)
    if destinations:
        codes = [d.upper() for d in destinations]
        unknown = [d for d in codes if d not in defaults.destinations]
        if unknown:
            raise ValueError(f"no demand share for destination(s) {', '.join(unknown)} in "
                             f"the {defaults.mineral} defaults; known: "
                             f"{', '.join(sorted(defaults.destinations)) or 'none'}")
        params["dest_share"] = min(sum(defaults.destinations[d] for d in set(codes)), 1.0)
    return params


def available() -> list[str]:
    """Minerals with a bundled defaults file."""
    return sorted(p.stem for p in DEFAULTS_DIR.glob("*.yaml"))


def usgs_figures(chapter: dict[str, Any], restrictor_name: str) -> dict[str, float]:
    """Production, capacity and idle capacity outside the restrictor (t/year), the
    restrictor's production share, and US reported consumption (t/year) from a parsed
    MCS chapter (kilograms in the gallium chapter)."""
    rows = [r for r in chapter.get("world_production", [])
            if not str(r.get("country", "")).lower().startswith("world")]  # fmt: skip
    prod = {r["country"]: r.get("production_latest_year") or 0.0 for r in rows}
    cap = {r["country"]: r.get("capacity") or 0.0 for r in rows}
    others = [c for c in prod if c != restrictor_name]
    scale = KG_PER_T if "kilograms" in str(chapter.get("units_note", "")).lower() else 1.0
    total = sum(prod.values())
    consumption = next((s["values"].get(chapter.get("latest_year", ""))
                        for s in chapter.get("salient_stats", [])
                        if str(s.get("label", "")).lower().startswith("consumption")), None)
    return {
        "production_other": sum(prod[c] for c in others) / scale,
        "capacity_other": sum(cap[c] for c in others if prod[c] > 0) / scale,
        "idle_capacity": sum(cap[c] for c in others if prod[c] == 0) / scale,
        "restrictor_production_share": prod.get(restrictor_name, 0.0) / total if total else 0.0,
        "us_consumption": (consumption or 0.0) / scale,
    }


def load_defaults(mineral: str, path: Path | None = None) -> ScenarioDefaults:
    """The defaults for ``mineral`` (or from ``path``), checked against the USGS data."""
    path = path or DEFAULTS_DIR / f"{mineral}.yaml"
    name = path.name
    if not path.exists():
        raise IngestError([Problem(name, None, "mineral", mineral,
                                   f"one of {', '.join(available())}")])
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise IngestError([Problem(name, None, None, str(exc)[:200], "valid YAML")]) from None
    problems: list[Problem] = []
    if not isinstance(doc, dict) or not isinstance(doc.get("parameters"), dict):
        raise IngestError([Problem(name, None, "parameters", None, "a mapping of parameters")])
    derived: dict[str, float] = {}
    if doc.get("usgs_chapter"):
        chapter = json.loads((REFERENCE_DIR / doc["usgs_chapter"]).read_text(encoding="utf-8"))
        derived = usgs_figures(chapter, str(doc.get("restrictor_name", "")))
    params: dict[str, float] = {}
    uncertain: dict[str, tuple[float, float, float]] = {}
    assumptions: list[dict[str, Any]] = []
    for key, spec in doc["parameters"].items():
        if not isinstance(spec, dict):
            problems.append(Problem(name, key, None, spec, "a mapping with value, low, high"))
            continue
        try:
            value, low, high = (float(spec[k]) for k in ("value", "low", "high"))
        except (KeyError, TypeError, ValueError):
            problems.append(Problem(name, key, "value/low/high",
                                    {k: spec.get(k) for k in ("value", "low", "high")},
                                    "three numbers"))  # fmt: skip
            continue
        if not low <= value <= high:
            problems.append(Problem(name, key, "low/value/high", [low, value, high],
                                    "low <= value <= high"))
        for col in ("source", "assumption"):
            if col not in spec:
                problems.append(Problem(name, key, col, None, f"a {col} for every parameter"))
        if spec.get("derive"):
            got = derived.get(spec["derive"])
            if got is None or abs(got - value) > 0.01 * max(abs(got), 1e-12):
                problems.append(Problem(name, key, "value", value,
                                        f"{got!r} as derived from {doc.get('usgs_chapter')}"))
        params[key] = value
        if high > low:
            uncertain[key] = (low, value, high)
        assumptions.append({"parameter": key, "value": value, "low": low, "high": high,
                            "unit": spec.get("unit", ""), "source": spec.get("source", ""),
                            "assumption": bool(spec.get("assumption"))})  # fmt: skip
    destinations: dict[str, float] = {}
    for iso3, spec in (doc.get("destinations") or {}).items():
        share = float(spec["value"])
        if spec.get("derive") == "us_share" and "consumption" in params:
            got = derived.get("us_consumption", 0.0) / params["consumption"]
            if abs(got - share) > 0.01:
                problems.append(Problem(name, f"destinations.{iso3}", "value", share,
                                        f"{got:.3f} (US consumption / consumption)"))
        destinations[str(iso3).upper()] = share
        assumptions.append({"parameter": f"dest_share[{iso3}]", "value": share, "low": share,
                            "high": share, "unit": "share", "source": spec.get("source", ""),
                            "assumption": bool(spec.get("assumption"))})  # fmt: skip
    if problems:
        raise IngestError(problems)
    return ScenarioDefaults(
        mineral=str(doc.get("mineral", mineral)), label=str(doc.get("label", mineral)),
        unit=str(doc.get("unit", "t/year")), restrictor=str(doc.get("restrictor", "")),
        restrictor_name=str(doc.get("restrictor_name", "")), params=params,
        uncertain=uncertain, destinations=destinations,
        restrictor_production_share=derived.get("restrictor_production_share"),
        assumptions=assumptions,
    )
