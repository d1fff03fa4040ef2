"""``critmin controls``: may a shipment go (one, or a CSV batch), and the timeline of
export-control measures per mineral and jurisdiction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from critmin.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    console,
    emit,
    fail,
    session_for,
)
from critmin.i18n import _

controls_app = typer.Typer(
    help="Export controls: check shipments against the measures, timelines.",
    no_args_is_help=True, rich_markup_mode=None,
)  # fmt: skip

@contextmanager
def _errors() -> Iterator[None]:
    """Bad input as a clear message and exit code 2 (never a stack trace)."""
    from critmin.services.controls import BadRequest

    try:
        yield
    except BadRequest as exc:
        raise fail(str(exc), code=2) from None


def _show_check(result: dict[str, Any]) -> None:
    """The verdict, why, and each measure's effect, in the run's language (measure titles
    are the records' own words; English keeps the service's sentence as it is)."""
    from critmin import i18n
    from critmin.i18n import display

    route = " → ".join(c for c in (result["origin"], result["via"], result["destination"]) if c)
    console.print(_("{item} {route} on {date}: [bold]{verdict}[/]").format(
        item=display.text(result["item_label"]), route=route, date=result["date"],
        verdict=result["verdict"], verdict_label=display.label(result["verdict"])),
        highlight=False)  # fmt: skip
    if i18n.current() == i18n.DEFAULT:
        console.print(result["why"], highlight=False, soft_wrap=True)
    else:
        _why_in_language(result["measures"])
    for m in result["measures"]:
        note = f" — {m['note']}" if m.get("note") else ""
        console.print(f"  • {m['title']} [{m['key']}]: {_(m['effect_label'])}{note}",
                      highlight=False, soft_wrap=True, markup=False)  # fmt: skip


def _why_in_language(measures: list[dict[str, Any]]) -> None:
    """The reason as a translated frame around the measures' titles."""
    def titles(rows: list[dict[str, Any]]) -> str:
        return "; ".join(m["title"] for m in rows)

    deciding = [m for m in measures if m["decides"]]
    lifted = [m for m in measures if m["effect"] == "suspended"]
    unless = [m for m in measures if m["effect"] == "unless_exempt"]
    lines = [_("Decided by: {measures}").format(measures=titles(deciding)) if deciding
             else _("No recorded measure restricts this shipment on that date")]  # fmt: skip
    if unless:
        lines.append(_("Only material that meets {standards} may enter; other material is "
                       "prohibited by {measures}").format(
            standards=titles([m for m in measures if m["effect"] == "exempts"]),
            measures=titles(unless)))  # fmt: skip
    if lifted:
        lines.append(_("Suspended on that date: {measures}").format(measures=titles(lifted)))
        if deciding:
            lines.append(_("A suspension lifts only the measure it names, so the measures "
                           "above still apply"))  # fmt: skip
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True, markup=False)


@controls_app.command("check")
def check_cmd(
    item: str = typer.Option(..., "--item", help="Mineral (gallium), form (apt), HS code (811292) "
                             "or technology:<mineral>."),
    origin: str = typer.Option(..., "--origin", help="Country of origin (ISO3)."),
    destination: str = typer.Option(..., "--destination", help="Final destination (ISO3)."),
    date: str = typer.Option(..., "--date", help="Shipment date, YYYY-MM-DD."),
    via: str | None = typer.Option(None, "--via", help="Transit or re-exporting country (ISO3)."),
    end_use: str | None = typer.Option(None, "--end-use", help="civil or military."),
    technology: bool = typer.Option(False, "--technology", help="The item is a technology."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """May this shipment go? allowed, licence_required or prohibited, with the measures
    that decide it (the most restrictive wins; suspensions and expiries honoured)."""
    from critmin.services import controls as service
    from critmin.services.auth import LOCAL

    with _errors(), session_for(db) as session:
        result = service.check(session=session, caller=LOCAL, item=item, origin=origin,
                               destination=destination, date=date, via=via, end_use=end_use,
                               technology=technology)  # fmt: skip
    if fmt == OutputFormat.json:
        emit(result, fmt)
    elif fmt == OutputFormat.csv:
        emit([{"key": m["key"], "title": m["title"], "effect": m["effect"]}
              for m in result["measures"]], fmt)  # fmt: skip
    else:
        _show_check(result)


@controls_app.command("check-batch")
def check_batch_cmd(
    file: Path = typer.Argument(..., help="CSV: item,origin,destination,date[,via,end_use,"
                                "technology]."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Check every shipment of a CSV file; a bad row fails the batch, naming it."""
    from critmin.services import controls as service
    from critmin.services.auth import LOCAL

    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(_("cannot read {path}: {error}").format(path=file, error=exc),
                   code=2) from None  # fmt: skip
    with _errors(), session_for(db) as session:
        results = service.check_csv(session=session, caller=LOCAL, text=text, file=str(file))
    if fmt == OutputFormat.json:
        emit(results, fmt)
        return
    rows = [{"row": n, "item": r["item"], "origin": r["origin"], "via": r["via"] or "",
             "destination": r["destination"], "date": r["date"], "end_use": r["end_use"] or "",
             "verdict": r["verdict"],
             "deciding": "; ".join(m["key"] for m in r["measures"] if m["decides"])}
            for n, r in enumerate(results, start=2)]  # fmt: skip
    emit(rows, fmt, title=_("Shipment checks: {file}").format(file=file))


@controls_app.command("timeline")
def timeline_cmd(
    mineral: str | None = typer.Option(None, "--mineral", help="Mineral code or name."),
    jurisdiction: str | None = typer.Option(None, "--jurisdiction",
                                            help="Imposing country (ISO3)."),
    as_of: str | None = typer.Option(None, "--as-of", help="Status as of YYYY-MM-DD "
                                     "(default today)."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Measures oldest first, dates at their precision (derived ones marked), with their
    status as of today or --as-of; undated ones listed and counted."""
    from critmin.services import controls as service
    from critmin.services.auth import LOCAL

    with _errors(), session_for(db) as session:
        data = service.timeline(session=session, caller=LOCAL, mineral=mineral,
                                jurisdiction=jurisdiction, as_of=as_of)  # fmt: skip
    if fmt == OutputFormat.json:
        emit(data["measures"], fmt)
        return
    from critmin import i18n
    from critmin.i18n import display

    # CSV stays English, as JSON does; a table reads in the run's language
    english = fmt != OutputFormat.table or i18n.current() == i18n.DEFAULT

    def when(m: dict[str, Any], which: str) -> str:
        if english or not m[which]:
            return m[f"{which}_label"] or ""
        derived = _("(derived)") if m.get(f"{which}_derived") else ""
        return display.date(m[f"{which}_label"].removesuffix(" (derived)")) + derived

    rows = [{"key": m["key"], "title": m["title"] + (f" ({m['title_original']})"
                                                   if m.get("title_original") else ""),
             "type": m["type_label"] if english else display.label(m["type"]),
             "announced": when(m, "announced"), "effective": when(m, "effective"),
             "expiry": when(m, "expiry"),
             "status": m["status_label"] if english else display.label(m["status"])}
            for m in data["measures"]]  # fmt: skip
    emit(rows, fmt, title=_("Export controls as of {date}").format(date=data["as_of"]))
    if fmt == OutputFormat.table and data["undated_count"]:
        console.print(_("undated (no dates given): {n}").format(n=data["undated_count"]),
                      highlight=False)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(controls_app, name="controls")
