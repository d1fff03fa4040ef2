"""``critmin prices``: import observations, show a series in a chosen currency and unit,
compare two markets, the event study around export-control measures, the FX table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

from critmin.cli.common import (
    DbOption,
    FormatOption,
    MineralFilter,
    OutputFormat,
    console,
    emit,
    fail,
    kept_sharing_text,
    note,
    print_problems,
    session_for,
)
from critmin.i18n import _

prices_app = typer.Typer(
    help="Prices: import, show, compare two markets, event studies, FX.", no_args_is_help=True,
    rich_markup_mode=None,
)  # fmt: skip
fx_app = typer.Typer(help="The FX table prices are converted with.", no_args_is_help=True,
                     rich_markup_mode=None)  # fmt: skip
prices_app.add_typer(fx_app, name="fx")

Currency = Annotated[
    str | None, typer.Option("--currency", help="Show prices in this currency (USD, CNY).")
]
Unit = Annotated[
    str | None, typer.Option("--unit", help="Per this quantity unit (kg, t, lb, mtu WO3).")
]
Tolerance = Annotated[
    int, typer.Option("--tolerance-days", help="Carry a value forward at most this many days.")
]


@contextmanager
def _errors() -> Iterator[None]:
    """Service errors as a clear message and a non-zero exit (never a stack trace)."""
    from critmin.domain.fx import MissingRate
    from critmin.domain.units import UnitError
    from critmin.ingest.errors import IngestError
    from critmin.services.entities import NotFound
    from critmin.services.tracker import Conflict, InvalidRecord

    try:
        yield
    except IngestError as exc:
        raise print_problems(exc) from None
    except InvalidRecord as exc:
        text = "; ".join(f"{e['field']}: {e['problem']}" for e in exc.errors)
        raise fail(text, code=2) from None
    except (NotFound, MissingRate, Conflict) as exc:
        raise fail(str(exc)) from None
    except UnitError as exc:
        raise fail(str(exc), code=2) from None


def _open(path: Path) -> tuple[Any, str]:
    from critmin.ingest.prices_sheet import detect_format

    try:
        stream = path.open("rb")
    except OSError as exc:
        raise fail(_("cannot read {path}: {error}").format(path=path,
                                                           error=exc.strerror or exc)) from None
    head = stream.read(4)
    stream.seek(0)
    return stream, detect_format(path.name, head)


def _pretty(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Numbers as a table shows them: prices to 2 decimals, changes as percentages."""
    from critmin.services.present import fmt_num, fmt_pct

    def cell(name: str, value: Any) -> Any:
        if name.startswith("change_"):
            return fmt_pct(value)
        if isinstance(value, float) or (value is None and name in ("a", "b", "spread", "ratio",
                                                                   "base", "before", "after")):
            return fmt_num(value, 4 if name == "ratio" else 2)
        return value

    return [{k: cell(k, v) for k, v in r.items()} for r in rows]


@prices_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="Price file (.csv or .xlsx) in the documented layout."),
    db: DbOption = None,
    org: Annotated[
        str | None,
        typer.Option("--org", help="Import as this organisation's series (new ones owner-only "
                                   "unless the file says); without it, as public reference data."),
    ] = None,  # fmt: skip
    dry_run: bool = typer.Option(False, "--dry-run", help="Only validate; change nothing."),
    actor: str = typer.Option("cli", help="Who is importing (recorded in the history)."),
) -> None:
    """Import price observations (CSV or Excel). A file with any error changes nothing.

    Unknown series are created; existing ones get new observations, and observations
    found again (same series, date, kind and window) are updated. Sharing is never widened.
    """
    from critmin.services import prices as service
    from critmin.services.auth import LOCAL, AuthError, get_org

    stream, fmt = _open(file)
    with stream, _errors(), session_for(db) as session:
        try:
            owner = get_org(session=session, name=org).id if org else None
        except AuthError as exc:
            raise fail(_("{error} (see `critmin org list`)").format(error=exc),
                       code=2) from None  # fmt: skip
        report = service.import_file(
            session=session, caller=LOCAL, stream=stream, fmt=fmt, file=str(file),
            owner_org_id=owner, actor=f"{actor} for {org}" if org else actor, dry_run=dry_run,
        )  # fmt: skip
    obs = report.observations
    text = (_("would import {file}: series {created} created, {updated} updated, {unchanged} "
              "unchanged; observations {added} added, {obs_updated} updated, {obs_unchanged} "
              "unchanged") if dry_run else
            _("imported {file}: series {created} created, {updated} updated, {unchanged} "
              "unchanged; observations {added} added, {obs_updated} updated, {obs_unchanged} "
              "unchanged"))
    console.print(text.format(
        file=file, created=len(report.series_created), updated=len(report.series_updated),
        unchanged=len(report.series_unchanged), added=obs["added"], obs_updated=obs["updated"],
        obs_unchanged=obs["unchanged"]), highlight=False, soft_wrap=True)  # fmt: skip
    for kept in report.kept_sharing:
        console.print("  " + kept_sharing_text(kept), highlight=False)


