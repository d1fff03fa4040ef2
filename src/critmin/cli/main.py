"""Entry point: ``critmin`` and ``python -m critmin``."""

from __future__ import annotations

import typer

from critmin import __version__

app = typer.Typer(
    name="critmin",
    help="critmin: critical-minerals supply-chain intelligence and decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"critmin {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
) -> None:
    """critmin: critical-minerals supply-chain intelligence and decisions."""


def _register() -> None:
    """Attach every command module's commands to ``app``."""
    import importlib
    import pkgutil

    import critmin.cli as pkg

    for mod in pkgutil.iter_modules(pkg.__path__):
        if mod.name in {"main", "common"}:
            continue
        module = importlib.import_module(f"critmin.cli.{mod.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(app)


_register()
