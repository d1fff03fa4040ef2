"""Project tracker use cases: list, show, import and export in the exchange format.

Reads take the caller (no default): the CLI on the operator's own database passes
:data:`critmin.services.auth.LOCAL`; anyone else gets only what they may see.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import Row, select
from sqlalchemy.orm import Session

from critmin.domain.projects import ProjectRecord
from critmin.ingest import exchange
from critmin.services import access
from critmin.services.auth import Caller
from critmin.services.keys import AmbiguousKey, resolve
from critmin.services.project_import import ImportRaced, ImportReport, run_import
from critmin.store import entities as store
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
        "name_original": row.name_original,
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


def _visible(caller: Caller) -> list[Any]:
    return [access.visible_clause(Project, caller)]


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
    caller: Caller,
    mineral: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    country: str | None = None,
    curation_notes: bool = False,
) -> list[dict[str, Any]]:
    """Summaries of the projects ``caller`` may see, not deleted, by mineral, name
    (case-insensitive) and id.

    Reads only the summary columns (no ORM objects, no children): see
    ``store.projects.list_project_summaries``. ``curation_notes`` adds each record's
    ``curation_note`` (for curators; not part of the summary otherwise).
    """
    rows = repo.list_project_summaries(
        session=session,
        mineral=mineral,
        stage=stage,
        status=status,
        country=country,
        where=_visible(caller),
    )
    out = [summary(r) for r in rows]
    if curation_notes and out:
        notes = dict(
            session.execute(
                select(Project.id, Project.curation_note).where(
                    Project.id.in_([r["id"] for r in out])
                )
            ).all()
        )
        for r in out:
            r["curation_note"] = notes.get(r["id"])
    return out


def find_project(*, session: Session, ref: str | int, caller: Caller) -> Project:
    """A project ``caller`` may see, by numeric id or by key.

    A key names the caller's own project first, then the bundled reference data's, then
    the only other visible one; several others raise ProjectNotFound naming their ids.
    """
    where = [*_visible(caller), Project.deleted_at.is_(None)]
    row = None
    if isinstance(ref, int) or str(ref).isdigit():
        row = store.get_where(
            session=session, model=Project, id=int(ref), where=where, options=repo.children()
        )
    if row is None:
        try:
            row = resolve(session=session, model=Project, key=str(ref), caller=caller,
                          label="project", where=where)  # fmt: skip
        except AmbiguousKey as exc:
            raise ProjectNotFound(str(exc)) from None
    if row is None:
        raise ProjectNotFound(f"no project with id or key {ref!r}")
    return row


def project_detail(*, session: Session, ref: str | int, caller: Caller) -> dict[str, Any]:
    """The exchange-format record plus id, and the change history, as ``caller`` may see
    them (hidden sections None; changes only to hidden sections left out)."""
    row = find_project(session=session, ref=ref, caller=caller)
    detail = {"id": row.id, **repo.to_record(row).model_dump(mode="json")}
    hidden = set(access.hidden_sections(row, caller))
    access.redact(detail, row, caller)
    if "financing" in hidden:
        hidden.add("funding_sources")
    if not (caller.local or access.can_edit(row, caller)):
        hidden.add("section_sharing")
    detail["changes"] = []
    for c in history_for(session=session, table=repo.TABLE, record_id=row.id):
        fields = sorted(set(c.changes or {}) - hidden)
        if c.action == "update" and c.changes and not fields:
            continue  # an update of hidden sections only
        detail["changes"].append(
            {"action": c.action, "actor": c.actor, "changed_at": c.changed_at.isoformat(),
             "source": c.source, "fields": fields}
        )  # fmt: skip
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
    *,
    session: Session,
    path: Path,
    actor: str,
    fmt: str | None = None,
    dry_run: bool = False,
    owner_org_id: int | None = None,
) -> ImportReport:
    """Import an exchange-format file as ``owner_org_id``'s records, or (None) as public
    reference data without an owning organisation.

    The file is streamed and validated whole first (raising IngestError listing every
    problem), then written in a short final phase of the caller's transaction; a
    record changed meanwhile raises ImportRaced. ``dry_run`` reports what would happen
    and writes nothing. Fields the file does not state keep their stored values; sharing
    is never widened (see :mod:`critmin.services.project_import`).
    """
    fmt = fmt or exchange.detect_format(path)
    with exchange.open_file(path) as stream:
        items = exchange.iter_stream(stream, fmt=fmt, file=str(path))
        return run_import(session=session, items=items, file=str(path), owner_org_id=owner_org_id,
                          actor=actor, source=path.name, dry_run=dry_run,
                          csv_mode=fmt == "csv")  # fmt: skip


def visible_record(row: Project, caller: Caller) -> ProjectRecord:
    """The exchange record of ``row`` with the sections ``caller`` may not see emptied."""
    record = repo.to_record(row)
    hidden = access.hidden_sections(row, caller)
    if not hidden:
        return record
    return record.model_copy(
        update={s: ProjectRecord.model_fields[s].get_default(call_default_factory=True)
                for s in hidden}
    )  # fmt: skip


def export_records(
    *, session: Session, caller: Caller, mineral: str | None = None
) -> list[ProjectRecord]:
    rows = repo.list_projects(session=session, mineral=mineral, where=_visible(caller))
    return [visible_record(r, caller) for r in rows]


def export_text(
    *, session: Session, caller: Caller, fmt: str, mineral: str | None = None
) -> str:
    records = export_records(session=session, caller=caller, mineral=mineral)
    return exchange.to_csv(records) if fmt == "csv" else exchange.to_json(records)


__all__ = ["ImportRaced", "ImportReport", "ProjectNotFound", "import_file", "import_records"]
