"""Export controls as the timeline shows them: each measure's status on a date, at the
precision of its dates, and the chains of measures that relate to one another.

Reads go through the caller's view (:mod:`critmin.services.access`): a relation is
shown only when the caller may see both measures.
"""

from __future__ import annotations

import datetime as dt
import io
from collections import defaultdict
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.analytics import rules
from critmin.domain import vocab
from critmin.domain.enums import label
from critmin.i18n import N_
from critmin.services import access
from critmin.services.auth import Caller
from critmin.services.controls_input import (
    BadRequest,
    parse_country,
    parse_day,
    parse_end_use,
    resolve_item,
)
from critmin.services.entities import visible_relations
from critmin.services.present import (
    country_label,
    date_period,
    form_label,
    format_date,
    mineral_label,
)
from critmin.store.tables import ExportMeasure


def _mineral_filter(code: str | None) -> str | None:
    try:
        return vocab.resolve_optional(vocab.resolve_mineral, code)
    except vocab.UnknownValue as exc:
        raise BadRequest(str(exc)) from None


def measure_status(
    *, effective: dt.date | None, announced: dt.date | None, expiry: dt.date | None,
    precision: str, expiry_derived: bool, today: dt.date,
) -> tuple[str, str]:  # fmt: skip
    """(status, label) of a measure on ``today``, at the precision of its dates.

    ``expired`` once ``today`` is past the whole period its expiry may stand for,
    ``ending`` while ``today`` is inside that period (the day is not known), ``upcoming``
    before its effective date, ``in_force`` otherwise and ``undated`` without any date.
    """
    derived = " (derived from the source, not stated)" if expiry_derived else ""
    if expiry is not None:
        first, last = date_period(expiry, precision)
        when = format_date(expiry, precision)
        if today > last:
            return "expired", f"expired {when}{derived}"
        if today >= first:
            return "ending", (f"ends {when}{derived}; the exact day is not given, so it may "
                              "already have ended")  # fmt: skip
    if effective is not None and today < date_period(effective, precision)[0]:
        return "upcoming", f"in force from {format_date(effective, precision)}"
    if effective is None and announced is None and expiry is None:
        return "undated", "undated (the source gives no dates)"
    if effective is None and announced is not None and today < date_period(announced, precision)[0]:
        return "upcoming", f"announced for {format_date(announced, precision)}"
    until = f"; expires {format_date(expiry, precision)}{derived}" if expiry else ""
    return "in_force", f"in force{until}"


def _measure(
    row: ExportMeasure, relates_to: str | None, today: dt.date, curation_notes: bool
) -> dict[str, Any]:
    p = row.date_precision
    dates = [d for d in (row.announced, row.effective, row.expiry) if d is not None]
    status, status_label = measure_status(
        effective=row.effective, announced=row.announced, expiry=row.expiry,
        precision=_precision(row, "expiry") if row.expiry else p,
        expiry_derived=bool(row.expiry_derived), today=today,
    )  # fmt: skip
    item = {
        "key": row.key,
        "title": row.title,
        "title_original": row.title_original,
        "imposing_country": row.imposing_country,
        "imposing_country_name": country_label(row.imposing_country),
        "target_countries": list(row.target_countries or []),
        "target_country_names": [country_label(c) for c in row.target_countries or []],
        "minerals": list(row.minerals or []),
        "mineral_labels": [mineral_label(m) for m in row.minerals or []],
        "forms": list(row.forms or []),
        "form_labels": [form_label(f) for f in row.forms or []],
        "measure_type": row.measure_type,
        "measure_type_label": label(row.measure_type),
        "extraterritorial": row.extraterritorial,
        "announced": row.announced.isoformat() if row.announced else None,
        "effective": row.effective.isoformat() if row.effective else None,
        "expiry": row.expiry.isoformat() if row.expiry else None,
        "expiry_derived": bool(row.expiry_derived),
        **{f"{d}_label": format_date(getattr(row, d), _precision(row, d))
           for d in ("announced", "effective", "expiry")},
        **{f"{d}_precision": _precision(row, d) for d in ("announced", "effective", "expiry")},
        "announced_derived": bool(row.announced_derived),
        "effective_derived": bool(row.effective_derived),
        "milestones": [{**m, "date_label": format_date(m["date"], m.get("precision", "day"))}
                       for m in row.milestones or []],
        "items": list(row.items or []),
        "end_use": row.end_use or "all",
        "date_precision": p,
        "status": status,
        "status_label": status_label,
        "start": min(dates).isoformat() if dates else None,
        "latest": max(d for d in (row.announced, row.effective) if d).isoformat()
        if (row.announced or row.effective)
        else None,
        "relates_to": relates_to,
        "related_by": [],
        "legal_basis": row.legal_basis,
        "description": row.description,
        "sources": list(row.sources or []),
    }
    if curation_notes:
        item["curation_note"] = row.curation_note
    return item


