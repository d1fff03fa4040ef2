"""Prices as analysts read them: a series in a chosen currency and unit, two markets
side by side with their spread and ratio, the event study around export-control
measures, the FX table, and the price import. Every function takes the caller and
sees only what the caller may see: a hidden series is "not found" like a missing one,
measures the caller may not see are never used, and a ratio's ``relative_to`` is shown
only when the caller may see that series.

Outputs are JSON-ready dicts (dates as ISO text) that the CLI, the API and the
dashboard render as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import IO, Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from critmin.analytics import market
from critmin.domain.enums import ObservationKind, label
from critmin.domain.fx import FxTable, MissingRate, rates_from_rows
from critmin.domain.prices import QUALIFIER_MARK, price_unit, unit_parts
from critmin.ingest.prices_fx import parse_fx, store_fx
from critmin.services import access
from critmin.services.auth import Caller, Role, partner_ids
from critmin.services.entities import NotFound
from critmin.services.keys import AmbiguousKey, resolve
from critmin.services.present import format_date, window_label
from critmin.services.prices_import import PriceImportReport, import_prices
from critmin.services.tracker import Forbidden, InvalidRecord
from critmin.store.tables import ExportMeasure, FxRate, PriceObservation, PriceSeries

DEFAULT_WINDOWS = (30, 90)
MAX_WINDOWS = 10
MAX_WINDOW_DAYS = 3660
MAX_TOLERANCE_DAYS = 366

__all__ = ["MissingRate", "NotFound", "PriceImportReport"]


# ---------------------------------------------------------------- series


def get_series(*, session: Session, caller: Caller, ref: str | int) -> PriceSeries:
    """The series named by id or key (the caller's own, else the reference data's, else
    the only other one visible); NotFound for a hidden or missing one."""
    live = [PriceSeries.deleted_at.is_(None)]
    text = str(ref).strip()
    row = None
    if text.isdigit():
        stmt = select(PriceSeries).where(PriceSeries.id == int(text), *live,
                                         access.visible_clause(PriceSeries, caller))
        row = session.scalars(stmt).first()
    if row is None:
        try:
            row = resolve(session=session, model=PriceSeries, key=text, caller=caller,
                          label="price series", where=live)  # fmt: skip
        except AmbiguousKey as exc:
            raise InvalidRecord([{"field": "series", "problem": str(exc)}]) from None
    if row is None:
        raise NotFound(f"no such price series {text!r}")
    return row


def fx_table(session: Session) -> FxTable:
    """The stored FX table (public reference data)."""
    return FxTable(rates_from_rows(session.scalars(select(FxRate))))


def _target_unit(series: PriceSeries, currency: str | None, unit: str | None) -> str:
    """The price unit to show ``series`` in (its own by default); InvalidRecord if unknown."""
    own_currency, own_quantity = unit_parts(series.unit)
    try:
        return price_unit(currency or own_currency, unit or own_quantity)
    except ValueError as exc:
        field = "unit" if unit else "currency"
        raise InvalidRecord([{"field": field, "problem": str(exc)}]) from None


def _visible_keys(session: Session, caller: Caller, rows: Sequence[PriceObservation],
                  owner: int | None) -> dict[str, str]:  # fmt: skip
    """Of the series keys ratios in ``rows`` name (as their owner reads them), those the
    caller may see, each with its market's name."""
    keys = {o.relative_to for o in rows if o.relative_to}
    if not keys:
        return {}
    stmt = select(PriceSeries).where(PriceSeries.key.in_(sorted(keys)),
                                     PriceSeries.deleted_at.is_(None))  # fmt: skip
    seen = {}
    for s in session.scalars(stmt):
        if s.owner_org_id in (owner, None) and access.can_see(s, caller):
            seen[s.key] = s.market
    return seen


def _point(o: PriceObservation, value: float, unit: str, rate: Any) -> dict[str, Any]:
    return {
        "date": o.date.isoformat(),
        "date_precision": o.date_precision,
        "date_label": format_date(o.date, o.date_precision),
        "value": value,
        "qualifier": o.qualifier,
        "label": f"{QUALIFIER_MARK[o.qualifier]}{value:,.6g} {unit}",
        "unit": unit,
        "stated": {"value": o.value, "unit": o.unit},
        "fx": None if rate is None else {"rate": rate.describe(), "source": rate.source},
        "sources": list(o.sources or []),
    }


