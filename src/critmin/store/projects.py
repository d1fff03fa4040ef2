"""Repository functions for projects (keyword-only, session passed in)."""

from __future__ import annotations

import datetime as dt
import logging
import typing
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, Row, func, select, update
from sqlalchemy.orm import Session, selectinload

from critmin.domain.projects import ProjectRecord
from critmin.store.entities import key_scope
from critmin.store.history import diff, record_change
from critmin.store.tables import Project, ProjectCapacity, ProjectEvent

TABLE = "projects"
log = logging.getLogger(__name__)
SECTION_FIELDS = frozenset({"financing", "offtakers", "milestones"})
"""Change-log fields of the sections that may be shared more narrowly than the record."""


class StaleVersion(Exception):
    """The record changed since the version the caller read (optimistic concurrency)."""


def get_project(*, session: Session, id: int, fresh: bool = False) -> Project | None:
    """A project by id; ``fresh`` reloads it from the database even if already in the session."""
    return session.get(
        Project,
        id,
        options=[selectinload(Project.capacity_points), selectinload(Project.events)],
        populate_existing=fresh,
    )


def children() -> list[Any]:
    """Loader options for a project's capacity points and events."""
    return [selectinload(Project.capacity_points), selectinload(Project.events)]


def get_project_by_key(*, session: Session, key: str, owner_org_id: int | None) -> Project | None:
    """The project with ``key`` owned by ``owner_org_id`` (None: bundled reference data).

    Keys are unique per owning organisation, so the owner is part of every key lookup.
    """
    stmt = select(Project).where(Project.key == key, key_scope(Project, owner_org_id))
    return session.scalars(stmt.options(*children())).first()


def _list_filters(
    *,
    mineral: str | None,
    stage: str | None,
    status: str | None,
    country: str | None,
    include_deleted: bool,
) -> list[Any]:
    table = Project.__table__.c
    cond: list[Any] = []
    if mineral:
        cond.append(table.mineral == mineral)
    if stage:
        cond.append(table.stage == stage)
    if status:
        cond.append(table.status == status)
    if country:
        cond.append(table.country == country.upper())
    if not include_deleted:
        cond.append(table.deleted_at.is_(None))
    return cond


def list_projects(
    *,
    session: Session,
    mineral: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    country: str | None = None,
    include_deleted: bool = False,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Project]:
    """Full project rows with their capacity points and events loaded (for exports, outlooks).

    ``where`` adds conditions (e.g. the caller's visibility, in SQL).
    """
    stmt = select(Project).options(*children())
    stmt = stmt.where(
        *_list_filters(
            mineral=mineral,
            stage=stage,
            status=status,
            country=country,
            include_deleted=include_deleted,
        ),
        *where,
    )
    order = (Project.mineral, func.lower(Project.name), Project.name, Project.id)
    return list(session.scalars(stmt.order_by(*order)))


# The columns a project list shows (services.projects.summary); see list_project_summaries.
SUMMARY_COLUMNS = (
    "id", "key", "name", "name_original", "mineral", "form", "stage", "status", "country",
    "operator", "capacity_tpa", "start_year", "sharing", "sources",
)  # fmt: skip


def summary_columns() -> list[Any]:
    """The SUMMARY_COLUMNS of the projects table, for ``select(*summary_columns())``."""
    table = Project.__table__.c
    return [table[name] for name in SUMMARY_COLUMNS]


def list_project_summaries(
    *,
    session: Session,
    mineral: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    country: str | None = None,
    include_deleted: bool = False,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Row[Any]]:
    """The rows of :func:`list_projects`, in its order, as plain rows of SUMMARY_COLUMNS.

    The fast path for lists: one Core query of the listed columns; no ORM objects, no
    children and none of the other JSON columns to decode (about 5x cheaper than
    :func:`list_projects` for 50 rows). ``where`` adds conditions in SQL.
    """
    table = Project.__table__.c
    cond = _list_filters(
        mineral=mineral,
        stage=stage,
        status=status,
        country=country,
        include_deleted=include_deleted,
    )
    cond.extend(where)
    order = (table.mineral, func.lower(table.name), table.name, table.id)  # case-insensitive
    stmt = select(*summary_columns()).where(*cond).order_by(*order)
    return list(session.execute(stmt))


