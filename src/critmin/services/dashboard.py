"""The dashboard's use cases: each HTML page and its JSON twin is built from one of these.

Every function takes the caller and returns plain, JSON-ready data under the same
sharing rules as the REST API (:mod:`critmin.services.access`,
:mod:`critmin.services.tracker`): records the caller may not see are left out and
hidden sections come back as ``None``.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from critmin.domain import vocab
from critmin.domain.claims import figure_text
from critmin.domain.enums import ProjectStatus, Stage, label, labels_of
from critmin.domain.minerals import MINERALS, get_mineral
from critmin.domain.prices import QUALIFIER_MARK
from critmin.domain.projects import MAX_CAPACITY_TPA
from critmin.services import access, controls, tracker
from critmin.services.auth import Caller
from critmin.services.controls import BadRequest
from critmin.services.outlook import baseline_capacity, capacity_outlook_report
from critmin.services.present import (
    country_label,
    form_label,
    format_date,
    mineral_label,
    with_labels,
)
from critmin.services.projects import ProjectNotFound
from critmin.services.stats import StatsNotFound, production_shares, share_rows
from critmin.store.tables import (
    Claim,
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
SORT_LABELS = {"capacity_tpa": "capacity (t/yr)", "updated_at": "last change", "id": "id"}


class NotFound(LookupError):
    """No such mineral or project, or nothing the caller may see."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _visible(model: Any, caller: Caller) -> list[Any]:
    return [access.visible_clause(model, caller), model.deleted_at.is_(None)]


def mineral_info(code: str) -> dict[str, Any]:
    """The mineral of a page's path (404 when unknown)."""
    try:
        m = get_mineral(code)
    except KeyError as exc:
        raise NotFound(exc.args[0]) from None
    return {"code": m.code, "name": m.name, "symbol": m.symbol}


def _mineral_filter(code: str | None) -> str | None:
    """A mineral given as a filter (query parameter): 422 naming the known ones."""
    try:
        return vocab.resolve_optional(vocab.resolve_mineral, code)
    except vocab.UnknownValue as exc:
        raise BadRequest(str(exc)) from None


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
    """USGS production shares and HHI; ``rows`` adds "Other countries" and the
    unattributed rest (shares add up to 100 %); ``message`` says why when there are none."""
    try:
        result = production_shares(session=session, mineral=mineral)
    except StatsNotFound as exc:
        return {"mineral": mineral, "year": None, "shares": [], "rows": [], "sources": [],
                "notes": [], "message": str(exc)}  # fmt: skip
    return {**result, "rows": share_rows(result), "message": None}


def price_series(
    *, session: Session, caller: Caller, mineral: str, curation_notes: bool = False
) -> list[dict[str, Any]]:
    """The price series of ``mineral`` the caller may see, with every observation.

    ``label`` names the market and the traded form in words ("Rotterdam — Ammonium
    paratungstate (APT)"); curators' notes only with ``curation_notes``.
    """
    stmt = (
        select(PriceSeries)
        .where(PriceSeries.mineral == mineral, *_visible(PriceSeries, caller))
        .options(selectinload(PriceSeries.observations))
        .order_by(PriceSeries.key)
    )
    rows = list(session.scalars(stmt))
    shown = {s.key for s in rows}  # a ratio names another series only if the caller sees it
    out = []
    for s in rows:
        series = {
            "key": s.key,
            "market": s.market,
            "form": s.form,
            "form_label": form_label(s.form),
            "label": s.market + (f" — {form_label(s.form)}" if s.form else ""),
            "unit": s.unit,
            "description": s.description,
            "observations": [
                {
                    "date": o.date.isoformat(),
                    "label": format_date(o.date, o.date_precision),
                    "date_precision": o.date_precision,
                    "kind": o.kind,
                    "kind_label": label(o.kind),
                    "value": o.value,
                    "qualifier": o.qualifier,
                    "qualifier_mark": QUALIFIER_MARK.get(o.qualifier, ""),
                    "unit": o.unit,
                    "window": o.window,
                    "relative_to": o.relative_to if o.relative_to in shown else None,
                    "reference": o.reference,
                    "note": o.note,
                    "sources": list(o.sources or []),
                    **({"curation_note": o.curation_note} if curation_notes else {}),
                }
                for o in s.observations
            ],
        }
        if curation_notes:
            series["curation_note"] = s.curation_note
        out.append(series)
    return out


