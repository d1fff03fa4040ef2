"""Scrap exchange listings: create, list, read, update and withdraw offers and requests
through the caller's view.

Listings are shared records like any other (:mod:`critmin.services.access`): another
organisation's private listing never shows in a list, a count, a match or an error (a
hidden listing is "not found", exactly like a missing one). Writes need an editor of the
owning organisation; the listing's ``version`` guards every change (a stale one is a
conflict). Matching and decisions are in :mod:`critmin.services.scrap_match`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from critmin.domain.scrap import (
    SCRAP_FORMS,
    SIDES,
    ScrapListing,
    listing_problems,
    scrap_type_label,
    standard_label,
)
from critmin.i18n import _
from critmin.services import access
from critmin.services.auth import Caller, Role
from critmin.services.entities import NotFound
from critmin.services.present import country_label, mineral_label
from critmin.services.tracker import Conflict, Forbidden, InvalidRecord
from critmin.store.history import record_change
from critmin.store.tables import Organisation, ScrapLot

TABLE = "scrap_lots"
FIELDS = tuple(ScrapListing.model_fields)
LIST_LIMIT = 1000


def validate(data: dict[str, Any] | ScrapListing) -> ScrapListing:
    """A listing from a body or a file row; InvalidRecord naming each field otherwise."""
    if isinstance(data, ScrapListing):
        return data
    try:
        return ScrapListing.model_validate(data)
    except ValidationError as exc:
        raise InvalidRecord([{k: v for k, v in p.items() if k != "value"}
                             for p in listing_problems(exc)]) from None  # fmt: skip


def _columns(rec: ScrapListing) -> dict[str, Any]:
    """The table's columns for a validated listing."""
    return {
        "side": rec.side, "reference": rec.reference, "mineral": rec.mineral,
        "form": SCRAP_FORMS.get(rec.mineral), "scrap_types": list(rec.scrap_types),
        "grade_pct": rec.grade_pct, "grade_min_pct": rec.grade_min_pct,
        "grade_max_pct": rec.grade_max_pct, "assay": dict(rec.assay),
        "quantity": rec.quantity_t, "unit": "t", "country": rec.country,
        "location": rec.place, "lat": rec.lat, "lon": rec.lon,
        "asking_price": rec.price_usd_per_t,
        "price_unit": "USD/t" if rec.price_usd_per_t is not None else None,
        "price_formula": rec.price_formula, "standards": list(rec.standards),
        "required_standards": list(rec.required_standards),
        "available_from": rec.available_from, "available_to": rec.available_to,
        "sharing": rec.sharing, "notes": rec.notes,
    }  # fmt: skip


def _record(row: ScrapLot) -> dict[str, Any]:
    """A stored listing in the shape of :class:`ScrapListing` (for merges)."""
    return {
        "side": row.side, "reference": row.reference, "mineral": row.mineral,
        "scrap_types": list(row.scrap_types or []), "grade_pct": row.grade_pct,
        "grade_min_pct": row.grade_min_pct, "grade_max_pct": row.grade_max_pct,
        "assay": dict(row.assay or {}), "quantity_t": row.quantity, "country": row.country,
        "place": row.location, "lat": row.lat, "lon": row.lon,
        "price_usd_per_t": row.asking_price, "price_formula": row.price_formula,
        "standards": list(row.standards or []),
        "required_standards": list(row.required_standards or []),
        "available_from": row.available_from, "available_to": row.available_to,
        "sharing": row.sharing, "notes": row.notes,
    }  # fmt: skip


def owner_names(session: Session, rows: list[ScrapLot]) -> dict[int, str]:
    ids = sorted({r.owner_org_id for r in rows if r.owner_org_id is not None})
    if not ids:
        return {}
    found = session.execute(select(Organisation.id, Organisation.name)
                            .where(Organisation.id.in_(ids)))  # fmt: skip
    return {i: n for i, n in found}


def to_public(row: ScrapLot, caller: Caller, owners: dict[int, str]) -> dict[str, Any]:
    """A listing as users see it: fields with labels and units, free quantity, owner."""
    data = _record(row)
    free = max(row.quantity - (row.allocated_t or 0.0), 0.0)
    return {
        "id": row.id, **data,
        "available_from": row.available_from.isoformat() if row.available_from else None,
        "available_to": row.available_to.isoformat() if row.available_to else None,
        "mineral_label": mineral_label(row.mineral),
        "scrap_type_labels": [scrap_type_label(t) for t in data["scrap_types"]],
        "standard_labels": [standard_label(s) for s in data["standards"]],
        "required_standard_labels": [standard_label(s) for s in data["required_standards"]],
        "country_label": country_label(row.country) if row.country else None,
        "allocated_t": row.allocated_t or 0.0, "free_t": free,
        "status": "open" if free > 1e-9 else "matched",
        "owner": owners.get(row.owner_org_id) if row.owner_org_id else "reference data",
        "owner_org_id": row.owner_org_id, "version": row.version,
        "editable": access.can_edit(row, caller),
        "updated_at": row.updated_at.isoformat() if row.updated_at else None,
    }  # fmt: skip


