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

from critmin.i18n import N_, _

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


@contextmanager
def machine_readable(fmt: OutputFormat) -> Iterator[None]:
    """JSON and CSV are built in English whatever the run's language (they are data, the
    same in every language); a table is built in the run's language."""
    from critmin import i18n

    if fmt == OutputFormat.table:
        yield
        return
    with i18n.use_language(i18n.DEFAULT):
        yield


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
    return _("database error: {error} (is the database initialised? try `critmin init`)").format(
        error=first
    )


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
        table.add_column(column_title(c, headers), overflow="fold",
                         justify="right" if c in right else "left")  # fmt: skip
    for item in items:
        table.add_row(*[_cell(item.get(c)) for c in cols])
    console.print(table)


COLUMN_TITLES: dict[str, str] = {
    "id": N_("id"), "key": N_("Key"), "name": N_("Name"), "title": N_("Title"),
    "kind": N_("Kind"), "country": N_("Country"), "groups": N_("Groups"),
    "tokens": N_("Active tokens"), "org": N_("Organisation"), "role": N_("Role"),
    "label": N_("Label"), "prefix": N_("Prefix"), "created_at": N_("Created (UTC)"),
    "revoked": N_("Revoked"), "revoked_at": N_("Revoked (UTC)"),
    "last_used_at": N_("Last used (UTC)"),
    "sharing": N_("Sharing"), "mineral": N_("Mineral"), "market": N_("Market"),
    "unit": N_("Unit"), "form": N_("Form"), "frequency": N_("Frequency"),
    "currency": N_("Currency"), "observations": N_("Observations"),
    "date": N_("Date"), "value": N_("Value"), "stated": N_("As stated"), "fx": N_("FX rate"),
    "a": N_("A"), "b": N_("B"), "b_date": N_("B's date"), "spread": N_("Spread (A − B)"),
    "ratio": N_("Ratio (A / B)"), "measure": N_("Measure"), "date_label": N_("Date"),
    "window_days": N_("Window (days)"), "base": N_("Base"),
    "change_before": N_("Change before"), "after": N_("After"),
    "change_after": N_("Change after"), "base_currency": N_("Base"), "quote": N_("Quote"),
    "period": N_("Period"), "rate": N_("Rate"), "basis": N_("Basis"), "source": N_("Source"),
    "rule": N_("Rule"), "series_label": N_("Series"), "mineral_label": N_("Mineral"),
    "message": N_("Message"), "kind_label": N_("Kind"), "params": N_("Parameters"),
    "import_id": N_("Import"), "file": N_("File"), "layout": N_("Layout"), "rows": N_("Rows"),
    "years": N_("Years"), "exporter_label": N_("Exporter"), "importer_label": N_("Importer"),
    "hs6": N_("HS code"), "exports_kusd": N_("Exports (kUSD)"),
    "imports_kusd": N_("Imports (kUSD)"), "gap_kusd": N_("Gap (kUSD)"), "gap_pct": N_("Gap %"),
    "country_label": N_("Country"), "in_z": N_("Imports z"), "out_z": N_("Exports z"),
    "in_pre_kusd": N_("Imports before (kUSD)"), "in_post_kusd": N_("Imports after (kUSD)"),
    "out_pre_kusd": N_("Exports before (kUSD)"), "out_post_kusd": N_("Exports after (kUSD)"),
    "flagged": N_("Flagged"), "year": N_("Year"), "production": N_("Production"),
    "imports": N_("Imports"), "exports": N_("Exports"), "net_imports": N_("Net imports"),
    "apparent_consumption": N_("Apparent consumption"), "stock_change": N_("Stock change"),
    "production_source": N_("Production source"), "row": N_("Row"), "item": N_("Item"),
    "origin": N_("Origin"), "via": N_("Via"), "destination": N_("Destination"),
    "end_use": N_("End use"), "verdict": N_("Verdict"), "deciding": N_("Deciding measures"),
    "effect": N_("Effect"), "type": N_("Type"), "announced": N_("Announced"),
    "effective": N_("Effective"), "expiry": N_("Expiry"), "status": N_("Status"),
    "network": N_("Network"), "targets": N_("Targets"), "weighted": N_("Weighted"),
    "rank": N_("Rank"), "hops": N_("Hops"), "target": N_("Target"), "cut": N_("Cut off"),
    "supplier": N_("Supplier"), "customer": N_("Customer"), "product": N_("Product"),
    "nodes": N_("Nodes"), "edges": N_("Edges"), "owner": N_("Owner"),
    "synthetic": N_("Synthetic"), "importer": N_("Importer"), "hhi": N_("HHI (0-1)"),
    "import_risk": N_("Import risk"), "score": N_("GeoPolRisk"),
}  # fmt: skip
"""Table column titles of fields that a command names no title for (JSON and CSV keep the
field names)."""


def column_title(column: str, headers: dict[str, str] | None = None) -> str:
    """A table column's title in the current language."""
    return _((headers or {}).get(column) or COLUMN_TITLES.get(column) or column)


def cell_text(message: str, fmt: OutputFormat) -> str:
    """Words in a table cell (``message`` marked with ``N_``): translated in a table, as
    written in CSV and JSON, which stay the same in every language."""
    return _(message) if fmt == OutputFormat.table else message


def note(text: str) -> None:
    """Print ``note: TEXT`` on standard error."""
    err_console.print(_("note: {text}").format(text=text), highlight=False, soft_wrap=True)


def problem_text(exc: Exception) -> str:
    """An import error (``IngestError``) as text in the current language: the framing and the
    file, row and column are translated; each problem's value and what was expected are
    given as the loader states them (English)."""
    from critmin.i18n import ngettext
    from critmin.ingest.errors import shorten

    problems = getattr(exc, "problems", None)
    if problems is None:
        return str(exc)
    n = len(problems)
    lines = [ngettext("%(n)d problem found; nothing was imported",
                      "%(n)d problems found; nothing was imported", n) % {"n": n}]  # fmt: skip
    for p in problems:
        where = p.file
        if p.row is not None:
            where += _(", row {row}").format(row=p.row)
        if p.column:
            where += _(", column {column}").format(column=repr(p.column))
        lines.append("  - " + _("{where}: got {value}, expected {expected}").format(
            where=where, value=repr(shorten(p.value)), expected=p.expected))  # fmt: skip
    return "\n".join(lines)


def kept_sharing_text(kept: dict[str, Any]) -> str:
    """One record an import kept at its narrower sharing level."""
    return _("{key}: kept sharing {sharing} (the file says {stated}; an import never widens "
             "sharing)").format(key=kept["key"], sharing=repr(kept["sharing"]),
                                stated=repr(kept["stated"]))  # fmt: skip


def print_problems(exc: Exception) -> typer.Exit:
    """Print an import error on standard error; return the Exit (code 1) to raise."""
    err_console.print(problem_text(exc), highlight=False, soft_wrap=True, markup=False)
    return typer.Exit(1)


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print an error on standard error and return the Exit to raise."""
    prefix = _("error:")
    err_console.print(f"[bold red]{prefix}[/] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(code)
