"""``critmin init`` and ``critmin db ...``: create, migrate and fill the database."""

from __future__ import annotations

import typer

from critmin.cli.common import DbOption, console, database_url
from critmin.i18n import _

db_app = typer.Typer(
    help="Database schema management (Alembic migrations).", no_args_is_help=True,
    rich_markup_mode=None,
)  # fmt: skip


@db_app.command("upgrade")
def db_upgrade(
    db: DbOption = None,
    revision: str = typer.Option("head", help="Target revision."),
) -> None:
    """Migrate the database schema to the latest (or given) revision."""
    from critmin.store.migrate import current_revision, upgrade

    url = database_url(db)
    upgrade(url, revision)
    console.print(_("database at revision {revision}").format(revision=current_revision(url)))


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """Print the database's current schema revision."""
    from critmin.store.migrate import current_revision

    console.print(current_revision(database_url(db)) or _("(not initialised)"))


def init(
    db: DbOption = None,
    no_data: bool = typer.Option(False, "--no-data", help="Only create/migrate the schema."),
    no_trade: bool = typer.Option(
        False, "--no-trade", help="Skip the 428k-row BACI trade table (faster)."
    ),
) -> None:
    """Create/migrate the database and load the bundled data if it is empty (safe to repeat)."""
    from critmin.services.bootstrap import init_database

    url = database_url(db)
    report = init_database(url, load_data=not no_data, include_trade=not no_trade)
    console.print(_("database: {url}").format(url=report["database"]), highlight=False)
    if report["loaded"]:
        loaded = ", ".join(f"{k}={v}" for k, v in report["loaded"].items())
        console.print(_("loaded bundled data ({counts}) in {seconds} s").format(
            counts=loaded, seconds=report["seconds"]), highlight=False)  # fmt: skip
    elif report["was_empty"]:
        console.print(_("schema created; no data loaded (--no-data)"))
    else:
        console.print(_("database already holds data; schema is up to date"))


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("init")(init)