def _visible(caller: Caller) -> tuple[Any, ...]:
    return (access.visible_clause(ScrapLot, caller), ScrapLot.deleted_at.is_(None))


def visible_rows(*, session: Session, caller: Caller, mineral: str | None = None,
                 side: str | None = None, mine: bool = False) -> list[ScrapLot]:  # fmt: skip
    """Listings the caller may see (newest first), optionally one mineral, side or only
    the caller's organisation's own."""
    stmt = select(ScrapLot).where(*_visible(caller))
    if mineral:
        stmt = stmt.where(ScrapLot.mineral == mineral)
    if side:
        stmt = stmt.where(ScrapLot.side == side)
    if mine:
        stmt = stmt.where(access.own_clause(ScrapLot, caller))
    return list(session.scalars(stmt.order_by(ScrapLot.id.desc()).limit(LIST_LIMIT)))


def _check_filters(mineral: str | None, side: str | None) -> str | None:
    from critmin.domain import vocab

    if side is not None and side not in SIDES:
        raise InvalidRecord([{"field": "side", "problem": "expected offer or request"}])
    try:
        return vocab.resolve_optional(vocab.resolve_mineral, mineral)
    except vocab.UnknownValue as exc:
        raise InvalidRecord([{"field": "mineral", "problem": str(exc)}]) from None


def list_listings(*, session: Session, caller: Caller, mineral: str | None = None,
                  side: str | None = None, mine: bool = False) -> dict[str, Any]:  # fmt: skip
    """Visible listings and their counts by side (counted from what the caller sees)."""
    access.check_caller(caller)
    mineral = _check_filters(mineral, side)
    rows = visible_rows(session=session, caller=caller, mineral=mineral, side=side, mine=mine)
    owners = owner_names(session, rows)
    items = [to_public(r, caller, owners) for r in rows]
    return {"listings": items, "counts": {s: sum(i["side"] == s for i in items) for s in SIDES}}


def get_row(*, session: Session, caller: Caller, id: int) -> ScrapLot:
    row = session.get(ScrapLot, id)
    if row is None or not access.can_see(row, caller):
        raise NotFound(_("no scrap listing with id %(id)s") % {"id": id})
    return row


def get_listing(*, session: Session, caller: Caller, id: int) -> dict[str, Any]:
    row = get_row(session=session, caller=caller, id=id)
    return to_public(row, caller, owner_names(session, [row]))


def _owner_for_write(caller: Caller, owner_org_id: int | None) -> int:
    access.check_caller(caller)
    if caller.local:
        if owner_org_id is None:
            raise Forbidden(_("a listing belongs to an organisation: name it (--org)"))
        return owner_org_id
    if caller.anonymous or not caller.at_least(Role.EDITOR) or caller.org_id is None:
        raise Forbidden(_("creating a scrap listing needs an editor of an organisation"))
    return caller.org_id


def add(*, session: Session, caller: Caller, data: dict[str, Any] | ScrapListing,
        owner_org_id: int | None = None, actor: str | None = None,
        source: str | None = None) -> ScrapLot:  # fmt: skip
    """Store a new listing for the caller's organisation (the local operator names the
    owner); returns the row (flushed)."""
    owner = _owner_for_write(caller, owner_org_id)
    rec = validate(data)
    row = ScrapLot(owner_org_id=owner, section_sharing={}, version=1, allocated_t=0.0,
                   sources=[], **_columns(rec))  # fmt: skip
    session.add(row)
    session.flush()
    record_change(session=session, table=TABLE, record_id=row.id, record_key=row.reference,
                  action="create", actor=actor or caller.label, changes={},
                  source=source)  # fmt: skip
    return row


def create_listing(*, session: Session, caller: Caller, data: dict[str, Any] | ScrapListing,
                   owner_org_id: int | None = None) -> dict[str, Any]:  # fmt: skip
    row = add(session=session, caller=caller, data=data, owner_org_id=owner_org_id)
    return to_public(row, caller, owner_names(session, [row]))


def claim(session: Session, id: int, version: int, **values: Any) -> bool:
    """Atomically move listing ``id`` from ``version`` to the next, setting ``values``;
    False if it is no longer at that version. Run first in a write transaction: of
    concurrent callers holding the same version exactly one succeeds."""
    result = session.execute(
        update(ScrapLot).where(ScrapLot.id == id, ScrapLot.version == version)
        .values(version=version + 1, updated_at=dt.datetime.now(dt.UTC), **values)
        .execution_options(synchronize_session=False)
    )  # fmt: skip
    return result.rowcount == 1


