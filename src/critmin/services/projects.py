"""Project tracker use cases: list, show, import and export in the exchange format."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sqlalchemy import Row
from sqlalchemy.orm import Session

from critmin.domain.projects import ProjectRecord
from critmin.ingest import exchange
from critmin.services.project_import import ImportRaced, ImportReport, run_import
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


def import_records(
    *,
    session: Session,
    records: Iterable[ProjectRecord],
    actor: str,
    source: str,
    dry_run: bool = False,
) -> ImportReport:
    """Upsert ``records`` (every field stated) as records without an owning organisation.

    See :mod:`critmin.services.project_import`: all or nothing, in the caller's transaction.
    """
    items = (
        exchange.Parsed(row, r.key, r, exchange.MERGE_FIELDS) for row, r in enumerate(records, 1)
    )
    return run_import(session=session, items=items, file=source, owner_org_id=None,
                      actor=actor, source=source, dry_run=dry_run)  # fmt: skip


def import_file(
    *, session: Session, path: Path, actor: str, fmt: str | None = None, dry_run: bool = False
) -> ImportReport:
    """Import an exchange-format file as records without an owning organisation.

    The file is streamed and validated whole first (raising IngestError listing every
    problem), then written in a short final phase of the caller's transaction; a
    record changed meanwhile raises ImportRaced. ``dry_run`` reports what would happen
    and writes nothing. Fields the file does not state keep their stored values; sharing
    is never widened (see :mod:`critmin.services.project_import`).
    """
    fmt = fmt or exchange.detect_format(path)
    with exchange.open_file(path) as stream:
        items = exchange.iter_stream(stream, fmt=fmt, file=str(path))
        return run_import(session=session, items=items, file=str(path), owner_org_id=None,
                          actor=actor, source=path.name, dry_run=dry_run,
                          csv_mode=fmt == "csv")  # fmt: skip


def export_records(*, session: Session, mineral: str | None = None) -> list[ProjectRecord]:
    return [repo.to_record(r) for r in repo.list_projects(session=session, mineral=mineral)]


def export_text(*, session: Session, fmt: str, mineral: str | None = None) -> str:
    records = export_records(session=session, mineral=mineral)
    return exchange.to_csv(records) if fmt == "csv" else exchange.to_json(records)


__all__ = ["ImportRaced", "ImportReport", "ProjectNotFound", "import_file", "import_records"]
