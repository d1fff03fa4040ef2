"""``critmin init`` and ``critmin db ...``: create, migrate and fill the database."""

from __future__ import annotations

import typer

from critmin.cli.common import DbOption, console, database_url

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
    console.print(f"database at revision {current_revision(url)}")


@db_app.command("current")
def db_current(db: DbOption = None) -> None:
    """Print the database's current schema revision."""
    from critmin.store.migrate import current_revision

    console.print(current_revision(database_url(db)) or "(not initialised)")


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
    console.print(f"database: {report['database']}", highlight=False)
    if report["loaded"]:
        loaded = ", ".join(f"{k}={v}" for k, v in report["loaded"].items())
        console.print(f"loaded bundled data ({loaded}) in {report['seconds']} s", highlight=False)
    elif report["was_empty"]:
        console.print("schema created; no data loaded (--no-data)")
    else:
        console.print("database already holds data; schema is up to date")


def register(app: typer.Typer) -> None:
    app.add_typer(db_app, name="db")
    app.command("init")(init)
