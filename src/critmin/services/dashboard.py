"""The dashboard's use cases: each HTML page and its JSON twin is built from one of these.

Every function takes the caller and returns plain, JSON-ready data under the same
sharing rules as the REST API (:mod:`critmin.services.access`,
:mod:`critmin.services.tracker`): records the caller may not see are left out and
hidden sections come back as ``None``.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from critmin.domain.countries import UnknownCountry, country_name
from critmin.domain.enums import ProjectStatus, Stage
from critmin.domain.minerals import MINERALS, get_mineral
from critmin.services import access, tracker
from critmin.services.auth import Caller
from critmin.services.entities import visible_relations
from critmin.services.outlook import baseline_capacity, capacity_outlook_report
from critmin.services.projects import ProjectNotFound
from critmin.services.stats import StatsNotFound, production_shares
from critmin.store.tables import (
    Dataset,
    ExportMeasure,
    Organisation,
    PriceSeries,
    ProductionStat,
    Project,
)

PER_PAGE = 25
MAX_ID = 2**31 - 1  # larger ids cannot exist (and overflow SQLite integers)
LATEST_MEASURES = 5
MAX_OUTLOOK_YEARS = 50
STATUS_ORDER = [s.value for s in ProjectStatus]


class NotFound(LookupError):
    """No such mineral or project, or nothing the caller may see."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class BadRequest(ValueError):
    """A filter or parameter outside its vocabulary or range."""


def _visible(model: Any, caller: Caller) -> list[Any]:
    return [access.visible_clause(model, caller), model.deleted_at.is_(None)]


def country_label(iso3: str | None) -> str:
    """A country's display name (the code itself when unknown)."""
    if not iso3:
        return ""
    try:
        return country_name(iso3)
    except UnknownCountry:
        return iso3


def mineral_info(code: str) -> dict[str, Any]:
    try:
        m = get_mineral(code)
    except KeyError as exc:
        raise NotFound(exc.args[0]) from None
    return {"code": m.code, "name": m.name, "symbol": m.symbol}


def format_date(value: dt.date | str | None, precision: str = "day") -> str | None:
    """A date shown only as precisely as it is known (``2023``, ``2023-07``, ``2023-07-03``)."""
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return {"year": text[:4], "month": text[:7]}.get(precision, text)


# --- landing page -------------------------------------------------------------------------


def minerals_index(*, session: Session, caller: Caller) -> dict[str, Any]:
    """Every known mineral with what the caller can see about it."""
    projects = dict(
        session.execute(
            select(Project.mineral, func.count())
            .where(*_visible(Project, caller))
            .group_by(Project.mineral)
        ).all()
    )
    series = dict(
        session.execute(
            select(PriceSeries.mineral, func.count())
            .where(*_visible(PriceSeries, caller))
            .group_by(PriceSeries.mineral)
        ).all()
    )
    measures: Counter[str] = Counter()
    for minerals in session.scalars(
        select(ExportMeasure.minerals).where(*_visible(ExportMeasure, caller))
    ):
        measures.update(set(minerals or []))
    production = dict(
        session.execute(
            select(ProductionStat.mineral, func.max(ProductionStat.year))
            .where(ProductionStat.measure == "production", ProductionStat.value.is_not(None))
            .group_by(ProductionStat.mineral)
        ).all()
    )
    rows = [
        {
            "code": m.code,
            "name": m.name,
            "symbol": m.symbol,
            "projects": projects.get(m.code, 0),
            "price_series": series.get(m.code, 0),
            "measures": measures.get(m.code, 0),
            "production_year": production.get(m.code),
        }
        for m in MINERALS
    ]
    rows.sort(key=lambda r: (-(r["projects"] + r["measures"] + r["price_series"]), r["name"]))
    return {"minerals": rows}


# --- mineral overview ---------------------------------------------------------------------


