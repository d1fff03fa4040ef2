"""``critmin criticality``: every criticality indicator per mineral for a region, and
GeoPolRisk from explicit production, imports and governance files."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from critmin.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    emit,
    fail,
    print_problems,
    session_for,
)
from critmin.i18n import N_, _

criticality_app = typer.Typer(
    help="Criticality: HHI, import reliance, EU supply risk and economic importance, "
    "USGS-style supply risk and GeoPolRisk per mineral for a region.",
    invoke_without_command=True, rich_markup_mode=None,
)  # fmt: skip

Region = Annotated[str, typer.Option("--region", help="ISO3 country code or EU.")]
Year = Annotated[int, typer.Option("--year", help="Data year.")]
InputsFile = Annotated[Path | None, typer.Option(
    "--inputs", help="YAML of inputs critmin does not bundle (see docs/criticality.md).")]
COLUMNS = ["mineral_label", "hhi", "import_reliance", "governance_weighted_hhi",
           "eu_supply_risk", "eu_economic_importance", "eu_critical", "usgs_supply_risk",
           "geopolrisk"]  # fmt: skip
HEADERS = {"mineral_label": N_("Mineral"), "hhi": N_("HHI (0-1)"),
           "import_reliance": N_("Net import reliance"), "governance_weighted_hhi": "HHI x WGI",
           "eu_supply_risk": N_("EU SR"), "eu_economic_importance": N_("EU EI"),
           "eu_critical": N_("EU critical"), "usgs_supply_risk": N_("USGS SR"),
           "geopolrisk": "GeoPolRisk"}  # fmt: skip


@contextmanager
def _errors() -> Iterator[None]:
    """Service errors as a clear message and a non-zero exit (never a stack trace)."""
    from critmin.ingest.errors import IngestError
    from critmin.services.tracker import InvalidRecord

    try:
        yield
    except IngestError as exc:
        raise print_problems(exc) from None
    except InvalidRecord as exc:
        raise fail("; ".join(f"{e['field']}: {e['problem']}" for e in exc.errors), 2) from None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(_("cannot read {path}: {error}").format(
            path=path, error=getattr(exc, "strerror", None) or exc)) from None  # fmt: skip


def _table(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def cell(v: Any) -> Any:
        if v is None:
            return _("n/a")
        return f"{v:.3f}" if isinstance(v, float) else (_("yes") if v is True else v)

    return [{c: cell(r.get(c)) for c in COLUMNS} for r in rows]


@criticality_app.callback()
def assess(ctx: typer.Context, region: Region = "USA", year: Year = 2024,
           inputs: InputsFile = None, fmt: FormatOption = OutputFormat.table,
           db: DbOption = None) -> None:  # fmt: skip
    """Every indicator per mineral for REGION in YEAR, with the inputs behind each
    (n/a where an input is missing; the JSON says which and why)."""
    if ctx.invoked_subcommand is not None:
        return
    from critmin.services import criticality as service
    from critmin.services.auth import LOCAL
    from critmin.services.criticality_inputs import load_inputs

    with _errors():
        given = load_inputs(_read(inputs), str(inputs)) if inputs else None
        with session_for(db) as session:
            rows = service.assess(session=session, caller=LOCAL, region=region, year=year,
                                  inputs=given)  # fmt: skip
    if fmt == OutputFormat.table:
        title = _("Criticality, {region} {year}").format(
            region=rows[0]["region_label"] if rows else region, year=year)
        emit(_table(rows), fmt, title=title, columns=COLUMNS, headers=HEADERS,
             right=tuple(COLUMNS[1:]))  # fmt: skip
    elif fmt == OutputFormat.csv:
        emit([{k: v for k, v in r.items() if k != "inputs"} for r in rows], fmt)
    else:
        emit(rows, fmt)


@criticality_app.command("geopolrisk")
def geopolrisk(
    importer: Annotated[str, typer.Option("--importer", help="Importing country ISO3 (or EU).")],
    production: Annotated[Path, typer.Option("--production", help="CSV: country,quantity.")],
    imports: Annotated[Path, typer.Option("--imports", help="CSV: exporter,quantity.")],
    governance: Annotated[Path, typer.Option(
        "--governance", help="CSV: country,score (0-1, 1 = highest risk).")],
    fmt: FormatOption = OutputFormat.table,
) -> None:  # fmt: skip
    """GeoPolRisk (HHI x import risk) from explicit production, imports and governance files."""
    from critmin.services.criticality import geopolrisk_from_files

    with _errors():
        result = geopolrisk_from_files(
            importer=importer, production=(_read(production), str(production)),
            imports=(_read(imports), str(imports)),
            governance=(_read(governance), str(governance)))  # fmt: skip
    if fmt == OutputFormat.json:
        emit(result, fmt)
    else:
        emit({k: result[k] for k in ("importer", "hhi", "import_risk", "score")}, fmt)


def register(app: typer.Typer) -> None:
    app.add_typer(criticality_app, name="criticality")
