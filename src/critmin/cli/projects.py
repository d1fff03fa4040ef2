"""``critmin projects``, ``critmin schema``, ``critmin export`` and ``critmin import``."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from critmin.cli.common import (
    CountryFilter,
    DbOption,
    FormatOption,
    MineralFilter,
    OutputFormat,
    console,
    emit,
    err_console,
    fail,
    kept_sharing_text,
    print_problems,
    session_for,
)
from critmin.domain.enums import ProjectStatus, Stage
from critmin.i18n import N_, _, ngettext

projects_app = typer.Typer(
    help="The project tracker: list and show projects.", no_args_is_help=True,
    rich_markup_mode=None,
)  # fmt: skip
schema_app = typer.Typer(
    help="Print exchange-format schemas and templates.", no_args_is_help=True,
    rich_markup_mode=None,
)  # fmt: skip
export_app = typer.Typer(
    help="Export records in the exchange format.", no_args_is_help=True, rich_markup_mode=None
)
import_app = typer.Typer(
    help="Import records in the exchange format (atomic).", no_args_is_help=True,
    rich_markup_mode=None,
)  # fmt: skip

LIST_COLUMNS = ["id", "name", "mineral", "stage", "status", "country", "capacity", "start_year"]
LIST_HEADERS = {"id": N_("id"), "name": N_("Name"), "mineral": N_("Mineral"),
                "stage": N_("Stage"), "status": N_("Status"), "country": N_("Country"),
                "capacity": N_("Capacity"), "start_year": N_("Start"),
                "curation_note": N_("Curation note")}  # fmt: skip
CurationNotes = Annotated[
    bool,
    typer.Option("--with-curation-notes",
                 help="Also show the curators' notes on how each record was compiled."),
]  # fmt: skip


class ExchangeFormat(StrEnum):
    json = "json"
    csv = "csv"


def _table_row(row: dict[str, Any]) -> dict[str, Any]:
    from critmin.services.present import fmt_qty

    name = row["name"] + (f" ({row['name_original']})" if row.get("name_original") else "")
    return {
        "id": row["id"], "name": name, "mineral": row["mineral_label"],
        "stage": row["stage_label"], "status": row["status_label"],
        "country": row["country_label"], "capacity": fmt_qty(row["capacity_tpa"], "t/yr"),
        "start_year": row["start_year"] or "—",
    }  # fmt: skip


@projects_app.command("list")
def list_cmd(
    db: DbOption = None,
    mineral: MineralFilter = None,
    stage: Stage | None = typer.Option(None, help="Project stage.", case_sensitive=False),
    status: ProjectStatus | None = typer.Option(None, help="Project status.", case_sensitive=False),
    country: CountryFilter = None,
    with_curation_notes: CurationNotes = False,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """List projects (by mineral, then name), optionally filtered.

    Tables show labels and units; JSON and CSV keep the codes and add ``*_label`` fields.
    """
    from critmin.services import projects as service
    from critmin.services.auth import LOCAL
    from critmin.services.present import with_labels

    with session_for(db) as session:
        rows = service.list_projects(
            session=session,
            caller=LOCAL,
            mineral=mineral,
            stage=stage.value if stage else None,
            status=status.value if status else None,
            country=country,
            curation_notes=with_curation_notes,
        )
    rows = [with_labels(r) for r in rows]
    if fmt != OutputFormat.table:
        emit(rows, fmt)
        return
    columns = LIST_COLUMNS + (["curation_note"] if with_curation_notes else [])
    table = [{**_table_row(r), "curation_note": r.get("curation_note")} for r in rows]
    title = ngettext("%(n)d project", "%(n)d projects", len(rows)) % {"n": len(rows)}
    emit(table, fmt, title=title, columns=columns, headers=LIST_HEADERS,
         right=("id", "capacity", "start_year"))  # fmt: skip


@projects_app.command("show")
def show_cmd(
    ref: str = typer.Argument(..., help="Project id or key."),
    db: DbOption = None,
    with_curation_notes: CurationNotes = False,
    fmt: FormatOption = OutputFormat.json,
) -> None:
    """Show one project in full (exchange-format fields, history and sources).

    JSON keeps the codes and adds ``*_label`` fields; the table is for reading.
    """
    from critmin.services import projects as service
    from critmin.services.auth import LOCAL
    from critmin.services.present import with_labels

    with session_for(db) as session:
        try:
            detail = service.project_detail(session=session, ref=ref, caller=LOCAL)
        except service.ProjectNotFound as exc:
            raise fail(str(exc)) from None
    if not with_curation_notes:
        detail.pop("curation_note", None)
    detail = with_labels(detail)
    if fmt == OutputFormat.table:
        from critmin.cli.show import print_project

        print_project(detail, console)
    elif fmt == OutputFormat.csv:
        raise fail(_("projects show prints json or table; use `critmin export projects` for "
                     "CSV"), code=2)  # fmt: skip
    else:
        emit(detail, OutputFormat.json)


@schema_app.command("project")
def schema_project(
    csv_template: bool = typer.Option(
        False, "--csv-template", help="Print the CSV header instead."
    ),
) -> None:
    """Print the versioned JSON Schema of the project exchange format."""
    from critmin.ingest import exchange

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
    mineral: MineralFilter = None,
) -> None:
    """Export projects as an exchange-format JSON document or CSV."""
    from critmin.services import projects as service
    from critmin.services.auth import LOCAL

    with session_for(db) as session:
        text = service.export_text(session=session, caller=LOCAL, fmt=fmt.value, mineral=mineral)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")
        err_console.print(_("wrote {path}").format(path=output), highlight=False)


@import_app.command("projects")
def import_projects(
    file: Path = typer.Argument(..., help="Exchange-format file (.json, .yaml or .csv)."),
    db: DbOption = None,
    dry_run: bool = typer.Option(False, "--dry-run", help="Only validate; change nothing."),
    actor: str = typer.Option("cli", help="Who is importing (recorded in the history)."),
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="json, yaml or csv (default: by suffix).")
    ] = None,
    org: Annotated[
        str | None,
        typer.Option("--org", help="Import as this organisation's projects (its keys, its "
                                   "sharing rules); without it, as public reference data."),
    ] = None,
) -> None:
    """Import projects (upsert on key). A file with any error is rejected whole.

    Fields the file does not state keep their stored values; sharing is never widened.
    With --org, a new project whose file states no sharing level is owner-only; without
    it, projects are public reference data (a file asking for another level is refused).
    """
    from critmin.ingest.errors import IngestError
    from critmin.services import projects as service
    from critmin.services.auth import AuthError, get_org

    if fmt is not None and fmt not in ("json", "yaml", "csv"):
        raise fail(_("unknown format {value}; expected json, yaml or csv").format(
            value=repr(fmt)), code=2)  # fmt: skip
    try:
        with session_for(db) as session:
            try:
                owner = get_org(session=session, name=org).id if org else None
            except AuthError as exc:
                raise fail(_("{error} (see `critmin org list`)").format(error=exc),
                           code=2) from None  # fmt: skip
            label = f"{actor} for {org}" if org else actor
            report = service.import_file(
                session=session, path=file, actor=label, fmt=fmt, dry_run=dry_run,
                owner_org_id=owner,
            )  # fmt: skip
    except IngestError as exc:
        raise print_problems(exc) from None
    except service.ImportRaced as exc:
        raise fail(_("{error}; nothing was imported: run the import again").format(
            error=exc)) from None  # fmt: skip
    summary = (_("would import {file}: {created} created, {updated} updated, {unchanged} "
                 "unchanged") if dry_run else
               _("imported {file}: {created} created, {updated} updated, {unchanged} "
                 "unchanged"))  # fmt: skip
    console.print(
        summary.format(file=file, created=report.count("created"),
                       updated=report.count("updated"), unchanged=report.count("unchanged")),
        highlight=False,
        soft_wrap=True,
    )  # fmt: skip
    for kept in report.kept_sharing:
        console.print("  " + kept_sharing_text(kept), highlight=False, soft_wrap=True)
    if report.owner_only_by_default:
        console.print(
            "  " + _("{n} new project(s) state no sharing level: they are owner-only").format(
                n=report.owner_only_by_default),
            highlight=False,
            soft_wrap=True,
        )  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(projects_app, name="projects")
    app.add_typer(schema_app, name="schema")
    app.add_typer(export_app, name="export")
    app.add_typer(import_app, name="import")
