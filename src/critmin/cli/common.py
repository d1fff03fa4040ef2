"""Options and output helpers shared by every command."""

from __future__ import annotations

import csv
import io
import json
import sys
from enum import StrEnum
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from critmin.config import get_settings

console = Console()
err_console = Console(stderr=True)

DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL (sqlite:///path or postgresql://...). Default: $CRITMIN_DATABASE_URL "
        "or the SQLite file in the user data folder.",
        show_default=False,
    ),
]


class OutputFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"


FormatOption = Annotated[
    OutputFormat, typer.Option("--format", "-f", help="Output format.", case_sensitive=False)
]


def database_url(db: str | None) -> str:
    """The URL given with --db, else $CRITMIN_DATABASE_URL, else the default SQLite file."""
    return db or get_settings().resolved_database_url()


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
) -> None:
    """Print rows (or one object) as a Rich table, JSON or CSV on standard output."""
    if fmt == OutputFormat.json:
        sys.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2, default=str) + "\n")
        return
    items = [rows] if isinstance(rows, dict) else rows
    cols = columns or (list(items[0].keys()) if items else [])
    if fmt == OutputFormat.csv:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(cols)
        for item in items:
            writer.writerow([_cell(item.get(c)) for c in cols])
        sys.stdout.write(buf.getvalue())
        return
    table = Table(title=title, show_lines=False)
    for c in cols:
        table.add_column(c, overflow="fold")
    for item in items:
        table.add_row(*[_cell(item.get(c)) for c in cols])
    console.print(table)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error on standard error and return the Exit to raise."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