def concentration(*, session: Session, mineral: str) -> dict[str, Any]:
    """USGS production shares and HHI; ``message`` says why when there are none."""
    try:
        return {**production_shares(session=session, mineral=mineral), "message": None}
    except StatsNotFound as exc:
        return {"mineral": mineral, "year": None, "shares": [], "sources": [], "message": str(exc)}


def price_series(*, session: Session, caller: Caller, mineral: str) -> list[dict[str, Any]]:
    """The price series of ``mineral`` the caller may see, with every observation."""
    stmt = (
        select(PriceSeries)
        .where(PriceSeries.mineral == mineral, *_visible(PriceSeries, caller))
        .options(selectinload(PriceSeries.observations))
        .order_by(PriceSeries.key)
    )
    return [
        {
            "key": s.key,
            "market": s.market,
            "form": s.form,
            "unit": s.unit,
            "description": s.description,
            "observations": [
                {
                    "date": o.date.isoformat(),
                    "label": format_date(o.date, o.date_precision),
                    "date_precision": o.date_precision,
                    "kind": o.kind,
                    "value": o.value,
                    "unit": o.unit,
                    "reference": o.reference,
                    "note": o.note,
                    "sources": list(o.sources or []),
                }
                for o in s.observations
            ],
        }
        for s in session.scalars(stmt)
    ]


def pipeline(*, session: Session, caller: Caller, mineral: str) -> dict[str, Any]:
    """The visible project pipeline: counts and nameplate capacity by status and start year."""
    rows = session.execute(
        select(Project.status, Project.start_year, Project.capacity_tpa).where(
            Project.mineral == mineral, *_visible(Project, caller)
        )
    ).all()
    by_status: dict[str, dict[str, Any]] = {}
    by_year: dict[tuple[int | None, str], dict[str, Any]] = {}
    for status, year, capacity in rows:
        for group in (
            by_status.setdefault(status, {"status": status}),
            by_year.setdefault((year, status), {"year": year, "status": status}),
        ):
            group["projects"] = group.get("projects", 0) + 1
            if capacity is not None:  # None where no project of the group gives a capacity
                group["capacity_tpa"] = (group.get("capacity_tpa") or 0.0) + capacity
            group.setdefault("capacity_tpa", None)

    def rank(status: str) -> int:
        return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)

    return {
        "unit": "t/yr",
        "projects": len(rows),
        "without_capacity": sum(1 for *_, c in rows if c is None),
        "by_status": sorted(by_status.values(), key=lambda r: rank(r["status"])),
        "by_year": sorted(
            by_year.values(),
            key=lambda r: (r["year"] is None, r["year"] or 0, rank(r["status"])),
        ),
    }


def mineral_overview(*, session: Session, caller: Caller, mineral: str) -> dict[str, Any]:
    """Concentration, prices, pipeline and latest export controls for one mineral."""
    info = mineral_info(mineral)
    timeline = measures(session=session, caller=caller, mineral=mineral)["measures"]
    latest = sorted(
        (m for m in timeline if m["latest"]), key=lambda m: m["latest"], reverse=True
    )[:LATEST_MEASURES]
    return {
        "mineral": info,
        "concentration": concentration(session=session, mineral=mineral),
        "prices": price_series(session=session, caller=caller, mineral=mineral),
        "pipeline": pipeline(session=session, caller=caller, mineral=mineral),
        "latest_measures": latest,
    }


# --- export-control measures --------------------------------------------------------------


