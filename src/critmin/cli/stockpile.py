"""``critmin stockpile``: inventory, the least-cost procurement and rotation plan, and the
annual adequacy report (JSON or HTML)."""

from __future__ import annotations

import json
import math
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from critmin.cli.common import (
    DbOption,
    FormatOption,
    OutputFormat,
    cell_text,
    emit,
    fail,
    session_for,
)
from critmin.i18n import N_, _, ngettext

stockpile_app = typer.Typer(
    help="Strategic stockpiles: inventory, procurement and rotation plans, adequacy reports.",
    no_args_is_help=True, rich_markup_mode=None,
)  # fmt: skip

Mineral = Annotated[str, typer.Option("--mineral", help="Mineral (e.g. gallium).")]
Seed = Annotated[int, typer.Option("--seed", help="Seed of the price paths.")]
Paths = Annotated[int, typer.Option("--paths", min=1, max=5000, help="Seeded price paths.")]
Exclude = Annotated[list[str] | None, typer.Option(
    "--exclude-origin", help="ISO3 origin that gets no orders (repeatable), e.g. CHN.")]


PLAN_HEADERS = {"month": N_("Month"), "supplier": N_("Supplier"),
                "quantity_t": N_("Quantity (t)"), "cost_usd": N_("Cost (USD)")}  # fmt: skip
INVENTORY_HEADERS = {"id": "id", "mineral": N_("Mineral"), "quantity_t": N_("Quantity (t)"),
                     "location": N_("Location"), "expires": N_("Expires"),
                     "flag": N_("Flag")}  # fmt: skip


class ReportFormat(StrEnum):
    json = "json"
    html = "html"


def _finite(obj: Any) -> Any:
    """JSON without NaN/inf (null instead)."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_finite(v) for v in obj]
    return obj


@stockpile_app.command("plan")
def plan_cmd(
    mineral: Mineral = "gallium",
    target_t: float = typer.Option(..., "--target-t", min=0, help="Target inventory, t."),
    years: int = typer.Option(5, "--years", min=1, max=30, help="Horizon, years."),
    shelf_life_years: float = typer.Option(1.0, "--shelf-life-years", min=0.09,
                                           help="Shelf life of a lot, years."),
    budget_usd: float | None = typer.Option(None, "--budget-usd", min=0,
                                            help="Budget per year, USD (default unlimited)."),
    exclude_origin: Exclude = None,
    seed: Seed = 0,
    paths: Paths = 100,
    suppliers: Path | None = typer.Option(None, "--suppliers",
                                          help="Supplier YAML (default: the bundled file)."),
    rotation_discount: float = typer.Option(0.9, "--rotation-discount", min=0, max=0.99,
                                            help="Share of the purchase price recovered "
                                                 "when near-expiry material is sold back."),
    ramp: str = typer.Option("step", "--ramp", help="Target path: step (held by the end) "
                             "or linear (a ramp from the first possible arrival)."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.json,
) -> None:
    """Least-cost monthly purchases, rotations and disposals to hold the target, with
    P10/P50/P90 cost over seeded price paths and the probability of meeting the target."""
    from critmin.services import stockpile as service
    from critmin.services.auth import LOCAL

    with session_for(db) as session:
        try:
            out = service.make_plan(session, LOCAL, mineral=mineral, target_t=target_t,
                                    years=years, shelf_life_years=shelf_life_years,
                                    budget_usd=budget_usd, exclude_origins=exclude_origin,
                                    seed=seed, n_paths=paths, suppliers_file=suppliers,
                                    rotation_discount=rotation_discount, ramp=ramp)
        except service.StockpileError as exc:
            raise fail(str(exc), code=2) from None
    if fmt == OutputFormat.json:
        emit(_finite(out), fmt)
        return
    rows = [{"month": p["month"], "supplier": p["supplier"], "quantity_t": p["quantity_t"],
             "cost_usd": p["cost_usd"]} for p in out["purchases"]]
    c = out["cost_usd"]
    state = (_("feasible") if out["feasible"]
             else _("INFEASIBLE: {why}").format(why=out["why_infeasible"]))  # fmt: skip
    title = _("{state}; cost P10/P50/P90 {p10} / {p50} / {p90} USD").format(
        state=state, p10=f"{c['p10'] or 0:,.0f}", p50=f"{c['p50'] or 0:,.0f}",
        p90=f"{c['p90'] or 0:,.0f}")  # fmt: skip
    emit(rows, fmt, title=title, headers=PLAN_HEADERS, right=("quantity_t", "cost_usd"))


@stockpile_app.command("adequacy")
def adequacy_cmd(
    mineral: Mineral = "gallium",
    target_t: float = typer.Option(50.0, "--target-t", min=0, help="Target inventory, t."),
    years: int = typer.Option(5, "--years", min=1, max=30),
    shelf_life_years: float = typer.Option(1.0, "--shelf-life-years", min=0.09),
    budget_usd: float | None = typer.Option(None, "--budget-usd", min=0),
    exclude_origin: Exclude = None,
    seed: Seed = 0,
    paths: Paths = 100,
    fmt: ReportFormat = typer.Option(ReportFormat.json, "--format", help="json or html."),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
    db: DbOption = None,
) -> None:
    """The annual stockpile-adequacy assessment (requirement, inventory, coverage,
    expiring lots, purchases, risks); JSON and HTML come from the same call."""
    from critmin.services import stockpile as service
    from critmin.services.auth import LOCAL

    with session_for(db) as session:
        try:
            rep = service.adequacy(session, LOCAL, mineral=mineral, target_t=target_t,
                                   years=years, shelf_life_years=shelf_life_years,
                                   budget_usd=budget_usd,
                                   exclude_origins=exclude_origin if exclude_origin else None,
                                   seed=seed, n_paths=paths)
        except service.StockpileError as exc:
            raise fail(str(exc), code=2) from None
    rep = _finite(rep)
    text = (service.render_html(rep) if fmt == ReportFormat.html
            else json.dumps(rep, ensure_ascii=False, indent=2, default=str) + "\n")
    if output:
        output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


@stockpile_app.command("inventory")
def inventory_cmd(
    mineral: str | None = typer.Option(None, "--mineral", help="Only this mineral."),
    warn_days: int = typer.Option(90, "--warn-days", min=1, help="Flag lots expiring "
                                  "within this many days."),
    db: DbOption = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Stockpile lots (t), what is held today, and lots nearing expiry."""
    from critmin.services import stockpile as service
    from critmin.services.auth import LOCAL

    with session_for(db) as session:
        try:
            inv = service.inventory(session, LOCAL, mineral, warn_days=warn_days)
        except service.StockpileError as exc:
            raise fail(str(exc), code=2) from None
    if fmt == OutputFormat.json:
        emit(inv, fmt)
        return
    expired, expiring = cell_text(N_("expired"), fmt), cell_text(N_("expiring"), fmt)
    rows = [{"id": x["id"], "mineral": x["mineral"], "quantity_t": x["quantity_t"],
             "location": x["location"] or "—", "expires": x["expires"] or "—",
             "flag": expired if x["expired"] else (expiring if x["expiring_soon"] else "")}
            for x in inv["lots"]]  # fmt: skip
    title = ngettext("%(n)d lot, %(t)s t held", "%(n)d lots, %(t)s t held", len(rows)) % {
        "n": len(rows), "t": f"{inv['total_t']:.3f}"}  # fmt: skip
    emit(rows, fmt, title=title, headers=INVENTORY_HEADERS, right=("id", "quantity_t"))


def register(app: typer.Typer) -> None:
    app.add_typer(stockpile_app, name="stockpile")
