"""Tracing a report's figures back to their sources, independently of the report code:
each figure's source reference is read again (the bundled file and field, the stored
record through the caller's view, the engine called with the same arguments, the figures
it is derived from) and compared with the figure's value and its rendered text."""

from __future__ import annotations

import json
import math
import re
from typing import Any

import yaml
from sqlalchemy import func, select

from critmin.i18n.display import country  # a country's name in the report's language
from critmin.ingest.datasets import REFERENCE_DIR
from critmin.services.access import visible_clause
from critmin.services.reports import Figure, Report, dig, parse_number
from critmin.store import tables

MODELS = {"production_stats": tables.ProductionStat, "export_measures": tables.ExportMeasure,
          "projects": tables.Project, "price_observations": tables.PriceObservation,
          "price_series": tables.PriceSeries}  # fmt: skip


def _file(source: dict[str, Any]) -> Any:
    text = (REFERENCE_DIR / source["file"]).read_text(encoding="utf-8")
    doc = json.loads(text) if source["file"].endswith(".json") else yaml.safe_load(text)
    return dig(doc, source["field"])


def _where(model: Any, match: dict[str, Any]) -> list[Any]:
    return [getattr(model, k).in_(v) if isinstance(v, list) else getattr(model, k) == v
            for k, v in match.items()]  # fmt: skip


def _record(session: Any, caller: Any, source: dict[str, Any]) -> Any:
    field, match = source["field"], source["match"]
    if source["table"] == "trade_flows":  # public reference data (bundled BACI)
        t = tables.TradeFlow.__table__.c
        agg = re.fullmatch(r"(sum|max)\((\w+)\)", field)
        cond = [t[k].in_(v) if isinstance(v, list) else t[k] == v for k, v in match.items()]
        if agg:
            fn = func.sum if agg.group(1) == "sum" else func.max
            return session.scalar(select(fn(t[agg.group(2)])).where(*cond))
        return session.scalar(select(t[field]).where(*cond).limit(1))
    model = MODELS[source["table"]]
    cond = _where(model, match)
    if hasattr(model, "sharing"):
        cond.append(visible_clause(model, caller))
    if hasattr(model, "deleted_at"):
        cond.append(model.deleted_at.is_(None))
    if model is tables.PriceObservation:  # an observation is seen with its series
        cond.append(
            model.series_id.in_(
                select(tables.PriceSeries.id).where(visible_clause(tables.PriceSeries, caller))
            )
        )
    if field == "count(*)":
        return session.scalar(select(func.count()).select_from(model).where(*cond))
    if field.startswith("sum("):
        col = getattr(model, field[4:-1])
        return session.scalar(select(func.sum(col)).where(*cond))
    rows = list(session.scalars(select(model).where(*cond)))
    assert len(rows) == 1, f"{source}: {len(rows)} records match"
    row = rows[0]
    if field == "name+name_original":
        return row.name + (f" ({row.name_original})" if row.name_original else "")
    if field == "title+title_original":
        return row.title + (f" ({row.title_original})" if row.title_original else "")
    if field == "start":
        dates = [d for d in (row.announced, row.effective, row.expiry) if d]
        return min(dates).isoformat()
    if field == "date" and hasattr(row, "date_precision"):
        from critmin.services.present import format_date

        return format_date(row.date, row.date_precision)  # shown at the source's precision
    head, _dot, rest = field.partition(".")
    value = getattr(row, head)
    value = dig(value, rest) if rest else value
    return value.isoformat() if hasattr(value, "isoformat") else value


def _engine(session: Any, caller: Any, source: dict[str, Any], cache: dict[str, Any]) -> Any:
    import datetime as dt

    from critmin.services import criticality, outlook, scenario, scenario_grid, stats, stockpile

    name, args = source["engine"], dict(source["args"])
    key = json.dumps([name, args], sort_keys=True)
    if key not in cache:
        if name == "stats.production_shares":
            cache[key] = stats.production_shares(session=session, **args)
        elif name == "criticality.assess":
            mineral = args.pop("mineral")
            rows = criticality.assess(session=session, caller=caller, **args)
            cache[key] = next(r for r in rows if r["mineral"] == mineral)
        elif name == "scenario.ban":
            cache[key] = scenario.ban(**args)
        elif name == "scenario_grid.grid":
            cache[key] = scenario_grid.grid(**args)
        elif name == "stockpile.inventory":
            cache[key] = stockpile.inventory(
                session, caller, args["mineral"], dt.date.fromisoformat(args["as_of"])
            )
        elif name == "stockpile.us_demand_t":
            cache[key] = stockpile.us_demand_t(**args)
        elif name == "stockpile.adequacy":
            args["as_of"] = dt.date.fromisoformat(args["as_of"])
            cache[key] = stockpile.adequacy(session, caller, **args)
        elif name == "outlook.capacity_outlook_report":
            cache[key] = outlook.capacity_outlook_report(session=session, caller=caller, **args)
        else:
            raise AssertionError(f"unknown engine {name}")
    value = dig(cache[key], source["field"])
    return country(value) if source.get("as") == "country_name" else value


