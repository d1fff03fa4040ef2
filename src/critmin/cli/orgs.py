"""``critmin org``, ``critmin group`` and ``critmin token``: organisations and API tokens.

These are operator tasks run against the database directly. A token's secret is
printed once, as the last line of ``token create``; only its hash is stored.
"""

from __future__ import annotations

from enum import StrEnum

import typer

from critmin.cli.common import (
    CountryFilter,
    DbOption,
    FormatOption,
    OutputFormat,
    emit,
    fail,
    session_for,
)
from critmin.i18n import _, ngettext

org_app = typer.Typer(
    help="Organisations that own and share records.", no_args_is_help=True,
    rich_markup_mode=None,
)  # fmt: skip
group_app = typer.Typer(
    help="Partnership groups, such as MSP, that share records.", no_args_is_help=True,
    rich_markup_mode=None,
)  # fmt: skip
token_app = typer.Typer(
    help="API tokens (Authorization: Bearer TOKEN).", no_args_is_help=True,
    rich_markup_mode=None,
)  # fmt: skip


class RoleChoice(StrEnum):
    """The token roles (``critmin.services.auth.Role``), named here to keep start-up light."""

    admin = "admin"
    editor = "editor"
    viewer = "viewer"


@org_app.command("create")
def org_create(
    name: str = typer.Argument(..., help="Organisation name (unique)."),
    group: list[str] | None = typer.Option(None, "--group", "-g", help="Group to join (repeat)."),
    kind: str | None = typer.Option(None, help="government, company, agency, ..."),
    country: CountryFilter = None,
    db: DbOption = None,
) -> None:
    """Create an organisation (or add an existing one to more groups)."""
    from sqlalchemy import select

    from critmin.services import auth
    from critmin.store.tables import Organisation

    name = name.strip()
    if not name or len(name) > 200:
        raise fail(_("the organisation name must have 1 to 200 characters"))
    with session_for(db) as session:
        existed = session.scalar(select(Organisation.id).where(Organisation.name == name))
        org = auth.create_org(
            session=session, name=name, groups=group or [], kind=kind, country=country
        )
        org_id = org.id
    if group:
        text = (_("updated organisation {name} (id {id}) in group(s) {groups}") if existed
                else _("created organisation {name} (id {id}) in group(s) {groups}"))
    else:
        text = (_("updated organisation {name} (id {id})") if existed
                else _("created organisation {name} (id {id})"))  # fmt: skip
    typer.echo(text.format(name=repr(name), id=org_id, groups=", ".join(group or [])))


@org_app.command("list")
def org_list(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Organisations with their groups and active token counts."""
    from sqlalchemy import func, select

    from critmin.store.tables import ApiToken, GroupMember, Organisation, PartnershipGroup

    with session_for(db) as session:
        groups: dict[int, list[str]] = {}
        stmt = select(GroupMember.org_id, PartnershipGroup.name).join(
            PartnershipGroup, PartnershipGroup.id == GroupMember.group_id
        )
        for org_id, group in session.execute(stmt.order_by(PartnershipGroup.name)):
            groups.setdefault(org_id, []).append(group)
        tokens = dict(
            session.execute(
                select(ApiToken.org_id, func.count())
                .where(ApiToken.revoked_at.is_(None))
                .group_by(ApiToken.org_id)
            ).all()
        )
        orgs = session.scalars(select(Organisation).order_by(func.lower(Organisation.name)))
        rows = [
            {
                "id": o.id,
                "name": o.name,
                "kind": o.kind,
                "country": o.country,
                "groups": ", ".join(groups.get(o.id, [])),
                "tokens": tokens.get(o.id, 0),
            }
            for o in orgs
        ]
    emit(
        rows,
        fmt,
        title=ngettext("%(n)d organisation", "%(n)d organisations", len(rows)) % {"n": len(rows)},
        columns=["id", "name", "kind", "country", "groups", "tokens"],
    )


@group_app.command("add")
def group_add(
    org: str = typer.Argument(..., help="Organisation name."),
    group: str = typer.Argument(..., help="Group name (created if new)."),
    db: DbOption = None,
) -> None:
    """Add an organisation to a partnership group."""
    from critmin.services import auth

    try:
        with session_for(db) as session:
            auth.add_to_group(
                session=session, org=auth.get_org(session=session, name=org), group=group
            )
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    typer.echo(_("{org} is in group {group}").format(org=repr(org), group=repr(group)))


@token_app.command("create")
def token_create(
    org: str = typer.Option(..., "--org", help="Organisation name."),
    role: RoleChoice = typer.Option(..., "--role", help="admin, editor or viewer."),
    label: str | None = typer.Option(None, "--label", help="What the token is for."),
    db: DbOption = None,
) -> None:
    """Issue a token. The token is the last line printed, and is shown only this once."""
    from critmin.services import auth

    try:
        with session_for(db) as session:
            row, plaintext = auth.create_token(
                session=session, org_name=org, role=auth.Role(role.value), label=label
            )
            token_id = row.id
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    typer.echo(
        _("token {id} for {org} ({role}). Store it now: it is shown once and cannot be "
          "recovered. Send it as 'Authorization: Bearer <token>'.").format(
            id=token_id, org=repr(org), role=role.value)
    )  # fmt: skip
    typer.echo(plaintext)


@token_app.command("list")
def token_list(
    org: str | None = typer.Option(None, "--org", help="Only this organisation."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Tokens (ids, roles, prefixes, revoked or not); never the secrets."""
    from critmin.services import auth

    with session_for(db) as session:
        rows = auth.list_tokens(session=session, org_name=org)
    emit(rows, fmt, title=ngettext("%(n)d token", "%(n)d tokens", len(rows)) % {"n": len(rows)})


@token_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(
        ..., min=1, max=2_147_483_647, help="Token id (see `critmin token list`)."
    ),
    db: DbOption = None,
) -> None:
    """Revoke a token: requests with it get 401 from then on."""
    from critmin.services import auth

    try:
        with session_for(db) as session:
            auth.revoke_token(session=session, token_id=token_id)
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    typer.echo(_("revoked token {id}").format(id=token_id))


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
    app.add_typer(group_app, name="group")
    app.add_typer(token_app, name="token")
