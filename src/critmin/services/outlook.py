"""The capacity outlook: existing capacity plus a Monte Carlo over the project pipeline.

Baseline. The latest USGS world table year with a ``capacity`` measure, converted to
t/yr and split China / non-China ("Other countries" counts as non-China). World
capacity is the sum of those rows, not the rounded "World total" row (gallium 2025:
1,600 + 120 = 1,720 t against 1,700 t), so the two parts add up. Where a
mineral has no capacity column (tungsten) the latest ``production`` is the proxy, and
``meta.baseline.measure`` and ``meta.notes`` say so. The baseline is held flat.

Projects. By default only stages ``extraction`` and ``recycling`` count: they add new
metal. Refining and purification upgrade metal that is already counted (e.g. 4N to 6N
gallium), so adding them would count the same tonnes twice. Note that USGS tables
cover primary output, so recycling capacity adds to a primary-only baseline.
Probabilities, delays and lead times come from
:mod:`critmin.analytics.outlook_params`; the model is in :mod:`critmin.analytics.outlook`.
Projects in China (ISO3 ``CHN``) add to China's capacity, never to non-China.

Double counting with the baseline, and what is done about it:

- an *operating* extraction project that started in or before the baseline year (or
  gives no start year) is assumed to be in the USGS figures and is not added
  (``meta.skipped``); one that started later is added from its start year. Operating
  recycling (or, if chosen, refining) plants are outside USGS primary tables and are
  added from their start year, or ``as_of`` when none is given;
- a non-China extraction project may restart or expand capacity USGS already counts
  (USGS gallium notes idle capacity in Germany, Hungary, Kazakhstan, the Republic of
  Korea and Ukraine under "Other countries"). A **restart** (``overlap_kind``
  ``restart``) is a project in a country the "Other countries" row names, or one
  whose name/notes describe a restart ("restart", "resume", "idle", ...) where USGS
  has capacity: restarts are **left out of the totals** by default, listed in
  ``meta.projects`` with ``counted: false`` and ``overlap`` saying why, and each year's
  ``restarts_left_out`` is their expected capacity; ``include_restarts`` simulates
  them with the rest. A project in a country with its own USGS capacity that is not
  described as a restart (``listed_country``: the figure cannot tell an expansion
  from a restart) is counted and flagged. ``possible_double_count`` is the expected
  capacity of flagged projects inside the totals: subtract it for a conservative
  reading. Greenfield projects in countries USGS does not list are not flagged.

What the numbers can and cannot say. With no project that can add capacity (none
tracked, none with a capacity, all left out) there is no outlook to make: ``years``
is empty and ``meta.no_outlook`` says why, rather than a flat line presented as a
forecast. With few, lumpy projects the distribution of capacity is skewed: in most
draws none of them has come online yet, so P10, P50 and even P90 can sit on the
baseline while the mean, pulled up by the few draws where a project did, lies above
P90. Such years have ``mean_outside_band: true`` and ``meta.notes`` explains them.

Timing. ``as_of`` (default: the year after the baseline year) is the first year a
project not yet operating can produce. Such a project starts at its ``start_year`` (or
first capacity-by-year point), or ``as_of`` plus the status's default lead time when
none is given; an overdue schedule is moved to ``as_of``. A negative-binomial delay
is drawn on top.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from critmin.analytics.outlook import (
    capacity_profiles,
    expected_capacity,
    ramp_points,
    simulate_outlook,
)
from critmin.analytics.outlook_params import (
    OutlookParams,
    completion_probability,
    load_params,
    merge_params,
)
from critmin.domain.countries import UnknownCountry, country_name
from critmin.domain.enums import Stage
from critmin.domain.units import UnitError, convert_mass
from critmin.services.access import can_see_section, check_caller, visible_clause
from critmin.services.auth import Caller
from critmin.services.stats import (
    OTHER_LABEL,
    WORLD_LABEL,
    StatsNotFound,
    available_years,
    check_mineral,
    row_kind,
    stat_rows,
)
from critmin.store.projects import list_projects
from critmin.store.tables import Project

CHINA = frozenset({"CHN"})
DEFAULT_STAGES: tuple[str, ...] = ("extraction", "recycling")
BASELINE_STAGES = frozenset({"extraction"})
"""Stages whose operating plants USGS world tables already count (primary output)."""
MAX_YEARS = 100


def _tonnes(value: float, unit: str) -> float:
    """A quantity in metric tons; ``t REO``-style units convert their mass part."""
    try:
        return convert_mass(value, unit, "t")
    except UnitError:
        head = unit.split(" ", 1)[0]
        try:
            return convert_mass(value, head, "t")
        except UnitError:
            raise StatsNotFound(f"cannot convert USGS unit {unit!r} to t/yr") from None


def baseline_capacity(*, session: Session, mineral: str) -> dict[str, Any]:
    """Existing capacity (t/yr) split China / non-China, from the latest USGS table."""
    check_mineral(mineral)
    measure, note = "capacity", None
    years = available_years(session=session, mineral=mineral, measure=measure)
    if not years:
        measure = "production"
        years = available_years(session=session, mineral=mineral, measure=measure)
        note = (
            f"USGS gives no capacity for {mineral}; latest production is used as the "
            "capacity baseline (a lower bound: plants rarely run at nameplate)."
        )
    if not years:
        raise StatsNotFound(f"no capacity or production data for {mineral}; load the USGS tables")
    year = years[-1]
    rows = [r for r in stat_rows(session=session, mineral=mineral, measure=measure, year=year)
            if r.value is not None]
    by_country: dict[str, float] = {}
    other = world = 0.0
    other_text = ""
    for row in rows:
        t = _tonnes(float(row.value), row.unit)  # type: ignore[arg-type]
        kind = row_kind(row)
        if kind == "country":
            by_country[row.country] = by_country.get(row.country, 0.0) + t  # type: ignore[index]
        elif kind == OTHER_LABEL:
            other += t
            other_text += " ".join(filter(None, (row.label, row.locator, row.country_label)))
        elif kind == WORLD_LABEL:
            world = t
    china = sum(v for c, v in by_country.items() if c in CHINA)
    non_china = sum(v for c, v in by_country.items() if c not in CHINA) + other
    if not by_country and not other:  # only a world row: nothing to split
        non_china = world
    return {
        "measure": measure,
        "year": year,
        "unit": rows[0].unit,
        "china": china,
        "non_china": non_china,
        "world_row": world,
        "other_countries": other,
        "other_text": other_text,
        "by_country": by_country,
        "note": note,
    }


def _params(params: OutlookParams | Mapping[str, Any] | str | Path | None) -> OutlookParams:
    if params is None or isinstance(params, OutlookParams):
        return params or OutlookParams()
    if isinstance(params, str | Path):
        return load_params(params)
    return merge_params(params)


RESTART_WORDS = ("restart", "re-start", "resum", "reopen", "re-open", "idle", "recommission")


def _overlap(row: Project, base: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, why) a project might already be inside the USGS baseline, or None.

    ``restart``: it restarts capacity USGS already counts (the country is named under
    "Other countries", or the project is described as a restart where USGS has
    capacity); ``listed_country``: its country has its own USGS capacity, so an
    expansion is new capacity but a restart is not (the figure cannot tell them apart).
    """
    if row.stage not in BASELINE_STAGES or row.country in CHINA:
        return None
    measure = base["measure"]
    text = " ".join(filter(None, (row.name, row.notes, row.feed_note))).lower()
    described = any(word in text for word in RESTART_WORDS)
    if base["by_country"].get(row.country, 0.0) > 0:
        if described:
            return "restart", f"described as a restart of {row.country}'s USGS {measure}"
        why = f"{row.country} already has USGS {measure}; a restart (not expansion) double counts"
        return "listed_country", why
    if base["other_countries"] <= 0 or row.country in base["by_country"]:
        return None  # USGS lists the country with zero, or there is no 'Other countries' figure
    try:
        named = country_name(row.country).lower() in base["other_text"].lower()
    except UnknownCountry:
        named = False
    if named:
        return "restart", f"USGS names {row.country} among 'Other countries' with {measure}"
    if described:
        why = f"described as a restart: USGS may count it under 'Other countries' {measure}"
        return "restart", why
    return None


