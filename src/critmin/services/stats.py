"""Country shares and concentration of a mineral's production (or capacity, reserves).

Shares are fractions of the source's **world total row** (USGS "World total
(rounded)"); where a table has no usable world row, or the rounded world row is
smaller than the sum of the rows it totals, the total is the sum of the country rows
plus "Other countries" (``total_basis`` says which), so shares never exceed 1. Because
USGS rounds the world total, shares can sum to slightly less than 1;
``residual_share`` shows the gap.

Where the world total itself is a lower bound (USGS ">4,700,000", tungsten reserves)
every share computed from it is an **upper bound**: ``world_lower_bound`` is true, each
share's ``share_bound`` says ``upper`` (``lower`` where only the country's value is a
lower bound, ``unknown`` where both are) and ``notes`` says so in words. The gap
between the world total and the rows (rounding, or countries USGS does not list) is
``residual_share``, shown as "Unattributed" beside "Other countries" so the shares add
up to 100 %. Countries whose value USGS withholds (``W``, to avoid disclosing company
data) are told apart from those it does not have (``NA``) in ``withheld``.

The HHI is taken over the *identified* countries only. "Other countries" is an
aggregate of many small producers: counting it as one country would overstate
concentration, so it is treated as infinitely fragmented (it adds nothing). The
reported ``hhi`` is therefore a lower bound; ``hhi_upper`` adds ``other_share**2`` (the
bound where "Other countries" were a single producer).
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.orm import Session

from critmin.analytics.concentration import hhi, market_shares
from critmin.domain.countries import UnknownCountry, country_name
from critmin.domain.minerals import get_mineral
from critmin.domain.units import UnitError, convert_mass
from critmin.domain.vocab import UnknownValue, expected_one_of, resolve_mineral
from critmin.store.tables import Dataset, ProductionStat

WORLD_LABEL = "world"
OTHER_LABEL = "other"
SHARE_MEASURES = ("production", "capacity", "reserves")
"""The world-table measures shares are usually asked for (others work where stored)."""
MISSING = {
    "W": ("withheld", "withheld by USGS to avoid disclosing company proprietary data (W)"),
    "NA": ("not_available", "not available (NA)"),
}


class StatsNotFound(LookupError):
    """No statistics for that mineral, measure and year (or an unknown mineral)."""

    def __str__(self) -> str:  # LookupError's default str() would quote the message
        return str(self.args[0]) if self.args else ""


# Built once: executing the same statement object skips building it and looking up its
# compiled form, and Core rows skip the ORM (these run on every statistics request).
_STATS = ProductionStat.__table__
_YEARS = (
    select(_STATS.c.year)
    .where(_STATS.c.mineral == bindparam("mineral"), _STATS.c.measure == bindparam("measure"))
    .where(_STATS.c.value.is_not(None))
    .distinct()
)
_ROWS = (
    select(_STATS)
    .where(
        _STATS.c.mineral == bindparam("mineral"),
        _STATS.c.measure == bindparam("measure"),
        _STATS.c.year == bindparam("year"),
    )
    .order_by(_STATS.c.id)
)
_DATASETS = select(
    Dataset.code, Dataset.title, Dataset.url, Dataset.citation
).where(Dataset.id.in_(bindparam("ids", expanding=True)))


def _connection(session: Session) -> Connection:
    """The session's connection, after flushing pending changes as an ORM query would."""
    session.flush()
    return session.connection()


def available_years(*, session: Session, mineral: str, measure: str) -> list[int]:
    """Years with at least one non-null value of ``measure`` for ``mineral``, ascending."""
    params = {"mineral": mineral, "measure": measure}
    return sorted(_connection(session).scalars(_YEARS, params))


def stat_rows(*, session: Session, mineral: str, measure: str, year: int) -> list[Row[Any]]:
    """The rows of one table year in stored order: plain rows with the columns of
    :class:`ProductionStat` as attributes."""
    params = {"mineral": mineral, "measure": measure, "year": year}
    return list(_connection(session).execute(_ROWS, params))


def check_mineral(mineral: str) -> None:
    """Raise :class:`~critmin.domain.vocab.UnknownValue` (a 422/exit 2) for an unknown mineral."""
    try:
        get_mineral(mineral)
    except KeyError:
        resolve_mineral(mineral)  # raises, naming the known minerals
        raise UnknownValue("mineral", mineral, "use the mineral's code") from None


