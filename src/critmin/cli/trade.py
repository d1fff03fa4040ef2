"""``critmin trade``: import BACI or customs files, mirror gaps, the circumvention signal,
the supply-demand balance."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

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
    print_problems,
    session_for,
)
from critmin.i18n import _

trade_app = typer.Typer(help="Trade: import, flows, mirror gaps, circumvention, balance.",
                        no_args_is_help=True, rich_markup_mode=None)  # fmt: skip

ImportOption = Annotated[
    int | None, typer.Option("--import", help="A trade import's id (default: bundled BACI).")
]
HsOption = Annotated[list[str] | None, typer.Option("--hs", help="HS six-digit code (repeat).")]


@contextmanager
def _errors() -> Iterator[None]:
    """Service errors as a clear message and a non-zero exit (never a stack trace)."""
    from critmin.ingest.errors import IngestError
    from critmin.services.entities import NotFound
    from critmin.services.tracker import Conflict, InvalidRecord

    try:
        yield
    except IngestError as exc:
        raise print_problems(exc) from None
    except InvalidRecord as exc:
        raise fail("; ".join(f"{e['field']}: {e['problem']}" for e in exc.errors), code=2) from None
    except (NotFound, Conflict) as exc:
        raise fail(str(exc)) from None


def _num(rows: list[dict[str, Any]], fmt: OutputFormat) -> list[dict[str, Any]]:
    """Numbers as a table shows them (JSON and CSV keep them as they are)."""
    if fmt != OutputFormat.table:
        return rows
    from critmin.services.present import fmt_num

    return [{k: fmt_num(v, 2) if isinstance(v, float) else v for k, v in r.items()}
            for r in rows]  # fmt: skip


@trade_app.command("import")
def import_cmd(
    file: Path = typer.Argument(..., help="Trade file (CSV) in the BACI or customs layout."),
    layout: Annotated[
        str, typer.Option("--layout", help="baci (t,i,j,k,v,q) or customs.")
    ] = "baci",
    org: Annotated[str | None, typer.Option(
        "--org", help="Import as this organisation's (owner-only unless --sharing); without "
        "it, as public reference data.")] = None,  # fmt: skip
    sharing: Annotated[
        str | None, typer.Option("--sharing", help="public, partners or owner.")
    ] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Import a trade file; a file with any error changes nothing."""
    from critmin.services import trade as service
    from critmin.services.auth import LOCAL, AuthError, get_org

    if not file.is_file():
        raise fail(_("cannot read {path}: no such file").format(path=file))
    with _errors(), session_for(db) as session:
        try:
            owner = get_org(session=session, name=org).id if org else None
        except AuthError as exc:
            raise fail(_("{error} (see `critmin org list`)").format(error=exc),
                       code=2) from None  # fmt: skip
        summary = service.import_file(session=session, caller=LOCAL, source=file,
                                      file=str(file), layout=layout, owner_org_id=owner,
                                      sharing=sharing, actor=f"cli for {org}" if org else "cli")
    if fmt != OutputFormat.table:
        emit(summary, fmt)
        return
    years = summary["years"]
    span = f"{years[0]}–{years[-1]}" if years else _("no years")
    console.print(_("imported {file} as import {id} ({layout}): {rows} rows, {years}, "
                    "{reporters} reporters, sharing {sharing}").format(
        file=file, id=summary["import_id"], layout=summary["layout"],
        rows=f"{summary['rows']:,}", years=span, reporters=len(summary["reporters"]),
        sharing=summary["sharing"]), highlight=False, soft_wrap=True)  # fmt: skip