def _measure(row: ExportMeasure, relates_to: str | None) -> dict[str, Any]:
    p = row.date_precision
    dates = [d for d in (row.announced, row.effective, row.expiry) if d is not None]
    return {
        "key": row.key,
        "title": row.title,
        "imposing_country": row.imposing_country,
        "imposing_country_name": country_label(row.imposing_country),
        "target_countries": list(row.target_countries or []),
        "minerals": list(row.minerals or []),
        "forms": list(row.forms or []),
        "measure_type": row.measure_type,
        "extraterritorial": row.extraterritorial,
        "announced": row.announced.isoformat() if row.announced else None,
        "effective": row.effective.isoformat() if row.effective else None,
        "expiry": row.expiry.isoformat() if row.expiry else None,
        "announced_label": format_date(row.announced, p),
        "effective_label": format_date(row.effective, p),
        "expiry_label": format_date(row.expiry, p),
        "date_precision": p,
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


def measures(
    *, session: Session, caller: Caller, mineral: str | None = None
) -> dict[str, Any]:
    """The export-control timeline, oldest first (undated last), and the chains of
    measures that relate to one another (e.g. a ban and its later suspension).

    A relation is shown only when the caller may see both measures: ``relates_to`` is
    None, and no chain passes through, where the related measure is hidden.
    """
    if mineral:
        mineral_info(mineral)
    rows = list(session.scalars(select(ExportMeasure).where(*_visible(ExportMeasure, caller))))
    related = visible_relations(session=session, rows=rows, caller=caller)
    if mineral:
        rows = [r for r in rows if mineral in (r.minerals or [])]
    items = {r.id: _measure(r, related[r.id].key if r.id in related else None) for r in rows}
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
    return {"mineral": mineral, "measures": [items[i] for i in order], "chains": chains}


# --- projects -----------------------------------------------------------------------------


def _check(value: str | None, allowed: list[str], name: str) -> str | None:
    if value and value not in allowed:
        raise BadRequest(f"unknown {name} {value!r}; expected one of {', '.join(allowed)}")
    return value or None


def projects_list(
    *,
    session: Session,
    caller: Caller,
    mineral: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    country: str | None = None,
    q: str | None = None,
    sort: str = "name",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> dict[str, Any]:
    """One page of the projects the caller may see, with the filter options."""
    mineral = _check(mineral, [m.code for m in MINERALS], "mineral")
    stage = _check(stage, [s.value for s in Stage], "stage")
    status = _check(status, STATUS_ORDER, "status")
    country = (country or "").strip().upper() or None
    if country and (len(country) != 3 or not country.isalpha()):
        raise BadRequest(f"country must be an ISO 3166 alpha-3 code, not {country!r}")
    q = (q or "").strip()[:100] or None
    if q and any(ord(ch) < 32 for ch in q):
        raise BadRequest("the search text contains control characters")
    if page < 1 or not 1 <= per_page <= 200:
        raise BadRequest("page must be >= 1 and per_page between 1 and 200")
    try:
        result = tracker.list_page(
            session=session, caller=caller, mineral=mineral, stage=stage, status=status,
            country=country, q=q, sort=sort, limit=per_page, offset=(page - 1) * per_page,
        )  # fmt: skip
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    for row in result.rows:
        row["country_name"] = country_label(row["country"])
    present = session.execute(
        select(Project.mineral, Project.country).where(*_visible(Project, caller)).distinct()
    ).all()
    return {
        "filters": {"mineral": mineral, "stage": stage, "status": status,
                    "country": country, "q": q, "sort": sort},  # fmt: skip
        "page": page,
        "per_page": per_page,
        "total": result.total,
        "pages": max(1, -(-result.total // per_page)),
        "rows": result.rows,
        "options": {
            "minerals": sorted({m for m, _ in present}),
            "stages": [s.value for s in Stage],
            "statuses": STATUS_ORDER,
            "countries": sorted(
                ({"code": c, "name": country_label(c)} for c in {c for _, c in present}),
                key=lambda c: c["name"],
            ),
            "sort": list(tracker.SORTABLE),
        },
    }


def project_view(*, session: Session, caller: Caller, id: int) -> dict[str, Any]:
    """A project as the caller may see it, with its change log and hidden sections named."""
    if not 1 <= id <= MAX_ID:
        raise NotFound(f"no project with id {id}")
    try:
        row = tracker.get_visible(session=session, caller=caller, id=id)
    except ProjectNotFound as exc:
        raise NotFound(str(exc)) from None
    data = tracker.to_public(row, caller)
    org = session.get(Organisation, row.owner_org_id) if row.owner_org_id else None
    data["country_name"] = country_label(row.country)
    return {
        "project": data,
        "owner": org.name if org else None,  # as public as the record (cf. its change log)
        "hidden_sections": [
            s for s in access.SECTIONS if not access.can_see_section(row, s, caller)
        ],
        "editable": data["editable"],
        "change_log": tracker.history(session=session, caller=caller, id=id),
    }


# --- capacity outlook ---------------------------------------------------------------------


def outlook(
    *,
    session: Session,
    caller: Caller,
    mineral: str,
    start: int | None = None,
    end: int | None = None,
    draws: int = 10_000,
) -> dict[str, Any]:
    """The P10/P50/P90 non-China capacity outlook over the projects the caller may see,
    with only the financing and milestones the caller may see.

    ``start`` defaults to the USGS baseline year and ``end`` to ten years later.
    """
    info = mineral_info(mineral)
    try:
        if start is None:
            start = int(baseline_capacity(session=session, mineral=mineral)["year"])
        end = end if end is not None else start + 10
        if not (1900 <= start <= end <= 2200) or end - start >= MAX_OUTLOOK_YEARS:
            raise BadRequest(
                f"need 1900 <= from <= to <= 2200 within {MAX_OUTLOOK_YEARS} years; "
                f"got {start}..{end}"
            )
        report = capacity_outlook_report(
            session=session, mineral=mineral, start=start, end=end, draws=draws, caller=caller
        )
    except StatsNotFound as exc:
        return {"mineral": info, "start": start, "end": end, "years": [], "meta": None,
                "message": str(exc)}  # fmt: skip
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    return {"mineral": info, "start": start, "end": end, **report, "message": None}


# --- sources ------------------------------------------------------------------------------


def sources(*, session: Session, caller: Caller) -> dict[str, Any]:
    """The datasets table and every curated citation behind records the caller may see."""
    datasets = [
        {
            "code": d.code, "title": d.title, "publisher": d.publisher, "citation": d.citation,
            "url": d.url, "licence": d.licence, "version": d.version,
            "retrieved": d.retrieved.isoformat() if d.retrieved else None,
        }
        for d in session.scalars(select(Dataset).order_by(Dataset.code))
    ]  # fmt: skip
    cited: dict[tuple[str, str], dict[str, Any]] = {}

    def add(ref: Any, kind: str, key: str, label: str) -> None:
        if not isinstance(ref, dict) or not ref.get("document"):
            return
        doc = cited.setdefault(
            (ref["document"], ref.get("title") or ""),
            {"document": ref["document"], "title": ref.get("title"), "url": ref.get("url"),
             "licence": ref.get("licence"), "published": ref.get("published"), "cited_by": []},
        )  # fmt: skip
        doc["cited_by"].append(
            {"kind": kind, "key": key, "label": label,
             "locator": ref.get("locator"), "quote": ref.get("quote")}
        )  # fmt: skip

    for m in session.scalars(select(ExportMeasure).where(*_visible(ExportMeasure, caller))):
        for ref in m.sources or []:
            add(ref, "measure", m.key, m.title)
    stmt = (
        select(PriceSeries)
        .where(*_visible(PriceSeries, caller))
        .options(selectinload(PriceSeries.observations))
    )
    for s in session.scalars(stmt):
        for o in s.observations:
            for ref in o.sources or []:
                add(ref, "price", s.key, f"{s.market} {s.unit}, {o.date.isoformat()}")
    for p in session.scalars(select(Project).where(*_visible(Project, caller))):
        for ref in p.sources or []:
            add(ref, "project", str(p.id), p.name)
    citations = sorted(cited.values(), key=lambda d: (-len(d["cited_by"]), d["document"]))
    return {"datasets": datasets, "citations": citations}