def measures(
    *, session: Session, caller: Caller, mineral: str | None = None,
    today: dt.date | None = None, curation_notes: bool = False,
) -> dict[str, Any]:  # fmt: skip
    """The export-control timeline, oldest first (undated last), and the chains of
    measures that relate to one another (e.g. a ban and its later suspension).

    A relation is shown only when the caller may see both measures: ``relates_to`` is
    None, and no chain passes through, where the related measure is hidden. ``titles``
    names every visible measure by key (for links between them). Each measure has its
    ``status`` on ``today`` (default: the current date); ``undated`` lists the measures
    the timeline chart cannot place.
    """
    mineral = _mineral_filter(mineral)
    today = today or dt.date.today()
    visible = (access.visible_clause(ExportMeasure, caller), ExportMeasure.deleted_at.is_(None))
    rows = list(session.scalars(select(ExportMeasure).where(*visible).order_by(ExportMeasure.id)))
    related = visible_relations(session=session, rows=rows, caller=caller)
    titles = {r.key: r.title for r in rows}
    computed = rules.statuses(_frame(rows, related), today, mineral)
    states = {r.id: (str(st), int(by) if isinstance(by, str) else None) for r, st, by in
              zip(rows, computed["status"], computed["suspended_by"], strict=True)}  # fmt: skip
    by_key, by_title = {r.id: r.key for r in rows}, {r.id: r.title for r in rows}
    if mineral:
        rows = [r for r in rows if mineral in (r.minerals or [])]
    items = {
        r.id: _measure(r, related[r.id].key if r.id in related else None, today, curation_notes)
        for r in rows
    }
    for r in rows:  # the computed state (announced, in force, suspended, expired, undated)
        state, by = states[r.id]
        items[r.id].update(state=state, suspended_by=by_key.get(by) if by else None,
                           state_label=STATUS_LABELS[state] + (
                               f" by {by_title[by]}" if by else ""))  # fmt: skip
    order = sorted(items, key=lambda i: (items[i]["start"] is None, items[i]["start"] or "",
                                         items[i]["key"], i))  # fmt: skip
    parent = {i: related[i].id for i in order if items[i]["relates_to"] is not None}
    children: dict[int, list[int]] = defaultdict(list)
    for i in order:
        if parent.get(i) in items:
            items[parent[i]]["related_by"].append(items[i]["key"])
            children[parent[i]].append(i)
    chains = []
    for i in order:
        if i in children and parent.get(i) not in items:
            chain, stack = [], [i]
            while stack:
                j = stack.pop(0)
                chain.append(j)
                stack[:0] = children.get(j, [])
            chains.append([{"key": items[j]["key"], "title": items[j]["title"]} for j in chain])
    measures_ = [items[i] for i in order]
    undated = [{"key": m["key"], "title": m["title"]} for m in measures_ if not m["start"]]
    state_counts = {k: sum(m["state"] == k for m in measures_) for k in STATUS_LABELS}
    return {"mineral": mineral, "today": today.isoformat(), "measures": measures_,
            "undated": undated, "chains": chains, "titles": titles,
            "state_counts": state_counts}  # fmt: skip


# ---------------------------------------------------------------- rules: checks and timelines

MAX_BATCH = 100_000
"""Most shipments one batch check takes."""
BATCH_COLUMNS = ("item", "origin", "destination", "date")
BATCH_OPTIONAL = ("via", "end_use", "technology")


def _visible_rows(session: Session, caller: Caller) -> tuple[list[ExportMeasure], dict[int, Any]]:
    visible = (access.visible_clause(ExportMeasure, caller), ExportMeasure.deleted_at.is_(None))
    rows = list(session.scalars(select(ExportMeasure).where(*visible).order_by(ExportMeasure.id)))
    return rows, visible_relations(session=session, rows=rows, caller=caller)


def _precision(row: ExportMeasure, which: str) -> str:
    return getattr(row, f"{which}_precision") or row.date_precision or "day"