@dataclass
class _Item:
    """One project as the simulation sees it."""

    row: Project
    prob: float
    delay: float
    first: int
    shift: int
    overlap: tuple[str, str] | None


def _skip(row: Project, reason: str) -> dict[str, Any]:
    return {"key": row.key, "name": row.name, "reason": reason}


def _year_ranges(years: list[int]) -> str:
    """``2026–2027, 2030`` for consecutive runs of years."""
    runs: list[list[int]] = []
    for y in years:
        if runs and y == runs[-1][-1] + 1:
            runs[-1].append(y)
        else:
            runs.append([y])
    return ", ".join(str(r[0]) if len(r) == 1 else f"{r[0]}–{r[-1]}" for r in runs)


def _no_outlook(
    mineral: str, stages: tuple[str, ...], considered: int, skipped: list[dict[str, Any]],
    left_out: int,
) -> str:  # fmt: skip
    """Why no outlook can be made, in words."""
    where = f"in stage{'s' if len(stages) > 1 else ''} {', '.join(stages)}"
    if considered == 0:
        return (f"No outlook can be made for {mineral}: no {mineral} projects {where} are "
                "tracked (or visible to you), so there is nothing to add to the USGS baseline.")
    reasons: dict[str, int] = {}
    for s in skipped:
        reasons[s["reason"]] = reasons.get(s["reason"], 0) + 1
    why = "; ".join(f"{n} × {reason}" for reason, n in sorted(reasons.items(), key=lambda x: -x[1]))
    text = (f"No outlook can be made for {mineral}: none of the {considered} {mineral} "
            f"project{'s' if considered != 1 else ''} {where} can add capacity")
    if why:
        text += f" ({why})"
    if left_out:
        text += (f"; {left_out} possible restart{'s' if left_out != 1 else ''} of capacity USGS "
                 "already counts left out (the option to count possible restarts includes them)")
    return text + "."