def usable_capacity(value: float | None) -> bool:
    """Whether a stored capacity can be summed: finite and within the schema's bounds
    (rows stored before the bounds may hold values such as 1.7e308)."""
    return value is not None and math.isfinite(value) and 0 <= value <= MAX_CAPACITY_TPA


def pipeline(*, session: Session, caller: Caller, mineral: str) -> dict[str, Any]:
    """The visible project pipeline: counts and nameplate capacity by status and start year.

    Capacities outside the schema's bounds (stored before the bounds existed) are left
    out of the sums and counted in ``capacity_left_out``, with a ``note``; every sum is
    finite.
    """
    rows = session.execute(
        select(Project.status, Project.start_year, Project.capacity_tpa).where(
            Project.mineral == mineral, *_visible(Project, caller)
        )
    ).all()
    by_status: dict[str, dict[str, Any]] = {}
    by_year: dict[tuple[int | None, str], dict[str, Any]] = {}
    left_out = 0
    for status, year, capacity in rows:
        usable = usable_capacity(capacity)
        left_out += capacity is not None and not usable
        name = label(status)
        for group in (
            by_status.setdefault(status, {"status": status, "status_label": name}),
            by_year.setdefault((year, status), {"year": year, "status": status,
                                                "status_label": name}),
        ):  # fmt: skip
            group["projects"] = group.get("projects", 0) + 1
            if usable:  # None where no project of the group gives a usable capacity
                group["capacity_tpa"] = (group.get("capacity_tpa") or 0.0) + capacity
            group.setdefault("capacity_tpa", None)

    def rank(status: str) -> int:
        return STATUS_ORDER.index(status) if status in STATUS_ORDER else len(STATUS_ORDER)

    return {
        "unit": "t/yr",
        "projects": len(rows),
        "without_capacity": sum(1 for *_, c in rows if c is None),
        "capacity_left_out": left_out,
        "note": (
            f"{left_out} project(s) with a capacity outside 0-{MAX_CAPACITY_TPA:,.0f} t/yr "
            "left out of the totals"
            if left_out
            else None
        ),
        "by_status": sorted(by_status.values(), key=lambda r: rank(r["status"])),
        "by_year": sorted(
            by_year.values(),
            key=lambda r: (r["year"] is None, r["year"] or 0, rank(r["status"])),
        ),
    }


def claims(
    *, session: Session, mineral: str, topic: str | None = None, curation_notes: bool = False
) -> list[dict[str, Any]]:
    """The sourced claims about ``mineral`` (public reference data), oldest first; each
    figure has a ``text`` such as ``up to 170 t``."""
    stmt = select(Claim).where(Claim.mineral == mineral)
    if topic:
        stmt = stmt.where(Claim.topic == topic)
    out = []
    for c in session.scalars(stmt.order_by(Claim.date, Claim.key)):
        item = {
            "key": c.key, "mineral": c.mineral, "topic": c.topic, "topic_label": label(c.topic),
            "statement": c.statement,
            "figures": [{**f, "text": figure_text(f)} for f in c.figures or []],
            "date": c.date.isoformat() if c.date else None,
            "date_label": format_date(c.date, c.date_precision), "date_precision": c.date_precision,
            "sources": list(c.sources or []),
        }  # fmt: skip
        if curation_notes:
            item["curation_note"] = c.curation_note
        out.append(item)
    return out