def _stated(o: PriceObservation, shown: dict[str, str]) -> dict[str, Any]:
    """A change or ratio observation as the source states it."""
    relative = o.relative_to if o.relative_to in shown else None
    text = f"{QUALIFIER_MARK[o.qualifier]}{o.value:g}"
    if o.kind == ObservationKind.CHANGE_PCT:
        text += f"% over {window_label(o.window)}" if o.window else f"% against {o.reference}"
    else:
        text += f"× {shown[relative]}" if relative else "× another series"
    return {
        "date": o.date.isoformat(), "date_precision": o.date_precision,
        "date_label": format_date(o.date, o.date_precision), "kind": o.kind,
        "kind_label": label(o.kind), "qualifier": o.qualifier, "value": o.value,
        "unit": o.unit, "window": o.window, "relative_to": relative,
        "reference": o.reference, "note": o.note, "label": text,
        "sources": list(o.sources or []),
    }  # fmt: skip


def series_view(
    *,
    session: Session,
    caller: Caller,
    ref: str | int,
    currency: str | None = None,
    unit: str | None = None,
    fx: FxTable | None = None,
) -> dict[str, Any]:
    """A series with its levels in ``currency``/``unit`` (its own by default), each with
    the rate used, and its changes and ratios as stated. MissingRate names the date and
    pair a conversion lacks."""
    series = get_series(session=session, caller=caller, ref=ref)
    target = _target_unit(series, currency, unit)
    fx = fx or fx_table(session)
    obs = list(session.scalars(select(PriceObservation)
                               .where(PriceObservation.series_id == series.id)
                               .order_by(PriceObservation.date, PriceObservation.id)))  # fmt: skip
    shown = _visible_keys(session, caller, obs, series.owner_org_id)
    levels, stated = [], []
    for o in obs:
        if o.kind == ObservationKind.LEVEL:
            value, rate = fx.convert(o.value, o.unit, target, o.date, o.date_precision)
            levels.append(_point(o, value, target, rate))
        else:
            stated.append(_stated(o, shown))
    own_currency, own_quantity = unit_parts(series.unit)
    return {
        "id": series.id, "key": series.key, "mineral": series.mineral, "form": series.form,
        "purity": series.purity, "market": series.market, "frequency": series.frequency,
        "unit": series.unit, "currency": own_currency, "quantity_unit": own_quantity,
        "shown_in": target, "description": series.description, "sharing": series.sharing,
        "levels": levels, "stated": stated,
    }  # fmt: skip


def _as_series(points: list[dict[str, Any]]) -> pd.Series:
    """Levels as a pandas series (a date stated twice keeps its last value)."""
    if not points:
        return pd.Series(dtype=float, index=pd.DatetimeIndex([]))
    s = pd.Series([p["value"] for p in points], index=pd.to_datetime([p["date"] for p in points]))
    return s[~s.index.duplicated(keep="last")]


def _num(value: Any) -> float | None:
    missing = value is None or (isinstance(value, float) and math.isnan(value))
    return None if missing else float(value)


def _day(value: Any) -> str | None:
    return None if pd.isna(value) else pd.Timestamp(value).date().isoformat()


def _check_tolerance(tolerance_days: int) -> None:
    if not 0 <= tolerance_days <= MAX_TOLERANCE_DAYS:
        problem = f"a whole number of days from 0 to {MAX_TOLERANCE_DAYS}"
        raise InvalidRecord([{"field": "tolerance_days", "problem": problem}])


