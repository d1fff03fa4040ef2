"""``critmin serve``: the dashboard and REST API."""

from __future__ import annotations

import typer

from critmin.cli.common import DbOption, console, database_url
from critmin.services.bootstrap import init_database


def serve(
    db: DbOption = None,
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to listen on."),
    init: bool = typer.Option(
        True, "--init/--no-init", help="Migrate (and fill an empty database) before starting."
    ),
) -> None:
    """Serve the dashboard and the REST API (docs at /api/docs)."""
    import uvicorn

    from critmin.api.app import create_app

    url = database_url(db)
    if init:
        report = init_database(url)
        console.print(f"database: {report['database']}", highlight=False)
    app = create_app(url)
    console.print(f"critmin serving on http://{host}:{port}/", highlight=False)
    uvicorn.run(app, host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
