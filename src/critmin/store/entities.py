"""A generic repository over the shared tables (facilities, measures, price series, ...).

Keyword-only functions over any mapped class with the ``Shared`` mixin (``model``);
the session is passed in and the caller commits or rolls back. Every change to a
record is written to ``change_log`` (who, when, old -> new). List queries are one
``SELECT ... LIMIT/OFFSET`` plus one ``SELECT COUNT(*)`` with the same conditions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pydantic import BaseModel
from sqlalchemy import (
    JSON,
    ColumnElement,
    String,
    and_,
    asc,
    cast,
    desc,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy import update as sql_update
from sqlalchemy.orm import Session

from critmin.store.history import diff, history_for, record_change
from critmin.store.tables import ChangeLog


class StaleVersion(Exception):
    """The record changed since the version the caller read (optimistic concurrency)."""


@dataclass(frozen=True)
class Filter:
    """A list filter on ``column``, exposed (by the API) as the query parameter ``name``.

    ``op`` is ``eq``, ``has`` (a JSON list of strings contains the value), ``gte``,
    ``lte`` or ``active_on`` (``column`` <= value <= ``end_column``, null = open-ended).
    ``type``, ``pattern`` and ``description`` type and document the parameter;
    ``normalise`` is applied to the value first (e.g. upper-casing a country code).
    """

    name: str
    column: str
    op: str = "eq"
    type: Any = str
    description: str = ""
    end_column: str | None = None
    pattern: str | None = None
    normalise: Callable[[Any], Any] | None = None

    def clause(self, model: type, value: Any) -> ColumnElement[bool]:
        value = value.value if isinstance(value, Enum) else value
        value = self.normalise(value) if self.normalise is not None else value
        column = getattr(model, self.column)
        if self.op == "eq":
            return column == value
        if self.op == "has":  # JSON text contains the quoted string (both backends)
            return cast(column, String).contains(f'"{value}"', autoescape=True)
        if self.op == "gte":
            return column >= value
        if self.op == "lte":
            return column <= value
        if self.op == "active_on":
            end = getattr(model, self.end_column or self.column)
            return and_(or_(column.is_(None), column <= value), or_(end.is_(None), end >= value))
        raise ValueError(f"unknown filter operation {self.op!r}")


def jsonable(value: Any) -> Any:
    """Dates and datetimes as ISO strings; everything else as is."""
    return value.isoformat() if isinstance(value, dt.date | dt.datetime) else value


def snapshot(row: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The JSON-ready values of ``fields`` of ``row`` (what diffs are taken over)."""
    return {f: jsonable(getattr(row, f)) for f in fields}


def column_values(model: type, record: BaseModel, fields: Iterable[str] | None = None) -> dict:
    """Column values from a validated record: JSON columns JSON-ready, the rest as Python."""
    names = list(fields) if fields is not None else list(type(record).model_fields)
    py = record.model_dump(include=set(names))
    js = record.model_dump(include=set(names), mode="json")
    table = model.__table__  # type: ignore[attr-defined]
    return {n: js[n] if isinstance(table.c[n].type, JSON) else py[n] for n in names}


def get(*, session: Session, model: type, id: int, fresh: bool = False) -> Any | None:
    """A row by id; ``fresh`` reloads it from the database even if already in the session."""
    return session.get(model, id, populate_existing=fresh)


def get_where(
    *,
    session: Session,
    model: type,
    id: int,
    where: Sequence[ColumnElement[bool]],
    options: Sequence[Any] = (),
) -> Any | None:
    """The row with ``id`` if it meets every condition of ``where``, else None.

    One SELECT with the conditions in SQL, so a row that fails them takes exactly the
    path of a missing one (no children loaded, no check in Python afterwards).
    """
    stmt = select(model).where(model.id == id, *where).options(*options)  # type: ignore[attr-defined]
    return session.scalars(stmt).first()


def key_scope(model: type, owner_org_id: int | None) -> ColumnElement[bool]:
    """SQL: the rows of ``model`` in ``owner_org_id``'s key namespace.

    Keys are unique per owning organisation; the bundled reference data (no owner) is a
    namespace of its own (``owner_org_id`` None). The expression is the one the unique
    index ``uq_<table>_owner_key`` is built on, so lookups use that index.
    """
    owner = func.coalesce(model.owner_org_id, literal_column("0"))  # type: ignore[attr-defined]
    return owner == (owner_org_id or 0)  # a literal 0, or SQLite would not use the index


def keys_of(model: type, owner_org_ids: Sequence[int | None]) -> ColumnElement[bool]:
    """SQL: the rows of ``model`` in any of the key namespaces of ``owner_org_ids``."""
    owner = func.coalesce(model.owner_org_id, literal_column("0"))  # type: ignore[attr-defined]
    return owner.in_(sorted({o or 0 for o in owner_org_ids}))


def find_by_key(
    *, session: Session, model: type, key: str, owner_org_id: int | None
) -> Any | None:
    """The row of ``model`` with ``key`` owned by ``owner_org_id`` (None: reference data),
    deleted or not."""
    stmt = select(model).where(model.key == key, key_scope(model, owner_org_id))  # type: ignore[attr-defined]
    return session.scalars(stmt.limit(1)).first()


def with_key(
    *, session: Session, model: type, key: str, where: Sequence[ColumnElement[bool]] = ()
) -> list[Any]:
    """Every row of ``model`` with ``key`` meeting ``where`` (one per owner at most)."""
    stmt = select(model).where(model.key == key, *where)  # type: ignore[attr-defined]
    return list(session.scalars(stmt.order_by(model.id)))  # type: ignore[attr-defined]


