"""``critmin stats share`` and ``critmin outlook``: thin commands over the analysis services."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from critmin.cli.common import (
    DbOption,
    FormatOption,
    MineralRequired,
    OutputFormat,
    console,
    emit,
    fail,
    note,
    session_for,
)
from critmin.domain.enums import Stage
from critmin.i18n import N_, _

stats_app = typer.Typer(
    help="Statistics: country shares and concentration.", no_args_is_help=True,
    rich_markup_mode=None,
)  # fmt: skip

SHARE_COLUMNS = ["country", "name", "share", "value"]
OUTLOOK_COLUMNS = ["year", "expected", "p10", "p50", "p90", "non_china_share"]
OUTLOOK_HEADERS = {"year": N_("Year"), "expected": N_("Mean"), "p10": "P10", "p50": "P50",
                   "p90": "P90", "non_china_share": N_("Non-China share")}  # fmt: skip
AGGREGATES = (N_("Other countries"), N_("Unattributed (world total minus the listed rows)"))
"""Rows of a share table that are not a country (the services name them in English)."""
SHARE_HEADERS = {"country": "ISO3", "name": N_("Country"), "share": N_("Share")}
MEASURES = {"production": N_("production"), "capacity": N_("capacity"),
            "reserves": N_("reserves")}  # fmt: skip
BOUND_MARK = {"upper": "≤ ", "lower": "≥ ", "unknown": "≈ "}


def _pretty(column: str, value: float | int | None) -> str:
    from critmin.services.present import fmt_num, fmt_pct

    if value is None:
        return "—"
    if column == "year":
        return str(value)
    return fmt_pct(value, 2) if column == "non_china_share" else fmt_num(value, 1)


@stats_app.command("share")
def share_cmd(
    mineral: MineralRequired,
    year: int | None = typer.Option(None, help="Year (default: the latest with data)."),
    measure: str = typer.Option("production", help="production, capacity or reserves."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Country shares of world production (or capacity, reserves) and the HHI.

    The table adds "Other countries" and the unattributed rest, so shares add up to
    100 %; shares marked ≤ are upper bounds (the world total is a lower bound).
    """
    from critmin.domain.vocab import UnknownValue
    from critmin.services import stats as stats_service
    from critmin.services.present import fmt_num, fmt_pct, mineral_label

    try:
        with session_for(db) as session:
            result = stats_service.production_shares(
                session=session, mineral=mineral, year=year, measure=measure
            )
    except UnknownValue as exc:
        raise fail(str(exc), code=2) from None
    except LookupError as exc:
        raise fail(str(exc)) from None
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    rows = stats_service.share_rows(result)
    if fmt == OutputFormat.csv:
        emit(rows, fmt, columns=["country", "name", "share", "value", "bound"])
        return
    unit = result["unit"]
    table = [
        {"country": r["country"] or "",
         "name": r["name"] if r["country"] else _(r["name"]),
         "share": BOUND_MARK.get(r["bound"] or "", "") + fmt_pct(r["share"], 2),
         "value": fmt_num(r["value"]) if r["value"] is not None else "—"}
        for r in rows
    ]  # fmt: skip
    for w in result["withheld"]:
        table.append({"country": w["country"], "name": w["name"], "share": "—",
                      "value": w["status_label"]})  # fmt: skip
    measure_label = result["measure"].replace("_", " ")
    if result["measure"] in MEASURES:
        measure_label = _(MEASURES[result["measure"]])
    title = _("{mineral} {measure}, {period} ({unit}); HHI {hhi} points").format(
        mineral=mineral_label(result["mineral"]), measure=measure_label,
        period=result["period"], unit=unit, hhi=fmt_num(result["hhi_points"], 0))  # fmt: skip
    emit(table, fmt, title=title, columns=SHARE_COLUMNS,
         headers={**SHARE_HEADERS, "value": _("Value ({unit})").format(unit=unit)},
         right=("share", "value"))  # fmt: skip
    for text in result["notes"]:
        note(text)


