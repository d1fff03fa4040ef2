"""The shared tracker as partners use it: every read and write goes through the
sharing rules of :mod:`critmin.services.access`.

Callers get exactly what they may see: lists, details, history, exports and
errors alike (a record the caller may not see is reported as not found).
"""

from __future__ import annotations

import functools
import hashlib
import io
import json
import math
from dataclasses import dataclass
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import Select, Text, asc, case, cast, desc, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from critmin.domain.projects import SCHEMA_VERSION, ProjectRecord
from critmin.ingest import exchange
from critmin.services import access
from critmin.services.auth import Caller, Role
from critmin.services.project_import import ImportRaced, ImportReport, run_import
from critmin.services.projects import ProjectNotFound, summaries
from critmin.store import entities as store
from critmin.store import projects as repo
from critmin.store.history import history_for
from critmin.store.tables import Project

SORTABLE = (
    "name",
    "mineral",
    "country",
    "status",
    "stage",
    "capacity_tpa",
    "start_year",
    "id",
    "updated_at",
)


class Forbidden(PermissionError):
    """The caller may see the record but not do this to it."""


class Conflict(ValueError):
    """The request conflicts with the current state (e.g. a key already used)."""


class PreconditionFailed(ValueError):
    """The caller's version (If-Match) is stale."""


class PreconditionRequired(ValueError):
    """A write that needs the caller's version (If-Match) came without one."""


