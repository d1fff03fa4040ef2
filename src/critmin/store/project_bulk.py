"""Bulk reads and writes of projects for imports: Core statements, many rows per round trip.

Reads find the records an import would update (by owning organisation and key); writes
insert and update many projects, their capacity points and events, and their change-log
entries with ``executemany``. Callers run the writes in one short transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import and_, bindparam, delete, insert, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from critmin.store.projects import TABLE, to_record
from critmin.store.tables import ChangeLog, Project, ProjectCapacity, ProjectEvent

PROJECTS = Project.__table__
CAPACITY = ProjectCapacity.__table__
EVENTS = ProjectEvent.__table__
CHANGES = ChangeLog.__table__
RECORD_COLUMNS = (
    "key", "name", "mineral", "form", "stage", "feed", "feed_note", "operator", "partners",
    "country", "site", "status", "capacity_tpa", "start_year", "end_year", "milestones",
    "financing_needed_usd", "financing_committed_usd", "capex_amount", "capex_currency",
    "funding_sources", "offtakers", "sharing", "notes", "sources",
)  # fmt: skip
"""The projects columns an exchange record fills."""


@dataclass(frozen=True)
class Existing:
    """A stored project an import may update: its exchange record as JSON, and state."""

    id: int
    key: str
    version: int
    deleted: bool
    section_sharing: dict[str, str]
    snapshot: dict[str, Any]


def _owned_by(owner_org_id: int | None) -> Any:
    column = PROJECTS.c.owner_org_id
    return column.is_(None) if owner_org_id is None else column == owner_org_id


def find_existing(
    session: Session, *, owner_org_id: int | None, keys: list[str]
) -> dict[str, Existing]:
    """The projects of ``owner_org_id`` (None: records without an owner) with these keys."""
    if not keys:
        return {}
    rows = session.execute(
        select(PROJECTS).where(_owned_by(owner_org_id), PROJECTS.c.key.in_(keys))
    ).all()
    if not rows:
        return {}
    ids = [r.id for r in rows]
    points: dict[int, list[Any]] = {i: [] for i in ids}
    events: dict[int, list[Any]] = {i: [] for i in ids}
    for p in session.execute(select(CAPACITY).where(CAPACITY.c.project_id.in_(ids))):
        points[p.project_id].append(p)
    for e in session.execute(select(EVENTS).where(EVENTS.c.project_id.in_(ids))):
        events[e.project_id].append(e)
    out = {}
    for r in rows:
        points_sorted = sorted(points[r.id], key=lambda p: p.year)
        view = SimpleNamespace(**r._mapping, capacity_points=points_sorted, events=events[r.id])
        out[r.key] = Existing(
            id=r.id,
            key=r.key,
            version=r.version or 1,
            deleted=r.deleted_at is not None,
            section_sharing=dict(r.section_sharing or {}),
            snapshot=to_record(view).model_dump(mode="json"),
        )
    return out


def keys_held_by_others(session: Session, *, owner_org_id: int | None, keys: list[str]) -> set[str]:
    """Which of ``keys`` a record of another owner (or of none) already uses."""
    if not keys:
        return set()
    column = PROJECTS.c.owner_org_id
    other = (
        column.is_not(None)
        if owner_org_id is None
        else or_(column.is_(None), column != owner_org_id)
    )
    stmt = select(PROJECTS.c.key).where(other, PROJECTS.c.key.in_(keys))
    return set(session.scalars(stmt))


# ---------------------------------------------------------------- writes


def insert_projects(conn: Connection, rows: list[dict[str, Any]]) -> dict[str, int]:
    """Insert project rows (RECORD_COLUMNS + owner_org_id); returns each key's new id."""
    stmt = insert(PROJECTS).returning(PROJECTS.c.id, PROJECTS.c.key)
    return {key: id for id, key in conn.execute(stmt, rows)}


def update_projects(conn: Connection, rows: list[dict[str, Any]], now: dt.datetime) -> int:
    """Write RECORD_COLUMNS over projects still at the version read (``_id``, ``_version``
    in each row); bumps the version. Returns how many rows matched."""
    stmt = (
        update(PROJECTS)
        .where(and_(PROJECTS.c.id == bindparam("_id"), PROJECTS.c.version == bindparam("_version")))
        .values(
            {name: bindparam(name) for name in RECORD_COLUMNS}
            | {"version": PROJECTS.c.version + 1, "updated_at": now}
        )
    )
    return conn.execute(stmt, rows).rowcount


def replace_children(
    conn: Connection, ids: list[int], points: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    """Replace the capacity points and events of projects ``ids`` with the rows given."""
    if ids:
        conn.execute(delete(CAPACITY).where(CAPACITY.c.project_id.in_(ids)))
        conn.execute(delete(EVENTS).where(EVENTS.c.project_id.in_(ids)))
    insert_children(conn, points, events)


def insert_children(
    conn: Connection, points: list[dict[str, Any]], events: list[dict[str, Any]]
) -> None:
    if points:
        conn.execute(insert(CAPACITY), points)
    if events:
        conn.execute(insert(EVENTS), events)


def insert_changes(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Change-log entries (record_id, record_key, action, changes; actor, source, changed_at)."""
    if rows:
        conn.execute(insert(CHANGES), [{"table_name": TABLE, **row} for row in rows])