def _frame(rows: list[ExportMeasure], related: dict[int, Any]) -> pd.DataFrame:
    """The rules engine's measure frame; keys are row ids, so that one organisation's
    measure never stands in for another's that shares its key."""
    records = []
    for r in rows:
        items = list(r.items or [])
        tech = any(i.get("kind") == "technology" for i in items)
        goods = any(i.get("kind") != "technology" for i in items) or (
            not items and r.measure_type != "technology_control")  # fmt: skip
        records.append({
            "key": str(r.id), "measure_type": r.measure_type,
            "imposing_country": r.imposing_country,
            "target_countries": list(r.target_countries or []),
            "minerals": list(r.minerals or []), "end_use": r.end_use or "all",
            "end_users": list(r.end_users or []), "extraterritorial": bool(r.extraterritorial),
            "announced": r.announced, "effective": r.effective, "expiry": r.expiry,
            **{f"{d}_precision": _precision(r, d) for d in ("announced", "effective", "expiry")},
            "relates_to": str(related[r.id].id) if r.id in related else None,
            "goods": goods,
            "technology": tech or (not items and r.measure_type == "technology_control"),
            "hs_codes": [i["code"] for i in items if i.get("kind") == "hs" and i.get("code")],
        })  # fmt: skip
    return pd.DataFrame(records, columns=list(rules.MEASURE_COLUMNS))


def _link(row: ExportMeasure, effect: str, decides: bool, uncertain: bool,
          by: str | None = None) -> dict[str, Any]:  # fmt: skip
    out = {"key": row.key, "title": row.title, "effect": effect,
           "effect_label": EFFECT_LABELS[effect], "decides": bool(decides),
           "type": row.measure_type, "type_label": label(row.measure_type),
           "sources": list(row.sources or [])}  # fmt: skip
    if uncertain:
        p = _precision(row, "effective" if row.effective else "announced")
        when = format_date(row.effective or row.announced, p)
        out["note"] = f"in force from {when}, known to the {p}: it may not yet bind on that day"
    if by:
        out["by"] = by
    return out


EFFECT_LABELS = {
    "prohibited": N_("prohibits this shipment"),
    "licence_required": N_("requires an export licence"),
    "suspended": N_("would apply, but is suspended on that date"),
    "suspends": N_("suspends another measure for this shipment"),
    "conditional": N_("applies only for the end use or listed end users it names"),
    "unless_exempt": N_("prohibits this shipment unless the material meets the standard "
                        "that exempts it"),
    "exempts": N_("exempts material that meets this standard from a ban"),
    "context": N_("context (not a verdict): enforcement, law, tariff or investigation"),
}
"""What a measure does to a shipment, in English in every reply (pages and the CLI show
the current language's words)."""


def change_days(*, session: Session, caller: Caller) -> np.ndarray:
    """The days on which a verdict over the measures the caller may see can change
    (:func:`critmin.analytics.rules.change_days`): shipments whose dates fall in the same
    period between them get the same verdict and measures."""
    rows, related = _visible_rows(session, caller)
    return rules.change_days(_frame(rows, related))


def check_many(*, session: Session, caller: Caller, shipments: list[dict[str, Any]],
               file: str | None = None) -> list[dict[str, Any]]:  # fmt: skip
    """Verdicts for shipments (dicts with item, origin, destination, date, and optional
    via, end_use, technology), each with the measures deciding or bearing on it.

    Only measures the caller may see are used, so another organisation's private measure
    never changes a verdict."""
    if len(shipments) > MAX_BATCH:
        raise BadRequest(f"at most {MAX_BATCH} shipments per check")
    rows, related = _visible_rows(session, caller)
    items: dict[tuple[str, bool], dict[str, Any]] = {}
    parsed = [_shipment(s, rows, f"{file}, row {n}" if file else None, items)
              for n, s in enumerate(shipments, start=2)]  # fmt: skip
    frame = pd.DataFrame(parsed, columns=[*rules.SHIPMENT_COLUMNS, "form_hs", "label", "item"])
    verdicts, links = rules.check(frame, _frame(rows, related))
    by_ship = {i: g for i, g in links.groupby("shipment")} if len(links) else {}
    suspender = {r.id: r for r in rows}
    names = {r.id: related[r.id].key for r in rows if r.id in related}
    out = []
    for i, p in enumerate(parsed):  # assembling answers, not evaluating rules
        chain = []
        g = by_ship.get(i)
        if g is not None:
            cols = g[["measure", "effect", "decides", "uncertain"]]
            for m, effect, decides, unc in cols.itertuples(index=False):
                row = rows[int(m)]
                by = names.get(row.id) if effect == "suspends" else None
                chain.append(_link(suspender[row.id], effect, decides, unc, by))
        verdict = str(verdicts["verdict"].iloc[i])
        out.append({"item": p["item"], "item_label": p["label"], "origin": p["origin"],
                    "destination": p["destination"], "via": p["via"],
                    "date": p["date"].isoformat(), "end_use": p["end_use"],
                    "verdict": verdict, "verdict_label": label(verdict),
                    "measures": chain, "why": _why(verdict, chain)})  # fmt: skip
    return out


