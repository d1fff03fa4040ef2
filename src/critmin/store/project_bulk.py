"""Bulk reads and writes of projects for imports: many rows per round trip.

Reads find the records an import would update (by owning organisation and key); writes
insert and update many projects, their capacity points and events, and their change-log
entries with ``executemany``. Callers run the writes in one short transaction.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import ARRAY, DateTime, String, any_, bindparam, delete, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from critmin.store.entities import key_scope
from critmin.store.projects import TABLE, to_record
from critmin.store.tables import Project, ProjectCapacity, ProjectEvent

PROJECTS = Project.__table__
CAPACITY = ProjectCapacity.__table__
EVENTS = ProjectEvent.__table__
RECORD_COLUMNS = (
    "key", "name", "name_original", "mineral", "form", "stage", "feed", "feed_note",
    "operator", "partners", "country", "site", "status", "capacity_tpa", "start_year",
    "end_year", "milestones", "financing_needed_usd", "financing_committed_usd",
    "capex_amount", "capex_currency", "funding_sources", "offtakers", "sharing", "notes",
    "curation_note", "sources",
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


def _key_in(dialect: str, keys: list[str]) -> Any:
    """``key IN keys``: one array parameter on PostgreSQL (cheaper than a long IN list)."""
    if dialect == "postgresql":
        return PROJECTS.c.key == any_(bindparam("keys", keys, type_=ARRAY(String)))
    return PROJECTS.c.key.in_(keys)


def find_existing(
    session: Session, *, owner_org_id: int | None, keys: list[str]
) -> dict[str, Existing]:
    """The projects of ``owner_org_id`` (None: records without an owner) with these keys.

    The one place an import looks records up: by (owning organisation, key). Another
    owner's project with the same key is a different record.
    """
    if not keys:
        return {}
    dialect = session.get_bind().dialect.name
    rows = session.execute(
        select(PROJECTS).where(key_scope(Project, owner_org_id), _key_in(dialect, keys))
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


# ---------------------------------------------------------------- writes
#
# The writes take rows of plain values ready for the driver (JSON already encoded, dates
# as ISO text) and hand them to ``executemany`` through SQLAlchemy's
# ``exec_driver_sql``: no per-row statement compilation or type processing inside the
# write transaction.

JSON_COLUMNS = frozenset({"partners", "milestones", "funding_sources", "offtakers", "sources"})
"""RECORD_COLUMNS held as JSON (passed to the writes already encoded)."""


class Writer:
    """Bulk statements for one connection's dialect (placeholders, casts, timestamps)."""

    def __init__(self, conn: Connection, now: dt.datetime) -> None:
        self.conn = conn
        self.sqlite = conn.dialect.name == "sqlite"
        self.mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
        stamp = DateTime(timezone=True).dialect_impl(conn.dialect).bind_processor(conn.dialect)
        self.now = stamp(now) if stamp else now

    def _value(self, kind: str = "") -> str:
        if self.sqlite or not kind:
            return self.mark
        return f"CAST({self.mark} AS {kind})"

    def _json(self, column: str) -> str:
        return self._value("JSON" if column in JSON_COLUMNS else "")

    def _insert(
        self, table: str, columns: list[str], marks: list[str], rows: list[tuple[Any, ...]]
    ) -> None:
        """``INSERT INTO table (columns) VALUES (marks)`` for every row: one executemany."""
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(marks)})"
        self.conn.exec_driver_sql(sql, rows)

    def insert_projects(
        self, rows: list[tuple[Any, ...]], owner_org_id: int | None
    ) -> dict[str, int]:
        """Insert projects (each row: the RECORD_COLUMNS values); returns each key's id.

        On PostgreSQL the ids are drawn from the table's sequence first and inserted with
        the rows: looking them up afterwards would be planned on the statistics of the
        table as it was before the import (often empty), i.e. a scan per batch.
        """
        columns = [*RECORD_COLUMNS, "owner_org_id", "section_sharing", "version", "capacity_unit",
                   "created_at", "updated_at", "shared_updated_at"]  # fmt: skip
        marks = [self._json(c) for c in RECORD_COLUMNS] + [self._value(), self._value("JSON")]
        marks += [self._value()] * 5
        extra = (owner_org_id, "{}", 1, "t/yr", self.now, self.now, self.now)
        keys = [row[0] for row in rows]
        if not self.sqlite:
            ids = self.conn.exec_driver_sql(
                "SELECT nextval(pg_get_serial_sequence('projects', 'id')) "
                f"FROM generate_series(1, {self.mark})",
                (len(rows),),
            ).scalars().all()
            self._insert("projects", ["id", *columns], [self.mark, *marks],
                         [(i, *row, *extra) for i, row in zip(ids, rows, strict=True)])  # fmt: skip
            return dict(zip(keys, ids, strict=True))
        self._insert("projects", columns, marks, [(*row, *extra) for row in rows])
        stmt = select(PROJECTS.c.key, PROJECTS.c.id).where(
            key_scope(Project, owner_org_id), _key_in(self.conn.dialect.name, keys)
        )
        return dict(self.conn.execute(stmt).all())

    def update_projects(self, rows: list[tuple[Any, ...]]) -> int:
        """Write RECORD_COLUMNS over projects still at the version read; each row holds the
        values, whether a field every viewer sees changed (``shared_updated_at``), then the
        project's id and the version read. Returns how many matched."""
        sets = ", ".join(f"{c} = {self._json(c)}" for c in RECORD_COLUMNS)
        m = self.mark
        sql = (
            f"UPDATE projects SET {sets}, version = version + 1, updated_at = {m},"
            f" shared_updated_at = COALESCE({self._value('TIMESTAMP WITH TIME ZONE')},"
            f" shared_updated_at) WHERE id = {m} AND version = {m}"
        )
        params = [
            (*row[:-3], self.now, self.now if row[-3] else None, *row[-2:]) for row in rows
        ]
        return self.conn.exec_driver_sql(sql, params).rowcount

    def insert_children(self, points: list[tuple[Any, ...]], events: list[tuple[Any, ...]]) -> None:
        """Capacity points (project_id, year, capacity_tpa) and events (project_id, date as
        ISO text, status, capacity_tpa, note)."""
        m = self.mark
        if points:
            self._insert("project_capacity", ["project_id", "year", "capacity_tpa"], [m] * 3,
                         points)  # fmt: skip
        if events:
            columns = ["project_id", "date", "status", "capacity_tpa", "note"]
            self._insert("project_events", columns, [m, self._value("DATE"), m, m, m], events)

    def delete_children(self, ids: list[int]) -> None:
        if ids:
            self.conn.execute(delete(CAPACITY).where(CAPACITY.c.project_id.in_(ids)))
            self.conn.execute(delete(EVENTS).where(EVENTS.c.project_id.in_(ids)))

    def insert_changes(
        self, rows: list[tuple[Any, ...]], *, action: str, actor: str, source: str
    ) -> None:
        """One change-log entry per row (record_id, record_key, changes as JSON text)."""
        if not rows:
            return
        columns = ["table_name", "record_id", "record_key", "action", "actor", "changed_at",
                   "source", "changes"]  # fmt: skip
        marks = [self.mark] * 7 + [self._value("JSON")]
        self._insert("change_log", columns, marks,
                     [(TABLE, rid, key, action, actor, self.now, source, ch)
                      for rid, key, ch in rows])  # fmt: skip
