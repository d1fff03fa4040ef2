"""Organisations, partnership groups and API tokens.

A token is ``cm_<prefix>_<secret>``; only the SHA-256 of the whole token is stored,
so a leaked database does not leak usable tokens. Tokens carry a role:
``viewer`` (read what the organisation may see), ``editor`` (also create and edit
the organisation's records) or ``admin`` (also manage tokens).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.store.tables import ApiToken, GroupMember, Organisation, PartnershipGroup


class Role(StrEnum):
    VIEWER = "viewer"
    EDITOR = "editor"
    ADMIN = "admin"


ROLE_RANK = {Role.VIEWER: 0, Role.EDITOR: 1, Role.ADMIN: 2}


class AuthError(ValueError):
    """Bad credentials or an unknown organisation/token."""


@dataclass(frozen=True)
class Caller:
    """Who is asking: an organisation with a role, anonymous (``org_id`` None), or
    :data:`LOCAL`, the operator working on their own database (``local`` True)."""

    org_id: int | None = None
    org_name: str | None = None
    role: Role | None = None
    token_id: int | None = None
    partner_org_ids: frozenset[int] = field(default_factory=frozenset)
    local: bool = False

    @property
    def anonymous(self) -> bool:
        return self.org_id is None and not self.local

    def at_least(self, role: Role) -> bool:
        return self.role is not None and ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def label(self) -> str:
        if self.local:
            return "local operator"
        return "anonymous" if self.anonymous else f"{self.org_name} ({self.role})"


ANONYMOUS = Caller()
LOCAL = Caller(org_name="local operator", local=True)
"""The local operator (the CLI on the operator's own database): sees every record, owns
none, cannot write through the API. No token ever authenticates as LOCAL."""


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def get_org(*, session: Session, name: str) -> Organisation:
    org = session.scalars(select(Organisation).where(Organisation.name == name)).first()
    if org is None:
        raise AuthError(f"no organisation named {name!r}")
    return org


def create_org(
    *,
    session: Session,
    name: str,
    groups: list[str] | None = None,
    kind: str | None = None,
    country: str | None = None,
) -> Organisation:
    """Create an organisation (or return the existing one) and add it to groups."""
    org = session.scalars(select(Organisation).where(Organisation.name == name)).first()
    if org is None:
        org = Organisation(name=name, kind=kind, country=country)
        session.add(org)
        session.flush()
    for group_name in groups or []:
        add_to_group(session=session, org=org, group=group_name)
    return org


def add_to_group(*, session: Session, org: Organisation, group: str) -> PartnershipGroup:
    grp = session.scalars(select(PartnershipGroup).where(PartnershipGroup.name == group)).first()
    if grp is None:
        grp = PartnershipGroup(name=group)
        session.add(grp)
        session.flush()
    exists = session.scalars(
        select(GroupMember).where(GroupMember.group_id == grp.id, GroupMember.org_id == org.id)
    ).first()
    if exists is None:
        session.add(GroupMember(group_id=grp.id, org_id=org.id))
        session.flush()
    return grp


def partner_ids(*, session: Session, org_id: int) -> frozenset[int]:
    """Organisations sharing at least one group with ``org_id`` (itself excluded)."""
    mine = select(GroupMember.group_id).where(GroupMember.org_id == org_id)
    rows = session.scalars(select(GroupMember.org_id).where(GroupMember.group_id.in_(mine)))
    return frozenset(r for r in rows if r != org_id)


def create_token(
    *, session: Session, org_name: str, role: Role | str, label: str | None = None
) -> tuple[ApiToken, str]:
    """Issue a token; returns the row and the plaintext (shown once, never stored)."""
    org = get_org(session=session, name=org_name)
    prefix = secrets.token_hex(4)
    plaintext = f"cm_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiToken(
        org_id=org.id,
        role=Role(role).value,
        token_hash=hash_token(plaintext),
        prefix=prefix,
        label=label,
    )
    session.add(row)
    session.flush()
    return row, plaintext


def list_tokens(*, session: Session, org_name: str | None = None) -> list[dict]:
    stmt = select(ApiToken, Organisation.name).join(
        Organisation, Organisation.id == ApiToken.org_id
    )
    if org_name:
        stmt = stmt.where(Organisation.name == org_name)
    return [
        {
            "id": t.id,
            "org": name,
            "role": t.role,
            "prefix": t.prefix,
            "label": t.label,
            "created_at": t.created_at.isoformat() if t.created_at else None,
            "revoked": t.revoked_at is not None,
        }
        for t, name in session.execute(stmt.order_by(ApiToken.id))
    ]


def revoke_token(*, session: Session, token_id: int, org_id: int | None = None) -> None:
    """Revoke a token; with ``org_id``, only that organisation's tokens may be revoked."""
    row = session.get(ApiToken, token_id)
    if row is None or (org_id is not None and row.org_id != org_id):
        raise AuthError(f"no token with id {token_id}")
    if row.revoked_at is None:
        row.revoked_at = dt.datetime.now(dt.UTC)


def authenticate(*, session: Session, token: str | None) -> Caller:
    """The caller for a bearer token; ANONYMOUS for none; AuthError for a bad one."""
    if not token:
        return ANONYMOUS
    row = session.scalars(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        raise AuthError("invalid or revoked token")
    org = session.get(Organisation, row.org_id)
    return Caller(
        org_id=row.org_id,
        org_name=org.name if org else None,
        role=Role(row.role),
        token_id=row.id,
        partner_org_ids=partner_ids(session=session, org_id=row.org_id),
    )