def _shipment(s: dict[str, Any], rows: list[ExportMeasure], where: str | None,
              items: dict[tuple[str, bool], dict[str, Any]]) -> dict[str, Any]:  # fmt: skip
    """One shipment's fields parsed; ``items`` keeps each item already resolved in the
    batch (a batch repeats a few items many times)."""
    def field(col: str, fn: Any) -> Any:
        try:
            return fn(s.get(col))
        except BadRequest as exc:
            if where is None:
                raise
            raise BadRequest(f"{where}, column {col!r}: got {s.get(col)!r}; {exc}") from None

    tech = str(s.get("technology") or "").strip().lower() in ("1", "true", "yes")
    key = (str(s.get("item") or ""), tech)
    if key not in items:
        items[key] = field("item", lambda v: resolve_item(str(v or ""), rows, technology=tech))
    item = items[key]
    return {"minerals": item["minerals"], "technology": item["technology"], "hs": item["hs"],
            "origin": field("origin", lambda v: parse_country(v, "origin")),
            "destination": field("destination", lambda v: parse_country(v, "destination")),
            "via": field("via", lambda v: parse_country(v, "via", required=False)),
            "date": field("date", lambda v: parse_day(v or "")),
            "end_use": field("end_use", parse_end_use), "label": item["label"],
            "item": item["item"], "form_hs": item.get("form_hs")}


def _why(verdict: str, chain: list[dict[str, Any]]) -> str:
    deciding = [c["title"] for c in chain if c["decides"]]
    lifted = [c["title"] for c in chain if c["effect"] == "suspended"]
    text = (f"{label(verdict)}: " + "; ".join(deciding)) if deciding else (
        "Allowed: no recorded measure restricts this shipment on that date")  # fmt: skip
    unless = [c["title"] for c in chain if c["effect"] == "unless_exempt"]
    if unless:
        standards = "; ".join(c["title"] for c in chain if c["effect"] == "exempts")
        rest = f"only material that meets {standards} may enter; other material is " \
               f"prohibited by {'; '.join(unless)}"
        text = f"Allowed: {rest}" if not deciding else f"{text}. Of the rest, {rest}"
    if lifted:
        text += ". Suspended on that date: " + "; ".join(lifted)
        if deciding:
            text += (". A suspension lifts only the measure it names, so the measures above "
                     "still apply")  # fmt: skip
    return text


def check(*, session: Session, caller: Caller, item: str, origin: str, destination: str,
          date: dt.date | str, via: str | None = None, end_use: str | None = None,
          technology: bool = False) -> dict[str, Any]:  # fmt: skip
    """One shipment's verdict: ``allowed``, ``licence_required`` or ``prohibited`` and
    the chain of measures (key, title, effect, sources) behind it."""
    return check_many(session=session, caller=caller, shipments=[{
        "item": item, "origin": origin, "destination": destination, "date": date, "via": via,
        "end_use": end_use, "technology": "true" if technology else ""}])[0]  # fmt: skip


def check_csv(
    *, session: Session, caller: Caller, text: str, file: str = "shipments.csv"
) -> list[dict[str, Any]]:
    """A batch check from CSV text with columns item, origin, destination, date and
    optionally via, end_use, technology. A bad row fails the whole batch, naming file,
    row, column, value and what was expected."""
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise BadRequest(f"{file}: not a readable CSV ({exc})") from None
    missing = [c for c in BATCH_COLUMNS if c not in frame.columns]
    if missing:
        raise BadRequest(f"{file}, row 1 (header): missing column(s) {', '.join(missing)}; "
                         f"expected {', '.join(BATCH_COLUMNS + BATCH_OPTIONAL)}")  # fmt: skip
    extra = sorted(set(frame.columns) - set(BATCH_COLUMNS + BATCH_OPTIONAL))
    if extra:
        raise BadRequest(f"{file}, row 1 (header): unknown column(s) {', '.join(extra)}; "
                         f"expected {', '.join(BATCH_COLUMNS + BATCH_OPTIONAL)}")  # fmt: skip
    if frame.empty:
        raise BadRequest(f"{file}: no shipments (a header and at least one row expected)")
    return check_many(session=session, caller=caller, shipments=frame.to_dict("records"),
                      file=file)  # fmt: skip