def count_projects(*, session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Project)) or 0


def to_record(row: Project) -> ProjectRecord:
    """The exchange-format record for a stored project.

    A row stored before today's bounds (e.g. a capacity of 1.7e308) is returned as stored,
    unvalidated, so it can still be read and corrected.
    """
    data = _record_data(row)
    try:
        return ProjectRecord.model_validate(data)
    except ValidationError as exc:
        log.warning("project %s is outside the exchange format's bounds: %s", row.key, exc)
        return _construct(ProjectRecord, data)


def _construct(model: type[BaseModel], data: dict[str, Any]) -> Any:
    """``model`` built from ``data`` without validation, nested models included."""
    values = {}
    for name, info in model.model_fields.items():
        if name in data:
            values[name] = _construct_value(info.annotation, data[name])
    return model.model_construct(**values)


def _construct_value(annotation: Any, value: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _construct(annotation, value) if isinstance(value, dict) else value
    args = typing.get_args(annotation)
    if typing.get_origin(annotation) is list and args and isinstance(value, list):
        return [_construct_value(args[0], v) for v in value]
    return value


def _record_data(row: Project) -> dict[str, Any]:
    return {
        "key": row.key,
        "name": row.name,
        "name_original": row.name_original,
        "mineral": row.mineral,
        "form": row.form,
        "stage": row.stage,
        "feed": row.feed,
        "feed_note": row.feed_note,
        "operator": row.operator,
        "partners": list(row.partners or []),
        "country": row.country,
        "site": row.site,
        "status": row.status,
        "capacity_tpa": row.capacity_tpa,
        "capacity_by_year": [
            {"year": p.year, "capacity_tpa": p.capacity_tpa} for p in row.capacity_points
        ],
        "start_year": row.start_year,
        "end_year": row.end_year,
        "milestones": list(row.milestones or []),
        "financing": {
            "needed_usd": row.financing_needed_usd,
            "committed_usd": row.financing_committed_usd,
            "capex_amount": row.capex_amount,
            "capex_currency": row.capex_currency,
            "sources": list(row.funding_sources or []),
        },
        "offtakers": list(row.offtakers or []),
        "sharing": row.sharing,
        "notes": row.notes,
        "curation_note": row.curation_note,
        "history": [
            {"date": e.date, "status": e.status, "capacity_tpa": e.capacity_tpa, "note": e.note}
            for e in sorted(row.events, key=lambda e: (e.date, e.id or 0))
        ],
        "sources": list(row.sources or []),
    }


def _columns(record: ProjectRecord) -> dict[str, Any]:
    data = record.model_dump(mode="json")
    fin = data["financing"]
    return {
        "key": data["key"],
        "name": data["name"],
        "name_original": data["name_original"],
        "mineral": data["mineral"],
        "form": data["form"],
        "stage": data["stage"],
        "feed": data["feed"],
        "feed_note": data["feed_note"],
        "operator": data["operator"],
        "partners": data["partners"],
        "country": data["country"],
        "site": data["site"],
        "status": data["status"],
        "capacity_tpa": data["capacity_tpa"],
        "start_year": data["start_year"],
        "end_year": data["end_year"],
        "milestones": data["milestones"],
        "financing_needed_usd": fin["needed_usd"],
        "financing_committed_usd": fin["committed_usd"],
        "capex_amount": fin["capex_amount"],
        "capex_currency": fin["capex_currency"],
        "funding_sources": fin["sources"],
        "offtakers": data["offtakers"],
        "sharing": data["sharing"],
        "notes": data["notes"],
        "curation_note": data["curation_note"],
        "sources": data["sources"],
    }


def _snapshot(row: Project) -> dict[str, Any]:
    return to_record(row).model_dump(mode="json")


def upsert_project(
    *,
    session: Session,
    record: ProjectRecord,
    actor: str,
    source: str | None = None,
    owner_org_id: int | None = None,
) -> tuple[Project, str]:
    """Insert or update ``owner_org_id``'s project with ``record.key`` (None: the bundled
    reference data); another owner's project with the same key is a different record.

    Returns the row and the action taken: ``create``, ``update`` or ``unchanged``.
    Every create/update is written to the change log with old -> new values.
    """
    row = get_project_by_key(session=session, key=record.key, owner_org_id=owner_org_id)
    new_snapshot = record.model_dump(mode="json")
    if row is None:
        row = Project(**_columns(record), owner_org_id=owner_org_id, section_sharing={})
        session.add(row)
        _set_children(row, record)
        session.flush()
        record_change(
            session=session,
            table=TABLE,
            record_id=row.id,
            record_key=row.key,
            action="create",
            actor=actor,
            changes={k: [None, v] for k, v in new_snapshot.items() if v not in (None, [], {})},
            source=source,
        )
        return row, "create"
    changes = apply_update(session=session, row=row, record=record, actor=actor, source=source)
    return row, ("update" if changes else "unchanged")


def claim_version(*, session: Session, id: int, expected_version: int) -> None:
    """Atomically bump the version from ``expected_version``; StaleVersion if it moved.

    Run it first in a write transaction: of concurrent callers holding the same
    version exactly one succeeds, the rest raise StaleVersion (no lost updates).
    """
    result = session.execute(
        update(Project)
        .where(Project.id == id, Project.version == expected_version)
        .values(version=expected_version + 1, updated_at=dt.datetime.now(dt.UTC))
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise StaleVersion(f"project {id} is no longer at version {expected_version}")


def apply_update(
    *,
    session: Session,
    row: Project,
    record: ProjectRecord,
    actor: str,
    source: str | None = None,
    section_sharing: dict[str, str] | None = None,
    bump_version: bool = True,
) -> dict[str, list[Any]]:
    """Write ``record`` (and section sharing) over ``row``; log and return the changes."""
    old = _snapshot(row) | {"section_sharing": dict(row.section_sharing or {})}
    new = record.model_dump(mode="json") | {
        "section_sharing": dict(
            section_sharing if section_sharing is not None else old["section_sharing"]
        )
    }
    changes = diff(old, new)
    if not changes:
        return changes
    for name, value in _columns(record).items():
        setattr(row, name, value)
    row.section_sharing = new["section_sharing"]
    row.capacity_points.clear()
    row.events.clear()
    session.flush()  # delete old children before inserting new ones (unique year per project)
    _set_children(row, record)
    if bump_version:
        row.version = (row.version or 1) + 1
    stamp(row, changes)
    session.flush()
    record_change(
        session=session,
        table=TABLE,
        record_id=row.id,
        record_key=row.key,
        action="update",
        actor=actor,
        changes=changes,
        source=source,
    )
    return changes


def stamp(row: Project, changes: dict[str, Any]) -> None:
    """Mark ``row`` changed now: ``updated_at`` always, ``shared_updated_at`` only when a
    field outside the sections changed (what every viewer of the record sees)."""
    now = dt.datetime.now(dt.UTC)
    row.updated_at = now
    if set(changes) - SECTION_FIELDS:
        row.shared_updated_at = now


def set_deleted(
    *, session: Session, row: Project, deleted: bool, actor: str, bump_version: bool = True
) -> None:
    """Soft delete (or restore) a project and log it."""
    old = row.deleted_at
    row.deleted_at = dt.datetime.now(dt.UTC) if deleted else None
    if bump_version:
        row.version = (row.version or 1) + 1
    stamp(row, {"deleted_at": []})
    session.flush()
    record_change(
        session=session,
        table=TABLE,
        record_id=row.id,
        record_key=row.key,
        action="delete" if deleted else "restore",
        actor=actor,
        changes={
            "deleted_at": [
                old.isoformat() if old else None,
                row.deleted_at.isoformat() if row.deleted_at else None,
            ]
        },
    )


def _set_children(row: Project, record: ProjectRecord) -> None:
    row.capacity_points = [
        ProjectCapacity(year=p.year, capacity_tpa=p.capacity_tpa) for p in record.capacity_by_year
    ]
    row.events = [
        ProjectEvent(date=h.date, status=h.status, capacity_tpa=h.capacity_tpa, note=h.note)
        for h in record.history
    ]
