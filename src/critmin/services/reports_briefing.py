"""The one-page mineral briefing (concentration, prices and the two-market spread, measures
timeline, pipeline, criticality, scenario headline) and the stockpile adequacy report, as
sections of sourced figures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.i18n import N_, _, current
from critmin.services import reports_common as common
from critmin.services.access import visible_clause
from critmin.services.auth import Caller
from critmin.services.present import format_date
from critmin.services.reports import (
    Chart,
    Report,
    Section,
    Table,
    dig,
    figure,
    src_assumption,
    src_engine,
    src_record,
)
from critmin.services.reports_supply import STOCK_MONTHS

PRICE_KINDS = {"level": N_("price"), "change_pct": N_("change"),
               "ratio_to_series": N_("ratio to the other market")}  # fmt: skip
QUALIFIED = {"approximate": "estimate", "lower_bound": "bound", "upper_bound": "bound"}
STOCKPILE_PATHS = 50


def prices(session: Session, caller: Caller, mineral: str) -> Section:
    """Each visible price series of the mineral, its latest level (or that it has none)
    and the observations that compare the two markets."""
    from critmin.store.tables import PriceObservation, PriceSeries
    from critmin.web.reports_charts import line_chart

    sec = Section("prices", _("Prices and the two-market spread"))
    series = list(
        session.scalars(
            select(PriceSeries)
            .where(
                PriceSeries.mineral == mineral,
                visible_clause(PriceSeries, caller),
                PriceSeries.deleted_at.is_(None),
            )
            .order_by(PriceSeries.id)
        )
    )
    rows, lines, used = [], [], []
    for s in series:
        obs = list(
            session.scalars(
                select(PriceObservation)
                .where(PriceObservation.series_id == s.id)
                .order_by(PriceObservation.date, PriceObservation.id)
            )
        )
        levels = [o for o in obs if o.kind == "level"]
        shown = levels + [o for o in obs if o.kind != "level"]
        if not levels:
            sec.notes.append(
                _(
                    "{market}: the series has no price levels, only stated changes or comparisons."
                ).format(market=s.market)
            )
        first = len(rows)
        for o in shown:
            i = len(rows)
            rec = src_record("price_observations", "value", _("price record"), id=o.id)
            rows.append(
                [
                    common.text_fig(
                        f"px.{i}.market",
                        _("Market"),
                        s.market,
                        src_record("price_series", "market", _("price record"), id=s.id),
                    ),
                    _(PRICE_KINDS.get(o.kind, o.kind)),
                    common.text_fig(
                        f"px.{i}.date",
                        _("Date"),
                        format_date(o.date, o.date_precision),
                        src_record("price_observations", "date", _("price record"), id=o.id),
                    ),
                    figure(
                        f"px.{i}.value",
                        _("Value"),
                        o.value,
                        _unit(o.unit, o.kind),
                        qualifier=QUALIFIED.get(o.qualifier),
                        source=rec,
                    ),
                ]
            )
        if len(levels) > 1:
            lines.append(
                (s.market, [o.date.isoformat() for o in levels], [o.value for o in levels])
            )
            used += [f"px.{first + k}.value" for k in range(len(levels))]
    if rows:
        sec.tables.append(
            Table(
                "px.table",
                _("Price observations"),
                [_("Market"), _("Kind"), _("Date"), _("Value")],
                rows,
            )
        )
    else:
        sec.notes.append(_("No price series of this mineral that you may see."))
    if lines:
        sec.charts.append(Chart("px.chart", _("Price levels"), line_chart(lines, _("Price")), used))
    return sec


def _unit(unit: str, kind: str) -> str:
    return {"percent_change": "%", "ratio": "x"}.get(unit, unit)


def timeline(session: Session, caller: Caller, mineral: str, day: dt.date) -> Section:
    """Every recorded measure on the mineral, oldest first, with its state on ``day``."""
    from critmin.services import controls

    sec = Section("timeline", _("Measures timeline"))
    tl = controls.timeline(session=session, caller=caller, mineral=mineral, as_of=day)
    rows = []
    for i, m in enumerate(tl["measures"]):
        rec = {"key": m["key"]}
        lab = _("export-control record")
        rows.append(
            [
                common.text_fig(
                    f"tl.{i}.date",
                    _("Start"),
                    m["start"],
                    src_record("export_measures", "start", lab, **rec),
                ),
                common.text_fig(
                    f"tl.{i}.title",
                    _("Measure"),
                    common.measure_title(m),
                    src_record("export_measures", "title+title_original", lab, **rec),
                ),
                _(STATES.get(m["status"], m["status"])),
            ]
        )
    if rows:
        sec.tables.append(
            Table(
                "tl.table",
                _("Measures"),
                [_("Start"), _("Measure"), _("State on the report date")],
                rows,
            )
        )
    return sec


STATES = {"not_announced": N_("not yet announced"), "announced": N_("announced"),
          "in_force": N_("in force"), "suspended": N_("suspended"), "expired": N_("expired"),
          "undated": N_("undated")}  # fmt: skip


def briefing(session: Session, caller: Caller, mineral: str, day: dt.date) -> Report:
    """The one-page briefing, in the current language."""
    conc, shares = common.concentration(session, mineral)
    scen, _res = common.scenario(mineral, common.top_producer(shares))
    keep = {
        "scn.country",
        "scn.price_ratio.central",
        "scn.shortfall_share.central",
        "scn.gdp_loss_usd.central",
        "scn.gdp_loss_usd.low",
        "scn.gdp_loss_usd.high",
    }
    scen.figures = [f for f in scen.figures if f.id in keep]
    scen.title = _("Scenario headline: a full export ban by the top producer")
    scen.notes = [
        _(
            "Central value of a seeded Monte Carlo, with the band from its fifth to "
            "its ninety-fifth percentile."
        )
    ]
    year = int(shares["year"]) if shares else day.year - 1
    crit = common.criticality(session, caller, mineral, "USA", year)
    crit.figures = [f for f in crit.figures if f.value is not None]
    crit.notes = []
    conc.tables[0].rows = conc.tables[0].rows[:4] if conc.tables else []
    pipe = common.pipeline(session, caller, mineral)
    pipe.charts = []  # the table says it on one page
    return Report(
        kind="briefing",
        title=_("Mineral briefing"),
        subtitle=common.mineral_name(mineral),
        mineral=mineral,
        country=None,
        as_of=day.isoformat(),
        lang=current(),
        sections=[
            conc,
            crit,
            scen,
            prices(session, caller, mineral),
            pipe,
            timeline(session, caller, mineral, day),
        ],
    )


def stockpile_report(session: Session, caller: Caller, mineral: str, day: dt.date,
                     target_t: float = 50.0) -> Report:  # fmt: skip
    """The annual stockpile adequacy assessment of :func:`services.stockpile.adequacy`."""
    from critmin.services import stockpile as sp
    from critmin.web.reports_charts import line_chart

    args = {
        "mineral": mineral,
        "target_t": target_t,
        "n_paths": STOCKPILE_PATHS,
        "as_of": day.isoformat(),
    }
    rep = sp.adequacy(
        session, caller, mineral=mineral, target_t=target_t, n_paths=STOCKPILE_PATHS, as_of=day
    )
    lab = _("stockpile planner (lots you may see)")

    def f(id: str, label: str, path: str, unit: str = "", **kw: Any) -> Any:
        return figure(
            id,
            label,
            dig(rep, path),
            unit,
            source=src_engine("stockpile.adequacy", args, path, lab),
            **kw,
        )

    need = Section("requirement", _("Requirement"))
    need.figures += [
        f(
            "sp.demand",
            _("US consumption"),
            "requirement.demand.value_t_per_year",
            "t/yr",
            qualifier="estimate",
        ),
        *[
            f(
                f"sp.req.{i}",
                _(STOCK_MONTHS[int(r["months"])]),
                f"requirement.months_of_demand.{i}.requirement_t",
                "t",
                qualifier="assumption",
            )
            for i, r in enumerate(rep["requirement"]["months_of_demand"])
        ],
    ]
    if "requirement_t" in (rep["requirement"].get("shortfall") or {}):
        need.figures.append(
            f(
                "sp.req.shortfall",
                _("Requirement to bridge a ban's shortfall"),
                "requirement.shortfall.requirement_t",
                "t",
                qualifier="estimate",
            )
        )
    held = Section("inventory", _("Inventory and coverage"))
    held.figures += [
        f("sp.held", _("Stockpile held (lots you may see)"), "inventory.total_t", "t"),
        f(
            "sp.coverage",
            _("Months of consumption covered"),
            "coverage_now_months",
            _("months"),
            digits=1,
            qualifier="derived",
        ),
        f("sp.target", _("Target"), "target_t", "t", qualifier="assumption"),
        figure(
            "sp.expiring",
            _("Lots expiring within the warning window"),
            float(len(rep["expiring_lots"])),
            digits=0,
            source=src_engine("stockpile.adequacy", args, "expiring_lots.len()", lab),
        ),
    ]
    cov = rep["coverage_by_month"]
    cov_figs = [
        f(f"sp.cov.{i}", c["month"], f"coverage_by_month.{i}.inventory_t", "t")
        for i, c in enumerate(cov)
    ]
    held.charts.append(
        Chart(
            "sp.chart",
            _("Inventory held over the next twelve months (t)"),
            line_chart(
                [
                    (
                        _("Inventory (t)"),
                        [c["month"] + "-01" for c in cov],
                        [c["inventory_t"] for c in cov],
                    )
                ],
                "t",
            ),
            [x.id for x in cov_figs],
        )
    )
    held.tables.append(
        Table(
            "sp.cov",
            _("Inventory by month"),
            [_("Month"), _("Inventory")],
            [
                [
                    common.text_fig(
                        f"sp.month.{i}",
                        _("Month"),
                        c["month"],
                        src_engine("stockpile.adequacy", args, f"coverage_by_month.{i}.month", lab),
                    ),
                    x,
                ]
                for i, (c, x) in enumerate(zip(cov, cov_figs, strict=True))
            ],
        )
    )
    plan = Section("plan", _("Procurement plan and its uncertainty"))
    plan.figures += [
        f(
            "sp.cost.p10",
            _("Plan cost, low (tenth percentile)"),
            "plan.cost_usd.p10",
            "USD",
            qualifier="estimate",
        ),
        f(
            "sp.cost.p50",
            _("Plan cost, median"),
            "plan.cost_usd.p50",
            "USD",
            qualifier="estimate",
        ),
        f(
            "sp.cost.p90",
            _("Plan cost, high (ninetieth percentile)"),
            "plan.cost_usd.p90",
            "USD",
            qualifier="estimate",
        ),
        f(
            "sp.prob",
            _("Share of price paths meeting the target"),
            "plan.probability_meeting_target*100",
            "%",
            qualifier="estimate",
        ),
        figure(
            "sp.purchases",
            _("Purchases in the next twelve months"),
            float(len(rep["purchases_next_year"])),
            digits=0,
            source=src_engine("stockpile.adequacy", args, "purchases_next_year.len()", lab),
        ),
        figure(
            "sp.paths",
            _("Seeded price paths"),
            float(STOCKPILE_PATHS),
            digits=0,
            qualifier="assumption",
            source=src_assumption(_("chosen for the report's speed")),
        ),
    ]
    return Report(
        kind="stockpile",
        title=_("Stockpile adequacy assessment"),
        subtitle=common.mineral_name(mineral),
        mineral=mineral,
        country="USA",
        as_of=day.isoformat(),
        lang=current(),
        sections=[need, held, plan],
    )
