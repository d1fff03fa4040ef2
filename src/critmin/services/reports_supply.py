"""Dossier sections on supply in reserve and to come: stockpile adequacy (lots the caller
may see against US consumption) and the capacity outlook outside China."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from critmin.i18n import N_, _
from critmin.services.auth import Caller
from critmin.services.reports import (
    YEAR,
    Chart,
    Section,
    Table,
    figure,
    src_assumption,
    src_derived,
    src_engine,
)

OUTLOOK_YEARS = 5
OUTLOOK_DRAWS = 2000
STOCK_MONTHS = {
    6: N_("Requirement at six months of consumption"),
    12: N_("Requirement at twelve months of consumption"),
}
BANDS = {
    "p10": N_("Low (tenth percentile)"),
    "expected": N_("Expected"),
    "p90": N_("High (ninetieth percentile)"),
}


def stockpile(session: Session, caller: Caller, mineral: str, country: str,
              day: dt.date) -> Section:  # fmt: skip
    """Stockpile adequacy: lots you may see against US consumption."""
    from critmin.services import stockpile as sp

    sec = Section("stockpile", _("Stockpile adequacy"))
    inv = sp.inventory(session, caller, mineral, day)
    sec.figures.append(
        figure(
            "stock.held",
            _("Stockpile held (lots you may see)"),
            inv["total_t"],
            "t",
            source=src_engine(
                "stockpile.inventory",
                {"mineral": mineral, "as_of": day.isoformat()},
                "total_t",
                _("stockpile inventory, as you may see it"),
            ),
        )
    )
    if country != "USA":
        sec.notes.append(
            _(
                "Consumption is bundled for the United States only: coverage is "
                "not computed for other countries."
            )
        )
        return sec
    try:
        demand = sp.us_demand_t(mineral)
    except sp.StockpileError:
        sec.notes.append(
            _(
                "USGS withholds or does not give US consumption of this mineral: "
                "coverage cannot be computed."
            )
        )
        return sec
    sec.figures.append(
        figure(
            "stock.demand",
            _("US consumption"),
            demand["value_t_per_year"],
            "t/yr",
            qualifier="estimate" if "e" in str(demand["year"]) else None,
            source=src_engine(
                "stockpile.us_demand_t", {"mineral": mineral}, "value_t_per_year", demand["source"]
            ),
        )
    )
    per_year = demand["value_t_per_year"]
    months = inv["total_t"] / per_year * 12 if per_year else None
    sec.figures.append(
        figure(
            "stock.coverage",
            _("Months of consumption covered"),
            months,
            _("months"),
            digits=1,
            qualifier="derived",
            source=src_derived(
                "ratio*12", ["stock.held", "stock.demand"], _("held / consumption x twelve")
            ),
        )
    )
    for m, name in STOCK_MONTHS.items():
        sec.figures.append(
            figure(
                f"stock.req.{m}",
                _(name),
                demand["value_t_per_year"] * m / 12,
                "t",
                qualifier="assumption",
                source=src_derived(
                    f"times:{m / 12!r}", ["stock.demand"], _("months of cover: an assumption")
                ),
            )
        )
    return sec


def outlook(session: Session, caller: Caller, mineral: str, day: dt.date) -> Section:
    """The capacity outlook (non-China, P10/expected/P90) over the next years."""
    from critmin.services import outlook as ol
    from critmin.web.reports_charts import band_chart

    sec = Section("outlook", _("Capacity outlook outside China"))
    args = {
        "mineral": mineral,
        "start": day.year,
        "end": day.year + OUTLOOK_YEARS,
        "draws": OUTLOOK_DRAWS,
        "seed": 0,
    }
    rep = ol.capacity_outlook_report(session=session, caller=caller, **args)
    if not rep["years"]:
        sec.notes.append(
            _(
                "No outlook can be made: no tracked project you may see can add "
                "capacity (none states a capacity)."
            )
        )
        return sec
    rows = []
    lab = _("capacity outlook engine (projects you may see)")
    for i, y in enumerate(rep["years"]):
        cells: list[Any] = [
            figure(
                f"ol.{i}.year",
                _("Year"),
                float(y["year"]),
                YEAR,
                source=src_engine("outlook.capacity_outlook_report", args, f"years.{i}.year", lab),
            )
        ]
        for k in ("p10", "expected", "p90"):
            cells.append(
                figure(
                    f"ol.{i}.{k}",
                    _(BANDS[k]),
                    y[k],
                    "t/yr",
                    qualifier="estimate",
                    source=src_engine(
                        "outlook.capacity_outlook_report", args, f"years.{i}.{k}", lab
                    ),
                )
            )
        rows.append(cells)
    sec.tables.append(
        Table(
            "ol.table",
            _("Non-China capacity (t/yr)"),
            [_("Year"), _(BANDS["p10"]), _(BANDS["expected"]), _(BANDS["p90"])],
            rows,
        )
    )
    sec.charts.append(
        Chart(
            "ol.chart",
            _("Non-China capacity: expected, with the tenth to ninetieth percentile band"),
            band_chart(
                [str(y["year"]) for y in rep["years"]],
                [y["expected"] for y in rep["years"]],
                [y["p10"] for y in rep["years"]],
                [y["p90"] for y in rep["years"]],
                "t/yr",
            ),
            [c.id for r in rows for c in r[1:]],
        )
    )
    sec.figures.append(
        figure(
            "ol.draws",
            _("Monte Carlo draws (seeded)"),
            float(OUTLOOK_DRAWS),
            digits=0,
            qualifier="assumption",
            source=src_assumption(_("chosen for the report's speed")),
        )
    )
    return sec
