"""Project tracker use cases: list, show, import and export in the exchange format."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Row
from sqlalchemy.orm import Session

from critmin.domain.projects import ProjectRecord
from critmin.ingest import exchange
from critmin.store import projects as repo
from critmin.store.history import history_for
from critmin.store.tables import Project


class ProjectNotFound(LookupError):
    """No project with that id or key."""


def summary(row: Project | Row[Any]) -> dict[str, Any]:
    """The short form of a project used by lists.

    ``row`` is a Project or a row of ``store.projects.SUMMARY_COLUMNS`` (the fast path).
    """
    return {
        "id": row.id,
        "key": row.key,
        "name": row.name,
        "mineral": row.mineral,
        "form": row.form,
        "stage": row.stage,
        "status": row.status,
        "country": row.country,
        "operator": row.operator,
        "capacity_tpa": row.capacity_tpa,
        "start_year": row.start_year,
        "sharing": row.sharing,
        "sources": list(row.sources or []),
    }


def summaries(rows: Iterable[Sequence[Any]], *, raw_sources: bool = False) -> list[dict[str, Any]]:
    """:func:`summary` of many rows of ``store.projects.SUMMARY_COLUMNS`` (in that order),
    built in bulk: the list hot path.

    ``sources`` may come as the stored JSON text (the list selects it cast to text).
    With ``raw_sources`` it stays that text, as an ``orjson.Fragment`` that orjson
    writes into a response as it is (no decoding and encoding again); otherwise it is
    decoded with orjson, several times faster than the standard library and exact
    here, as citations (``SourceRef``) hold only strings and dates.
    """
    out = [dict(zip(repo.SUMMARY_COLUMNS, row, strict=True)) for row in rows]
    for item in out:
        sources = item["sources"]
        if isinstance(sources, str | bytes):
            if sources in ("null", b"null"):
                sources = None
            else:
                sources = orjson.Fragment(sources) if raw_sources else _loads(sources)
        item["sources"] = sources or []
    return out


def _loads(text: str | bytes) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # e.g. NaN, which the standard library reads
        return json.loads(text)


def list_projects(
    *,
    session: Session,
    mineral: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    country: str | None = None,
    public_only: bool = False,
) -> list[dict[str, Any]]:
    """Summaries of the projects not deleted, by mineral, name and id.

    Reads only the summary columns (no ORM objects, no children): see
    ``store.projects.list_project_summaries``.
    """
    rows = repo.list_project_summaries(
        session=session,
        mineral=mineral,
        stage=stage,
        status=status,
        country=country,
        public_only=public_only,
    )
    return [summary(r) for r in rows]


def find_project(*, session: Session, ref: str | int, public_only: bool = False) -> Project:
    """A project by numeric id or by key."""
    row = None
    if isinstance(ref, int) or str(ref).isdigit():
        row = repo.get_project(session=session, id=int(ref))
    if row is None:
        row = repo.get_project_by_key(session=session, key=str(ref))
    if row is None or row.deleted_at is not None or (public_only and row.sharing != "public"):
        raise ProjectNotFound(f"no project with id or key {ref!r}")
    return row


def project_detail(
    *, session: Session, ref: str | int, public_only: bool = False
) -> dict[str, Any]:
    """The full exchange-format record plus id, and the change history."""
    row = find_project(session=session, ref=ref, public_only=public_only)
    detail = {"id": row.id, **repo.to_record(row).model_dump(mode="json")}
    detail["changes"] = [
        {
            "action": c.action,
            "actor": c.actor,
            "changed_at": c.changed_at.isoformat(),
            "source": c.source,
            "fields": sorted(c.changes),
        }
        for c in history_for(session=session, table=repo.TABLE, record_id=row.id)
    ]
    return detail


@dataclass
class ImportReport:
    file: str
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "dry_run": self.dry_run,
            "created": len(self.created),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
        }


def import_records(
    *,
    session: Session,
    records: list[ProjectRecord],
    actor: str,
    source: str,
    dry_run: bool = False,
) -> ImportReport:
    """Upsert every record on its key. Callers run this inside one transaction."""
    report = ImportReport(file=source, dry_run=dry_run)
    for record in records:
        _, action = repo.upsert_project(session=session, record=record, actor=actor, source=source)
        {"create": report.created, "update": report.updated, "unchanged": report.unchanged}[
            action
        ].append(record.key)
    return report


def import_file(
    *, session: Session, path: Path, actor: str, fmt: str | None = None, dry_run: bool = False
) -> ImportReport:
    """Validate the whole file first (raising IngestError), then upsert atomically.

    With ``dry_run`` the changes are computed and rolled back (a savepoint), so the
    report says what would happen and the database is untouched.
    """
    records = exchange.read_file(path, fmt)
    if not dry_run:
        return import_records(session=session, records=records, actor=actor, source=path.name)
    nested = session.begin_nested()
    try:
        return import_records(
            session=session, records=records, actor=actor, source=path.name, dry_run=True
        )
    finally:
        nested.rollback()


def export_records(*, session: Session, mineral: str | None = None) -> list[ProjectRecord]:
    return [repo.to_record(r) for r in repo.list_projects(session=session, mineral=mineral)]


def export_text(*, session: Session, fmt: str, mineral: str | None = None) -> str:
    records = export_records(session=session, mineral=mineral)
    return exchange.to_csv(records) if fmt == "csv" else exchange.to_json(records)