def measures_with_data(*, session: Session, mineral: str) -> dict[str, list[int]]:
    """Measure -> years with at least one value, for ``mineral``."""
    stmt = (
        select(ProductionStat.measure, ProductionStat.year)
        .where(ProductionStat.mineral == mineral, ProductionStat.value.is_not(None))
        .distinct()
    )
    found: dict[str, set[int]] = defaultdict(set)
    for measure, year in session.execute(stmt):
        found[measure].add(year)
    return {m: sorted(y) for m, y in sorted(found.items())}


def check_measure(*, session: Session, mineral: str, measure: str) -> None:
    """Raise UnknownValue for a measure that is neither a world-table measure nor stored."""
    if measure in SHARE_MEASURES:
        return  # no query on the hot path
    stored = measures_with_data(session=session, mineral=mineral)
    if measure not in stored:
        known = list(SHARE_MEASURES) + sorted(set(stored) - set(SHARE_MEASURES))
        raise UnknownValue("measure", measure, expected_one_of(known, limit=12))


def _years(years: list[int]) -> str:
    return ", ".join(map(str, years)) if years else "none"


def _no_data(
    mineral: str, measure: str, year: int | None, years: list[int],
    others: dict[str, list[int]] | None = None,
) -> StatsNotFound:  # fmt: skip
    when = f" in {year}" if year is not None else ""
    text = f"no {measure} data for {mineral}{when}; years available: {_years(years)}"
    alternatives = [f"{m} ({_years(y)})" for m, y in (others or {}).items()
                    if m in SHARE_MEASURES and m != measure and y]  # fmt: skip
    if not years and alternatives:
        text += f"; {mineral} has {', '.join(alternatives)}"
    return StatsNotFound(text)


def missing_kind(raw_value: str | None) -> tuple[str, str]:
    """(status, label) of a value USGS does not give: ``W`` withheld vs ``NA`` not available."""
    text = (raw_value or "").strip()
    return MISSING.get(text, ("not_given", f"not given ({text})" if text else "not given"))


def row_kind(row: ProductionStat | Row[Any]) -> str:
    """``country``, ``world`` or ``other`` (any other unnamed aggregate row)."""
    if row.country:
        return "country"
    label = (row.country_label or "").strip().lower()
    if label == WORLD_LABEL or label.startswith("world"):
        return WORLD_LABEL
    return OTHER_LABEL


def _name(iso3: str) -> str:
    try:
        return country_name(iso3)
    except UnknownCountry:
        return iso3


