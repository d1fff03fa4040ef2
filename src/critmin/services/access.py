"""Sharing rules: who may see and edit which record, and which of its sections.

A record's ``sharing`` is ``public`` (everyone, anonymous included), ``partners``
(the owner and organisations sharing a partnership group with it) or ``owner``
(the owner only). Sensitive sections (``financing``, ``offtakers``,
``milestones``) may have their own level in ``section_sharing``; a section is
never more visible than its record. Records without an owner are bundled
reference data: public and read-only.

Every function takes the caller explicitly; there is no default. Trusted local use
(the CLI on the operator's own database) passes :data:`critmin.services.auth.LOCAL`,
which sees every record and owns none.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true

from critmin.services.auth import Caller, Role

SECTIONS = ("financing", "offtakers", "milestones")
LEVEL_RANK = {"public": 0, "partners": 1, "owner": 2}


def check_caller(caller: Any) -> Caller:
    """``caller`` itself; TypeError for anything that is not a Caller (e.g. None)."""
    if not isinstance(caller, Caller):
        raise TypeError(
            f"a Caller is required, not {caller!r}; trusted local use passes auth.LOCAL"
        )
    return caller


def level_allows(level: str, owner_org_id: int | None, caller: Caller) -> bool:
    """Whether ``caller`` may see something shared at ``level`` by ``owner_org_id``."""
    if check_caller(caller).local or level == "public":
        return True
    if caller.anonymous or owner_org_id is None:
        return False
    if caller.org_id == owner_org_id:
        return True
    return level == "partners" and owner_org_id in caller.partner_org_ids


def owns(owner_org_id: int | None, caller: Caller) -> bool:
    """Whether ``caller``'s organisation owns a record of ``owner_org_id`` (LOCAL owns none)."""
    return caller.org_id is not None and owner_org_id == caller.org_id


def own_clause(model: Any, caller: Caller) -> ColumnElement[bool]:
    """SQL condition selecting the rows of ``model`` that ``caller``'s organisation owns."""
    return false() if caller.org_id is None else model.owner_org_id == caller.org_id


def can_see(row: Any, caller: Caller) -> bool:
    return row.deleted_at is None and level_allows(row.sharing, row.owner_org_id, caller)


def section_level(row: Any, section: str) -> str:
    """The effective level of a section: the stricter of its own and the record's."""
    own = (row.section_sharing or {}).get(section, row.sharing)
    return max(own, row.sharing, key=LEVEL_RANK.__getitem__)


def can_see_section(row: Any, section: str, caller: Caller) -> bool:
    return level_allows(section_level(row, section), row.owner_org_id, caller)


def hidden_sections(row: Any, caller: Caller) -> list[str]:
    """The sections of ``row`` that ``caller`` may not see, in SECTIONS order."""
    return [s for s in SECTIONS if not can_see_section(row, s, caller)]


def sees_every_section(row: Any, caller: Caller) -> bool:
    """Whether ``caller`` may see every section of ``row`` (and so all of it)."""
    return not hidden_sections(row, caller)


def can_edit(row: Any, caller: Caller) -> bool:
    """Editors and admins of the owning organisation may edit; reference data is read-only."""
    return caller.at_least(Role.EDITOR) and owns(row.owner_org_id, caller)


def visible_clause(model: Any, caller: Caller) -> ColumnElement[bool]:
    """SQL condition selecting the rows of ``model`` that ``caller`` may see."""
    if check_caller(caller).local:
        return true()
    public = model.sharing == "public"
    if caller.anonymous:
        return public
    own = own_clause(model, caller)
    partners = (
        and_(model.sharing == "partners", model.owner_org_id.in_(sorted(caller.partner_org_ids)))
        if caller.partner_org_ids
        else false()
    )
    return or_(public, own, partners)


def redact(data: dict[str, Any], row: Any, caller: Caller) -> dict[str, Any]:
    """Replace the sections ``caller`` may not see with None (in place; returned)."""
    for section in SECTIONS:
        if section in data and not can_see_section(row, section, caller):
            data[section] = None
    return data