def _plan(
    rows: list[Project], base: dict[str, Any], p: OutlookParams, as_of: int, caller: Caller,
) -> tuple[list[_Item], list[tuple[int, int, float]], list[dict[str, Any]]]:
    """The projects that enter the simulation, their capacity points, and those left out.

    Financing and milestones ``caller`` may not see are ignored (as if not given).
    """
    items: list[_Item] = []
    points: list[tuple[int, int, float]] = []
    nominal: list[tuple[int, int, float]] = []
    skipped: list[dict[str, Any]] = []
    for row in rows:
        sched = [(c.year, c.capacity_tpa) for c in row.capacity_points]
        if not sched and row.capacity_tpa is None:
            skipped.append(_skip(row, "no capacity given"))
            continue
        if (row.capacity_unit or "t/yr") != "t/yr":
            skipped.append(_skip(row, f"capacity unit {row.capacity_unit!r} is not t/yr"))
            continue
        fin = can_see_section(row, "financing", caller)
        seen = can_see_section(row, "milestones", caller)
        states = [m.get("state") for m in (row.milestones if seen else None) or []
                  if isinstance(m, dict)]
        prob = completion_probability(
            p, status=row.status, needed_usd=row.financing_needed_usd if fin else None,
            committed_usd=row.financing_committed_usd if fin else None,
            achieved=states.count("achieved"), rejected=states.count("rejected"),
        )
        if prob <= 0:
            skipped.append(_skip(row, f"status {row.status}: completion probability 0"))
            continue
        first = min(y for y, _ in sched) if sched else row.start_year
        if row.status == "operating":
            if row.stage in BASELINE_STAGES and (first is None or first <= base["year"]):
                since = first or "an unknown year"
                skipped.append(_skip(row, f"operating since {since}: assumed in the USGS "
                                          f"{base['year']} baseline"))
                continue
            first, shift = first or as_of, 0
        else:
            first = first if first is not None else as_of + p.default_lead_years[row.status]
            shift = max(0, as_of - first)
        i = len(items)
        if sched:
            points += [(i, y + shift, c) for y, c in sched]
        else:
            nominal.append((i, first + shift, float(row.capacity_tpa)))  # type: ignore[arg-type]
        items.append(_Item(row, prob, p.mean_delay_years[row.status], first + shift, shift,
                           _overlap(row, base)))
    if nominal:
        idx, first_year, cap = (np.array(v) for v in zip(*nominal, strict=True))
        proj, year, value = ramp_points(first_year, cap, p.ramp)
        points += list(zip(idx[proj].tolist(), year.tolist(), value.tolist(), strict=True))
    return items, points, skipped