class InvalidRecord(ValueError):
    """The merged record does not validate; ``errors`` name each field and problem."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['problem']}" for e in errors))


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int


def sees_version(row: Project, caller: Caller) -> bool:
    """Whether ``caller`` gets the project's version: its owner's organisation (the
    version is the owner's concurrency token) and the local operator. Anyone else might
    read edits of hidden sections off it, or off ``updated_at``."""
    return caller.local or access.owns(row.owner_org_id, caller)


def etag(row: Project, caller: Caller, body: dict[str, Any] | None = None) -> str:
    """The project's ETag for ``caller``.

    The owner's organisation gets the version tag ``"p{id}-v{version}"`` that If-Match
    takes. Anyone else gets a tag derived from the body they see (``body``, or
    :func:`to_public`), so it moves only when something they may see changes.
    """
    if sees_version(row, caller):
        return f'"p{row.id}-v{row.version}"'
    data = body if body is not None else to_public(row, caller)
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return f'"p{row.id}-b{hashlib.blake2b(text.encode(), digest_size=12).hexdigest()}"'


def parse_etag(value: str | None, id: int | None = None) -> int | None:
    """The version in an ETag we issued (for project ``id`` if given), else None."""
    if not value:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    head, _, version = text.partition("-v")
    if not (head.startswith("p") and version.isdigit() and len(version) < 10):
        return None
    if id is not None and head != f"p{id}":
        return None
    return int(version)


def _conditions(
    caller: Caller,
    *,
    mineral: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    country: str | None = None,
    q: str | None = None,
    deleted: bool = False,
) -> list[Any]:
    """WHERE conditions: visible to ``caller``, not deleted (or own deleted), filters."""
    cond = [access.visible_clause(Project, caller)]
    if deleted:  # only the caller's own deleted records, for restoring
        if caller.anonymous:
            return [false()]
        cond += [Project.deleted_at.is_not(None), access.own_clause(Project, caller)]
    else:
        cond.append(Project.deleted_at.is_(None))
    for column, value in (
        (Project.mineral, mineral),
        (Project.stage, stage),
        (Project.status, status),
    ):
        if value:
            cond.append(column == value)
    if country:
        cond.append(Project.country == country.upper())
    if q:  # searches only fields every viewer of the record may see
        text = q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        like = f"%{text}%"
        cond.append(
            or_(
                func.lower(Project.name).like(like, escape="\\"),
                func.lower(Project.key).like(like, escape="\\"),
                func.lower(func.coalesce(Project.operator, "")).like(like, escape="\\"),
            )
        )
    return cond


def check_sort(sort: str) -> tuple[str, bool]:
    """The column and direction of ``sort`` (``name`` or ``-name``); ValueError if unknown."""
    field = sort.removeprefix("-")
    if field not in SORTABLE:
        raise ValueError(f"cannot sort by {field!r}; choose one of {', '.join(SORTABLE)}")
    return field, sort.startswith("-")


def list_page(
    *,
    session: Session,
    caller: Caller,
    mineral: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    country: str | None = None,
    q: str | None = None,
    sort: str = "name",
    limit: int = 50,
    offset: int = 0,
    deleted: bool = False,
    raw_sources: bool = False,
) -> Page:
    """A page of the projects the caller may see, with the total count (nulls sort last).

    ``updated_at`` orders others' projects by their last change that every viewer sees
    (``shared_updated_at``), so edits of hidden sections do not move them.
    ``raw_sources``: each row's citations as their stored JSON, for a response encoded
    with orjson (see :func:`critmin.services.projects.summaries`).
    """
    count, page = _list_statements(
        caller, mineral, stage, status, country, q, sort, limit, offset, deleted
    )
    # Core statements on the session's connection: plain rows, no ORM result machinery
    # (flushed first, as an ORM query would autoflush; a no-op for a clean session)
    session.flush()
    conn = session.connection()
    rows = summaries(conn.execute(page), raw_sources=raw_sources)
    if len(rows) < limit and (rows or not offset):
        return Page(rows=rows, total=offset + len(rows))  # the last page: nothing after it
    return Page(rows=rows, total=conn.scalar(count) or 0)


@functools.lru_cache(maxsize=256)
def _list_statements(
    caller: Caller,
    mineral: str | None,
    stage: str | None,
    status: str | None,
    country: str | None,
    q: str | None,
    sort: str,
    limit: int,
    offset: int,
    deleted: bool,
) -> tuple[Select[Any], Select[Any]]:
    """The count and page statements of :func:`list_page`, built once per distinct
    request: a statement object reused keeps SQLAlchemy's cache key, so a repeated list
    skips building the statement and looking up its compiled form."""
    field, descending = check_sort(sort)
    cond = _conditions(
        caller, mineral=mineral, stage=stage, status=status, country=country, q=q, deleted=deleted
    )
    column = getattr(Project, field) if field != "updated_at" else _updated_at(caller)
    if field == "name":  # case-insensitive, ties by the exact name
        lowered = func.lower(column)
        order = [desc(lowered) if descending else asc(lowered), column]
    else:
        order = [(desc(column) if descending else asc(column)).nulls_last()]
    order.append(Project.id)
    count = select(func.count()).select_from(Project).where(*cond)
    # sources as the stored text, which summaries() decodes faster than the JSON type would
    columns = [
        cast(c, Text).label(c.name) if c.name == "sources" else c for c in repo.summary_columns()
    ]
    page = select(*columns).where(*cond).order_by(*order).limit(limit).offset(offset)
    return count, page


def _updated_at(caller: Caller) -> Any:
    """The column ``sort=updated_at`` orders by: the real one for the caller's own projects
    (and for the local operator), the shared one for everyone else's."""
    if caller.local:
        return Project.updated_at
    return case((access.own_clause(Project, caller), Project.updated_at),
                else_=Project.shared_updated_at)  # fmt: skip


def get_visible(
    *, session: Session, caller: Caller, id: int, include_deleted: bool = False
) -> Project:
    """The project if ``caller`` may see it (its owner also when deleted, if asked).

    The visibility condition is part of the one SELECT, so a hidden project takes exactly
    the path of a missing one (same queries, same message).
    """
    live = Project.deleted_at.is_(None)
    if include_deleted:
        live = or_(live, access.own_clause(Project, caller))
    row = store.get_where(
        session=session, model=Project, id=id,
        where=[access.visible_clause(Project, caller), live], options=repo.children(),
    )  # fmt: skip
    if row is None:
        raise ProjectNotFound(f"no project with id {id}")
    return row


def writable(
    *, session: Session, caller: Caller, id: int, include_deleted: bool = False
) -> Project:
    """The project if ``caller`` may change it: ProjectNotFound if hidden or missing,
    Forbidden if visible but not the caller's organisation's to edit."""
    row = get_visible(session=session, caller=caller, id=id, include_deleted=include_deleted)
    if not access.can_edit(row, caller):
        raise Forbidden("only editors of the owning organisation may change this project")
    return row


def to_public(row: Project, caller: Caller, *, curation_notes: bool = False) -> dict[str, Any]:
    """The API body of a project: exchange fields + id, sharing, ownership, redacted sections.

    ``version`` is None for callers other than the owner's organisation (see
    :func:`sees_version`); ``curation_note`` (how curators compiled the record) is included
    only on request.
    """
    data = repo.to_record(row).model_dump(mode="json")
    if not curation_notes:
        data.pop("curation_note", None)
    data["id"] = row.id
    data["section_sharing"] = dict(row.section_sharing or {})
    data["owner_org_id"] = row.owner_org_id
    data["version"] = row.version if sees_version(row, caller) else None
    data["deleted"] = row.deleted_at is not None
    data["editable"] = access.can_edit(row, caller)
    return access.redact(data, row, caller)


def unstorable(value: Any, path: str = "") -> list[tuple[str, str]]:
    """(path, expected) for each value no backend round-trips: NaN/infinite, NUL in text."""
    here = path or "(value)"
    if isinstance(value, float):
        return [] if math.isfinite(value) else [(here, "a finite number")]
    if isinstance(value, str):
        return [(here, "text without NUL (\\x00) characters")] if "\x00" in value else []
    if isinstance(value, dict):
        return [x for k, v in value.items() for x in unstorable(v, f"{path}.{k}" if path else k)]
    if isinstance(value, list):
        return [x for i, v in enumerate(value) for x in unstorable(v, f"{path}.{i}")]
    return []


def _validate(data: dict[str, Any]) -> ProjectRecord:
    try:
        record = ProjectRecord.model_validate(data)
    except ValidationError as exc:
        problems = exchange.problems_from_validation(exc, file="", row=None)
        raise InvalidRecord(
            [
                {"field": p.column if p.column != "(row)" else "(body)", "problem": p.expected}
                for p in problems
            ]
        ) from None
    bad = unstorable(record.model_dump())
    if bad:
        raise InvalidRecord([{"field": f, "problem": problem} for f, problem in bad])
    return record


def _check_section_sharing(value: Any) -> dict[str, str]:
    if value is not None and not isinstance(value, dict):
        raise InvalidRecord([{"field": "section_sharing", "problem": "an object {section: level}"}])
    value = dict(value or {})
    errors = [
        {"field": f"section_sharing.{k}", "problem": f"unknown section; use {access.SECTIONS}"}
        for k in value
        if k not in access.SECTIONS
    ]
    errors += [
        {"field": f"section_sharing.{k}", "problem": "use public, partners or owner"}
        for k, v in value.items()
        if v not in access.LEVEL_RANK
    ]
    if errors:
        raise InvalidRecord(errors)
    return value


def create(*, session: Session, caller: Caller, data: dict[str, Any]) -> Project:
    if not caller.at_least(Role.EDITOR):
        raise Forbidden("creating projects needs an editor or admin token")
    section_sharing = _check_section_sharing(data.pop("section_sharing", None))
    record = _validate(data)
    if repo.get_project_by_key(session=session, key=record.key, owner_org_id=caller.org_id):
        raise Conflict(f"a project with key {record.key!r} already exists in your organisation")
    row, _ = repo.upsert_project(
        session=session, record=record, actor=caller.label, source="api", owner_org_id=caller.org_id
    )
    row.section_sharing = section_sharing
    session.flush()
    return row


def patch(
    *, session: Session, caller: Caller, id: int, changes: dict[str, Any], if_match: int
) -> Project:
    """Merge ``changes`` into the project; exactly one of concurrent same-version patches wins."""
    row = get_visible(session=session, caller=caller, id=id)
    if not access.can_edit(row, caller):
        raise Forbidden("only editors of the owning organisation may edit this project")
    if "key" in changes and changes["key"] != row.key:
        raise InvalidRecord([{"field": "key", "problem": "the key of a project cannot change"}])
    current = repo.to_record(row).model_dump(mode="json")
    section_sharing = (
        _check_section_sharing(changes.pop("section_sharing"))
        if "section_sharing" in changes
        else None
    )
    for name, value in changes.items():
        if (
            name == "financing"
            and isinstance(value, dict)
            and isinstance(current["financing"], dict)
        ):
            current["financing"] = {**current["financing"], **value}
        else:
            current[name] = value
    record = _validate(current)
    try:
        repo.claim_version(session=session, id=id, expected_version=if_match)
    except repo.StaleVersion as exc:
        raise PreconditionFailed(str(exc)) from None
    row = repo.get_project(session=session, id=id, fresh=True)
    repo.apply_update(
        session=session,
        row=row,
        record=record,
        actor=caller.label,
        source="api",
        section_sharing=section_sharing,
        bump_version=False,
    )
    return row


def delete(
    *, session: Session, caller: Caller, id: int, if_match: int, restore: bool = False
) -> Project:
    row = get_visible(session=session, caller=caller, id=id, include_deleted=restore)
    if not access.can_edit(row, caller):
        raise Forbidden("only editors of the owning organisation may delete this project")
    if restore and row.deleted_at is None:
        raise Conflict(f"project {id} is not deleted")
    try:
        repo.claim_version(session=session, id=id, expected_version=if_match)
    except repo.StaleVersion as exc:
        raise PreconditionFailed(str(exc)) from None
    row = repo.get_project(session=session, id=id, fresh=True)
    repo.set_deleted(
        session=session, row=row, deleted=not restore, actor=caller.label, bump_version=False
    )
    return row


def history(*, session: Session, caller: Caller, id: int) -> list[dict[str, Any]]:
    """The change log of a project, with values of sections the caller may not see hidden.

    An update that changed only what the caller may not see is left out altogether.
    """
    row = get_visible(session=session, caller=caller, id=id, include_deleted=True)
    hidden = {s for s in access.SECTIONS if not access.can_see_section(row, s, caller)}
    if "financing" in hidden:
        hidden.add("funding_sources")
    if not access.can_edit(row, caller):
        hidden.add("section_sharing")
    out = []
    for entry in history_for(session=session, table=repo.TABLE, record_id=row.id):
        changes = {k: v for k, v in (entry.changes or {}).items() if k not in hidden}
        if entry.action == "update" and entry.changes and not changes:
            continue
        out.append(
            {
                "action": entry.action,
                "actor": entry.actor,
                "changed_at": entry.changed_at.isoformat(),
                "source": entry.source,
                "changes": changes,
            }
        )
    return out


# ---------------------------------------------------------------- bulk exchange


def _redacted_record(row: Project, caller: Caller) -> tuple[ProjectRecord, list[str]]:
    """The exchange record of ``row`` with the sections ``caller`` may not see emptied."""
    record = repo.to_record(row)
    hidden = [s for s in access.SECTIONS if not access.can_see_section(row, s, caller)]
    if hidden:
        record = record.model_copy(
            update={
                s: ProjectRecord.model_fields[s].get_default(call_default_factory=True)
                for s in hidden
            }
        )
    return record, hidden


def export_text(
    *,
    session: Session,
    caller: Caller,
    fmt: str = "json",
    mineral: str | None = None,
    stage: str | None = None,
    status: str | None = None,
    country: str | None = None,
    q: str | None = None,
) -> str:
    """The projects the caller may see in the exchange format (JSON or CSV).

    Sections the caller may not see are left out: absent from a JSON item (so the
    document still validates), empty cells in CSV.
    """
    cond = _conditions(caller, mineral=mineral, stage=stage, status=status, country=country, q=q)
    stmt = (
        select(Project)
        .where(*cond)
        .options(selectinload(Project.capacity_points), selectinload(Project.events))
        .order_by(Project.mineral, Project.name, Project.id)
    )
    pairs = [_redacted_record(row, caller) for row in session.scalars(stmt)]
    if fmt == "csv":
        return exchange.to_csv(record for record, _ in pairs)
    items = []
    for record, hidden in pairs:
        item = record.model_dump(mode="json")
        for section in hidden:
            del item[section]
        items.append(item)
    doc = {"schema_version": SCHEMA_VERSION, "projects": items}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def import_text(
    *,
    session: Session,
    caller: Caller,
    text: str,
    fmt: str,
    file: str,
    dry_run: bool = False,
) -> ImportReport:
    """:func:`import_stream` of ``text``."""
    stream = io.BytesIO(text.encode("utf-8", "surrogatepass"))
    return import_stream(
        session=session, caller=caller, stream=stream, fmt=fmt, file=file, dry_run=dry_run
    )


def import_stream(
    *,
    session: Session,
    caller: Caller,
    stream: IO[bytes],
    fmt: str,
    file: str,
    dry_run: bool = False,
) -> ImportReport:
    """Import an exchange document as the caller's organisation; all or nothing.

    Keys are the caller's organisation's own: new keys become its projects, keys it
    already uses are updated, merged with what is stored (fields the file does not state
    are kept; sharing is never widened: see :mod:`critmin.services.project_import`).
    Another organisation's (or the bundled reference data's) project with the same key is
    a different record, never touched or reported. Raises IngestError listing every
    problem, Conflict if a record changed meanwhile; ``dry_run`` changes nothing.
    """
    if not caller.at_least(Role.EDITOR) or caller.org_id is None:
        raise Forbidden("importing projects needs an editor or admin token")
    try:
        return run_import(
            session=session,
            items=exchange.iter_stream(stream, fmt=fmt, file=file),
            file=file,
            owner_org_id=caller.org_id,
            actor=caller.label,
            source=f"import {file}",
            dry_run=dry_run,
            csv_mode=fmt == "csv",
        )
    except ImportRaced as exc:
        raise Conflict(f"{exc}; nothing was imported: send the file again") from None
