"""The change log: who changed what, when, from which source (old -> new)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.store.tables import ChangeLog


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, list[Any]]:
    """Fields whose value differs, as ``{field: [old, new]}``."""
    return {
        k: [old.get(k), new.get(k)] for k in sorted(set(old) | set(new)) if old.get(k) != new.get(k)
    }


def record_change(
    *,
    session: Session,
    table: str,
    record_id: int,
    record_key: str | None,
    action: str,
    actor: str,
    changes: dict[str, list[Any]],
    source: str | None = None,
) -> ChangeLog:
    entry = ChangeLog(
        table_name=table,
        record_id=record_id,
        record_key=record_key,
        action=action,
        actor=actor,
        changes=changes,
        source=source,
    )
    session.add(entry)
    return entry


def history_for(*, session: Session, table: str, record_id: int) -> list[ChangeLog]:
    stmt = (
        select(ChangeLog)
        .where(ChangeLog.table_name == table, ChangeLog.record_id == record_id)
        .order_by(ChangeLog.changed_at, ChangeLog.id)
    )
    return list(session.scalars(stmt))