def mineral_overview(
    *, session: Session, caller: Caller, mineral: str, curation_notes: bool = False,
    today: dt.date | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Concentration, prices, pipeline and latest export controls for one mineral."""
    info = mineral_info(mineral)
    timeline = controls.measures(session=session, caller=caller, mineral=mineral, today=today,
                        curation_notes=curation_notes)["measures"]  # fmt: skip
    latest = sorted(
        (m for m in timeline if m["latest"]), key=lambda m: m["latest"], reverse=True
    )[:LATEST_MEASURES]
    return {
        "mineral": info,
        "concentration": concentration(session=session, mineral=mineral),
        "prices": price_series(session=session, caller=caller, mineral=mineral,
                               curation_notes=curation_notes),  # fmt: skip
        "pipeline": pipeline(session=session, caller=caller, mineral=mineral),
        "latest_measures": latest,
        "claims": claims(session=session, mineral=mineral, curation_notes=curation_notes),
    }


# --- projects -----------------------------------------------------------------------------


def _filter(resolve: Any, value: str | None, *args: Any) -> str | None:
    """A filter value resolved to its code; BadRequest (422) naming the known values."""
    try:
        return vocab.resolve_optional(resolve, value, *args)
    except vocab.UnknownValue as exc:
        raise BadRequest(str(exc)) from None


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
    """One page of the projects the caller may see, with the filter options.

    Filters take codes or names (``Canada``, ``Gallium``); a value outside its vocabulary
    is a BadRequest naming the known values. Rows carry ``*_label`` fields beside codes.
    """
    mineral = _filter(vocab.resolve_mineral, mineral)
    stage = _filter(vocab.resolve_enum, stage, Stage, "stage")
    status = _filter(vocab.resolve_enum, status, ProjectStatus, "status")
    country = _filter(vocab.resolve_country, country)
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
    rows = [with_labels(row) for row in result.rows]
    for row in rows:
        row["country_name"] = row["country_label"]
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
        "rows": rows,
        "options": {
            "minerals": [{"code": m, "name": mineral_label(m)}
                         for m in sorted({m for m, _ in present}, key=mineral_label)],
            "stages": [{"code": k, "name": v} for k, v in labels_of(Stage).items()],
            "statuses": [{"code": k, "name": v} for k, v in labels_of(ProjectStatus).items()],
            "countries": sorted(
                ({"code": c, "name": country_label(c)} for c in {c for _, c in present}),
                key=lambda c: c["name"].casefold(),
            ),
            "sort": [{"code": c, "name": SORT_LABELS.get(c, label(c).lower())}
                     for c in tracker.SORTABLE],
        },
    }  # fmt: skip


def project_view(
    *, session: Session, caller: Caller, id: int, curation_notes: bool = False
) -> dict[str, Any]:
    """A project as the caller may see it, with its change log and hidden sections named.

    Codes come with their labels (``stage_label``, ``feed_label``, ...); the curators'
    ``curation_note`` only with ``curation_notes``.
    """
    if not 1 <= id <= MAX_ID:
        raise NotFound(f"no project with id {id}")
    try:
        row = tracker.get_visible(session=session, caller=caller, id=id)
    except ProjectNotFound as exc:
        raise NotFound(str(exc)) from None
    data = with_labels(tracker.to_public(row, caller, curation_notes=curation_notes))
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
    include_restarts: bool = False,
) -> dict[str, Any]:
    """The P10/P50/P90 non-China capacity outlook over the projects the caller may see,
    with only the financing and milestones the caller may see.

    ``start`` defaults to the USGS baseline year and ``end`` to ten years later. Where
    no project can add capacity, ``message`` says why and there are no years to draw.
    """
    mineral = _filter(vocab.resolve_mineral, mineral) or mineral  # 422 naming the known ones
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
            session=session, mineral=mineral, start=start, end=end, draws=draws,
            include_restarts=include_restarts, caller=caller,
        )  # fmt: skip
    except StatsNotFound as exc:
        return {"mineral": info, "start": start, "end": end, "years": [], "meta": None,
                "message": str(exc)}  # fmt: skip
    except ValueError as exc:
        raise BadRequest(str(exc)) from None
    for p in report["meta"]["projects"]:
        p.update(country_label=country_label(p["country"]), stage_label=label(p["stage"]),
                 status_label=label(p["status"]))  # fmt: skip
    message = report["meta"]["no_outlook"]
    compare = claims(session=session, mineral=mineral, topic="capacity_outlook")
    return {"mineral": info, "start": start, "end": end, **report, "message": message,
            "claims": compare}  # fmt: skip


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
                market = s.market + (f" — {form_label(s.form)}" if s.form else "")
                when = format_date(o.date, o.date_precision)
                add(ref, "price", s.key, f"{market} ({s.unit}), {when}")
    for p in session.scalars(select(Project).where(*_visible(Project, caller))):
        for ref in p.sources or []:
            add(ref, "project", str(p.id), p.name)
    for c in session.scalars(select(Claim)):
        for ref in c.sources or []:
            add(ref, "claim", c.key, c.statement)
    citations = sorted(cited.values(), key=lambda d: (-len(d["cited_by"]), d["document"]))
    return {"datasets": datasets, "citations": citations}