STATUS_LABELS = {"not_announced": "not yet announced", "announced": "announced, not yet in force",
                 "in_force": "in force", "suspended": "suspended", "expired": "expired",
                 "undated": "undated (the source gives no dates)"}  # fmt: skip


def _date_fields(row: ExportMeasure, which: str) -> dict[str, Any]:
    value = getattr(row, which)
    p = _precision(row, which)
    derived = bool(getattr(row, f"{which}_derived", False))
    return {which: value.isoformat() if value else None,
            f"{which}_precision": p if value else None,
            f"{which}_label": (format_date(value, p) + (" (derived)" if derived else ""))
            if value else None,
            f"{which}_derived": derived}  # fmt: skip


def _status_label(row: ExportMeasure, status: str, ending: bool, by: str | None) -> str:
    text = STATUS_LABELS[status]
    if status == "suspended" and by:
        text += f" by {by}"
    if status == "announced" and row.effective:
        text += f"; in force from {format_date(row.effective, _precision(row, 'effective'))}"
    if row.expiry and status in ("in_force", "suspended", "expired"):
        when = format_date(row.expiry, _precision(row, "expiry"))
        derived = " (derived, not stated by the source)" if row.expiry_derived else ""
        text += f"; {'expired' if status == 'expired' else 'expires'} {when}{derived}"
        if ending:
            text += "; the exact day is not given, so it may already have ended"
    return text


def timeline(
    *, session: Session, caller: Caller, mineral: str | None = None,
    jurisdiction: str | None = None, as_of: dt.date | str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Measures on ``mineral`` (imposed by ``jurisdiction``), oldest first, each with its
    dates at their precision (derived ones flagged), milestones and status on ``as_of``
    (default today) computed by :func:`critmin.analytics.rules.statuses`; undated
    measures are listed and counted. Only measures the caller may see are used."""
    mineral = _mineral_filter(mineral)
    where = parse_country(jurisdiction, "jurisdiction", required=False)
    day = parse_day(as_of, "as_of") if as_of else dt.date.today()
    rows, related = _visible_rows(session, caller)
    st = rules.statuses(_frame(rows, related), day, mineral)
    keys = {r.id: r.key for r in rows}
    out = []
    for i, r in enumerate(rows):  # presentation of already computed statuses
        if mineral and mineral not in (r.minerals or []):
            continue
        if where and r.imposing_country != where:
            continue
        status, ending = str(st["status"].iloc[i]), bool(st["ending"].iloc[i])
        by_id = st["suspended_by"].iloc[i]
        by = keys.get(int(by_id)) if isinstance(by_id, str) else None
        by_title = next((x.title for x in rows if by and x.key == by), None)
        dates = [d for d in (r.announced, r.effective, r.expiry) if d]
        out.append({
            "key": r.key, "title": r.title, "title_original": r.title_original,
            "type": r.measure_type,
            "type_label": label(r.measure_type), "imposing_country": r.imposing_country,
            "imposing_country_name": country_label(r.imposing_country),
            "target_countries": list(r.target_countries or []),
            "minerals": list(r.minerals or []), "end_use": r.end_use or "all",
            "extraterritorial": bool(r.extraterritorial),
            **_date_fields(r, "announced"), **_date_fields(r, "effective"),
            **_date_fields(r, "expiry"),
            "milestones": [{**m, "date_label": format_date(m["date"], m.get("precision", "day"))
                            + (" (derived)" if m.get("derived") else "")}
                           for m in r.milestones or []],
            "items": list(r.items or []), "status": status, "ending": ending,
            "suspended_by": by, "status_label": _status_label(r, status, ending, by_title),
            "relates_to": keys.get(related[r.id].id) if r.id in related else None,
            "start": min(dates).isoformat() if dates else None,
            "sources": list(r.sources or []),
        })  # fmt: skip
    out.sort(key=lambda m: (m["start"] is None, m["start"] or "", m["key"]))
    undated = [{"key": m["key"], "title": m["title"]} for m in out if m["start"] is None]
    return {"mineral": mineral, "jurisdiction": where, "as_of": day.isoformat(),
            "measures": out, "undated": undated, "undated_count": len(undated),
            "counts": {s: sum(m["status"] == s for m in out) for s in STATUS_LABELS}}  # fmt: skip
