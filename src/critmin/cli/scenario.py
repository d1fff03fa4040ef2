"""``critmin scenario``: a mineral export restriction carried from market prices to GDP
loss by industry (``ban`` for one level, ``sweep`` for several)."""

from __future__ import annotations

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

scenario_app = typer.Typer(
    help="Disruption scenarios: price, shortfall and GDP loss of a mineral export "
    "restriction (market stage Monte Carlo, then the input-output economy stage).",
    no_args_is_help=True, rich_markup_mode=None,
)  # fmt: skip

Mineral = Annotated[str, typer.Option("--mineral", help="Mineral with bundled defaults.")]
Country = Annotated[str, typer.Option("--country", help="Restricting country, ISO3.")]
Region = Annotated[str, typer.Option("--region", help="Economy assessed, ISO3 (USA).")]
Seed = Annotated[int, typer.Option("--seed", help="Random seed of the Monte Carlo.")]
Draws = Annotated[int, typer.Option("--draws", min=1, max=200_000,
                                    help="Monte Carlo draws.")]  # fmt: skip
Model = Annotated[str, typer.Option(
    "--model", help="Economy model: supply_constrained (LP) or leontief.")]
Dependent = Annotated[float | None, typer.Option(
    "--dependent-share", help="Share of each using industry's output that needs the "
    "mineral (default: the documented value for the mineral).")]
Duration = Annotated[int, typer.Option("--duration", min=1, max=20,
                                       help="Restricted years.")]  # fmt: skip
Save = Annotated[bool, typer.Option("--save", help="Store the run (reference data, public) "
                                    "and print its id; reload it with 'scenario show ID'.")]

COLUMNS = ["level", "price_ratio", "shortfall", "gdp_loss"]
HEADERS = {"level": N_("Level"), "price_ratio": N_("Price ratio (P50 [P5-P95])"),
           "shortfall": N_("Shortfall (P50 [P5-P95])"),
           "gdp_loss": N_("GDP loss, USD B (P50 [P5-P95])")}  # fmt: skip


def _band(q: dict[str, float], scale: float = 1.0, fmt: str = "{:.2f}") -> str:
    c, lo, hi = (fmt.format(q[k] / scale) for k in ("central", "low", "high"))
    return f"{c} [{lo}-{hi}]"


def _rows(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"level": f"{r['level']:g}", "price_ratio": _band(r["price_ratio"]),
             "shortfall": _band(r["shortfall_share"], 0.01, "{:.0f}%"),
             "gdp_loss": _band(r["gdp_loss_usd"], 1e9)} for r in results]


def _show(results: list[dict[str, Any]], fmt: OutputFormat, single: bool) -> None:
    if fmt == OutputFormat.json:
        emit(results[0] if single else results, fmt)
        return
    from critmin.services.present import mineral_label

    r0 = results[0]
    title = _("{mineral}: restriction by {country}, GDP loss in {region} ({model}; "
              "estimates)").format(mineral=mineral_label(r0["mineral"]), country=r0["country"],
                                   region=r0["region"], model=r0["model"])  # fmt: skip
    emit(_rows(results), fmt, title=title, columns=COLUMNS, headers=HEADERS,
         right=tuple(COLUMNS))  # fmt: skip


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    from critmin.services.scenario import ScenarioError

    try:
        return fn(*args, **kwargs)
    except ScenarioError as exc:
        raise fail(str(exc), 2) from None


