"""The shared tracker as partners use it: every read and write goes through the
sharing rules of :mod:`critmin.services.access`.

Callers get exactly what they may see: lists, details, history, exports and
errors alike (a record the caller may not see is reported as not found).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import asc, desc, func, or_, select
from sqlalchemy.orm import Session, selectinload

from critmin.domain.projects import ProjectRecord
from critmin.services import access
from critmin.services.auth import Caller, Role
from critmin.services.projects import ProjectNotFound, summary
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


class InvalidRecord(ValueError):
    """The merged record does not validate; ``errors`` name each field and problem."""

    def __init__(self, errors: list[dict[str, Any]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['problem']}" for e in errors))


@dataclass(frozen=True)
class Page:
    rows: list[dict[str, Any]]
    total: int


def etag(row: Project) -> str:
    return f'"p{row.id}-v{row.version}"'


def parse_etag(value: str | None) -> int | None:
    """The version in an ETag we issued, or None if it is not one of ours."""
    if not value:
        return None
    text = value.strip().removeprefix("W/").strip('"')
    head, _, version = text.partition("-v")
    return int(version) if head.startswith("p") and version.isdigit() else None


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
) -> Page:
    """A page of the projects the caller may see, with the total count."""
    cond = [access.visible_clause(Project, caller)]
    if deleted:  # only the caller's own deleted records, for restoring
        cond += [Project.deleted_at.is_not(None), Project.owner_org_id == caller.org_id]
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
    if q:
        like = f"%{q.lower()}%"
        cond.append(
            or_(
                func.lower(Project.name).like(like),
                func.lower(Project.key).like(like),
                func.lower(func.coalesce(Project.operator, "")).like(like),
            )
        )
    descending = sort.startswith("-")
    field = sort.lstrip("-")
    if field not in SORTABLE:
        raise ValueError(f"cannot sort by {field!r}; choose one of {', '.join(SORTABLE)}")
    column = getattr(Project, field)
    order = [desc(column) if descending else asc(column), Project.id]
    total = session.scalar(select(func.count()).select_from(Project).where(*cond)) or 0
    stmt = select(Project).where(*cond).order_by(*order).limit(limit).offset(offset)
    return Page(rows=[summary(r) for r in session.scalars(stmt)], total=total)


def get_visible(
    *, session: Session, caller: Caller, id: int, include_deleted: bool = False
) -> Project:
    row = session.get(
        Project, id, options=[selectinload(Project.capacity_points), selectinload(Project.events)]
    )
    if row is None or not access.level_allows(row.sharing, row.owner_org_id, caller):
        raise ProjectNotFound(f"no project with id {id}")
    if row.deleted_at is not None and not (include_deleted and row.owner_org_id == caller.org_id):
        raise ProjectNotFound(f"no project with id {id}")
    return row


def to_public(row: Project, caller: Caller) -> dict[str, Any]:
    """The API body of a project: exchange fields + id, sharing, ownership, redacted sections."""
    data = repo.to_record(row).model_dump(mode="json")
    data["id"] = row.id
    data["section_sharing"] = dict(row.section_sharing or {})
    data["owner_org_id"] = row.owner_org_id
    data["version"] = row.version
    data["deleted"] = row.deleted_at is not None
    data["editable"] = access.can_edit(row, caller)
    return access.redact(data, row, caller)


def _validate(data: dict[str, Any]) -> ProjectRecord:
    try:
        return ProjectRecord.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecord(
            [
                {
                    "field": ".".join(str(p) for p in e["loc"]) or "(body)",
                    "problem": e["msg"].removeprefix("Value error, "),
                }
                for e in exc.errors()
            ]
        ) from None


def _check_section_sharing(value: dict[str, str] | None) -> dict[str, str]:
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
    if repo.get_project_by_key(session=session, key=record.key) is not None:
        raise Conflict(f"a project with key {record.key!r} already exists")
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
    """The change log of a project, with values of sections the caller may not see hidden."""
    row = get_visible(session=session, caller=caller, id=id, include_deleted=True)
    hidden = {s for s in access.SECTIONS if not access.can_see_section(row, s, caller)}
    if "financing" in hidden:
        hidden.add("funding_sources")
    if not access.can_edit(row, caller):
        hidden.add("section_sharing")
    out = []
    for entry in history_for(session=session, table=repo.TABLE, record_id=row.id):
        changes = {k: v for k, v in (entry.changes or {}).items() if k not in hidden}
        out.append(
            {
                "id": entry.id,
                "action": entry.action,
                "actor": entry.actor,
                "changed_at": entry.changed_at.isoformat(),
                "source": entry.source,
                "changes": changes,
            }
        )
    return out
