"""``critmin serve``: the dashboard and REST API."""

from __future__ import annotations

import typer

from critmin.cli.common import DbOption, console, database_url, fail
from critmin.i18n import _


def serve(
    db: DbOption = None,
    host: str = typer.Option("127.0.0.1", help="Interface to bind."),
    port: int = typer.Option(8000, help="Port to listen on.", min=0, max=65535),
    init: bool = typer.Option(
        True, "--init/--no-init", help="Migrate (and fill an empty database) before starting."
    ),
) -> None:
    """Serve the dashboard and the REST API (docs at /api/docs).

    With CRITMIN_ENV=production it refuses to start without a strong CRITMIN_SECRET_KEY.
    """
    import uvicorn

    from critmin.api.app import create_app
    from critmin.config import ConfigError, get_settings
    from critmin.services.bootstrap import init_database

    try:
        settings = get_settings()
        settings.resolved_secret_key()  # refuse before touching the database
    except ConfigError as exc:
        raise fail(str(exc), code=2) from None
    url = database_url(db)
    if init:
        report = init_database(url)
        console.print(_("database: {url}").format(url=report["database"]), highlight=False)
    try:
        app = create_app(url, settings)
    except ConfigError as exc:
        raise fail(str(exc), code=2) from None
    from critmin.api.runtime import prepare_for_serving

    console.print(_("critmin serving on {url}").format(url=f"http://{host}:{port}/"),
                  highlight=False)  # fmt: skip
    prepare_for_serving()
    uvicorn.run(app, host=host, port=port, log_level="info")


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