@prices_app.command("list")
def list_cmd(mineral: MineralFilter = None, db: DbOption = None,
             fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """The price series, with their market, unit and number of observations."""
    from critmin.services import prices as service
    from critmin.services.auth import LOCAL

    with session_for(db) as session:
        rows = service.series_choices(session=session, caller=LOCAL, mineral=mineral)
    emit(rows, fmt, title=_("Price series"), right=("observations",))


@prices_app.command("show")
def show_cmd(
    series: str = typer.Argument(..., help="Series key or id."),
    currency: Currency = None,
    unit: Unit = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """A series' levels in a chosen currency and unit (with the FX rate used for each),
    and its changes and ratios as the sources state them."""
    from critmin.services import prices as service
    from critmin.services.auth import LOCAL

    with _errors(), session_for(db) as session:
        view = service.series_view(session=session, caller=LOCAL, ref=series, currency=currency,
                                   unit=unit)  # fmt: skip
    if fmt == OutputFormat.json:
        emit(view, fmt)
        return
    level = _("level") if fmt == OutputFormat.table else "level"
    rows = [{"date": p["date_label"], "kind": level, "value": p["label"],
             "stated": f"{p['stated']['value']:g} {p['stated']['unit']}",
             "fx": (p["fx"] or {}).get("rate", "")} for p in view["levels"]]  # fmt: skip
    rows += [{"date": o["date_label"], "kind": o["kind"], "value": o["label"], "stated": "",
              "fx": ""} for o in view["stated"]]  # fmt: skip
    title = f"{view['key']} — {view['market']} ({view['shown_in']})"
    emit(rows, fmt, title=title, columns=["date", "kind", "value", "stated", "fx"])


@prices_app.command("compare")
def compare_cmd(
    a: str = typer.Argument(..., help="First series (key or id)."),
    b: str = typer.Argument(..., help="Second series (key or id)."),
    currency: Currency = None,
    unit: Unit = None,
    tolerance_days: Tolerance = 0,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Two markets in one currency and unit, with the spread (a − b) and ratio (a / b) on
    a's dates (b on the same date, or its last value within --tolerance-days)."""
    from critmin.services import prices as service
    from critmin.services.auth import LOCAL

    with _errors(), session_for(db) as session:
        result = service.compare(session=session, caller=LOCAL, a=a, b=b, currency=currency,
                                 unit=unit, tolerance_days=tolerance_days)  # fmt: skip
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    if not result["rows"]:
        note(_("no dates where both have a value ({alignment})").format(
            alignment=result["alignment"]))  # fmt: skip
    rows = result["rows"] if fmt == OutputFormat.csv else _pretty(result["rows"])
    title = _("{a} vs {b} ({unit})").format(a=result["a"]["key"], b=result["b"]["key"],
                                            unit=result["unit"])  # fmt: skip
    emit(rows, fmt, title=title, columns=["date", "a", "b", "b_date", "spread", "ratio"],
         right=("a", "b", "spread", "ratio"))  # fmt: skip


@prices_app.command("events")
def events_cmd(
    series: str = typer.Argument(..., help="Series key or id."),
    window: Annotated[
        list[int] | None, typer.Option("--window", help="Window in days (repeat; default 30, 90).")
    ] = None,
    tolerance_days: Tolerance = 7,
    currency: Currency = None,
    unit: Unit = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """The change in a series before and after every export-control measure on its mineral
    (a measure dated to the month spans the whole month)."""
    from critmin.services import prices as service
    from critmin.services.auth import LOCAL

    with _errors(), session_for(db) as session:
        result = service.events(session=session, caller=LOCAL, ref=series, windows=window,
                                tolerance_days=tolerance_days, currency=currency, unit=unit)
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    columns = ["measure", "date_label", "window_days", "base", "change_before", "after",
               "change_after"]  # fmt: skip
    rows = result["rows"] if fmt == OutputFormat.csv else _pretty(result["rows"])
    emit(rows, fmt, title=_("Event study: {series}").format(series=result["series"]["key"]),
         columns=columns,
         right=("window_days", "base", "change_before", "after", "change_after"))  # fmt: skip


@fx_app.command("list")
def fx_list(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """The stored exchange rates and their sources."""
    from critmin.services import prices as service

    with session_for(db) as session:
        rows = service.fx_rates(session=session)
    if fmt != OutputFormat.json:
        rows = [{**r, "source": (r["sources"] or [{}])[0].get("document", "")} for r in rows]
    emit(rows, fmt, title=_("FX rates (quote per base)"),
         columns=None if fmt == OutputFormat.json else
         ["base", "quote", "period", "rate", "basis", "source"])  # fmt: skip


@fx_app.command("import")
def fx_import(file: Path = typer.Argument(..., help="FX file (.csv or .xlsx)."),
              db: DbOption = None) -> None:  # fmt: skip
    """Import exchange rates (upsert on pair, date and precision); all or nothing."""
    from critmin.services import prices as service

    stream, fmt = _open(file)
    with stream, _errors(), session_for(db) as session:
        written = service.import_fx(session=session, stream=stream, fmt=fmt, file=str(file))
    console.print(_("imported {file}: {n} rate(s) written").format(file=file, n=written),
                  highlight=False)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(prices_app, name="prices")
