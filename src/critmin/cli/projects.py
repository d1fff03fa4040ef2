"""``critmin projects``, ``critmin schema``, ``critmin export`` and ``critmin import``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    console,
    database_url,
    emit,
    err_console,
    fail,
)
from critmin.domain.enums import ProjectStatus, Stage
from critmin.ingest import exchange
from critmin.ingest.errors import IngestError
from critmin.services import projects as service
from critmin.services.auth import LOCAL
from critmin.store.db import make_engine, transaction

projects_app = typer.Typer(
    help="The project tracker: list and show projects.", no_args_is_help=True
)
schema_app = typer.Typer(help="Print exchange-format schemas and templates.", no_args_is_help=True)
export_app = typer.Typer(help="Export records in the exchange format.", no_args_is_help=True)
import_app = typer.Typer(
    help="Import records in the exchange format (atomic).", no_args_is_help=True
)

LIST_COLUMNS = ["id", "name", "mineral", "stage", "status", "country", "capacity_tpa", "start_year"]


class ExchangeFormat(StrEnum):
    json = "json"
    csv = "csv"


@projects_app.command("list")
def list_cmd(
    db: DbOption = None,
    mineral: str | None = typer.Option(None, help="Mineral code, e.g. gallium."),
    stage: Stage | None = typer.Option(None, help="extraction, refining, purification, recycling."),
    status: ProjectStatus | None = typer.Option(None, help="Project status."),
    country: str | None = typer.Option(None, help="ISO 3166 alpha-3 code, e.g. CAN."),
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List projects, optionally filtered."""
    engine = make_engine(database_url(db))
    with transaction(engine) as session:
        rows = service.list_projects(
            session=session,
            caller=LOCAL,
            mineral=mineral,
            stage=stage.value if stage else None,
            status=status.value if status else None,
            country=country,
        )
    emit(rows, fmt, title=f"{len(rows)} projects", columns=None if fmt != "table" else LIST_COLUMNS)


@projects_app.command("show")
def show_cmd(
    ref: str = typer.Argument(..., help="Project id or key."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.json,
) -> None:
    """Show one project in full (exchange-format fields, history and sources)."""
    engine = make_engine(database_url(db))
    with transaction(engine) as session:
        try:
            detail = service.project_detail(session=session, ref=ref, caller=LOCAL)
        except service.ProjectNotFound as exc:
            raise fail(str(exc)) from None
    if fmt == OutputFormat.table:
        flat = {k: v for k, v in detail.items() if k != "changes"}
        emit([{"field": k, "value": v} for k, v in flat.items()], fmt, title=detail["name"])
    else:
        emit(detail, OutputFormat.json)


@schema_app.command("project")
def schema_project(
    csv_template: bool = typer.Option(
        False, "--csv-template", help="Print the CSV header instead."
    ),
) -> None:
    """Print the versioned JSON Schema of the project exchange format."""
    if csv_template:
        sys.stdout.write(exchange.csv_template())
    else:
        sys.stdout.write(json.dumps(exchange.json_schema(), indent=2, ensure_ascii=False) + "\n")


@export_app.command("projects")
def export_projects(
    db: DbOption = None,
    fmt: Annotated[ExchangeFormat, typer.Option("--format", "-f")] = ExchangeFormat.json,
    output: Path | None = typer.Option(
        None, "-o", "--output", help="File to write (default: stdout)."
    ),
    mineral: str | None = typer.Option(None, help="Only this mineral."),
) -> None:
    """Export projects as an exchange-format JSON document or CSV."""
    engine = make_engine(database_url(db))
    with transaction(engine) as session:
        text = service.export_text(session=session, caller=LOCAL, fmt=fmt.value, mineral=mineral)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err_console.print(f"wrote {output}", highlight=False)


@import_app.command("projects")
def import_projects(
    file: Path = typer.Argument(..., help="Exchange-format file (.json, .yaml or .csv)."),
    db: DbOption = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Only validate; change nothing."),
    actor: str = typer.Option("cli", help="Who is importing (recorded in the history)."),
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="json, yaml or csv (default: by suffix).")
    ] = None,
) -> None:
    """Import projects (upsert on key). A file with any error is rejected whole."""
    engine = make_engine(database_url(db))
    try:
        with transaction(engine) as session:
            report = service.import_file(
                session=session, path=file, actor=actor, fmt=fmt, dry_run=dry_run
            )
    except IngestError as exc:
        err_console.print(str(exc), highlight=False, soft_wrap=True)
        raise typer.Exit(1) from None
    verb = "would import" if dry_run else "imported"
    console.print(
        f"{verb} {file}: {len(report.created)} created, {len(report.updated)} updated, "
        f"{len(report.unchanged)} unchanged",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    app.add_typer(projects_app, name="projects")
    app.add_typer(schema_app, name="schema")
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
