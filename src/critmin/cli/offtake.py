"""``critmin offtake``: consortium offtakes with price floors, and retrofit matching funds.

``simulate SPEC.yaml`` and ``retrofit SPEC.yaml`` read a documented spec file (see
docs/offtake.md). Stored records (projects by key or id, ``agreements: from_store``,
bootstrapped price series) are read from ``--db`` when it is given, or from
``$CRITMIN_DATABASE_URL``; without either, the spec must be self-contained.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
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
from critmin.i18n import N_, _

offtake_app = typer.Typer(
    help="Joint procurement and offtake with price floors; retrofit matching funds.",
    no_args_is_help=True, rich_markup_mode=None)  # fmt: skip

SpecArg = Annotated[Path, typer.Argument(help="Spec file (YAML or JSON).", metavar="SPEC.yaml")]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")]
HEADERS = {"buyer": N_("buyer"), "tier": N_("tier"), "mean volume t": N_("mean volume t"),
           "mean cost M USD": N_("mean cost M USD"), "at market M USD": N_("at market M USD"),
           "floor option M USD": N_("floor option M USD"), "rank": N_("rank"),
           "candidate": N_("candidate"), "NPV P50 M USD": N_("NPV P50 M USD"),
           "supported NPV P50 M USD": N_("supported NPV P50 M USD"),
           "supported P(NPV>0)": N_("supported P(NPV>0)"),
           "public USD per t/yr secured": N_("public USD per t/yr secured")}  # fmt: skip
"""Table column titles (CSV keeps the English column names)."""


@contextmanager
def _session(db: str | None) -> Iterator[Any]:
    if db or os.environ.get("CRITMIN_DATABASE_URL"):
        with session_for(db) as session:
            yield session
    else:
        with nullcontext(None) as none:
            yield none


def _run(kind: str, spec: Path, seed: int, db: str | None) -> dict[str, Any]:
    from critmin.services import offtake as service
    from critmin.services.offtake_spec import SpecError

    if not spec.is_file():
        raise fail(_("{path}: no such spec file").format(path=spec), code=2)
    try:
        with _session(db) as session:
            run = service.simulate if kind == "simulate" else service.retrofit
            return run(spec, seed=seed, session=session)
    except SpecError as exc:
        raise fail(f"{spec}: " + "; ".join(f"{e['field']}: {e['problem']}"
                                           for e in exc.errors), code=2) from None


def _run_title(result: dict[str, Any], seed: int) -> str:
    return _("{name} (seed {seed}, {draws} draws)").format(
        name=result["name"], seed=seed, draws=result["draws"])


def _m(v: float | None) -> str:
    return "-" if v is None else f"{v / 1e6:,.2f}"


@offtake_app.command("simulate")
def simulate_cmd(spec: SpecArg, seed: SeedOption = 0, fmt: FormatOption = OutputFormat.table,
                 db: DbOption = None) -> None:
    """Per buyer cost and per producer revenue distributions under a consortium offtake."""
    result = _run("simulate", spec, seed, db)
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    rows = [{"buyer": b["name"], "tier": b["tier"], "mean volume t": f"{b['volume_t']['mean']:.1f}",
             "mean cost M USD": _m(b["cost_usd"]["mean"]),
             "at market M USD": _m(b["market_cost_usd"]["mean"]),
             "floor option M USD": _m(b["floor_option_value_usd"])} for b in result["buyers"]]
    producer = cell_text(N_("producer: {name}"), fmt)
    revenue = cell_text(N_("revenue {value}"), fmt)
    no_floor = cell_text(N_("no floor {value}"), fmt)
    p_loss = cell_text(N_("P(loss yr) {floor:.2f} vs {no_floor:.2f}"), fmt)
    rows += [{"buyer": producer.format(name=p["name"]), "tier": "",
              "mean volume t": f"{p['output_t']['mean']:.1f}",
              "mean cost M USD": revenue.format(value=_m(p["revenue_usd"]["mean"])),
              "at market M USD": no_floor.format(value=_m(p["revenue_no_floor_usd"]["mean"])),
              "floor option M USD": p_loss.format(floor=p["p_loss_year"],
                                                  no_floor=p["p_loss_year_no_floor"])}
             for p in result["producers"]]  # fmt: skip
    emit(rows, fmt, title=_run_title(result, seed), headers=HEADERS)


@offtake_app.command("retrofit")
def retrofit_cmd(spec: SpecArg, seed: SeedOption = 0, fmt: FormatOption = OutputFormat.table,
                 db: DbOption = None) -> None:
    """Retrofit candidates: NPV and IRR with and without support, ranked by public cost
    per tonne of secured capacity."""
    result = _run("retrofit", spec, seed, db)
    if fmt == OutputFormat.json:
        emit(result, fmt)
        return
    never = cell_text(N_("never"), fmt)
    rows = [{"rank": c["rank"], "candidate": c["name"],
             "NPV P50 M USD": _m(c["npv_usd"]["p50"]),
             "supported NPV P50 M USD": _m(c["npv_supported_usd"]["p50"]),
             "P(NPV>0)": f"{c['p_npv_positive']:.2f}",
             "supported P(NPV>0)": f"{c['p_npv_positive_supported']:.2f}",
             "public USD per t/yr secured": (f"{c['public_cost_per_t_secured']:,.0f}"
                                             if c["public_cost_per_t_secured"] else never)}
            for c in result["candidates"]]  # fmt: skip
    emit(rows, fmt, title=_run_title(result, seed), headers=HEADERS)


def register(app: typer.Typer) -> None:
    app.add_typer(offtake_app, name="offtake")
