"""The market monitor's alerts: evaluate the stored rules, record each alert event once,
and read events under the sharing rules.

**Evaluation.** Each rule is evaluated with its owner's eyes (a built-in or reference
rule sees every record): the conditions are the vectorised functions of
:mod:`critmin.analytics.monitor`. **Recording.** An event's fingerprint is the SHA-256
of the rule id, the subject (the series' id, the pair of series' ids, the measure's id
and its version or expiry, the reporter) and the date with its precision; events are
inserted with ON CONFLICT DO NOTHING on the fingerprint, so re-running adds nothing and
two concurrent runs record each event once. **Reading.** A caller sees an event only
when it may see the rule and every record the event derives from (series, the other
series, the measure). Webhook deliveries are queued with the events and sent after the commit
(:mod:`critmin.services.monitor_webhooks`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

import pandas as pd
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, aliased

from critmin.analytics import monitor as cond
from critmin.domain.prices import QUALIFIER_MARK
from critmin.services import access
from critmin.services import monitor_rules as rules
from critmin.services.auth import Caller
from critmin.services.present import format_date, mineral_label, window_label
from critmin.services.tracker import InvalidRecord
from critmin.store.base import utcnow
from critmin.store.tables import AlertEvent, AlertRule, ExportMeasure, PriceSeries

MAX_LIMIT = 500
EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(2200, 12, 31)
"""The evaluation dates accepted (pandas' timestamps end in 2262)."""
QUALIFIER_WORDS = {"approximate": "approximately ", "lower_bound": "at least ",
                   "upper_bound": "at most ", "exact": ""}  # fmt: skip


def fingerprint(rule_id: int, subject: str, date: dt.date, precision: str) -> str:
    """The identity of an event: rule, subject and date (with its precision)."""
    text = f"{rule_id}|{subject}|{date.isoformat()}|{precision}"
    return hashlib.sha256(text.encode()).hexdigest()


def series_label(s: PriceSeries) -> str:
    """How people name a series: mineral, form or purity, market and unit."""
    what = " ".join(x for x in (mineral_label(s.mineral), s.purity) if x)
    return f"{what}, {s.market} ({s.unit})"


def _visible_series(session: Session, view: Caller, rule: AlertRule) -> list[PriceSeries]:
    stmt = select(PriceSeries).where(PriceSeries.deleted_at.is_(None),
                                     access.visible_clause(PriceSeries, view))
    key = (rule.params or {}).get("series")
    if key:
        stmt = stmt.where(PriceSeries.key == key)
    if rule.mineral:
        stmt = stmt.where(PriceSeries.mineral == rule.mineral)
    rows = list(session.scalars(stmt.order_by(PriceSeries.id)))
    if key:  # the evaluator's own series of that key first, then reference data
        rows.sort(key=lambda s: (s.owner_org_id != view.org_id, s.owner_org_id is not None))
        rows = rows[:1]
    return rows


def _observations(session: Session, series: list[PriceSeries], as_of: dt.date) -> pd.DataFrame:
    from critmin.store.tables import PriceObservation as O  # noqa: N817

    cols = [O.id, O.series_id, O.date, O.date_precision, O.kind, O.qualifier, O.value,
            O.unit, O.window, O.relative_to]  # fmt: skip
    stmt = select(*cols).where(O.series_id.in_([s.id for s in series]), O.date <= as_of)
    frame = pd.DataFrame(session.execute(stmt).all(), columns=[c.key for c in cols])
    if frame.empty:
        return frame
    frame["first"], frame["last"] = cond.periods(frame["date"], frame["date_precision"])
    return frame


def _when(date: Any, precision: str) -> str:
    return format_date(date, precision) or ""


def _price_change(session: Session, rule: AlertRule, view: Caller, as_of: dt.date
                  ) -> list[dict[str, Any]]:  # fmt: skip
    p = rule.params or {}
    threshold, window, direction = p.get("threshold_pct", 40.0), p.get("window_days", 30), \
        p.get("direction", "up")  # fmt: skip
    series = {s.id: s for s in _visible_series(session, view, rule)}
    frame = _observations(session, list(series.values()), as_of) if series else pd.DataFrame()
    if frame.empty:
        return []
    word = "up" if direction == "up" else "down"
    out = []
    levels = frame[(frame["kind"] == "level") & (frame["value"] > 0)].rename(
        columns={"series_id": "series"})
    moves = cond.level_moves(levels, threshold, window, direction)
    for end, base, change in moves.itertuples(index=False):
        e, b = levels.loc[end], levels.loc[base]
        s = series[int(e["series"])]
        quals = {e["qualifier"], b["qualifier"]} - {"exact"}
        hedge = "at least " if quals & {"lower_bound", "upper_bound"} else (
            "approximately " if quals else "")  # fmt: skip
        msg = (f"{series_label(s)}: {word} {hedge}{abs(change):.1f}% within {window} days, "
               f"from {QUALIFIER_MARK[b['qualifier']]}{b['value']:g} ({_when(b['date'], b['date_precision'])}) "  # noqa: E501
               f"to {QUALIFIER_MARK[e['qualifier']]}{e['value']:g} {s.unit} "
               f"({_when(e['date'], e['date_precision'])}); rule: more than {threshold:g}%")
        out.append(_event(rule, f"series:{s.id}", s.mineral, e["date"], e["date_precision"], msg,
                          value=float(change), qualifier=("lower_bound" if hedge == "at least "
                          else "approximate" if hedge else "exact"), series_id=s.id,
                          details={"from": {"date": str(b["date"]), "value": b["value"]},
                                   "to": {"date": str(e["date"]), "value": e["value"]},
                                   "window_days": window}))  # fmt: skip
    changes = frame[frame["kind"] == "change_pct"]
    fired = changes[cond.stated_moves(changes, threshold, window, direction)] \
        if not changes.empty else changes  # fmt: skip
    for r in fired.itertuples(index=False):
        s = series[int(r.series_id)]
        bound = {"lower_bound": f" (a lower bound: the source says more than {r.value:g}%, "
                 f"counted as at least {r.value:g}%)",
                 "approximate": " (approximate, as the source states it)"}.get(r.qualifier, "")
        msg = (f"{series_label(s)}: {word} {QUALIFIER_WORDS[r.qualifier]}{abs(r.value):g}% "
               f"over {window_label(r.window)}{bound}, stated for "
               f"{_when(r.date, r.date_precision)}; rule: "
               f"more than {threshold:g}% within {window} days")  # fmt: skip
        out.append(_event(rule, f"series:{s.id}:change:{r.window}", s.mineral, r.date,
                          r.date_precision, msg, value=float(r.value), qualifier=r.qualifier,
                          series_id=s.id, details={"window": r.window}))  # fmt: skip
    return out


def _ratio(session: Session, rule: AlertRule, view: Caller, as_of: dt.date
           ) -> list[dict[str, Any]]:  # fmt: skip
    from critmin.domain.fx import MissingRate
    from critmin.services import prices

    p = rule.params or {}
    try:
        pair = prices.compare(session=session, caller=view, a=p["a"], b=p["b"],
                              currency=p.get("currency", "USD"), unit=p.get("unit", "kg"),
                              tolerance_days=p.get("tolerance_days", 31))  # fmt: skip
    except (MissingRate, LookupError, ValueError):
        return []  # a series gone or hidden, or no FX rate: nothing can be said
    a, b = pair["a"], pair["b"]
    above = p.get("direction", "above") == "above"
    out = _stated_ratios(a, b, p["threshold"], above, rule, as_of)
    rows = pd.DataFrame(pair["rows"])
    if rows.empty:
        return out
    rows = rows[(rows["date"] <= as_of.isoformat()) & rows["ratio"].notna()]
    hit = cond.crossings(pd.Series(0, index=rows.index), rows["ratio"], p["threshold"], above)
    precision = {lv["date"]: lv["date_precision"] for lv in a["levels"]}
    la = f"{mineral_label(a['mineral'])}, {a['market']}"
    lb = f"{mineral_label(b['mineral'])}, {b['market']}"
    for r in rows[hit].itertuples(index=False):
        day = dt.date.fromisoformat(r.date)
        prec = precision.get(r.date, "day")
        msg = (f"{la} over {lb} (both in {pair['unit']}): ratio {r.ratio:.2f} on "
               f"{_when(day, prec)}, {'above' if above else 'below'} {p['threshold']:g}; "
               f"{r.a:,.2f} vs {r.b:,.2f} ({r.b_date})")  # fmt: skip
        out.append(_event(rule, f"pair:{a['id']}/{b['id']}", a["mineral"], day, prec, msg,
                          value=float(r.ratio), series_id=a["id"], other_series_id=b["id"],
                          details={"a": r.a, "b": r.b, "b_date": r.b_date,
                                   "unit": pair["unit"]}))  # fmt: skip
    return out


def _stated_ratios(a: dict[str, Any], b: dict[str, Any], threshold: float, above: bool,
                   rule: AlertRule, as_of: dt.date) -> list[dict[str, Any]]:  # fmt: skip
    """Ratios of a to b as a source states them ("nearly 2x"), with their qualifiers: a
    lower bound proves at least its value, an upper bound at most."""
    stated = pd.DataFrame([o for o in a["stated"] if o["kind"] == "ratio_to_series"
                           and o["relative_to"] == b["key"] and o["date"] <= as_of.isoformat()])
    if stated.empty:
        return []
    hit = cond.stated_moves(stated.assign(value=(stated["value"] - 1) * 100, window=None),
                            (threshold - 1) * 100, None, "up" if above else "down")
    out = []
    for r in stated[hit.to_numpy()].itertuples(index=False):
        msg = (f"{mineral_label(a['mineral'])}, {a['market']} over {b['market']}: "
               f"{QUALIFIER_WORDS[r.qualifier]}{r.value:g}× as the source states it for "
               f"{r.date_label}, {'above' if above else 'below'} {threshold:g}")
        out.append(_event(rule, f"pair:{a['id']}/{b['id']}:stated", a["mineral"], r.date,
                          r.date_precision, msg, value=float(r.value), qualifier=r.qualifier,
                          series_id=a["id"], other_series_id=b["id"]))  # fmt: skip
    return out


def _measures(session: Session, rule: AlertRule, view: Caller) -> list[ExportMeasure]:
    stmt = select(ExportMeasure).where(ExportMeasure.deleted_at.is_(None),
                                       access.visible_clause(ExportMeasure, view))
    rows = list(session.scalars(stmt.order_by(ExportMeasure.id)))
    return [m for m in rows if m.minerals and (rule.mineral is None or rule.mineral in m.minerals)]


def _touching(m: ExportMeasure, mineral: str) -> str:
    """``Gallium`` or ``Gallium (also Germanium, Antimony)``."""
    others = ", ".join(mineral_label(x) for x in m.minerals if x != mineral)
    return mineral_label(mineral) + (f" (also {others})" if others else "")


def _changed_fields(session: Session, ids: list[int]) -> dict[int, list[str]]:
    """The fields each measure's last change-log entry changed."""
    from critmin.store.tables import ChangeLog

    if not ids:
        return {}
    stmt = select(ChangeLog.record_id, ChangeLog.changes).where(
        ChangeLog.table_name == "export_measures", ChangeLog.record_id.in_(ids),
        ChangeLog.action == "update").order_by(ChangeLog.changed_at, ChangeLog.id)
    return {rid: sorted(changes or {}) for rid, changes in session.execute(stmt)}


def _minerals_of(rule: AlertRule, m: ExportMeasure) -> list[str]:
    """The minerals an event on ``m`` is filed under: the rule's, else each it touches."""
    return [rule.mineral] if rule.mineral else list(m.minerals)


def _measure_change(session: Session, rule: AlertRule, view: Caller, as_of: dt.date
                    ) -> list[dict[str, Any]]:  # fmt: skip
    within = (rule.params or {}).get("within_days", 30)
    ms = _measures(session, rule, view)
    if not ms:
        return []
    frame = pd.DataFrame({"i": range(len(ms)), "changed": pd.to_datetime(
        [m.updated_at for m in ms], utc=True).tz_localize(None).normalize()})  # fmt: skip
    lo = pd.Timestamp(as_of) - pd.Timedelta(days=within)
    frame = frame[(frame["changed"] >= lo) & (frame["changed"] <= pd.Timestamp(as_of))]
    fields = _changed_fields(session, [ms[i].id for i in frame["i"]])
    out = []
    for i, changed in frame.itertuples(index=False):
        m = ms[i]
        what = "New measure" if m.version == 1 else (
            f"Changed measure (version {m.version}"
            + (f": {', '.join(fields[m.id])})" if fields.get(m.id) else ")"))  # fmt: skip
        when = m.effective or m.announced
        dated = f", {'effective' if m.effective else 'announced'} " \
            f"{_when(when, m.date_precision)}" if when else ""  # fmt: skip
        out.extend(_event(rule, f"measure:{m.id}:v{m.version}:{x}", x, changed.date(), "day",
                          f"{what} on {_touching(m, x)}: {m.title}{dated}", measure_id=m.id,
                          details={"measure": m.key, "version": m.version})
                   for x in _minerals_of(rule, m))  # fmt: skip
    return out


def _measure_expiry(session: Session, rule: AlertRule, view: Caller, as_of: dt.date
                    ) -> list[dict[str, Any]]:  # fmt: skip
    days = (rule.params or {}).get("days", 30)
    ms = [m for m in _measures(session, rule, view) if m.expiry is not None]
    if not ms:
        return []
    first, last = cond.periods(pd.Series([m.expiry for m in ms]),
                               pd.Series([m.date_precision for m in ms]))
    soon = cond.expiring(first, last, as_of, days)
    out = []
    for i in soon[soon].index:
        m = ms[int(i)]
        derived = " (derived from the source, not stated)" if m.expiry_derived else ""
        msg = (f"expires {_when(m.expiry, m.date_precision)}{derived}, within {days} days of "
               f"{as_of.isoformat()}: {m.title}")
        out.extend(_event(rule, f"expiry:{m.id}:{m.expiry.isoformat()}:{x}", x, m.expiry,
                          m.date_precision, f"Measure on {_touching(m, x)} {msg}", measure_id=m.id,
                          details={"measure": m.key, "derived": m.expiry_derived})
                   for x in _minerals_of(rule, m))  # fmt: skip
    return out


def _import_exports(session: Session, view: Caller, import_id: int, codes: list[str],
                    reporter: str | None) -> tuple[pd.DataFrame, list[int]]:
    """Exports by reporter and year from a trade import the rule's owner may see: BACI
    rows by exporter, customs rows declared as exports (monthly data: complete years)."""
    from critmin.services.trade import flow_frame

    frame, source = flow_frame(session, view, import_id, codes)
    if source["monthly"]:
        frame = frame[frame["flow"] == "X"].assign(who=frame["reporter"])
        months = frame.groupby("year")["month"].nunique()
        frame = frame[frame["year"].isin(months[months == 12].index)]
    else:
        frame = frame.assign(who=frame["exporter"])
    frame = frame[frame["who"].notna()]
    if reporter:
        frame = frame[frame["who"] == reporter]
    flows = pd.DataFrame({"reporter": frame["who"], "year": frame["year"].astype("int64"),
                          "value": frame["value_kusd"].astype(float)})
    return flows, sorted(flows["year"].unique().tolist())


def _trade_drop(session: Session, rule: AlertRule, view: Caller, as_of: dt.date
                ) -> list[dict[str, Any]]:  # fmt: skip
    from critmin.domain.minerals import FORMS
    from critmin.services.present import country_label
    from critmin.store.tables import TradeFlow

    p = rule.params or {}
    codes = p.get("hs_codes") or sorted({c for f in FORMS if f.mineral == rule.mineral
                                         for c in f.hs_codes})  # fmt: skip
    if p.get("import_id"):
        try:
            flows, span = _import_exports(session, view, int(p["import_id"]), codes,
                                          p.get("reporter"))  # fmt: skip
        except LookupError:  # the import is gone or no longer visible to the rule's owner
            return []
    else:
        stmt = select(TradeFlow.exporter, TradeFlow.year, TradeFlow.value_kusd).where(
            TradeFlow.hs6.in_(codes), TradeFlow.exporter.is_not(None))
        span = session.execute(select(TradeFlow.year).distinct()).scalars().all()
        if p.get("reporter"):
            stmt = stmt.where(TradeFlow.exporter == p["reporter"])
        flows = pd.DataFrame(session.execute(stmt).all(), columns=["reporter", "year", "value"])
    flows = flows[flows["year"] <= as_of.year]
    if flows.empty or not span:
        return []
    drops = cond.trade_drops(flows, p.get("threshold_pct", 30.0),
                             (min(span), min(max(span), as_of.year)))  # fmt: skip
    out = []
    for r in drops.itertuples(index=False):
        msg = (f"{country_label(r.reporter)}'s exports of {mineral_label(rule.mineral)} (HS "
               f"{', '.join(codes)}) fell {abs(r.change_pct):.1f}% in {r.year}: "
               f"{r.value:,.0f} thousand USD against {r.previous:,.0f} in {r.year - 1} "
               f"(rule: more than {p.get('threshold_pct', 30.0):g}%)")  # fmt: skip
        out.append(_event(rule, f"trade:{r.reporter}:{rule.mineral}", rule.mineral,
                          dt.date(int(r.year), 1, 1), "year", msg, value=float(r.change_pct),
                          details={"reporter": r.reporter, "previous_kusd": r.previous,
                                   "value_kusd": r.value, "hs_codes": codes}))  # fmt: skip
    return out


def _stockpile_expiry(session: Session, rule: AlertRule, view: Caller, as_of: dt.date
                      ) -> list[dict[str, Any]]:  # fmt: skip
    """Lots expiring within ``days``: only lots at least as widely shared as the rule (a
    public rule sees public lots; a partners rule adds its owner's partner-shared lots),
    so an event never tells a reader about a lot they may not see."""
    from critmin.services.stockpile import stockpile_lots_expiring

    days = int((rule.params or {}).get("days", 90))
    lots = stockpile_lots_expiring(session, view, rule.mineral, as_of, days,
                                   rule.sharing, rule.owner_org_id)
    return [_event(rule, f"stockpile:{x['id']}:{x['expires']}", x["mineral"], x["expires"],
                   "day", f"Stockpile lot {x['id']} of {mineral_label(x['mineral'])}: "
                   f"{x['quantity_t']:,.3f} t{' at ' + x['location'] if x['location'] else ''} "
                   f"expires {x['expires']}, within {days} days of {as_of.isoformat()}",
                   value=float(x["quantity_t"]), details={"lot": x["id"]}) for x in lots]


EVALUATORS = {"price_change": _price_change, "ratio": _ratio, "measure_change": _measure_change,
              "measure_expiry": _measure_expiry, "trade_drop": _trade_drop,
              "stockpile_expiry": _stockpile_expiry}  # fmt: skip


def _event(rule: AlertRule, subject: str, mineral: str | None, date: Any, precision: str,
           message: str, *, value: float | None = None, qualifier: str = "exact",
           series_id: int | None = None, other_series_id: int | None = None,
           measure_id: int | None = None, details: dict[str, Any] | None = None
           ) -> dict[str, Any]:  # fmt: skip
    day = date if isinstance(date, dt.date) else dt.date.fromisoformat(str(date)[:10])
    return {"fingerprint": fingerprint(rule.id, subject, day, precision), "rule_id": rule.id,
            "kind": rule.kind, "subject": subject[:200], "mineral": mineral, "date": day,
            "date_precision": precision, "value": value, "qualifier": qualifier,
            "message": message, "series_id": series_id, "other_series_id": other_series_id,
            "measure_id": measure_id, "details": details or {}, "created_at": utcnow()}  # fmt: skip


def evaluate(*, session: Session, rule_rows: Iterable[AlertRule], as_of: dt.date
             ) -> list[dict[str, Any]]:  # fmt: skip
    """The events the rules raise as of ``as_of`` (not yet recorded)."""
    views: dict[int | None, Caller] = {}
    out: list[dict[str, Any]] = []
    for rule in rule_rows:
        view = views.setdefault(rule.owner_org_id, rules.evaluator(session, rule.owner_org_id))
        out.extend(EVALUATORS[rule.kind](session, rule, view, as_of))
    return out


def _runnable(session: Session, caller: Caller, kinds: Iterable[str] | None) -> list[AlertRule]:
    """Enabled rules a run by ``caller`` evaluates: all (local operator), else the
    reference rules and the caller's organisation's own."""
    stmt = select(AlertRule).where(AlertRule.deleted_at.is_(None), AlertRule.enabled)
    if not caller.local:
        stmt = stmt.where(or_(AlertRule.owner_org_id.is_(None),
                              access.own_clause(AlertRule, caller)))  # fmt: skip
    if kinds is not None:
        stmt = stmt.where(AlertRule.kind.in_(list(kinds)))
    return list(session.scalars(stmt.order_by(AlertRule.id)))


def run(*, session: Session, caller: Caller, as_of: dt.date | None = None,
        kinds: Iterable[str] | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Evaluate the rules and record the events not recorded before; the new events the
    caller may see (oldest date first). Deliveries of new events are queued."""
    from critmin.services import monitor_webhooks as hooks

    access.check_caller(caller)
    as_of = as_of or dt.date.today()
    if not EARLIEST <= as_of <= LATEST:
        raise InvalidRecord([{"field": "as_of", "problem": f"a date from {EARLIEST} to {LATEST}"}])
    rules.ensure_defaults(session)  # first: on SQLite this takes the write lock
    found = evaluate(session=session, rule_rows=_runnable(session, caller, kinds), as_of=as_of)
    unique = list({e["fingerprint"]: e for e in found}.values())
    new_ids = rules.upsert_ignore(session, AlertEvent, unique, returning=AlertEvent.id)
    session.flush()
    hooks.queue(session, new_ids)
    return events(session=session, caller=caller, ids=new_ids, limit=None)


def evaluate_after_import(session: Session, caller: Caller, *, prices: bool = False,
                          measures: bool = False, trade: bool = False,
                          as_of: dt.date | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Evaluate the rules an import may have set off (price rules after a price import,
    measure rules after a measures load, trade rules after a trade import) in the
    import's transaction; the new events the caller may see."""
    kinds = [*(("price_change", "ratio") if prices else ()),
             *(("measure_change", "measure_expiry") if measures else ()),
             *(("trade_drop",) if trade else ())]  # fmt: skip
    if not kinds:
        return []
    return run(session=session, caller=caller, as_of=as_of, kinds=kinds)


def _visible_stmt(caller: Caller) -> Any:
    s1, s2, m = aliased(PriceSeries), aliased(PriceSeries), aliased(ExportMeasure)

    def seen(alias: Any, column: Any) -> Any:
        return or_(column.is_(None), and_(alias.deleted_at.is_(None),
                                          access.visible_clause(alias, caller)))

    return (select(AlertEvent, AlertRule, s1, s2)
            .join(AlertRule, AlertRule.id == AlertEvent.rule_id)
            .outerjoin(s1, s1.id == AlertEvent.series_id)
            .outerjoin(s2, s2.id == AlertEvent.other_series_id)
            .outerjoin(m, m.id == AlertEvent.measure_id)
            .where(AlertRule.deleted_at.is_(None), access.visible_clause(AlertRule, caller),
                   seen(s1, AlertEvent.series_id), seen(s2, AlertEvent.other_series_id),
                   seen(m, AlertEvent.measure_id)))  # fmt: skip


def _row(e: AlertEvent, rule: AlertRule, s1: PriceSeries | None, s2: PriceSeries | None
         ) -> dict[str, Any]:  # fmt: skip
    return {
        "id": e.id, "rule": rule.key, "rule_title": rule.title, "kind": e.kind,
        "kind_label": rules.KIND_LABELS.get(e.kind, e.kind),
        "series": s1.key if s1 else None, "series_label": series_label(s1) if s1 else None,
        "other_series": s2.key if s2 else None,
        "other_series_label": series_label(s2) if s2 else None,
        "mineral": e.mineral, "mineral_label": mineral_label(e.mineral) or None,
        "date": e.date.isoformat(), "date_precision": e.date_precision,
        "date_label": _when(e.date, e.date_precision), "value": e.value,
        "qualifier": e.qualifier, "message": e.message, "fingerprint": e.fingerprint,
        "recorded_at": e.created_at.isoformat() if e.created_at else None,
    }  # fmt: skip


def events(*, session: Session, caller: Caller, mineral: str | None = None,
           rule: str | None = None, ids: list[int] | None = None,
           limit: int | None = 100) -> list[dict[str, Any]]:  # fmt: skip
    """Alert events the caller may see, newest date first (``ids``: oldest first)."""
    stmt = _visible_stmt(access.check_caller(caller))
    if mineral:
        stmt = stmt.where(AlertEvent.mineral == mineral)
    if rule:
        stmt = stmt.where(AlertRule.key == rule)
    if ids is not None:
        if not ids:
            return []
        stmt = stmt.where(AlertEvent.id.in_(ids)).order_by(AlertEvent.date, AlertEvent.id)
    else:
        stmt = stmt.order_by(AlertEvent.date.desc(), AlertEvent.id.desc())
    if limit is not None:
        stmt = stmt.limit(max(1, min(int(limit), MAX_LIMIT)))
    return [_row(*r) for r in session.execute(stmt).all()]


def alerts_for(session: Session, caller: Caller, mineral: str, limit: int = 20
               ) -> list[dict[str, Any]]:  # fmt: skip
    """The latest alerts on ``mineral`` the caller may see, JSON-ready (for the
    per-mineral monitor page)."""
    return events(session=session, caller=caller, mineral=mineral, limit=limit)
