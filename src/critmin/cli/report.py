"""``critmin report``: the Section 232-style dossier, the mineral briefing and the stockpile
adequacy report as HTML, PDF or their JSON data model, in English or Chinese."""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from critmin.cli.common import DbOption, LangOption, fail, session_for

report_app = typer.Typer(
    help="Reports: Section 232-style dossier, mineral briefing, stockpile adequacy.",
    no_args_is_help=True, rich_markup_mode=None,
)  # fmt: skip


class ReportFormat(StrEnum):
    html = "html"
    pdf = "pdf"
    json = "json"


Mineral = Annotated[str, typer.Option("--mineral", help="Mineral (e.g. tungsten).")]
Fmt = Annotated[
    ReportFormat,
    typer.Option(
        "--format", "-f", case_sensitive=False, help="html, pdf, or json (the data model)."
    ),
]
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="File to write (needed for pdf; default standard output)."),
]
AsOf = Annotated[
    str | None, typer.Option("--as-of", help="Report date, YYYY-MM-DD (default today).")
]


def _run(
    kind: str,
    *,
    mineral: str,
    country: str | None,
    fmt: ReportFormat,
    output: Path | None,
    as_of: str | None,
    db: str | None,
) -> None:
    from critmin import i18n
    from critmin.i18n import _
    from critmin.services import reports as service
    from critmin.services.auth import LOCAL

    if fmt == ReportFormat.pdf and output is None:
        raise fail(_("a PDF needs a file: give -o FILE"), code=2)
    with session_for(db) as session:
        try:
            rep = service.build(
                session,
                LOCAL,
                kind,
                mineral=mineral,
                country=country,
                as_of=as_of,
                lang=i18n.current(),
            )
            data = (
                json.dumps(rep.to_dict(), ensure_ascii=False, indent=2).encode() + b"\n"
                if fmt == ReportFormat.json
                else service.render(rep, fmt.value)
            )
        except service.ReportError as exc:
            raise fail(str(exc), code=2) from None
    if output is None:
        sys.stdout.buffer.write(data)
        return
    try:
        output.write_bytes(data)
    except OSError as exc:
        raise fail(
            _("cannot write {file}: {problem}").format(file=output, problem=exc.strerror)
        ) from None
    typer.echo(
        _("Wrote {file} ({size} bytes, {seconds} s to build)").format(
            file=output, size=f"{len(data):,}", seconds=f"{rep.timing_s or 0:.1f}"
        ),
        err=True,
    )


@report_app.command("dossier")
def dossier_cmd(
    mineral: Mineral = "tungsten",
    country: str = typer.Option("USA", "--country", help="Country (ISO3 or name)."),
    fmt: Fmt = ReportFormat.html,
    output: Output = None,
    as_of: AsOf = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    """Section 232-style dossier for a mineral and a country."""
    _run("dossier", mineral=mineral, country=country, fmt=fmt, output=output, as_of=as_of, db=db)


@report_app.command("briefing")
def briefing_cmd(
    mineral: Mineral = "gallium",
    fmt: Fmt = ReportFormat.html,
    output: Output = None,
    as_of: AsOf = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    """One-page mineral briefing."""
    _run("briefing", mineral=mineral, country=None, fmt=fmt, output=output, as_of=as_of, db=db)


@report_app.command("stockpile")
def stockpile_cmd(
    mineral: Mineral = "gallium",
    fmt: Fmt = ReportFormat.html,
    output: Output = None,
    as_of: AsOf = None,
    lang: LangOption = None,
    db: DbOption = None,
) -> None:
    """Stockpile adequacy report (US consumption, lots in the database)."""
    _run("stockpile", mineral=mineral, country=None, fmt=fmt, output=output, as_of=as_of, db=db)


def register(app: typer.Typer) -> None:
    app.add_typer(report_app, name="report")
