"""Report sections shared by the dossier and the briefing: concentration, export controls
in force, criticality, the disruption scenario and the project pipeline. Every figure
carries the record, file field or engine call it was read from; every read of shared
records goes through the caller's view."""

from __future__ import annotations

import copy
import datetime as dt
import functools
from typing import Any

from sqlalchemy.orm import Session

from critmin.i18n import N_, _
from critmin.services.auth import Caller
from critmin.services.reports import (
    YEAR,
    Chart,
    Figure,
    Section,
    Table,
    figure,
    src_assumption,
    src_derived,
    src_engine,
    src_record,
)

SCENARIO_DRAWS = 200
"""Monte Carlo draws of the report's scenario: enough for a central value and a 5-95 %
band in a few seconds (the scenario pages use 2,000)."""
SCENARIO_SEED = 0
TOP_SHARES = 6

MINERAL_NAMES = {
    "aluminum": N_("Aluminum"), "antimony": N_("Antimony"), "cobalt": N_("Cobalt"),
    "gallium": N_("Gallium"), "germanium": N_("Germanium"), "graphite": N_("Graphite"),
    "indium": N_("Indium"), "lithium": N_("Lithium"), "manganese": N_("Manganese"),
    "nickel": N_("Nickel"), "niobium": N_("Niobium"), "rare-earths": N_("Rare earths"),
    "tantalum": N_("Tantalum"), "tungsten": N_("Tungsten"), "vanadium": N_("Vanadium"),
    "zinc": N_("Zinc"),
}  # fmt: skip


def mineral_name(code: str) -> str:
    """The mineral's name in the current language."""
    from critmin.services.present import mineral_label

    return _(MINERAL_NAMES[code]) if code in MINERAL_NAMES else mineral_label(code)


def text_fig(id: str, label: str, value: str | None, source: dict[str, Any]) -> Figure:
    """A record's text (a name, a title, a quotation) shown as it is stored."""
    return figure(id, label, value, source=source)


def concentration(session: Session, mineral: str) -> tuple[Section, dict[str, Any]]:
    """World production shares and the HHI (USGS world table, latest year)."""
    from critmin.services import stats

    sec = Section("concentration", _("Concentration of world production"))
    try:
        res = stats.production_shares(session=session, mineral=mineral)
    except LookupError:
        sec.notes.append(_("No world production table is loaded for this mineral."))
        return sec, {}
    args = {"mineral": mineral, "measure": "production", "year": res["year"]}
    eng = _("concentration engine: world production shares")
    sec.figures += [
        figure(
            "conc.year",
            _("Year of the world table"),
            float(res["year"]),
            YEAR,
            source=src_engine("stats.production_shares", args, "year", eng),
        ),
        figure(
            "conc.hhi",
            _("Herfindahl-Hirschman index (points)"),
            res["hhi_points"],
            digits=0,
            qualifier="derived",
            source=src_engine("stats.production_shares", args, "hhi_points", eng),
        ),
        figure(
            "conc.world",
            _("World production"),
            res["world_total"],
            res["unit"],
            qualifier="derived",
            source=src_engine("stats.production_shares", args, "world_total", eng),
        ),
    ]
    rows = []
    for i, s in enumerate(res["shares"][:TOP_SHARES]):
        rec = src_record(
            "production_stats",
            "value",
            _("USGS world production table"),
            mineral=mineral,
            measure="production",
            year=res["year"],
            country=s["country"],
        )
        rows.append([
            text_fig(f"conc.country.{i}", _("Country"), _country(s["country"]),
                     {**src_engine("stats.production_shares", args, f"shares.{i}.country",
                                   eng), "as": "country_name"}),
            figure(f"conc.value.{i}", _("Production"), s["value"], res["unit"], source=rec,
                   qualifier="bound" if s["lower_bound"] else None),
            figure(f"conc.share.{i}", _("Share of world"), 100 * s["share"], "%",
                   qualifier="bound" if s["share_bound"] else "derived",
                   source=src_engine("stats.production_shares", args,
                                     f"shares.{i}.share*100", eng)),
        ])  # fmt: skip
    sec.tables.append(
        Table(
            "conc.table",
            _("Largest producers"),
            [_("Country"), _("Production"), _("Share of world")],
            rows,
        )
    )
    from critmin.web.reports_charts import bar_chart

    top = res["shares"][:TOP_SHARES]
    sec.charts.append(
        Chart(
            "conc.chart",
            _("Share of world production (%)"),
            bar_chart([_country(s["country"]) for s in top], [100 * s["share"] for s in top],
                      _("Share (%)")),
            [f"conc.share.{i}" for i in range(len(top))],
        )
    )
    return sec, res


def measure_title(m: dict[str, Any]) -> str:
    """A measure's title as reports show it: the English title, then the original one."""
    return m["title"] + (f" ({m['title_original']})" if m.get("title_original") else "")


