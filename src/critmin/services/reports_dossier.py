"""The Section 232-style dossier for a mineral and a country: the statute's frame, imports
and their sources, domestic production and capacity, substitutes, economic importance,
concentration, export controls in force, a disruption scenario, stockpile adequacy and the
project pipeline with its outlook. Built as sections of sourced figures."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from critmin.i18n import _, current
from critmin.services import reports_common as common
from critmin.services import reports_supply as supply
from critmin.services.auth import Caller
from critmin.services.reports import (
    YEAR,
    Chart,
    Report,
    Section,
    Table,
    figure,
    src_derived,
    src_file,
    src_record,
)

FRAME_FILE = "reports/section232.yaml"


def _ref(name: str) -> Any:
    from critmin.ingest.datasets import REFERENCE_DIR

    text = (REFERENCE_DIR / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


def _chapter(mineral: str) -> tuple[dict[str, Any] | None, str]:
    name = f"usgs-mcs2026/{mineral}.json"
    try:
        return _ref(name), name
    except FileNotFoundError:
        return None, name


def frame(session: Session, caller: Caller, day: dt.date) -> Section:
    """The statute's factors and the reporting clock, quoted, and the investigation's
    derived due date from the measures tracker."""
    from critmin.services import controls

    doc = _ref(FRAME_FILE)
    sec = Section("frame", _("The statute's frame"))
    lang = "zh" if current() == "zh" else "en"
    sec.quotes.append(
        common.text_fig(
            "frame.factors",
            _("Factors the Secretary shall consider"),
            doc["factors"][f"quote_{lang}"],
            src_file(FRAME_FILE, f"factors.quote_{lang}", doc["document"]),
        )
    )
    sec.quotes.append(
        common.text_fig(
            "frame.clock",
            _("Reporting clock"),
            doc["clock"]["quote_zh"],
            src_file(FRAME_FILE, "clock.quote_zh", doc["document"]),
        )
    )
    if lang == "en":
        sec.notes.append(
            _(
                "The analysis states the reporting clock in Chinese only. In English: the "
                "Department of Commerce conducts the review and must report within the period "
                "shown below, "
                "recommending whether to impose tariffs, quotas or other restrictions "
                "(our translation)."
            )
        )
    sec.figures.append(
        figure(
            "frame.days",
            _("Days the Secretary has to report"),
            float(doc["clock"]["days"]),
            _("days"),
            digits=0,
            source=src_file(FRAME_FILE, "clock.days", doc["document"]),
        )
    )
    tl = controls.timeline(session=session, caller=caller, jurisdiction="USA", as_of=day)
    inv = next((m for m in tl["measures"] if m["type"] == "investigation"), None)
    if inv is not None:
        for j, ms in enumerate(inv["milestones"][:2]):
            sec.figures.append(
                common.text_fig(
                    f"frame.milestone.{j}",
                    _milestone_label(ms),
                    ms["date"],
                    src_record(
                        "export_measures",
                        f"milestones.{j}.date",
                        _("export-control record"),
                        key=inv["key"],
                    ),
                )
            )
            sec.figures[-1].qualifier = "derived" if ms.get("derived") else None
    return sec


def _milestone_label(ms: dict[str, Any]) -> str:
    """A statutory milestone's label in the report's language (the record's own label
    is English and carries the rule's day counts, which the figures show)."""
    text = (ms.get("label") or "").lower()
    derived = bool(ms.get("derived"))
    if "commerce" in text and "report" in text:
        return _("Commerce report due (derived)") if derived else _("Commerce report due")
    if "presiden" in text:
        return (
            _("Presidential decision due at the latest (derived)")
            if derived
            else _("Presidential decision due at the latest")
        )
    return _("Milestone (derived from the statutory clock)") if derived else _("Milestone")


def imports(session: Session, mineral: str, country: str) -> Section:
    """Import sources: the USGS chapter's (for the United States) and the bundled BACI
    trade of the country's latest year."""
    from critmin.services.trade_balance import hs_codes_for
    from critmin.store.tables import TradeFlow

    sec = Section("imports", _("Imports and their sources"))
    ch, file = _chapter(mineral)
    if ch and country == "USA":
        label = f"USGS {ch['edition']} {ch['name']}"
        if ch.get("import_sources_range"):
            sec.figures.append(
                common.text_fig(
                    "imp.usgs.range",
                    _("Years of the USGS import shares"),
                    ch["import_sources_range"],
                    src_file(file, "import_sources_range", label),
                )
            )
        for k, cat in enumerate(
            ch.get("import_sources_by_category")
            or [{"countries": ch.get("import_sources_flat") or []}]
        ):
            rows = []
            for i, c in enumerate(cat["countries"]):
                base = f"import_sources_by_category.{k}.countries.{i}"
                rows.append(
                    [
                        common.text_fig(
                            f"imp.usgs.{k}.{i}.name",
                            _("Country"),
                            c["country"],
                            src_file(file, f"{base}.country", label),
                        ),
                        figure(
                            f"imp.usgs.{k}.{i}.share",
                            _("Share of imports"),
                            c["share_pct"],
                            "%",
                            digits=0,
                            source=src_file(file, f"{base}.share_pct", label),
                        ),
                    ]
                )
            if rows:
                sec.tables.append(
                    Table(
                        f"imp.usgs.{k}",
                        _("US import sources (USGS)"),
                        [_("Country"), _("Share of imports")],
                        rows,
                    )
                )
        from critmin.web.reports_charts import bar_chart

        if sec.tables:
            cells = sec.tables[0].rows
            sec.charts.append(
                Chart(
                    "imp.chart",
                    _("US import sources (%)"),
                    bar_chart(
                        [r[0].value for r in cells], [r[1].value for r in cells], _("Share (%)")
                    ),
                    [r[1].id for r in cells],
                )
            )
        for key, lab, unit in (
            ("imports_total_latest", _("Imports, latest year"), "t"),
            ("net_import_reliance_pct_latest", _("Net import reliance, latest year"), "%"),
        ):
            if ch.get(key) is not None:
                sentinel = (ch.get("latest_year_sentinels") or {}).get(
                    key.replace("_pct_latest", "").replace("_latest", ""), ""
                )
                sec.figures.append(
                    figure(
                        f"imp.{key}",
                        lab,
                        ch[key],
                        unit,
                        digits=0,
                        qualifier="bound" if str(sentinel).startswith(">") else "estimate",
                        note=_("more than this figure") if str(sentinel).startswith(">") else None,
                        source=src_file(file, key, label),
                    )
                )
    codes = [c["hs6"] for c in hs_codes_for(mineral, mineral)]
    t = TradeFlow.__table__.c
    year = (
        session.scalar(select(func.max(t.year)).where(t.importer == country, t.hs6.in_(codes)))
        if codes
        else None
    )
    if year is None:
        sec.notes.append(_("No bundled BACI trade for this mineral and importer."))
        return sec
    top = session.execute(
        select(t.exporter, func.sum(t.value_kusd).label("v"), func.sum(t.quantity_t))
        .where(t.importer == country, t.year == year, t.hs6.in_(codes))
        .group_by(t.exporter)
        .order_by(func.sum(t.value_kusd).desc())
        .limit(6)
    ).all()
    rows = []
    for i, (exp, value, qty) in enumerate(top):
        match = {"importer": country, "exporter": exp, "year": year, "hs6": codes}
        lab = _("CEPII BACI HS92 (bundled)")
        rows.append(
            [
                common.text_fig(
                    f"imp.baci.{i}.name",
                    _("Exporter"),
                    common._country(exp),
                    {**src_record("trade_flows", "exporter", lab, **match), "as": "country_name"},
                ),
                figure(
                    f"imp.baci.{i}.value",
                    _("Value"),
                    value,
                    _("thousand USD"),
                    source=src_record("trade_flows", "sum(value_kusd)", lab, **match),
                ),
                figure(
                    f"imp.baci.{i}.qty",
                    _("Quantity"),
                    qty,
                    "t",
                    source=src_record("trade_flows", "sum(quantity_t)", lab, **match),
                ),
            ]
        )
    sec.figures.append(
        figure(
            "imp.baci.year",
            _("Year of the BACI trade shown"),
            float(year),
            YEAR,
            source=src_record(
                "trade_flows",
                "max(year)",
                _("CEPII BACI HS92 (bundled)"),
                importer=country,
                hs6=codes,
            ),
        )
    )
    sec.tables.append(
        Table(
            "imp.baci",
            _("Largest exporters to this country (BACI, HS codes of the mineral, gross weight)"),
            [_("Exporter"), _("Value"), _("Quantity")],
            rows,
        )
    )
    return sec


def domestic(session: Session, caller: Caller, mineral: str, country: str) -> Section:
    """The country's production, capacity and reserves (USGS) and its projects."""
    from critmin.services import projects, stats

    sec = Section("domestic", _("Domestic production and capacity"))
    names = {
        "production": _("Mine production"),
        "capacity": _("Production capacity"),
        "reserves": _("Reserves"),
    }
    for measure, lab in names.items():
        years = stats.available_years(session=session, mineral=mineral, measure=measure)
        if not years:
            continue
        rows = [
            r
            for r in stats.stat_rows(
                session=session, mineral=mineral, measure=measure, year=years[-1]
            )
            if r.country == country
        ]
        if rows and rows[0].value is not None:
            r = rows[0]
            match = {"mineral": mineral, "measure": measure, "year": years[-1],
                     "country": country}  # fmt: skip
            src = _("USGS world table")
            sec.figures += [
                figure(f"dom.{measure}.year", _("Year"), float(years[-1]), YEAR,
                       source=src_record("production_stats", "year", src, **match)),
                figure(f"dom.{measure}", lab, float(r.value), r.unit,
                       qualifier="bound" if r.lower_bound else None,
                       source=src_record("production_stats", "value", src, **match)),
            ]  # fmt: skip
    rows = []
    found = projects.list_projects(session=session, caller=caller, mineral=mineral, country=country)
    for i, p in enumerate(found):
        rec = {"id": p["id"]}
        name = p["name"] + (f" ({p['name_original']})" if p.get("name_original") else "")
        fig = common.text_fig(
            f"dom.proj.{i}.name",
            _("Project"),
            name,
            src_record(
                "projects", "name+name_original", _("project tracker, as you may see it"), **rec
            ),
        )
        rows.append([fig, common.status_name(p["status"], p["status"]),
                     figure(f"dom.proj.{i}.cap", _("Capacity"), p["capacity_tpa"], "t/yr",
                            source=src_record("projects", "capacity_tpa",
                                              _("project tracker, as you may see it"),
                                              **rec))])  # fmt: skip
    caps = [f"dom.proj.{i}.cap" for i, p in enumerate(found) if p["capacity_tpa"] is not None]
    sec.figures.append(
        figure(
            "dom.proj.total",
            _("Capacity of the country's tracked projects"),
            sum(p["capacity_tpa"] for p in found if p["capacity_tpa"] is not None)
            if caps
            else None,
            "t/yr",
            qualifier="derived",
            source=src_derived("sum", caps, _("projects listed below")),
        )
    )
    if rows:
        sec.tables.append(
            Table(
                "dom.projects",
                _("Tracked projects in the country"),
                [_("Project"), _("Status"), _("Capacity")],
                rows,
            )
        )
        if not caps:
            sec.notes.append(_("None of these projects states a capacity."))
    else:
        sec.notes.append(_("No tracked project in this country that you may see."))
    return sec


def substitutes(mineral: str) -> Section:
    """The USGS chapter's statement on substitutes, quoted."""
    sec = Section("substitutes", _("Availability of substitutes"))
    ch, file = _chapter(mineral)
    if not ch or not ch.get("substitutes_summary"):
        sec.notes.append(_("The bundled USGS chapter says nothing on substitutes."))
        return sec
    sec.quotes.append(
        common.text_fig(
            "subs.usgs",
            _("Substitutes (USGS, quoted as published)"),
            ch["substitutes_summary"],
            src_file(file, "substitutes_summary", f"USGS {ch['edition']} {ch['name']}"),
        )
    )
    return sec


def build(session: Session, caller: Caller, mineral: str, country: str,
          day: dt.date) -> Report:  # fmt: skip
    """The whole dossier, in the current language."""
    conc, shares = common.concentration(session, mineral)
    region_year = int(shares["year"]) if shares else day.year - 1
    scen, _res = common.scenario(mineral, common.top_producer(shares))
    sections = [
        frame(session, caller, day),
        imports(session, mineral, country),
        domestic(session, caller, mineral, country),
        substitutes(mineral),
        common.criticality(session, caller, mineral, country, region_year),
        conc,
        common.controls_in_force(session, caller, mineral, day),
        scen,
        supply.stockpile(session, caller, mineral, country, day),
        common.pipeline(session, caller, mineral),
        supply.outlook(session, caller, mineral, day),
    ]
    return Report(
        kind="dossier",
        title=_("National-security import dossier"),
        subtitle=f"{common.mineral_name(mineral)} · {common._country(country)}",
        mineral=mineral,
        country=country,
        as_of=day.isoformat(),
        lang=current(),
        sections=sections,
    )