@scenario_app.command("ban")
def ban(mineral: Mineral, country: Country,
        level: Annotated[float, typer.Option("--level", min=0.0, max=1.0,
                                             help="Share of net exports withheld.")] = 1.0,
        region: Region = "USA", seed: Seed = 0, draws: Draws = 2000,
        model: Model = "supply_constrained", dependent_share: Dependent = None,
        duration: Duration = 1, save: Save = False, db: DbOption = None,
        fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """Withhold LEVEL of COUNTRY's net exports of MINERAL from every destination."""
    from critmin.services import scenario as service

    result = _call(service.ban, mineral, country, level, region=region, seed=seed,
                   n_draws=draws, model=model, dependent_share=dependent_share,
                   duration=duration)  # fmt: skip
    spec = {"mineral": mineral, "country": country, "level": level, "region": region,
            "seed": seed, "draws": draws, "model": model, "dependent_share": dependent_share,
            "duration": duration}  # fmt: skip
    _show([result], fmt, single=True)
    if save:
        _save("ban", spec, result, db)


@scenario_app.command("sweep")
def sweep(mineral: Mineral, country: Country,
          levels: Annotated[str, typer.Option("--levels", help="Comma-separated levels, "
                                              "0-1.")] = "0,0.25,0.5,0.75,1",
          region: Region = "USA", seed: Seed = 0, draws: Draws = 2000,
          model: Model = "supply_constrained", dependent_share: Dependent = None,
          duration: Duration = 1, save: Save = False, db: DbOption = None,
          fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """One result per restriction level, on the same Monte Carlo draws."""
    from critmin.services import scenario as service

    try:
        values = [float(v) for v in levels.split(",") if v.strip()]
    except ValueError:
        raise fail(_("--levels: expected comma-separated numbers, got {value}").format(
            value=repr(levels)), 2) from None  # fmt: skip
    results = _call(service.sweep, mineral, country, values, region=region, seed=seed,
                    n_draws=draws, model=model, dependent_share=dependent_share,
                    duration=duration)  # fmt: skip
    spec = {"mineral": mineral, "country": country, "levels": values, "region": region,
            "seed": seed, "draws": draws, "model": model, "dependent_share": dependent_share,
            "duration": duration}  # fmt: skip
    _show(results, fmt, single=False)
    if save:
        _save("sweep", spec, results, db)


@scenario_app.command("run")
def run(spec: Annotated[Path, typer.Argument(help="YAML: a list 'scenarios' (see "
                                             "docs/scenarios.md).")],
        seed: Seed = 0, draws: Draws = 2000, save: Save = False, db: DbOption = None,
        fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """Every scenario of a SPEC file (minerals, countries, levels, durations, levers)."""
    import yaml

    from critmin.services import scenario as service

    try:
        doc = yaml.safe_load(spec.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError) as exc:
        raise fail(_("cannot read {path}: {error}").format(
            path=spec, error=getattr(exc, "strerror", None) or exc), 2) from None  # fmt: skip
    except yaml.YAMLError as exc:
        raise fail(_("{path}: not valid YAML: {error}").format(path=spec, error=str(exc)[:200]),
                   2) from None  # fmt: skip
    runs = _call(service.run_spec, doc, seed=seed, n_draws=draws)
    if fmt == OutputFormat.json:
        emit(runs, fmt)
    else:
        for r in runs:
            typer.echo(r["name"])
            _show(r["results"], fmt, single=False)
    if save:
        kept = {"file": spec.name, "seed": seed, "draws": draws, "scenarios": doc["scenarios"]}
        _save("spec", kept, runs, db)


GRID_COLUMNS = ["mineral", "country", "share", "inputs", "half", "full", "shortfall", "gdp"]
GRID_HEADERS = {"mineral": N_("Mineral"), "country": N_("Producer"),
                "share": N_("Share of world output"), "inputs": N_("Inputs"),
                "half": N_("Price ratio at 50%"), "full": N_("Price ratio at 100%"),
                "shortfall": N_("Shortfall at 100%"),
                "gdp": N_("US GDP loss at 100%, USD B")}  # fmt: skip


def _at(results: list[dict[str, Any]], level: float) -> dict[str, Any] | None:
    return next((r for r in results if abs(r["level"] - level) < 1e-9), None)


def _grid_rows(out: dict[str, Any], fmt: OutputFormat) -> list[dict[str, Any]]:
    rows = []
    not_modelled = cell_text(N_("not modelled"), fmt)
    for c in out["cases"]:
        half, full = _at(c["results"], 0.5), _at(c["results"], 1.0)
        rows.append({
            "mineral": c["mineral"].title(), "country": c["country_name"],
            "share": f"{c['production_share']:.0%}", "inputs": c["inputs"],
            "half": _band(half["price_ratio"]) if half else "",
            "full": _band(full["price_ratio"]) if full else "",
            "shortfall": _band(full["shortfall_share"], 0.01, "{:.0f}%") if full else "",
            "gdp": (_band(full["gdp_loss_usd"], 1e9) if full and full["gdp_loss_usd"]
                    else not_modelled),
        })
    return rows


@scenario_app.command("grid")
def grid_cmd(
    minerals: Annotated[str | None, typer.Option(
        "--minerals", help="Comma-separated minerals (default: every bundled one).")] = None,
    min_share: Annotated[float, typer.Option(
        "--min-share", min=0.01, max=1.0,
        help="A major producer has at least this share of world output.")] = 0.10,
    levels: Annotated[str, typer.Option("--levels", help="Comma-separated levels, 0-1 "
                                        "(default: 0, 0.1, ..., 1).")] = "",
    draws: Annotated[int, typer.Option("--draws", min=1, max=100_000,
                                       help="Monte Carlo draws per case and level.")] = 1000,
    seed: Seed = 0,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", help="Address of a running Dask scheduler (tcp://host:8786); "
        "default: a local cluster; 'none' runs in this process.")] = None,
    workers: Annotated[int, typer.Option("--workers", min=1, max=64,
                                         help="Workers of the local cluster.")] = 2,
    economy: Annotated[str, typer.Option(
        "--economy", help="supply_constrained, leontief or none (market stage only).")]
    = "supply_constrained",
    output: Annotated[Path | None, typer.Option("-o", "--output",
                                                help="Also write the JSON to FILE.")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:  # fmt: skip
    """Every mineral x every major producer x restriction levels x draws, on Dask."""
    import json

    from critmin.services.scenario_grid import ELEVEN_LEVELS, grid

    try:
        values = ([float(v) for v in levels.split(",") if v.strip()] if levels.strip()
                  else list(ELEVEN_LEVELS))
    except ValueError:
        raise fail(_("--levels: expected comma-separated numbers, got {value}").format(
            value=repr(levels)), 2) from None  # fmt: skip
    names = [m.strip() for m in minerals.split(",") if m.strip()] if minerals else None
    try:
        out = _call(grid, names, min_share=min_share, levels=values, n_draws=draws,
                    seed=seed, scheduler=scheduler, n_workers=workers, economy=economy)
    except OSError as exc:  # an unreachable scheduler
        raise fail(_("--scheduler {address}: cannot connect ({error})").format(
            address=scheduler, error=exc), 2) from None  # fmt: skip
    if output is not None:
        output.write_text(json.dumps(out, indent=1), encoding="utf-8")
    if fmt == OutputFormat.json:
        emit(out, fmt)
        return
    title = _("Export restrictions by major producers: {scenarios} market scenarios, {draws} "
              "draws (P50 [P5-P95], estimates)").format(scenarios=f"{out['scenarios']:,}",
                                                        draws=out["draws"])  # fmt: skip
    emit(_grid_rows(out, fmt), fmt, columns=GRID_COLUMNS, headers=GRID_HEADERS, title=title,
         right=("share", "half", "full", "shortfall", "gdp"))  # fmt: skip
    t = out["timing_s"]
    typer.echo(_("market stage {market:.1f} s on {scheduler}; economy stage {economy:.1f} s")
               .format(market=t["market"], scheduler=out["scheduler"], economy=t["economy"]),
               err=True)  # fmt: skip
    for s in out["skipped"]:
        typer.echo(_("skipped {mineral}: {reason}").format(mineral=s["mineral"],
                                                           reason=s["reason"]), err=True)


def _save(kind: str, spec: dict[str, Any], results: Any, db: str | None) -> None:
    """Store a run as the local operator; its id goes to stderr, so JSON output stays JSON."""
    from critmin.services.auth import LOCAL
    from critmin.services.scenario_runs import save

    with session_for(db) as session:
        run = save(session=session, caller=LOCAL, kind=kind, spec=spec, results=results)
    typer.echo(_("saved scenario run {id}").format(id=run["id"]), err=True)


RUN_COLUMNS = ["id", "kind", "minerals", "spec", "created_at", "sharing"]
RUN_HEADERS = {"id": N_("Run"), "kind": N_("Kind"), "minerals": N_("Minerals"),
               "spec": N_("Scenario"), "created_at": N_("Saved (UTC)"),
               "sharing": N_("Sharing")}  # fmt: skip


def _describe(spec: dict[str, Any], fmt: OutputFormat) -> str:
    levels = spec.get("levels", [spec.get("level")])
    shown = ", ".join(f"{v:g}" for v in levels if isinstance(v, int | float))
    text = cell_text(N_("{country} level {levels}"), fmt)
    return text.format(country=spec.get("country", ""), levels=shown) if shown else ""


@scenario_app.command("runs")
def runs_cmd(kind: Annotated[str | None, typer.Option("--kind", help="ban, sweep or spec.")]
             = None, db: DbOption = None,
             fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """Saved runs, newest first."""
    from critmin.services.auth import LOCAL
    from critmin.services.scenario_runs import list_runs

    with session_for(db) as session:
        rows = list_runs(session=session, caller=LOCAL, kind=kind)
    if fmt == OutputFormat.json:
        emit(rows, fmt)
        return
    emit([{**r, "minerals": ", ".join(m.title() for m in r["minerals"]),
           "spec": _describe(r["spec"], fmt), "created_at": (r["created_at"] or "")[:19]}
          for r in rows], fmt, title=_("Saved scenario runs"), columns=RUN_COLUMNS,
         headers=RUN_HEADERS)  # fmt: skip


@scenario_app.command("show")
def show_cmd(run_id: Annotated[int, typer.Argument(help="Run id (see 'scenario runs').")],
             db: DbOption = None, fmt: FormatOption = OutputFormat.table) -> None:  # fmt: skip
    """A saved run: its spec, data versions and results as when it was run."""
    from critmin.services.auth import LOCAL
    from critmin.services.entities import NotFound
    from critmin.services.scenario_runs import get_run

    with session_for(db) as session:
        try:
            run = get_run(session=session, caller=LOCAL, run_id=run_id)
        except NotFound as exc:
            raise fail(str(exc), 1) from None
    if fmt == OutputFormat.json:
        emit(run, fmt)
        return
    typer.echo(_("Run {id} ({kind}), saved {saved} UTC").format(
        id=run["id"], kind=run["kind"], saved=(run["created_at"] or "")[:19]))
    for v in run["data_versions"]:
        typer.echo("  " + _("data: {dataset} {version}").format(
            dataset=v.get("dataset") or v["file"],
            version=v.get("version") or v.get("note") or v.get("sha256", "")[:12]))
    results = run["results"]
    if run["kind"] == "spec":
        for r in results:
            typer.echo(r["name"])
            _show(r["results"], fmt, single=False)
    else:
        _show([results] if run["kind"] == "ban" else results, fmt, single=run["kind"] == "ban")


def register(app: typer.Typer) -> None:
    app.add_typer(scenario_app, name="scenario")