def controls_in_force(session: Session, caller: Caller, mineral: str, day: dt.date,
                      country: str | None = None) -> Section:  # fmt: skip
    """Export controls and trade measures on ``mineral`` in force on ``day``."""
    from critmin.services import controls

    sec = Section("controls", _("Export controls and trade measures in force"))
    tl = controls.timeline(session=session, caller=caller, mineral=mineral, as_of=day)
    live = [m for m in tl["measures"] if m["status"] == "in_force"]
    rows = []
    for i, m in enumerate(live):
        rows.append([
            text_fig(f"ctl.title.{i}", _("Measure"), measure_title(m),
                     src_record("export_measures", "title+title_original",
                                _("export-control record"), key=m["key"])),
            text_fig(f"ctl.by.{i}", _("Imposed by"), _country(m["imposing_country"]),
                     {**src_record("export_measures", "imposing_country",
                                   _("export-control record"), key=m["key"]),
                      "as": "country_name"}),
            text_fig(f"ctl.date.{i}", _("In force since"), m["effective"],
                     src_record("export_measures", "effective", _("export-control record"),
                                key=m["key"])),
        ])  # fmt: skip
    sec.figures.append(
        figure(
            "ctl.count",
            _("Measures in force on the report date"),
            float(len(live)),
            digits=0,
            qualifier="derived",
            source=src_derived(
                "count", [f"ctl.title.{i}" for i in range(len(live))], _("measures listed below")
            ),
        )
    )
    if rows:
        sec.tables.append(
            Table(
                "ctl.table",
                _("Measures in force"),
                [_("Measure"), _("Imposed by"), _("In force since")],
                rows,
            )
        )
    else:
        sec.notes.append(_("No recorded measure on this mineral is in force on the report date."))
    return sec


INDICATORS = (("hhi", N_("Production concentration (HHI, as a fraction)")),
              ("import_reliance", N_("Net import reliance (share of consumption)")),
              ("governance_weighted_hhi", N_("Governance-weighted concentration")),
              ("geopolrisk", N_("GeoPolRisk supply risk")),
              ("eu_economic_importance", N_("EU economic importance")))  # fmt: skip


def criticality(session: Session, caller: Caller, mineral: str, region: str,
                year: int) -> Section:  # fmt: skip
    """The criticality engine's indicators for ``mineral`` seen from ``region``."""
    from critmin.services import criticality as crit

    sec = Section("criticality", _("Economic importance and criticality"))
    try:
        rows = crit.assess(session=session, caller=caller, region=region, year=year)
    except ValueError:
        sec.notes.append(_("The criticality engine has no assessment for this country."))
        return sec
    row = next(r for r in rows if r["mineral"] == mineral)
    args = {"region": region, "year": year, "mineral": mineral}
    missing = False
    for key, lab in INDICATORS:
        value = row.get(key)
        missing = missing or value is None
        note = None
        if (
            key == "import_reliance"
            and value is not None
            and any(
                "lower bound" in str(i.get("note", ""))
                for i in row["inputs"]["import_reliance"]["inputs"]
            )
        ):
            note = _("USGS gives more than this: a lower bound")
        sec.figures.append(figure(
            f"crit.{key}", _(lab), value, digits=3,
            qualifier="bound" if note else ("derived" if value is not None else None),
            note=note, source=src_engine("criticality.assess", args, key,
                                         _("criticality engine"))))  # fmt: skip
    if missing:
        sec.notes.append(
            _(
                "Indicators shown as a dash need inputs that are not bundled (for "
                "example EU end-use shares and substitution indices); the "
                "criticality page explains each."
            )
        )
    return sec


def top_producer(shares: dict[str, Any]) -> str | None:
    """The largest producer of the world table (the scenario's restricting country)."""
    return shares["shares"][0]["country"] if shares.get("shares") else None


