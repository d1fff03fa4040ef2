"""``critmin stats share`` and ``critmin outlook``: thin commands over the analysis services."""

from __future__ import annotations

from pathlib import Path

import typer
from sqlalchemy.exc import SQLAlchemyError

from critmin.analytics.outlook_params import ParamsError, load_params
from critmin.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    database_url,
    emit,
    err_console,
    fail,
)
from critmin.services import outlook as outlook_service
from critmin.services import stats as stats_service
from critmin.services.auth import LOCAL
from critmin.store.db import make_engine, transaction

stats_app = typer.Typer(help="Statistics: country shares and concentration.", no_args_is_help=True)

SHARE_COLUMNS = ["country", "name", "share", "value"]
OUTLOOK_COLUMNS = ["year", "expected", "p10", "p50", "p90", "non_china_share"]


def _pretty(column: str, value: float | int | None) -> str:
    if value is None or column == "year":
        return "" if value is None else str(value)
    return f"{value:.2%}" if column == "non_china_share" else f"{value:,.1f}"


def _db_error(exc: SQLAlchemyError) -> str:
    first = str(getattr(exc, "orig", None) or exc).splitlines()[0]
    return f"database error: {first} (is the database initialised? try `critmin init`)"


@stats_app.command("share")
def share_cmd(
    mineral: str = typer.Option(..., help="Mineral code, e.g. gallium."),
    year: int | None = typer.Option(None, help="Year (default: the latest with data)."),
    measure: str = typer.Option("production", help="production, capacity or reserves."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Country shares of world production (or capacity, reserves) and the HHI."""
    engine = make_engine(database_url(db))
    try:
        with transaction(engine) as session:
            result = stats_service.production_shares(
                session=session, mineral=mineral, year=year, measure=measure
            )
    except LookupError as exc:
        raise fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise fail(_db_error(exc)) from None
    finally:
        engine.dispose()
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    rows = [{k: s[k] for k in SHARE_COLUMNS} for s in result["shares"]]
    rows.append({"country": "", "name": "Other countries", "share": result["other_share"],
                 "value": None})
    if fmt == OutputFormat.csv:
        emit(rows, fmt, columns=SHARE_COLUMNS)
        return
    for row in rows:
        row["share"] = f"{row['share']:.2%}"
    title = (f"{mineral} {result['measure']} {result['year']} ({result['unit']}); "
             f"HHI {result['hhi']:.4f} ({result['hhi_points']:.0f} points)")
    emit(rows, fmt, title=title, columns=SHARE_COLUMNS)


def outlook_cmd(
    mineral: str = typer.Option(..., help="Mineral code, e.g. gallium."),
    start: int = typer.Option(..., "--from", help="First year of the outlook."),
    end: int = typer.Option(..., "--to", help="Last year of the outlook."),
    seed: int = typer.Option(0, help="Random seed (same seed, same output)."),
    draws: int = typer.Option(10_000, help="Monte Carlo draws.", min=1),
    params: Path | None = typer.Option(
        None, "--params", help="YAML/JSON file overriding outlook parameters (partial is fine)."
    ),
    stage: list[str] | None = typer.Option(
        None, "--stage", help="Project stage to count (repeatable; default extraction, recycling)."
    ),
    details: bool = typer.Option(
        False, "--details", help="JSON with per-project inputs, skipped projects and notes."
    ),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Non-China capacity outlook (t/yr): expected, p10/p50/p90 and the non-China share."""
    try:
        overrides = load_params(params) if params is not None else None
    except ParamsError as exc:
        raise fail(str(exc)) from None
    engine = make_engine(database_url(db))
    try:
        with transaction(engine) as session:
            report = outlook_service.capacity_outlook_report(
                session=session, mineral=mineral, start=start, end=end, seed=seed, draws=draws,
                params=overrides, stages=stage or None, caller=LOCAL,
            )
    except (LookupError, ValueError) as exc:
        raise fail(str(exc)) from None
    except SQLAlchemyError as exc:
        raise fail(_db_error(exc)) from None
    finally:
        engine.dispose()
    if details:
        emit(report, OutputFormat.json)
        return
    for note in report["meta"]["notes"]:
        err_console.print(f"note: {note}", highlight=False, soft_wrap=True)
    rows = [{k: y[k] for k in OUTLOOK_COLUMNS} for y in report["years"]]
    if fmt == OutputFormat.table:
        rows = [{k: _pretty(k, v) for k, v in row.items()} for row in rows]
    title = f"{mineral}: non-China capacity outlook, t/yr ({draws} draws, seed {seed})"
    emit(rows, fmt, title=title, columns=OUTLOOK_COLUMNS)


def register(app: typer.Typer) -> None:
    """Attach ``stats`` and ``outlook`` to the main app."""
    app.add_typer(stats_app, name="stats")
    app.command("outlook")(outlook_cmd)