def search_clause(model: type, columns: Sequence[str], text: str) -> ColumnElement[bool]:
    """Case-insensitive substring match of ``text`` in any of ``columns``."""
    needle = text.lower()
    return or_(
        *(
            func.lower(func.coalesce(getattr(model, c), "")).contains(needle, autoescape=True)
            for c in columns
        )
    )


def page(
    *,
    session: Session,
    model: type,
    where: Sequence[ColumnElement[bool]] = (),
    filters: Sequence[tuple[Filter, Any]] = (),
    sort: str = "id",
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[Any], int]:
    """A page of rows matching ``where`` and every ``(filter, value)``, ordered by ``sort``
    (``-`` = descending, nulls last, ties by id), and the total number of matching rows."""
    clauses = [*where, *(f.clause(model, value) for f, value in filters)]
    column = getattr(model, sort.lstrip("-"))
    order = (desc(column) if sort.startswith("-") else asc(column)).nulls_last()
    total = session.scalar(select(func.count()).select_from(model).where(*clauses)) or 0
    stmt = select(model).where(*clauses).order_by(order, model.id)  # type: ignore[attr-defined]
    return list(session.scalars(stmt.limit(limit).offset(offset))), total


def log(
    *,
    session: Session,
    row: Any,
    action: str,
    actor: str,
    changes: dict[str, list[Any]],
    source: str | None = None,
) -> ChangeLog:
    """Write one change of ``row`` to the change log."""
    return record_change(
        session=session,
        table=row.__tablename__,
        record_id=row.id,
        record_key=getattr(row, "key", None),
        action=action,
        actor=actor,
        changes=changes,
        source=source,
    )


def add(*, session: Session, model: type, values: dict[str, Any]) -> Any:
    """Insert a row (no change log: for children logged on their parent)."""
    row = model(**values)
    session.add(row)
    session.flush()
    return row


def create(
    *,
    session: Session,
    model: type,
    values: dict[str, Any],
    actor: str,
    owner_org_id: int | None,
    source: str | None = None,
) -> Any:
    """Insert a shared record owned by ``owner_org_id`` at version 1 and log its creation."""
    row = add(
        session=session,
        model=model,
        values={**values, "owner_org_id": owner_org_id, "section_sharing": {}, "version": 1},
    )
    new = snapshot(row, values)
    changes = {k: [None, v] for k, v in new.items() if v not in (None, [], {})}
    log(session=session, row=row, action="create", actor=actor, changes=changes, source=source)
    return row


def claim_version(*, session: Session, model: type, id: int, expected_version: int) -> None:
    """Atomically move the version on from ``expected_version``; StaleVersion if it moved.

    Of concurrent callers holding the same version exactly one succeeds (the
    others wait for its row lock, then match no row): no lost updates.
    """
    result = session.execute(
        sql_update(model)
        .where(model.id == id, model.version == expected_version)  # type: ignore[attr-defined]
        .values(version=expected_version + 1)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise StaleVersion(f"{model.__tablename__} {id} is no longer at version {expected_version}")


def assign(*, row: Any, values: dict[str, Any]) -> dict[str, list[Any]]:
    """Set ``values`` on ``row``; the changes as ``{field: [old, new]}`` (JSON-ready)."""
    old = snapshot(row, values)
    for name, value in values.items():
        setattr(row, name, value)
    return diff(old, snapshot(row, values))


def update(
    *,
    session: Session,
    row: Any,
    values: dict[str, Any],
    actor: str,
    source: str | None = None,
    claimed_from: int | None = None,
) -> dict[str, list[Any]]:
    """Write ``values`` over ``row``; log and return the changes (nothing if none).

    ``claimed_from`` is the version :func:`claim_version` moved on from: the version is
    not bumped again, and a no-op puts it back (no change, no new version).
    """
    changes = assign(row=row, values=values)
    if not changes:
        if claimed_from is not None:
            row.version = claimed_from
            session.flush()
        return changes
    touch(row=row, bump_version=claimed_from is None)
    session.flush()
    log(session=session, row=row, action="update", actor=actor, changes=changes, source=source)
    return changes


def touch(*, row: Any, bump_version: bool = True) -> None:
    """Mark ``row`` changed (e.g. when one of its children changed)."""
    if bump_version:
        row.version = (row.version or 1) + 1
    row.updated_at = dt.datetime.now(dt.UTC)


def set_deleted(
    *,
    session: Session,
    row: Any,
    deleted: bool,
    actor: str,
    source: str | None = None,
    bump_version: bool = True,
) -> None:
    """Soft delete (or restore) a record and log it."""
    old = row.deleted_at
    row.deleted_at = dt.datetime.now(dt.UTC) if deleted else None
    touch(row=row, bump_version=bump_version)
    session.flush()
    log(
        session=session,
        row=row,
        action="delete" if deleted else "restore",
        actor=actor,
        changes={"deleted_at": [jsonable(old), jsonable(row.deleted_at)]},
        source=source,
    )


def remove(*, session: Session, row: Any) -> None:
    """Hard-delete a row (children such as observations; log on the parent)."""
    session.delete(row)
    session.flush()


def history(*, session: Session, model: type, id: int) -> list[ChangeLog]:
    """The change log of one record, oldest first."""
    return history_for(session=session, table=model.__tablename__, record_id=id)
