"""Who am I, my organisation and its partners, and my organisation's API tokens.

Organisations and groups are created by the operator (``critmin org create``); over
the API an organisation sees only itself, its groups and their members (its partners),
and its admins manage its own tokens. A token's secret is shown once, at creation.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.api.deps import AdminDep, AsciiId, CallerDep, SessionDep
from critmin.services import auth
from critmin.services.auth import Caller, Role
from critmin.store.tables import GroupMember, Organisation, PartnershipGroup

router = APIRouter(tags=["organisations"])


class TokenCreate(BaseModel):
    """A new token for the caller's organisation."""

    role: Role = Field(description="admin, editor or viewer.")
    label: str | None = Field(default=None, max_length=200, description="What it is for.")


def _groups(session: Session, org_id: int) -> list[dict[str, Any]]:
    """The caller's groups with their member organisations' names."""
    mine = select(GroupMember.group_id).where(GroupMember.org_id == org_id)
    stmt = (
        select(PartnershipGroup.name, Organisation.name)
        .join(GroupMember, GroupMember.group_id == PartnershipGroup.id)
        .join(Organisation, Organisation.id == GroupMember.org_id)
        .where(PartnershipGroup.id.in_(mine))
        .order_by(PartnershipGroup.name, Organisation.name)
    )
    groups: dict[str, list[str]] = {}
    for group, member in session.execute(stmt):
        groups.setdefault(group, []).append(member)
    return [{"name": g, "members": m} for g, m in groups.items()]


def _need_token(caller: Caller) -> None:
    if caller.anonymous:
        raise HTTPException(
            status_code=401,
            detail="this needs an API token: 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )


@router.get("/me", summary="Who the caller is: organisation, role, groups")
def me(session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    """Anonymous callers get ``{"anonymous": true}`` (they see public data only)."""
    if caller.anonymous or caller.org_id is None:
        return {"anonymous": True, "org": None, "role": None, "groups": []}
    return {
        "anonymous": False,
        "org": {"id": caller.org_id, "name": caller.org_name},
        "role": caller.role.value if caller.role else None,
        "token_id": caller.token_id,
        "groups": _groups(session, caller.org_id),
    }


@router.get("/orgs", summary="The caller's organisation and its partners")
def list_orgs(session: SessionDep, caller: CallerDep) -> dict[str, Any]:
    """Only organisations the caller already shares data with: itself and its partners."""
    _need_token(caller)
    ids = {caller.org_id, *caller.partner_org_ids}
    rows = session.scalars(
        select(Organisation).where(Organisation.id.in_(ids)).order_by(Organisation.name)
    )
    data = [
        {
            "id": o.id,
            "name": o.name,
            "kind": o.kind,
            "country": o.country,
            "self": o.id == caller.org_id,
        }
        for o in rows
    ]
    return {"data": data, "count": len(data)}


@router.get("/tokens", summary="Your organisation's API tokens (admin)")
def list_tokens(session: SessionDep, caller: AdminDep) -> dict[str, Any]:
    """Ids, roles, labels and prefixes; never the secrets (only their hashes are stored)."""
    rows = auth.list_tokens(session=session, org_name=caller.org_name)
    return {"data": rows, "count": len(rows)}


@router.post("/tokens", status_code=201, summary="Issue a token for your organisation (admin)")
def create_token(session: SessionDep, caller: AdminDep, body: TokenCreate) -> Response:
    """201 with ``token``: the secret, shown this once. Send it as ``Bearer``."""
    row, plaintext = auth.create_token(
        session=session, org_name=caller.org_name or "", role=body.role, label=body.label
    )
    data = {
        "id": row.id,
        "org": caller.org_name,
        "role": row.role,
        "label": row.label,
        "prefix": row.prefix,
        "token": plaintext,
        "warning": "store this token now: it is shown once and cannot be recovered",
    }
    session.commit()
    return JSONResponse(data, status_code=201, headers={"Cache-Control": "no-store"})


@router.delete("/tokens/{token_id}", status_code=204, summary="Revoke one of your tokens (admin)")
def revoke_token(
    session: SessionDep,
    caller: AdminDep,
    token_id: Annotated[AsciiId, Path()],
) -> Response:
    """204; a token of another organisation is reported as missing (404)."""
    try:
        auth.revoke_token(session=session, token_id=token_id, org_id=caller.org_id)
    except auth.AuthError as exc:
        raise HTTPException(status_code=404, detail=str(exc)) from None
    session.commit()
    return Response(status_code=204)
