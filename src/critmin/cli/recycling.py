"""``critmin recycling``: end-of-life recycling figures, targets and progress toward them.

The figures and targets are bundled reference data (no database is read). Messages and
column titles follow ``--lang``.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from critmin.cli.common import FormatOption, LangOption, OutputFormat, emit, fail

recycling_app = typer.Typer(
    help="Recycling: end-of-life figures per mineral and country, targets and progress.",
    no_args_is_help=True, rich_markup_mode=None,
)  # fmt: skip

Mineral = Annotated[str | None, typer.Option("--mineral", help="Mineral code or name, e.g. "
                                             "tungsten.", metavar="MINERAL")]  # fmt: skip
Country = Annotated[str | None, typer.Option("--country", help="ISO3 code or country name, "
                                             "e.g. USA.", metavar="COUNTRY")]  # fmt: skip


def _service() -> Any:
    from critmin.services import recycling

    return recycling


def _fail(exc: Exception) -> typer.Exit:
    return fail(str(exc), code=2)


@recycling_app.command("rates")
def rates_cmd(
    mineral: Mineral = None,
    country: Country = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = None,
) -> None:
    """Recycling figures with their qualifier and source (the exact words quoted)."""
    from critmin.i18n import _

    service = _service()
    try:
        figures = service.rates(mineral, country)
    except service.RecyclingError as exc:
        raise _fail(exc) from None
    if fmt == OutputFormat.json:
        emit({"figures": figures, "not_bundled": service.not_bundled()}, fmt)
        return
    rows = [{"mineral": f["mineral_label"], "country": f["country_label"],
             "year": f["year_label"], "kind": f["kind_label"], "value": f["value"],
             "unit": f["unit_label"], "qualifier": f["qualifier_label"], "shown": f["shown"],
             "source": f["source"].get("title") or f["source"]["document"],
             "quote": f["quote"]} for f in figures]  # fmt: skip
    if fmt == OutputFormat.csv:
        emit(rows, fmt)
        return
    emit(rows, fmt, title=_("%(n)s recycling figures") % {"n": len(rows)},
         columns=["mineral", "country", "year", "kind", "shown", "qualifier", "source"],
         headers={"mineral": _("Mineral"), "country": _("Country"), "year": _("Year"),
                  "kind": _("What it measures"), "shown": _("Figure"),
                  "qualifier": _("Qualifier"), "source": _("Source")})  # fmt: skip
    typer.echo(service.not_bundled())


@recycling_app.command("targets")
def targets_cmd(
    mineral: Mineral = None,
    country: Country = None,
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = None,
) -> None:
    """Recycling targets, who set or proposed them, and their sources."""
    from critmin.i18n import _

    service = _service()
    try:
        found = service.targets(mineral, country)
    except service.RecyclingError as exc:
        raise _fail(exc) from None
    if fmt == OutputFormat.json:
        emit(found, fmt)
        return
    rows = [{"key": t["key"], "mineral": t["mineral_label"], "country": t["country_label"],
             "target_pct": t["target_pct"], "by": t["target_year_label"],
             "status": t["status_label"], "set_by": t["set_by"],
             "extra_supply": t["expected_extra_supply_shown"] or "—",
             "source": t["sources"][0].get("title") or t["sources"][0]["document"]}
            for t in found]  # fmt: skip
    wide = fmt == OutputFormat.csv  # the table leaves who and the source to JSON and CSV
    emit(rows, fmt, title=_("%(n)s recycling targets") % {"n": len(rows)},
         columns=None if wide else ["key", "mineral", "country", "target_pct", "by", "status",
                                    "extra_supply"],
         headers={"key": _("Key"), "mineral": _("Mineral"), "country": _("Country"),
                  "target_pct": _("Target (%)"), "by": _("By"), "status": _("Status"),
                  "set_by": _("Set or proposed by"),
                  "extra_supply": _("Extra supply expected"), "source": _("Source")},
         right=("target_pct",))  # fmt: skip


@recycling_app.command("progress")
def progress_cmd(
    mineral: Mineral = None,
    country: Country = None,
    target: str | None = typer.Option(None, "--target", help="Target key."),
    current_pct: float | None = typer.Option(
        None, "--current-pct", min=0, max=100, help="A current rate to use (percent)."
    ),
    current_year: int | None = typer.Option(
        None, "--current-year", min=1900, max=2100, help="The year of that rate."
    ),
    consumption_t: float | None = typer.Option(
        None, "--consumption-t", min=0, help="Consumption base (t/yr) for the extra supply implied."
    ),
    fmt: FormatOption = OutputFormat.table,
    lang: LangOption = None,
) -> None:
    """Progress toward each target: gap, yearly gain needed, extra supply implied."""
    from critmin.i18n import _

    service = _service()
    try:
        found = service.progress(
            mineral,
            country,
            target=target,
            current_pct=current_pct,
            current_year=current_year,
            consumption_t=consumption_t,
        )
    except service.RecyclingError as exc:
        raise _fail(exc) from None
    if fmt == OutputFormat.json:
        emit(found, fmt)
        return
    rows = [{"target": p["target"]["key"], "goal": f"{p['target']['target_pct']:g}% "
             f"({p['target']['target_year_label']})",
             "current": p["current"]["shown"] if p["current"] else "—",
             "gap_pp": p["gap_pp"], "needed_pp_per_year": p["needed_pp_per_year"],
             "extra_supply_t": p["extra_supply_t"], "state": p["state_label"],
             "note": p["note"] or ""} for p in found]  # fmt: skip
    wide = fmt == OutputFormat.csv  # the table prints the notes below it
    emit(rows, fmt, title=_("Progress toward %(n)s recycling targets") % {"n": len(rows)},
         columns=None if wide else [c for c in rows[0] if c != "note"] if rows else None,
         headers={"target": _("Target"), "goal": _("Goal"), "current": _("Current rate"),
                  "gap_pp": _("Gap (percentage points)"),
                  "needed_pp_per_year": _("Needed (points per year)"),
                  "extra_supply_t": _("Extra supply implied (t/yr)"), "state": _("State"),
                  "note": _("Note")},
         right=("gap_pp", "needed_pp_per_year", "extra_supply_t"))  # fmt: skip
    if not wide:
        for row in rows:
            if row["note"]:
                typer.echo(f"{row['target']}: {row['note']}")


def register(app: typer.Typer) -> None:
    app.add_typer(recycling_app, name="recycling")