def _stale(id: int, version: int) -> Conflict:
    text = _("scrap listing %(id)s is no longer at version %(v)s: it was changed or matched "
             "meanwhile; reload it and try again")  # fmt: skip
    return Conflict(text % {"id": id, "v": version})


def update_listing(*, session: Session, caller: Caller, id: int, changes: dict[str, Any],
                   version: int) -> dict[str, Any]:  # fmt: skip
    """Merge ``changes`` into the caller's organisation's listing at ``version``."""
    unknown = sorted(set(changes) - set(FIELDS))
    if unknown:
        raise InvalidRecord([{"field": k, "problem": "unknown field"} for k in unknown])
    row = get_row(session=session, caller=caller, id=id)  # hidden or missing: not found
    if not access.can_edit(row, caller):
        raise Forbidden(_("only editors of the organisation that owns this listing may change it"))
    before = _record(row)
    if "side" in changes and changes["side"] != row.side:
        raise InvalidRecord([{"field": "side", "problem": "an offer stays an offer and a "
                              "request a request; withdraw it and list again"}])  # fmt: skip
    rec = validate({**before, **changes})
    if rec.quantity_t < (row.allocated_t or 0.0) - 1e-9:
        raise InvalidRecord([{"field": "quantity_t", "problem": f"must not be below the "
                              f"{row.allocated_t:g} t already matched"}])  # fmt: skip
    if not claim(session, id, version):  # checked last: a refused change leaves no trace
        raise _stale(id, version)
    session.refresh(row)
    for key, value in _columns(rec).items():
        setattr(row, key, value)
    after = _record(row)
    record_change(session=session, table=TABLE, record_id=row.id, record_key=row.reference,
                  action="update", actor=caller.label,
                  changes={k: [str(before[k]), str(after[k])] for k in after
                           if before[k] != after[k]})  # fmt: skip
    session.flush()
    return to_public(row, caller, owner_names(session, [row]))


def withdraw_listing(*, session: Session, caller: Caller, id: int, version: int) -> None:
    """Take the caller's organisation's listing off the exchange (kept for history)."""
    row = get_row(session=session, caller=caller, id=id)
    if not access.can_edit(row, caller):
        raise Forbidden(_("only editors of the organisation that owns this listing may "
                          "withdraw it"))  # fmt: skip
    if not claim(session, id, version):
        raise _stale(id, version)
    session.refresh(row)
    row.deleted_at = dt.datetime.now(dt.UTC)
    record_change(session=session, table=TABLE, record_id=row.id, record_key=row.reference,
                  action="delete", actor=caller.label, changes={})  # fmt: skip


def import_file(*, session: Session, caller: Caller, path: Any, side: str,
                owner_org_id: int | None = None) -> dict[str, Any]:  # fmt: skip
    """Store every listing of a CSV or JSON file as ``side`` for the owner, all or nothing
    (an IngestError names file, row, column, value and what was expected). A row whose
    ``reference`` the owner already uses for a listing of that side updates it, and its
    sharing never widens (the stricter of the stored and the file's level is kept)."""
    from pathlib import Path

    from critmin.ingest.errors import IngestError, Problem
    from critmin.ingest.scrap import read_listings

    owner = _owner_for_write(caller, owner_org_id)
    path = Path(path)
    records = read_listings(path, side)
    refs = [r.reference for r in records if r.reference]
    mine = {r.reference: r for r in session.scalars(select(ScrapLot).where(
        ScrapLot.owner_org_id == owner, ScrapLot.side == side,
        ScrapLot.deleted_at.is_(None), ScrapLot.reference.in_(refs)))} if refs else {}  # fmt: skip
    problems = [
        Problem(
            path.name,
            n,
            "quantity_t",
            rec.quantity_t,
            f"at least the {mine[rec.reference].allocated_t:g} t already matched",
        )
        for n, rec in enumerate(records, start=1)
        if rec.reference in mine and rec.quantity_t < mine[rec.reference].allocated_t
    ]
    if problems:
        raise IngestError(problems)
    created = updated = 0
    for rec in records:
        row = mine.get(rec.reference) if rec.reference else None
        if row is None:
            add(session=session, caller=caller, data=rec, owner_org_id=owner,
                source=path.name)  # fmt: skip
            created += 1
            continue
        level = max(row.sharing, rec.sharing, key=access.LEVEL_RANK.__getitem__)
        for key, value in {**_columns(rec), "sharing": level}.items():
            setattr(row, key, value)
        row.version += 1
        record_change(session=session, table=TABLE, record_id=row.id, record_key=row.reference,
                      action="update", actor=caller.label, changes={},
                      source=path.name)  # fmt: skip
        updated += 1
    session.flush()
    return {
        "file": path.name,
        "side": side,
        "created": created,
        "updated": updated,
        "owner_org_id": owner,
    }
