"""Options and output helpers shared by every command.

This module is imported when the program starts, so it imports only the standard
library and Typer: Rich, the settings, the database and the vocabularies are loaded
when a command first needs them (``critmin --help`` stays fast).
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy.orm import Session


class _LazyConsole:
    """A Rich console created on first use (importing Rich costs start-up time)."""

    def __init__(self, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def __getattr__(self, name: str) -> Any:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self._stderr)
        return getattr(self._console, name)


console = _LazyConsole()
err_console = _LazyConsole(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (sqlite:///path or postgresql://...). Default: $CRITMIN_DATABASE_URL "
        "or the SQLite file in the user data folder.",
        show_default=False,
        metavar="URL",
    ),
]


def choose_language(value: str | None) -> str | None:
    """Make ``--lang`` the language of this run's messages (a Typer option callback)."""
    if value:
        from critmin import i18n

        try:
            i18n.set_language(value)
        except i18n.UnknownLanguage as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


LangOption = Annotated[
    str | None,
    typer.Option(
        "--lang",
        callback=choose_language,
        metavar="CODE",
        show_default=False,
        help="Language: en (English) or zh (简体中文). Default: the global --lang, "
        "$CRITMIN_LANG or en.",
    ),
]
"""A command's own ``--lang`` (``critmin report briefing ... --lang zh``)."""


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]


def _checked(resolve: Callable[[str], str]) -> Callable[[str | None], str | None]:
    """A Typer callback: the resolved code, or a usage error (exit code 2) naming the
    known values."""

    def callback(value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        from critmin.domain.vocab import UnknownValue

        try:
            return resolve(value)
        except UnknownValue as exc:
            raise typer.BadParameter(str(exc)) from None

    return callback


def _mineral(value: str) -> str:
    from critmin.domain.vocab import resolve_mineral

    return resolve_mineral(value)


def _country(value: str) -> str:
    from critmin.domain.vocab import resolve_country

    return resolve_country(value)


check_mineral = _checked(_mineral)
check_country = _checked(_country)

MineralFilter = Annotated[
    str | None,
    typer.Option(
        "--mineral",
        help="Mineral code or name, e.g. gallium.",
        callback=check_mineral,
        metavar="MINERAL",
    ),
]
MineralRequired = Annotated[
    str,
    typer.Option(
        "--mineral",
        help="Mineral code or name, e.g. gallium.",
        callback=check_mineral,
        show_default=False,
        metavar="MINERAL",
    ),  # fmt: skip
]
CountryFilter = Annotated[
    str | None,
    typer.Option(
        "--country", help="ISO 3166 alpha-3 code or country name, e.g. CAN or Canada.",
        callback=check_country, metavar="COUNTRY",
    ),
]  # fmt: skip


def database_url(db: str | None) -> str:
    """The URL given with --db, else $CRITMIN_DATABASE_URL, else the default SQLite file."""
    if db:
        return db
    from critmin.config import ConfigError, get_settings

    try:
        return get_settings().resolved_database_url()
    except ConfigError as exc:
        raise fail(str(exc), code=2) from None


def db_error(exc: Exception) -> str:
    """A one-line message for a database error (no stack trace)."""
    first = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return f"database error: {first} (is the database initialised? try `critmin init`)"


@contextmanager
def session_for(db: str | None) -> Iterator[Session]:
    """A session in one transaction on the ``--db`` database; database errors end the
    command with a clear message and exit code 1."""
    from sqlalchemy.exc import SQLAlchemyError

    from critmin.store.db import make_engine, transaction

    engine = make_engine(database_url(db))
    try:
        with transaction(engine) as session:
            yield session
    except SQLAlchemyError as exc:
        raise fail(db_error(exc)) from None
    finally:
        engine.dispose()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def emit(
    rows: list[dict[str, Any]] | dict[str, Any],
    fmt: OutputFormat,
    *,
    title: str | None = None,
    columns: list[str] | None = None,
    headers: dict[str, str] | None = None,
    right: tuple[str, ...] = (),
) -> None:
    """Print rows (or one object) as a Rich table, JSON or CSV on standard output.

    CSV text cells that a spreadsheet would run as a formula start with ``'``, as in
    exports. ``headers`` gives table column titles and ``right`` the right-aligned (numeric)
    columns; CSV and JSON keep the field names.
    """
    if fmt == OutputFormat.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    items = [rows] if isinstance(rows, dict) else rows
    cols = columns or (list(items[0].keys()) if items else [])
    if fmt == OutputFormat.csv:
        from critmin.ingest.exchange import escape_cell  # no spreadsheet formulas (OWASP)

        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for item in items:
            writer.writerow(
                [escape_cell(_cell(v)) if isinstance(v := item.get(c), str) else _cell(v)
                 for c in cols]
            )  # fmt: skip
        sys.stdout.write(buf.getvalue())
        return
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for c in cols:
        table.add_column((headers or {}).get(c, c), overflow="fold",
                         justify="right" if c in right else "left")  # fmt: skip
    for item in items:
        table.add_row(*[_cell(item.get(c)) for c in cols])
    console.print(table)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error on standard error and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
