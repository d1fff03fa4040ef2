"""Export controls as the timeline shows them: each measure's status on a date, at the
precision of its dates, and the chains of measures that relate to one another.

Reads go through the caller's view (:mod:`critmin.services.access`): a relation is
shown only when the caller may see both measures.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.domain import vocab
from critmin.domain.enums import label
from critmin.services import access
from critmin.services.auth import Caller
from critmin.services.entities import visible_relations
from critmin.services.present import (
    country_label,
    date_period,
    form_label,
    format_date,
    mineral_label,
)
from critmin.store.tables import ExportMeasure


class BadRequest(ValueError):
    """A filter or parameter outside its vocabulary or range (422 in the API and pages)."""


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
        effective=row.effective, announced=row.announced, expiry=row.expiry, precision=p,
        expiry_derived=bool(row.expiry_derived), today=today,
    )  # fmt: skip
    item = {
        "key": row.key,
        "title": row.title,
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
        "announced_label": format_date(row.announced, p),
        "effective_label": format_date(row.effective, p),
        "expiry_label": format_date(row.expiry, p),
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
    rows = list(session.scalars(select(ExportMeasure).where(*visible)))
    related = visible_relations(session=session, rows=rows, caller=caller)
    titles = {r.key: r.title for r in rows}
    if mineral:
        rows = [r for r in rows if mineral in (r.minerals or [])]
    items = {
        r.id: _measure(r, related[r.id].key if r.id in related else None, today, curation_notes)
        for r in rows
    }
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
    return {"mineral": mineral, "today": today.isoformat(), "measures": measures_,
            "undated": undated, "chains": chains, "titles": titles}  # fmt: skip
