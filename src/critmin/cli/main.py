"""Entry point: ``critmin`` and ``python -m critmin``.

Start-up is kept short: the command modules import only Typer and the standard
library at module level, and load SQLAlchemy, pandas, numpy, FastAPI or Plotly inside
the commands that use them (``benchmarks/cli_startup.py`` measures it). Help is
Click's plain formatter: it shows flags as flags and does not need Rich.
"""

from __future__ import annotations

import typer

from critmin import __version__
from critmin.cli import (
    analysis,
    controls,
    criticality,
    db,
    exposure,
    monitor,
    offtake,
    orgs,
    prices,
    projects,
    recycling,
    report,
    scenario,
    scrap,
    serve,
    stockpile,
    trade,
)
from critmin.cli.language import LanguageGroup, choose_run_language

app = typer.Typer(
    name="critmin",
    help="critmin: critical-minerals supply-chain intelligence and decisions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    cls=LanguageGroup,
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
    lang: str | None = typer.Option(
        None,
        "--lang",
        envvar="CRITMIN_LANG",
        callback=choose_run_language,
        metavar="CODE",
        help="Language of messages and reports: en (English) or zh (简体中文); also "
        "accepted after the command. Default: $CRITMIN_LANG or en.",
    ),
) -> None:
    """critmin: critical-minerals supply-chain intelligence and decisions."""


for _module in (
    db,
    projects,
    analysis,
    orgs,
    serve,
    prices,
    monitor,
    trade,
    controls,
    criticality,
    scenario,
    exposure,
    offtake,
    stockpile,
    scrap,
    recycling,
    report,
):
    _module.register(app)