def run_scenario(mineral: str, country: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """A full export ban by ``country``: the curated scenario where one is bundled, else
    the generic inputs of the USGS tables. Returns the result, the engine and its args.

    The scenario reads bundled reference files only (no stored records) and is seeded, so
    one run per mineral and country serves every report of the process."""
    return copy.deepcopy(_scenario_run(mineral, country))


@functools.lru_cache(maxsize=64)
def _scenario_run(mineral: str, country: str) -> tuple[dict[str, Any], str, dict[str, Any]]:
    from critmin.ingest.scenario_defaults import available

    if mineral in available():
        args = {
            "mineral": mineral,
            "country": country,
            "n_draws": SCENARIO_DRAWS,
            "seed": SCENARIO_SEED,
        }
        from critmin.services import scenario

        return scenario.ban(**args), "scenario.ban", args
    from critmin.services import scenario_grid

    args = {
        "minerals": [mineral],
        "levels": [1.0],
        "n_draws": SCENARIO_DRAWS,
        "seed": SCENARIO_SEED,
        "scheduler": "none",
    }
    g = scenario_grid.grid(**args)
    case = next((c for c in g["cases"] if c["country"] == country), None)
    if case is None:
        raise ValueError(f"no scenario case for {mineral} from {country}")
    res = {**case["results"][0], "assumptions": case["assumptions"], "case": g["cases"].index(case)}
    return res, "scenario_grid.grid", args


def scenario(mineral: str, country: str | None, region: str = "USA") -> tuple[Section, dict]:
    """A ban by the top producer: price ratio, shortfall and GDP loss with its band."""
    sec = Section("scenario", _("Disruption scenario: a full export ban by the top producer"))
    if not country:
        sec.notes.append(_("No producer to restrict: no world production table."))
        return sec, {}
    try:
        res, engine, args = run_scenario(mineral, country)
    except ValueError:
        sec.notes.append(_("The scenario engine has no inputs for this mineral."))
        return sec, {}
    case = f"cases.{res['case']}." if "case" in res else ""
    pre = f"{case}results.0." if case else ""
    lab = _("scenario engine")
    sec.figures.append(
        text_fig(
            "scn.country",
            _("Restricting country"),
            _country(country),
            {**src_engine(engine, args, f"{case}country", lab), "as": "country_name"},
        )
    )
    for key, name, unit, scale in (
        ("price_ratio", N_("Price ratio to before the ban"), "x", 1.0),
        ("shortfall_share", N_("Shortfall outside the producer"), "%", 100.0),
        ("gdp_loss_usd", N_("US GDP loss"), "USD", 1.0),
    ):
        q = res.get(key)
        if not q:
            sec.notes.append(
                _("No end-use mapping to industries for this mineral: GDP loss not computed.")
            )
            continue
        for band, word in (
            ("central", N_("central")),
            ("low", N_("low (fifth percentile)")),
            ("high", N_("high (ninety-fifth percentile)")),
        ):
            sec.figures.append(figure(
                f"scn.{key}.{band}", f"{_(name)}, {_(word)}", q[band] * scale,
                "" if unit == "x" else unit, digits=2 if unit == "x" else None,
                qualifier="estimate",
                source=src_engine(engine, args, f"{pre}{key}.{band}" +
                                  ("*100" if scale != 1.0 else ""), lab)))  # fmt: skip
    sec.figures.append(
        figure(
            "scn.draws",
            _("Monte Carlo draws (seeded)"),
            float(args["n_draws"]),
            digits=0,
            qualifier="assumption",
            source=src_assumption(_("chosen for the report's speed")),
        )
    )
    assumed = [a for a in res.get("assumptions", []) if a.get("assumption")]
    if assumed:
        sec.notes.append(
            _(
                "Assumptions of the scenario engine (labelled as such in its "
                "inputs): elasticities, stocks, export shares and spare "
                "capacity where the sources give none."
            )
        )
    return sec, res


def _country(code: str) -> str:
    """A country's name in the report's language (``China``, ``中国``)."""
    from critmin.i18n import display

    return display.country(code)


def pipeline(session: Session, caller: Caller, mineral: str) -> Section:
    """The visible project pipeline by status (count and nameplate capacity)."""
    from critmin.services import dashboard
    from critmin.web.reports_charts import bar_chart

    sec = Section("pipeline", _("Project pipeline"))
    p = dashboard.pipeline(session=session, caller=caller, mineral=mineral)
    rows = []
    for i, g in enumerate(p["by_status"]):
        rec = src_record(
            "projects",
            "count(*)",
            _("project tracker, as you may see it"),
            mineral=mineral,
            status=g["status"],
        )
        cap = src_record("projects", "sum(capacity_tpa)", _("project tracker, as you may see "
                         "it"), mineral=mineral, status=g["status"])  # fmt: skip
        rows.append([status_name(g["status"], g["status_label"]),
                     figure(f"pipe.count.{i}", _("Projects"), float(g["projects"]), digits=0,
                            source=rec),
                     figure(f"pipe.cap.{i}", _("Nameplate capacity"), g["capacity_tpa"],
                            "t/yr", source=cap)])  # fmt: skip
    sec.figures.append(figure("pipe.total", _("Projects tracked"), float(p["projects"]),
                              digits=0, source=src_record(
                                  "projects", "count(*)", _("project tracker, as you may "
                                  "see it"), mineral=mineral)))  # fmt: skip
    if rows:
        sec.tables.append(
            Table(
                "pipe.table",
                _("Projects by status"),
                [_("Status"), _("Projects"), _("Nameplate capacity")],
                rows,
            )
        )
        sec.charts.append(
            Chart(
                "pipe.chart",
                _("Projects by status"),
                bar_chart(
                    [status_name(g["status"], g["status_label"]) for g in p["by_status"]],
                    [float(g["projects"]) for g in p["by_status"]],
                    _("Projects"),
                ),
                [f"pipe.count.{i}" for i in range(len(rows))],
            )
        )
    if p["without_capacity"]:
        sec.notes.append(_("A dash: no project of the group states a capacity."))
    return sec


STATUS_NAMES = {"announced": N_("Announced"), "feasibility": N_("Feasibility"),
                "permitting": N_("Permitting"), "financed": N_("Financed"),
                "construction": N_("Construction"), "commissioning": N_("Commissioning"),
                "operating": N_("Operating"), "stalled": N_("Stalled"),
                "cancelled": N_("Cancelled"), "closed": N_("Closed")}  # fmt: skip


def status_name(code: str, fallback: str) -> str:
    """A project status in the current language."""
    return _(STATUS_NAMES[code]) if code in STATUS_NAMES else fallback