def compare(
    *,
    session: Session,
    caller: Caller,
    a: str | int,
    b: str | int,
    currency: str | None = None,
    unit: str | None = None,
    tolerance_days: int = 0,
) -> dict[str, Any]:
    """Two series in one currency and unit (``a``'s by default) and, on ``a``'s dates,
    ``b`` as of that date (same date, or its last value at most ``tolerance_days`` older),
    with the spread (a − b) and the ratio (a / b)."""
    _check_tolerance(tolerance_days)
    fx = fx_table(session)
    first = get_series(session=session, caller=caller, ref=a)
    target = _target_unit(first, currency, unit)
    cur, qty = unit_parts(target)
    one = series_view(session=session, caller=caller, ref=a, currency=cur, unit=qty, fx=fx)
    two = series_view(session=session, caller=caller, ref=b, currency=cur, unit=qty, fx=fx)
    frame = market.spread_ratio(_as_series(one["levels"]), _as_series(two["levels"]),
                                tolerance_days)  # fmt: skip
    rows = [
        {"date": _day(d), "a": _num(r.a), "b": _num(r.b), "b_date": _day(r.b_date),
         "spread": _num(r.spread), "ratio": _num(r.ratio)}
        for d, r in zip(frame.index, frame.itertuples(index=False), strict=True)
    ]  # fmt: skip
    return {
        "unit": target, "tolerance_days": tolerance_days,
        "alignment": ("on the dates of a: b's value on the same date, or its last value at "
                      f"most {tolerance_days} day(s) older"),
        "a": one, "b": two, "rows": rows,
    }  # fmt: skip


# ---------------------------------------------------------------- events


def visible_measures(*, session: Session, caller: Caller, mineral: str) -> list[dict[str, Any]]:
    """The dated measures touching ``mineral`` that the caller may see: key, title, type,
    the date used (effective, else announced), its precision and the period it spans."""
    stmt = select(ExportMeasure).where(ExportMeasure.deleted_at.is_(None),
                                       access.visible_clause(ExportMeasure, caller))
    out = []
    for m in session.scalars(stmt.order_by(ExportMeasure.id)):
        if mineral not in (m.minerals or []):
            continue
        day = m.effective or m.announced
        if day is None:
            continue
        which = "effective" if m.effective else "announced"
        precision = getattr(m, f"{which}_precision", None) or m.date_precision
        start, end = market.event_windows([day], [precision])
        out.append({
            "key": m.key, "title": m.title, "measure_type": m.measure_type,
            "date": day.isoformat(), "date_precision": precision,
            "date_label": format_date(day, precision),
            "which_date": "effective" if m.effective else "announced",
            "start": _day(start[0]), "end": _day(end[0]),
        })  # fmt: skip
    return sorted(out, key=lambda r: (r["date"], r["key"]))


def _windows(windows: Sequence[int] | None) -> list[int]:
    chosen = list(windows or DEFAULT_WINDOWS)
    if not chosen or len(chosen) > MAX_WINDOWS or any(
        not 1 <= w <= MAX_WINDOW_DAYS for w in chosen
    ):
        problem = f"1 to {MAX_WINDOWS} windows, each 1 to {MAX_WINDOW_DAYS} days"
        raise InvalidRecord([{"field": "windows", "problem": problem}])
    return chosen


def events(
    *,
    session: Session,
    caller: Caller,
    ref: str | int,
    windows: Sequence[int] | None = None,
    tolerance_days: int = 7,
    currency: str | None = None,
    unit: str | None = None,
) -> dict[str, Any]:
    """The event study of a series around every visible measure on its mineral: for each
    measure and window, the change before and after (see
    :func:`critmin.analytics.market.event_study`)."""
    _check_tolerance(tolerance_days)
    chosen = _windows(windows)
    view = series_view(session=session, caller=caller, ref=ref, currency=currency, unit=unit)
    measures = visible_measures(session=session, caller=caller, mineral=view["mineral"])
    rows: list[dict[str, Any]] = []
    if measures:
        frame = market.event_study(_as_series(view["levels"]), [m["date"] for m in measures],
                                   [m["date_precision"] for m in measures], chosen,
                                   tolerance_days)  # fmt: skip
        for r in frame.itertuples(index=False):
            m = measures[int(r.event)]
            rows.append({
                "measure": m["key"], "title": m["title"], "date_label": m["date_label"],
                "window_days": int(r.window_days), "start": _day(r.start), "end": _day(r.end),
                "base_date": _day(r.base_date), "base": _num(r.base),
                "before_date": _day(r.before_date), "before": _num(r.before),
                "change_before": _num(r.change_before),
                "after_date": _day(r.after_date), "after": _num(r.after),
                "change_after": _num(r.change_after),
            })  # fmt: skip
    return {
        "series": {k: view[k] for k in ("id", "key", "market", "mineral", "shown_in")},
        "windows": chosen, "tolerance_days": tolerance_days, "measures": measures,
        "rows": rows,
        "method": ("base = value as of the day before the event's period starts (the day, or "
                   "its whole month or year at the precision of its date); change_before = "
                   "base / value w days earlier - 1; change_after = value w days after the "
                   "period ends (an observation after it) / base - 1; lookups carry a value "
                   f"at most {tolerance_days} days"),
    }  # fmt: skip


