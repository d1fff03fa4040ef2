"""Finding a record by its key, now that keys are unique per owning organisation.

The same key may name one record of each organisation and one of the bundled reference
data. A lookup by key prefers the caller's own record, then the reference data's; failing
both, it takes the one other record with that key the caller may see, and reports an
ambiguity (never a random pick) when there are several. Hidden records never count.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session

from critmin.services import access
from critmin.services.auth import Caller
from critmin.store import entities as store


class AmbiguousKey(LookupError):
    """Several records the caller may see share the key, none of them preferred."""

    def __init__(self, label: str, key: str, rows: Sequence[Any]):
        self.key = key
        self.ids = [r.id for r in rows]
        ids = ", ".join(str(i) for i in self.ids)
        super().__init__(
            f"the key {key!r} names {len(rows)} {label}s of different organisations "
            f"(ids {ids}); name one by its id"
        )


def pick(rows: Sequence[Any], preferred_owner: int | None, label: str, key: str) -> Any | None:
    """Of ``rows`` sharing ``key``: the preferred owner's, else the reference data's, else
    the only one; None for none; AmbiguousKey for several others."""
    for owner in (preferred_owner, None):
        found = [r for r in rows if r.owner_org_id == owner]
        if found:
            return found[0]
    if len(rows) > 1:
        raise AmbiguousKey(label, key, rows)
    return rows[0] if rows else None


def resolve(
    *,
    session: Session,
    model: type,
    key: str,
    caller: Caller,
    label: str = "record",
    where: Sequence[ColumnElement[bool]] = (),
) -> Any | None:
    """The record of ``model`` that ``key`` names for ``caller`` (see the module doc).

    Only rows ``caller`` may see (and that meet ``where``) are candidates. LOCAL owns
    nothing, so it prefers the reference data.
    """
    where = [access.visible_clause(model, caller), *where]
    preferred = store.keys_of(model, [caller.org_id, None])  # the unique index serves this
    rows = store.with_key(session=session, model=model, key=key, where=[*where, preferred])
    if not rows:
        rows = store.with_key(session=session, model=model, key=key, where=where)
    return pick(rows, caller.org_id, label, key)
