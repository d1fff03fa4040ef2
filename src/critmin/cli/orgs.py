"""``critmin org``, ``critmin group`` and ``critmin token``: organisations and API tokens.

These are operator tasks run against the database directly. A token's secret is
printed once, as the last line of ``token create``; only its hash is stored.
"""

from __future__ import annotations

import typer
from sqlalchemy import func, select

from critmin.cli.common import DbOption, FormatOption, OutputFormat, database_url, emit, fail
from critmin.services import auth
from critmin.store.db import make_engine, transaction
from critmin.store.tables import ApiToken, GroupMember, Organisation, PartnershipGroup

org_app = typer.Typer(help="Organisations that own and share records.", no_args_is_help=True)
group_app = typer.Typer(
    help="Partnership groups (e.g. MSP) that share records.", no_args_is_help=True
)
token_app = typer.Typer(help="API tokens (Authorization: Bearer TOKEN).", no_args_is_help=True)


@org_app.command("create")
def org_create(
    name: str = typer.Argument(..., help="Organisation name (unique)."),
    group: list[str] | None = typer.Option(None, "--group", "-g", help="Group to join (repeat)."),
    kind: str | None = typer.Option(None, help="government, company, agency, ..."),
    country: str | None = typer.Option(None, help="ISO3 country code."),
    db: DbOption = None,
) -> None:
    """Create an organisation (or add an existing one to more groups)."""
    name = name.strip()
    if not name or len(name) > 200:
        raise fail("the organisation name must have 1 to 200 characters")
    engine = make_engine(database_url(db))
    try:
        with transaction(engine) as session:
            existed = session.scalar(select(Organisation.id).where(Organisation.name == name))
            org = auth.create_org(
                session=session,
                name=name,
                groups=group or [],
                kind=kind,
                country=country.upper() if country else None,
            )
            org_id = org.id
    finally:
        engine.dispose()
    verb = "updated" if existed else "created"
    groups = f" in group(s) {', '.join(group)}" if group else ""
    typer.echo(f"{verb} organisation {name!r} (id {org_id}){groups}")


@org_app.command("list")
def org_list(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """Organisations with their groups and active token counts."""
    engine = make_engine(database_url(db))
    try:
        with transaction(engine) as session:
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
            rows = [
                {
                    "id": o.id,
                    "name": o.name,
                    "kind": o.kind,
                    "country": o.country,
                    "groups": ", ".join(groups.get(o.id, [])),
                    "tokens": tokens.get(o.id, 0),
                }
                for o in session.scalars(select(Organisation).order_by(Organisation.name))
            ]
    finally:
        engine.dispose()
    emit(
        rows,
        fmt,
        title=f"{len(rows)} organisations",
        columns=["id", "name", "kind", "country", "groups", "tokens"],
    )


@group_app.command("add")
def group_add(
    org: str = typer.Argument(..., help="Organisation name."),
    group: str = typer.Argument(..., help="Group name (created if new)."),
    db: DbOption = None,
) -> None:
    """Add an organisation to a partnership group."""
    engine = make_engine(database_url(db))
    try:
        with transaction(engine) as session:
            auth.add_to_group(
                session=session, org=auth.get_org(session=session, name=org), group=group
            )
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    typer.echo(f"{org!r} is in group {group!r}")


@token_app.command("create")
def token_create(
    org: str = typer.Option(..., "--org", help="Organisation name."),
    role: auth.Role = typer.Option(..., "--role", help="admin, editor or viewer."),
    label: str | None = typer.Option(None, "--label", help="What the token is for."),
    db: DbOption = None,
) -> None:
    """Issue a token. The token is the last line printed, and is shown only this once."""
    engine = make_engine(database_url(db))
    try:
        with transaction(engine) as session:
            row, plaintext = auth.create_token(
                session=session, org_name=org, role=role, label=label
            )
            token_id = row.id
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    typer.echo(
        f"token {token_id} for {org!r} ({role.value}). Store it now: it is shown once "
        "and cannot be recovered. Send it as 'Authorization: Bearer <token>'."
    )
    typer.echo(plaintext)


@token_app.command("list")
def token_list(
    org: str | None = typer.Option(None, "--org", help="Only this organisation."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Tokens (ids, roles, prefixes, revoked or not); never the secrets."""
    engine = make_engine(database_url(db))
    try:
        with transaction(engine) as session:
            rows = auth.list_tokens(session=session, org_name=org)
    finally:
        engine.dispose()
    emit(rows, fmt, title=f"{len(rows)} tokens")


@token_app.command("revoke")
def token_revoke(
    token_id: int = typer.Argument(
        ..., min=1, max=2_147_483_647, help="Token id (see `critmin token list`)."
    ),
    db: DbOption = None,
) -> None:
    """Revoke a token: requests with it get 401 from then on."""
    engine = make_engine(database_url(db))
    try:
        with transaction(engine) as session:
            auth.revoke_token(session=session, token_id=token_id)
    except auth.AuthError as exc:
        raise fail(str(exc)) from None
    finally:
        engine.dispose()
    typer.echo(f"revoked token {token_id}")


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
    app.add_typer(group_app, name="group")
    app.add_typer(token_app, name="token")