def _sources(session: Session, rows: list[Row[Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    ids = sorted({r.dataset_id for r in rows if r.dataset_id is not None})
    for ds in _connection(session).execute(_DATASETS, {"ids": ids}) if ids else []:
        seen[f"dataset:{ds.code}"] = {
            "document": ds.code, "title": ds.title, "url": ds.url, "citation": ds.citation,
        }
    for row in rows:
        for ref in row.sources or []:
            key = repr(sorted(ref.items())) if isinstance(ref, dict) else repr(ref)
            seen.setdefault(key, ref)
    return list(seen.values())


def production_shares(
    *, session: Session, mineral: str, year: int | None = None, measure: str = "production"
) -> dict[str, Any]:
    """Each country's share of the world ``measure`` of ``mineral`` in ``year``, with the HHI.

    ``year`` None means the latest year with data. Values are in the rows' unit (``unit``);
    countries whose value is withheld or not available are listed in ``withheld``.
    Raises :class:`StatsNotFound` (a LookupError) naming the years that do have data.
    """
    check_mineral(mineral)
    check_measure(session=session, mineral=mineral, measure=measure)
    years = available_years(session=session, mineral=mineral, measure=measure)
    if year is None:
        if not years:
            others = measures_with_data(session=session, mineral=mineral)
            raise _no_data(mineral, measure, None, years, others)
        year = years[-1]
    rows = stat_rows(session=session, mineral=mineral, measure=measure, year=year)
    if not any(r.value is not None for r in rows):
        others = measures_with_data(session=session, mineral=mineral) if not years else None
        raise _no_data(mineral, measure, year, years, others)
    units = [r.unit for r in rows if r.value is not None]
    world_rows = [r for r in rows if row_kind(r) == WORLD_LABEL and r.value is not None]
    unit = world_rows[0].unit if world_rows else max(set(units), key=units.count)

    def value(row: Row[Any]) -> float:
        if row.unit == unit:
            return float(row.value)  # type: ignore[arg-type]
        try:
            return convert_mass(float(row.value), row.unit, unit)  # type: ignore[arg-type]
        except UnitError as exc:
            raise StatsNotFound(f"{mineral} {measure} {year}: mixed units ({exc})") from None

    by_country: dict[str, float] = defaultdict(float)
    lower_bound: set[str] = set()
    withheld: list[dict[str, Any]] = []
    other = 0.0
    other_lower = False
    for row in rows:
        kind = row_kind(row)
        if row.value is None:
            if kind == "country":
                status, text = missing_kind(row.raw_value)
                withheld.append({"country": row.country, "name": _name(row.country or ""),
                                 "raw_value": row.raw_value, "status": status,
                                 "status_label": text})  # fmt: skip
            continue
        if kind == "country":
            by_country[row.country] += value(row)  # type: ignore[index]
            if row.lower_bound:
                lower_bound.add(row.country)  # type: ignore[arg-type]
        elif kind == OTHER_LABEL:
            other += value(row)
            other_lower = other_lower or bool(row.lower_bound)
    world = value(world_rows[0]) if world_rows else 0.0
    world_lower = bool(world_rows and world_rows[0].lower_bound)
    basis = "world_row"
    rows_total = sum(by_country.values()) + other
    if world <= 0 or rows_total > world:
        # no world row, or rounding put it below the rows it totals (gallium 2025e:
        # world 900,000 kg but China 900,000 + Japan 3,000 + Russia 6,000): shares
        # must stay fractions, so the rows' sum is the denominator
        world, basis = rows_total, "sum_of_rows"
    if world <= 0:
        raise StatsNotFound(f"{mineral} {measure} {year}: the world total is zero; no shares")
    if basis == "sum_of_rows":
        world_lower = any(r.lower_bound for r in rows if r.value is not None)

    def bound(value_is_lower: bool) -> str | None:
        if world_lower:
            return "unknown" if value_is_lower else "upper"
        return "lower" if value_is_lower else None

    codes = sorted(by_country, key=lambda c: (-by_country[c], c))
    values = [by_country[c] for c in codes]
    shares = market_shares(values, world) if codes else []
    other_share = float(market_shares([other], world)[0]) if world > 0 else 0.0
    identified = float(sum(shares))
    hhi_value = float(hhi(shares)) if codes else 0.0
    notes = []
    if world_lower:
        raw = world_rows[0].raw_value if world_rows else None
        notes.append(
            f"the world total is a lower bound ({raw or 'more than stated'}): every share is "
            "an upper bound (at most the figure shown)"
        )
    if withheld:
        notes.append("countries without a figure are listed under 'withheld' (W: withheld "
                     "by USGS; NA: not available) and count in no share")  # fmt: skip
    starts = {r.year_start for r in rows if r.year_start is not None}
    year_start = min(starts) if starts else None
    return {
        "mineral": mineral,
        "year": year,
        "year_start": year_start,
        "period": f"{year_start}–{year}" if year_start and year_start != year else str(year),
        "measure": measure,
        "unit": unit,
        "world_total": world,
        "world_lower_bound": world_lower,
        "total_basis": basis,
        "hhi": hhi_value,
        "hhi_points": hhi_value * 10_000.0,
        "hhi_upper": hhi_value + other_share**2,
        "shares": [
            {
                "country": c,
                "name": _name(c),
                "share": float(s),
                "value": v,
                "lower_bound": c in lower_bound,
                "share_bound": bound(c in lower_bound),
            }
            for c, s, v in zip(codes, shares, values, strict=True)
        ],
        "other_share": other_share,
        "other_value": other,
        "other_share_bound": bound(other_lower),
        "residual_share": max(0.0, 1.0 - identified - other_share),
        "residual_value": max(0.0, world - rows_total),
        "withheld": withheld,
        "notes": notes,
        "years_available": years,
        "sources": _sources(session, rows),
    }


RESIDUAL_NAME = "Unattributed (world total minus the listed rows)"


def share_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The rows a share table shows: each country, "Other countries" and the unattributed
    rest, with the share's bound (``upper``: at most this much); shares add up to 1."""
    rows = [
        {"country": s["country"], "name": s["name"], "value": s["value"], "share": s["share"],
         "bound": s["share_bound"], "value_lower_bound": s["lower_bound"]}
        for s in result["shares"]
    ]  # fmt: skip
    if result["other_share"] > 0 or result.get("other_value"):
        rows.append({"country": None, "name": "Other countries",
                     "value": result.get("other_value"), "share": result["other_share"],
                     "bound": result.get("other_share_bound"),
                     "value_lower_bound": result.get("other_share_bound") in ("lower", "unknown")})
    if result["residual_share"] > 5e-7:
        rows.append({"country": None, "name": RESIDUAL_NAME, "value": result.get("residual_value"),
                     "share": result["residual_share"], "value_lower_bound": False,
                     "bound": "lower" if result.get("world_lower_bound") else None})  # fmt: skip
    return rows