@trade_app.command("imports")
def imports_cmd(db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:
    """The trade imports."""
    from critmin.services import trade as service
    from critmin.services.auth import LOCAL

    with session_for(db) as session:
        rows = service.list_imports(session=session, caller=LOCAL)
    emit(rows, fmt, title=_("Trade imports"),
         columns=["import_id", "file", "layout", "rows", "years", "sharing"])  # fmt: skip


@trade_app.command("mirror")
def mirror_cmd(
    import_id: Annotated[int, typer.Option("--import", help="A customs import's id.")],
    hs: HsOption = None,
    country: Annotated[str | None, typer.Option("--country", help="ISO3, either side.")] = None,
    limit: int = typer.Option(100, "--limit", help="At most this many rows."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Mirror gaps: A's declared exports to B against B's declared imports from A (kUSD)."""
    from critmin.services import trade as service
    from critmin.services.auth import LOCAL

    with _errors(), session_for(db) as session:
        result = service.mirror(session=session, caller=LOCAL, import_id=import_id, hs=hs,
                                country=country, limit=limit)  # fmt: skip
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    cols = ["period", "exporter_label", "importer_label", "hs6", "exports_kusd",
            "imports_kusd", "gap_kusd", "gap_pct"]  # fmt: skip
    title = _("Mirror gaps ({source}; kUSD)").format(source=result["source"])
    emit(_num(result["rows"], fmt), fmt, title=title,
         columns=cols, right=("exports_kusd", "imports_kusd", "gap_kusd", "gap_pct"))
    if fmt == OutputFormat.table:
        note(result["valuation"])


@trade_app.command("circumvention")
def circumvention_cmd(
    origin: Annotated[str | None, typer.Option(
        "--origin", help="Restricting origin (ISO3), e.g. CHN.")] = None,
    target: Annotated[str | None, typer.Option(
        "--target", help="Restricted destination, e.g. USA.")] = None,
    start: Annotated[str | None, typer.Option(
        "--start", help="Measure's year or month (YYYY-MM).")] = None,
    hs: HsOption = None,
    measure: Annotated[str | None, typer.Option(
        "--measure", help="A measure's key: what is not given is taken from it.")] = None,
    import_id: ImportOption = None,
    threshold: float = typer.Option(3.0, "--threshold", help="z-score both legs must reach."),
    min_pre: int = typer.Option(4, "--min-pre", help="Periods of history needed."),
    min_post_kusd: float = typer.Option(0.0, "--min-post-kusd", help="Smallest flow after."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Third countries whose imports from the origin and exports to the target rose
    together beyond their own history once the measure applied (give --origin, --target,
    --hs and --start, or --measure KEY to take them from a stored measure)."""
    from critmin.services import trade as service
    from critmin.services.auth import LOCAL

    with _errors(), session_for(db) as session:
        result = service.circumvention(
            session=session, caller=LOCAL, origin=origin, target=target, hs=hs, start=start,
            measure=measure, import_id=import_id, threshold=threshold, min_pre=min_pre,
            min_post_kusd=min_post_kusd)  # fmt: skip
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    cols = ["country_label", "in_z", "out_z", "in_pre_kusd", "in_post_kusd", "out_pre_kusd",
            "out_post_kusd", "flagged"]  # fmt: skip
    title = _("{origin} → third countries → {target}, HS {hs}, from {start} (kUSD)").format(
        origin=result["origin_label"], target=result["target_label"],
        hs=", ".join(result["hs"]), start=result["start"])  # fmt: skip
    emit(_num(result["rows"], fmt), fmt, title=title, columns=cols, right=tuple(cols[1:-1]))


@trade_app.command("balance")
def balance_cmd(
    mineral: MineralRequired,
    country: Annotated[str | None, typer.Option("--country", help="ISO3; default: world.")] = None,
    year: Annotated[list[int] | None, typer.Option("--year", help="Year (repeat).")] = None,
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Supply-demand balance by year: production, imports, exports, apparent consumption,
    stock change, each with its source."""
    from critmin.services import trade as service
    from critmin.services.auth import LOCAL

    with _errors(), session_for(db) as session:
        result = service.balance(session, LOCAL, mineral, country=country, years=year)
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    names = ("production", "imports", "exports", "net_imports", "apparent_consumption",
             "stock_change")  # fmt: skip
    rows = [{"year": r["year"], **{n: r[n]["value"] for n in names},
             "production_source": r["production"]["source"]} for r in result["years"]]
    codes = ", ".join(c["hs6"] for c in result["hs_codes"]) or _("none")
    emit(_num(rows, fmt), fmt, right=names,
         title=_("{mineral}, {country} ({unit}); trade HS {codes}, gross weight").format(
             mineral=result["mineral_label"], country=result["country_label"],
             unit=result["unit"], codes=codes))  # fmt: skip


def register(app: typer.Typer) -> None:
    app.add_typer(trade_app, name="trade")