def monitor(
    *,
    session: Session,
    caller: Caller,
    a: str | int,
    b: str | int,
    currency: str = "USD",
    unit: str = "kg",
    tolerance_days: int = 31,
    windows: Sequence[int] | None = None,
) -> dict[str, Any]:
    """What the per-mineral monitor charts: two markets in one currency and unit with the
    spread and ratio beneath, every visible measure on the time axis at the precision of
    its date, and the event study of the first market around them."""
    pair = compare(session=session, caller=caller, a=a, b=b, currency=currency, unit=unit,
                   tolerance_days=tolerance_days)  # fmt: skip
    study = events(session=session, caller=caller, ref=a, windows=windows,
                   tolerance_days=min(tolerance_days, MAX_TOLERANCE_DAYS), currency=currency,
                   unit=unit)  # fmt: skip
    return {**pair, "measures": study["measures"], "events": study["rows"]}


# ---------------------------------------------------------------- FX and import


def fx_rates(*, session: Session, base: str | None = None, quote: str | None = None
             ) -> list[dict[str, Any]]:  # fmt: skip
    """The FX table, oldest first (public reference data: no caller needed)."""
    stmt = select(FxRate).order_by(FxRate.base, FxRate.quote, FxRate.date, FxRate.date_precision)
    if base:
        stmt = stmt.where(FxRate.base == base.upper())
    if quote:
        stmt = stmt.where(FxRate.quote == quote.upper())
    return [
        {"base": r.base, "quote": r.quote, "date": r.date.isoformat(),
         "date_precision": r.date_precision, "period": format_date(r.date, r.date_precision),
         "rate": r.rate, "basis": r.basis, "sources": list(r.sources or [])}
        for r in session.scalars(stmt)
    ]  # fmt: skip


def import_fx(*, session: Session, stream: IO[bytes], fmt: str, file: str) -> int:
    """Import an FX file (all or nothing); the number of rates written."""
    return store_fx(session, parse_fx(stream, fmt=fmt, file=file), None)


def import_file(
    *,
    session: Session,
    caller: Caller,
    stream: IO[bytes],
    fmt: str,
    file: str,
    owner_org_id: int | None = None,
    actor: str | None = None,
    dry_run: bool = False,
) -> PriceImportReport:
    """Import a price file. Over the API the caller's organisation owns what it creates
    (editors and admins only); the local operator (CLI) imports for ``owner_org_id``, or
    as public reference data without one."""
    if caller.local:
        owner = owner_org_id
    elif caller.anonymous or caller.org_id is None or not caller.at_least(Role.EDITOR):
        raise Forbidden("importing prices needs an editor or admin token")
    else:
        owner = caller.org_id
    if caller.local and owner is not None:
        view = Caller(org_id=owner, partner_org_ids=partner_ids(session=session, org_id=owner))
    else:
        view = caller
    return import_prices(session=session, stream=stream, fmt=fmt, file=file, owner_org_id=owner,
                         visible=access.visible_clause(PriceSeries, view),
                         actor=actor or caller.label, dry_run=dry_run,
                         caller=caller)  # fmt: skip


def series_choices(*, session: Session, caller: Caller, mineral: str | None = None
                   ) -> list[dict[str, Any]]:  # fmt: skip
    """The visible series (of ``mineral``): key, market, unit, how many observations."""
    stmt = select(PriceSeries).where(PriceSeries.deleted_at.is_(None),
                                     access.visible_clause(PriceSeries, caller))
    if mineral:
        stmt = stmt.where(PriceSeries.mineral == mineral)
    rows = session.scalars(stmt.options(selectinload(PriceSeries.observations))
                           .order_by(PriceSeries.key))  # fmt: skip
    return [{"id": s.id, "key": s.key, "mineral": s.mineral, "market": s.market, "form": s.form,
             "unit": s.unit, "frequency": s.frequency, "observations": len(s.observations)}
            for s in rows]  # fmt: skip