def _outlook_table(report: dict[str, Any], title: str, fmt: OutputFormat) -> None:
    rows = [{k: y[k] for k in OUTLOOK_COLUMNS} for y in report["years"]]
    if fmt == OutputFormat.table:
        marks = {y["year"] for y in report["years"] if y["mean_outside_band"]}
        rows = [{k: _pretty(k, v) for k, v in row.items()} for row in rows]
        for row in rows:
            if int(row["year"]) in marks:
                row["expected"] += " *"
    emit(rows, fmt, title=title, columns=OUTLOOK_COLUMNS, right=tuple(OUTLOOK_COLUMNS),
         headers=OUTLOOK_HEADERS)


def outlook_cmd(
    mineral: MineralRequired,
    start: int = typer.Option(..., "--from", help="First year of the outlook."),
    end: int = typer.Option(..., "--to", help="Last year of the outlook."),
    seed: int = typer.Option(0, help="Random seed (same seed, same output)."),
    draws: int = typer.Option(10_000, help="Monte Carlo draws.", min=1),
    params: Path | None = typer.Option(
        None, "--params", help="YAML/JSON file overriding outlook parameters (partial is fine)."
    ),
    stage: list[Stage] | None = typer.Option(
        None, "--stage", case_sensitive=False,
        help="Project stage to count (repeatable; default extraction, recycling).",
    ),  # fmt: skip
    include_restarts: bool = typer.Option(
        False, "--include-restarts",
        help="Also count projects that may restart capacity USGS already counts "
        "(left out by default, reported separately).",
    ),  # fmt: skip
    details: bool = typer.Option(
        False, "--details", help="JSON with per-project inputs, skipped projects and notes."
    ),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Non-China capacity outlook (t/yr): mean, P10/P50/P90 and the non-China share.

    Where no project can add capacity, it says so (and why) instead of drawing the
    baseline as a forecast. Notes explain years where the mean lies outside P10-P90.
    """
    from critmin.analytics.outlook_params import ParamsError, load_params
    from critmin.services import outlook as outlook_service
    from critmin.services.auth import LOCAL

    try:
        overrides = load_params(params) if params is not None else None
    except ParamsError as exc:
        raise fail(str(exc)) from None
    try:
        with session_for(db) as session:
            report = outlook_service.capacity_outlook_report(
                session=session, mineral=mineral, start=start, end=end, seed=seed, draws=draws,
                params=overrides, stages=[s.value for s in stage] if stage else None,
                include_restarts=include_restarts, caller=LOCAL,
            )  # fmt: skip
    except (LookupError, ValueError) as exc:
        raise fail(str(exc)) from None
    if details:
        emit(report, OutputFormat.json)
        return
    meta = report["meta"]
    if meta["no_outlook"]:
        if fmt == OutputFormat.table:
            console.print(meta["no_outlook"], highlight=False, soft_wrap=True)
        else:
            note(meta["no_outlook"])
            emit([], fmt, columns=OUTLOOK_COLUMNS)
        return
    for text in meta["notes"]:
        note(text)
    counted = sum(1 for p in meta["projects"] if p["counted"])
    title = _("{mineral}: non-China capacity outlook, t/yr ({counted} projects, {draws} draws, "
              "seed {seed})").format(mineral=mineral, counted=counted, draws=draws,
                                     seed=seed)  # fmt: skip
    _outlook_table(report, title, fmt)
    if fmt == OutputFormat.table and any(y["mean_outside_band"] for y in report["years"]):
        note(_("* the mean lies outside P10–P90 (a skewed distribution; see the note above)"))


def register(app: typer.Typer) -> None:
    """Attach ``stats`` and ``outlook`` to the main app."""
    app.add_typer(stats_app, name="stats")
    app.command("outlook")(outlook_cmd)