def capacity_outlook_report(
    *,
    session: Session,
    mineral: str,
    start: int,
    end: int,
    seed: int = 0,
    draws: int = 10_000,
    params: OutlookParams | Mapping[str, Any] | str | Path | None = None,
    stages: Sequence[str] | None = None,
    as_of: int | None = None,
    caller: Caller,
    include_restarts: bool = False,
) -> dict[str, Any]:
    """The outlook per year (``years``) and what went into it (``meta``); see the module doc.

    Only the projects (and sections) ``caller`` may see count; trusted local use passes
    :data:`critmin.services.auth.LOCAL`, which sees every project. ``include_restarts``
    adds projects that may restart capacity USGS already counts.
    """
    check_caller(caller)
    if end < start or end - start >= MAX_YEARS:
        raise ValueError(f"need start <= end within {MAX_YEARS} years; got {start}..{end}")
    if draws < 1:
        raise ValueError("draws must be at least 1")
    p = _params(params)
    stages = tuple(stages or DEFAULT_STAGES)
    unknown = sorted(set(stages) - {s.value for s in Stage})
    if unknown:
        raise ValueError(f"unknown stage(s) {', '.join(unknown)}; expected {', '.join(Stage)}")
    base = baseline_capacity(session=session, mineral=mineral)
    as_of = as_of if as_of is not None else base["year"] + 1
    visible = [visible_clause(Project, caller)]
    rows = [r for r in list_projects(session=session, mineral=mineral, where=visible)
            if r.stage in stages]
    items, points, skipped = _plan(rows, base, p, as_of, caller)
    grid0 = min(start, as_of)
    grid = np.arange(grid0, end + 1)
    pts = np.array(points, dtype=float).reshape(-1, 3)
    ends = np.array([it.row.end_year + it.shift if it.row.end_year else np.nan for it in items])
    profiles = capacity_profiles(grid, len(items), pts[:, 0], pts[:, 1], pts[:, 2], ends)
    prob = np.array([it.prob for it in items], dtype=float)
    delay = np.array([it.delay for it in items], dtype=float)
    china = np.array([it.row.country in CHINA for it in items], dtype=bool)
    flag = np.array([it.overlap is not None for it in items], dtype=bool)
    restart = np.array([it.overlap is not None and it.overlap[0] == "restart" for it in items],
                       dtype=bool)  # fmt: skip
    counted = np.ones(len(items), dtype=bool) if include_restarts else ~restart
    projects = [
        {"key": it.row.key, "name": it.row.name, "country": it.row.country,
         "stage": it.row.stage, "status": it.row.status,
         "completion_probability": round(it.prob, 6), "mean_delay_years": it.delay,
         "nominal_first_year": it.first, "rescheduled_years": it.shift,
         "china": it.row.country in CHINA, "overlap": it.overlap[1] if it.overlap else None,
         "overlap_kind": it.overlap[0] if it.overlap else None, "counted": bool(c)}
        for it, c in zip(items, counted, strict=True)
    ]  # fmt: skip
    meta = {
        "mineral": mineral, "start": start, "end": end, "as_of": as_of, "seed": seed,
        "draws": draws, "stages": list(stages), "unit": "t/yr",
        "include_restarts": include_restarts,
        "baseline": {k: v for k, v in base.items() if k not in ("by_country", "other_text")},
        "projects": projects, "skipped": skipped, "notes": [base["note"]] if base["note"] else [],
        "params": p.model_dump(), "no_outlook": None,
    }  # fmt: skip
    if not counted.any():
        meta["no_outlook"] = _no_outlook(mineral, stages, len(rows), skipped, int(restart.sum()))
        return {"years": [], "meta": meta}
    summary = simulate_outlook(
        profiles[counted], prob[counted], delay[counted], china[counted],
        baseline_non_china=base["non_china"], baseline_china=base["china"],
        dispersion=p.delay_dispersion, n_draws=draws, seed=seed,
    )  # fmt: skip
    in_totals = flag & counted
    left_out = ~counted

    def expected_sum(mask: np.ndarray) -> np.ndarray:
        exp = expected_capacity(profiles[mask], prob[mask], delay[mask], p.delay_dispersion)
        return exp.sum(axis=0)

    cols = slice(start - grid0, None)

    def r(a: np.ndarray, digits: int | None = 6) -> list[float | None]:
        """JSON-ready values: NaN -> None; tonnages rounded to grams (round-off noise)."""
        return [None if not np.isfinite(v) else round(float(v), digits) if digits else float(v)
                for v in a[cols]]

    series = {
        "expected": r(summary.expected), "p10": r(summary.p10), "p50": r(summary.p50),
        "p90": r(summary.p90), "non_china_share": r(summary.share_expected, None),
        "non_china_share_p10": r(summary.share_p10, None),
        "non_china_share_p90": r(summary.share_p90, None),
        "expected_analytic": r(summary.analytic_expected), "std_error": r(summary.std_error),
        "china_expected": r(summary.china_expected),
        "possible_double_count": r(expected_sum(in_totals)),
        "restarts_left_out": r(expected_sum(left_out)),
    }
    tol = 1e-6
    outside = [e is not None and lo is not None and hi is not None
               and not lo - tol <= e <= hi + tol
               for e, lo, hi in zip(series["expected"], series["p10"], series["p90"],
                                    strict=True)]  # fmt: skip
    years = [
        {"year": int(y), **{k: v[j] for k, v in series.items()},
         "mean_outside_band": outside[j],
         "baseline_non_china": round(base["non_china"], 6),
         "baseline_china": round(base["china"], 6), "unit": "t/yr"}
        for j, y in enumerate(grid[cols])
    ]
    notes = meta["notes"]
    if any(outside):
        n = int(counted.sum())
        notes.append(
            f"In {_year_ranges([y['year'] for y in years if y['mean_outside_band']])} the mean "
            f"lies outside P10–P90: with {n} lumpy project{'s' if n != 1 else ''} the "
            "distribution is skewed. In most draws none of them has come online yet, so the "
            "percentiles stay on the baseline, while the few draws in which one has lift the "
            "mean. Read the mean as an expectation, not as a likely level."
        )
    if any(it.row.stage == "recycling" for it, c in zip(items, counted, strict=True) if c):
        notes.append("recycling capacity is added to a baseline of primary capacity")
    if restart.any():
        names = ", ".join(it.row.name for it, f in zip(items, restart, strict=True) if f)
        notes.append(
            (f"possible restarts of capacity USGS already counts are included: {names}")
            if include_restarts else
            (f"left out of the totals as possible restarts of capacity USGS already counts: "
             f"{names} (their expected capacity is given separately; the option to count "
             "possible restarts includes them)")
        )  # fmt: skip
    if in_totals.any():
        notes.append("the possible double count is the expected capacity of counted projects "
                     "that may already be in the USGS baseline; subtract it for a conservative "
                     "reading")  # fmt: skip
    return {"years": years, "meta": meta}


def capacity_outlook(
    *,
    session: Session,
    mineral: str,
    start: int,
    end: int,
    seed: int = 0,
    draws: int = 10_000,
    params: OutlookParams | Mapping[str, Any] | str | Path | None = None,
    stages: Sequence[str] | None = None,
    as_of: int | None = None,
    caller: Caller,
    include_restarts: bool = False,
) -> list[dict[str, Any]]:
    """Per year: expected, p10, p50, p90 non-China capacity (t/yr) and non-China share.

    The rows of :func:`capacity_outlook_report`; use that for the inputs and caveats.
    """
    return capacity_outlook_report(
        session=session, mineral=mineral, start=start, end=end, seed=seed, draws=draws,
        params=params, stages=stages, as_of=as_of, caller=caller,
        include_restarts=include_restarts,
    )["years"]