def _derived(source: dict[str, Any], figures: dict[str, Figure]) -> Any:
    vals = [figures[i].value for i in source["figures"]]
    op = source["op"]
    if op == "count":
        return float(len(vals))
    if op == "sum":
        return float(sum(vals)) if vals else None
    if op == "ratio*12":
        return vals[0] / vals[1] * 12 if vals[1] else None
    if op.startswith("times:"):
        return vals[0] * float(op[6:])
    raise AssertionError(f"unknown derivation {op}")


def source_value(session: Any, caller: Any, fig: Figure, figures: dict[str, Figure],
                 cache: dict[str, Any]) -> Any:  # fmt: skip
    """The value read again from the figure's source."""
    kind = fig.source["kind"]
    if kind == "file":
        return _file(fig.source)
    if kind == "record":
        value = _record(session, caller, fig.source)
        return country(value) if fig.source.get("as") == "country_name" else value
    if kind == "engine":
        return _engine(session, caller, fig.source, cache)
    if kind == "derived":
        return _derived(fig.source, figures)
    assert kind == "assumption" and fig.qualifier == "assumption", fig
    return fig.value


def check_figure(fig: Figure, expected: Any) -> None:
    """The figure's value equals the source's, and its text shows it (within rounding)."""
    if expected is None or (isinstance(expected, float) and math.isnan(expected)):
        assert fig.value is None and fig.text == "—", (fig.id, fig.value, expected)
        return
    if isinstance(expected, str):
        assert fig.value == expected and fig.text == expected, (fig.id, fig.value, expected)
        return
    assert isinstance(fig.value, float), (fig.id, fig.value)
    assert math.isclose(fig.value, float(expected), rel_tol=1e-9, abs_tol=1e-9), (
        fig.id,
        fig.value,
        expected,
    )
    shown, tol = parse_number(fig.text)
    assert abs(shown - float(expected)) <= tol * 1.0001 + 1e-12, (fig.id, fig.text, expected)


def trace_report(session: Any, caller: Any, report: Report) -> int:
    """Every figure of ``report`` checked against its source; returns how many."""
    from critmin.i18n import use_language

    figures = report.all_figures()
    cache: dict[str, Any] = {}
    with use_language(report.lang):
        for fig in figures.values():
            check_figure(fig, source_value(session, caller, fig, figures, cache))
    return len(figures)


FIG_SPAN = re.compile(r'<span class="fig[^"]*" data-source="([^"]+)"[^>]*>([^<]*)</span>')
QUOTE = re.compile(r'<blockquote data-source="([^"]+)">([^<]*)</blockquote>')
STRIP = (r"<head>.*?</head>", r"<svg.*?</svg>", r'<section class="sources".*?</section>',
         r"<time[^>]*>.*?</time>", r'<span class="statute-name">.*?</span>',
         FIG_SPAN.pattern, QUOTE.pattern)  # fmt: skip


def check_html(html: str, report: Report) -> int:
    """Every figure of the model is rendered with ``data-source`` and its text, and no
    number appears in the report's text outside a sourced figure (dates and charts
    aside). Returns the number of sourced elements."""
    from html import unescape

    figures = report.all_figures()
    seen = FIG_SPAN.findall(html) + QUOTE.findall(html)
    for fid, text in seen:
        assert unescape(text) == figures[fid].text, (fid, text, figures[fid].text)
    assert {fid for fid, _t in seen} == set(figures), set(figures) ^ {f for f, _t in seen}
    body = html
    for pattern in STRIP:
        body = re.sub(pattern, " ", body, flags=re.S)
    text = unescape(re.sub(r"<[^>]+>", " ", body))
    stray = re.findall(r"\S*\d\S*", text)
    assert not stray, f"numbers without a source: {stray[:10]}"
    return len(seen)
