"""Reports: the Section 232-style dossier, the mineral briefing and the stockpile adequacy
report, each built as a data model first (sections of figures, every figure with its
source) and then rendered as HTML or PDF in English or Simplified Chinese.

A :class:`Figure` is one number or quoted text shown to the reader: label, value, unit,
qualifier (estimate, bound, assumption) and a source reference that names where the value
can be read again: a bundled file and field, a stored record (table and id or key and
field), an engine call with its arguments, or the figures it is derived from.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from critmin.i18n import N_, current

QUALIFIERS = {"estimate": N_("estimate"), "bound": N_("bound"), "assumption": N_("assumption"),
              "derived": N_("derived")}  # fmt: skip
YEAR = "year"
"""The unit of a figure that is a calendar year (shown without grouping or unit)."""
KINDS = ("dossier", "briefing", "stockpile")
FORMATS = ("html", "pdf")


class ReportError(ValueError):
    """Bad report input (mineral, country, format): answered as 4xx / a CLI error."""


@dataclass
class Figure:
    """One figure: what it is, its value, and where the value comes from."""

    id: str
    label: str
    value: float | str | None
    unit: str = ""
    qualifier: str | None = None
    source: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    note: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Chart:
    """A chart drawn as inline SVG from figures of the same report."""

    id: str
    title: str
    svg: str
    figures: list[str]


@dataclass
class Table:
    """Rows of cells; a cell is a figure id or plain text without numbers."""

    id: str
    title: str
    columns: list[str]
    rows: list[list[str | Figure | None]]


@dataclass
class Section:
    """A part of a report: key figures, tables, quotes, charts and notes."""

    id: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    quotes: list[Figure] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    """A whole report, language-bound: titles and labels are already translated."""

    kind: str
    title: str
    mineral: str
    country: str | None
    as_of: str
    lang: str
    sections: list[Section] = field(default_factory=list)
    subtitle: str = ""
    timing_s: float | None = None

    def all_figures(self) -> dict[str, Figure]:
        """Every figure of the report by id (key figures, table cells, quotes)."""
        out: dict[str, Figure] = {}
        for s in self.sections:
            for f in [*s.figures, *s.quotes]:
                out[f.id] = f
            for t in s.tables:
                for row in t.rows:
                    for cell in row:
                        if isinstance(cell, Figure):
                            out[cell.id] = cell
        return out

    def to_dict(self) -> dict[str, Any]:
        """The model as JSON-ready data (charts without their SVG)."""
        return {
            "kind": self.kind, "title": self.title, "subtitle": self.subtitle,
            "mineral": self.mineral, "country": self.country, "as_of": self.as_of,
            "lang": self.lang,
            "sections": [{
                "id": s.id, "title": s.title, "notes": s.notes,
                "figures": [f.to_dict() for f in s.figures],
                "quotes": [f.to_dict() for f in s.quotes],
                "tables": [{"id": t.id, "title": t.title, "columns": t.columns,
                            "rows": [[c.id if isinstance(c, Figure) else c for c in r]
                                     for r in t.rows]} for t in s.tables],
                "charts": [{"id": c.id, "title": c.title, "figures": c.figures}
                           for c in s.charts]} for s in self.sections],
            "figures": {k: f.to_dict() for k, f in self.all_figures().items()},
        }  # fmt: skip


# -- sources -------------------------------------------------------------------------------


def src_file(file: str, path: str, label: str, url: str | None = None) -> dict[str, Any]:
    """A field of a bundled reference file (``path``: dotted keys and list indexes)."""
    return {"kind": "file", "file": file, "field": path, "label": label, "url": url}


def src_record(table: str, field_: str, label: str, **match: Any) -> dict[str, Any]:
    """A field of the stored record of ``table`` whose columns equal ``match`` (an id, a
    key, or e.g. mineral, measure, year and country); ``field_`` may be ``sum(column)``
    over every matching row."""
    return {"kind": "record", "table": table, "match": match, "field": field_, "label": label}


def src_engine(engine: str, args: dict[str, Any], path: str, label: str) -> dict[str, Any]:
    """A field of an engine's answer for the given arguments."""
    return {"kind": "engine", "engine": engine, "args": args, "field": path, "label": label}


def src_derived(op: str, figures: list[str], label: str) -> dict[str, Any]:
    """A figure derived from other figures of the report (``sum``, ``count``, ``ratio``)."""
    return {"kind": "derived", "op": op, "figures": figures, "label": label}


def src_assumption(label: str) -> dict[str, Any]:
    """A value chosen for the report (a parameter), labelled as an assumption."""
    return {"kind": "assumption", "label": label}


def dig(obj: Any, path: str) -> Any:
    """``obj`` at a dotted path of keys and list indexes (``a.0.b``); a path ending in
    ``*100`` is scaled to a percentage, one ending in ``.len()`` counts the list."""
    if path.endswith(".len()"):
        return len(dig(obj, path[:-6]))
    if path.endswith("*100"):
        value = dig(obj, path[:-4])
        return None if value is None else 100 * value
    for part in path.split("."):
        obj = obj[int(part)] if isinstance(obj, list) else obj[part]
    return obj


# -- formatting ----------------------------------------------------------------------------


def fmt_value(value: float | str | None, unit: str = "", digits: int | None = None) -> str:
    """A figure's text: numbers grouped, shares as percentages, years plain, no value as a
    dash."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    if isinstance(value, str):
        return value
    if unit == YEAR:
        return f"{value:.0f}"
    if unit == "%":
        return f"{value:.{1 if digits is None else digits}f}%"
    if unit == "USD":
        for scale, word in SCALES[current()]:
            if abs(value) >= scale:
                return f"{value / scale:,.2f} {word}"
        return f"{value:,.0f} {CURRENCY[current()]}"
    if digits is None:
        a = abs(value)
        digits = 0 if a >= 100 or a == 0 else (1 if a >= 10 else (2 if a >= 0.01 else 4))
    text = f"{value:,.{digits}f}"
    return f"{text} {unit}".strip() if unit else text


SCALES = {"en": ((1e9, "billion USD"), (1e6, "million USD")),
          "zh": ((1e8, "亿美元"), (1e4, "万美元"))}  # fmt: skip
"""Large USD amounts: billions and millions in English, 亿 and 万 in Chinese."""
CURRENCY = {"en": "USD", "zh": "美元"}
NUMBER = re.compile(r"-?[\d,]*\.?\d+")


def parse_number(text: str) -> tuple[float, float]:
    """The first number of a figure's text and the rounding it was shown with (for tests:
    the shown text must agree with the value within that rounding)."""
    m = NUMBER.search(text)
    if not m:
        raise ValueError(f"no number in {text!r}")
    raw = m.group(0).replace(",", "")
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    scale = next((s for s, word in SCALES[current()] if text.endswith(word)), 1.0)
    return float(raw) * scale, 0.5 * 10.0**-decimals * scale


def figure(id: str, label: str, value: float | str | None, unit: str = "", *,
           source: dict[str, Any], qualifier: str | None = None, digits: int | None = None,
           note: str | None = None) -> Figure:  # fmt: skip
    """A figure with its text formatted for the current language."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        value = float(value)
    return Figure(
        id=id,
        label=label,
        value=value,
        unit=unit,
        qualifier=qualifier,
        source=source,
        text=fmt_value(value, unit, digits),
        note=note,
    )


def today_or(as_of: dt.date | str | None) -> dt.date:
    """The report date: ``as_of`` or today."""
    if as_of is None:
        return dt.date.today()
    if isinstance(as_of, dt.date):
        return as_of
    try:
        return dt.date.fromisoformat(str(as_of))
    except ValueError:
        raise ReportError(f"as_of {as_of!r}: expected a date such as 2026-01-31") from None


def check_mineral(mineral: str) -> str:
    """The catalogue code of ``mineral``, or :class:`ReportError` naming the choices."""
    from critmin.domain.vocab import UnknownValue, resolve_mineral

    try:
        return resolve_mineral(str(mineral).strip())
    except UnknownValue as exc:
        raise ReportError(f"mineral: {exc}") from None


def check_country(country: str) -> str:
    """The ISO3 code of ``country``, or :class:`ReportError`."""
    from critmin.domain.vocab import UnknownValue, resolve_country

    try:
        return resolve_country(str(country).strip())
    except UnknownValue as exc:
        raise ReportError(f"country: {exc}") from None


# -- building and rendering ------------------------------------------------------------------


MEDIA_TYPES = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


def build(
    session: Any,
    caller: Any,
    kind: str,
    *,
    mineral: str,
    country: str | None = None,
    as_of: dt.date | str | None = None,
    lang: str = "en",
) -> Report:
    """The report model of ``kind`` (dossier, briefing, stockpile) in ``lang``; figures are
    read through ``caller``'s view."""
    import time

    from critmin.i18n import UnknownLanguage, parse, use_language
    from critmin.services import access

    access.check_caller(caller)
    if kind not in KINDS:
        raise ReportError(f"report {kind!r}: expected one of {', '.join(KINDS)}")
    try:
        lang = parse(lang)
    except UnknownLanguage as exc:
        raise ReportError(str(exc)) from None
    code = check_mineral(mineral)
    day = today_or(as_of)
    t0 = time.perf_counter()
    with use_language(lang):
        if kind == "dossier":
            from critmin.services import reports_dossier

            rep = reports_dossier.build(session, caller, code, check_country(country or "USA"), day)
        elif kind == "briefing":
            from critmin.services import reports_briefing

            rep = reports_briefing.briefing(session, caller, code, day)
        else:
            from critmin.services import reports_briefing, stockpile

            try:
                rep = reports_briefing.stockpile_report(session, caller, code, day)
            except stockpile.StockpileError as exc:
                raise ReportError(str(exc)) from None
    rep.timing_s = time.perf_counter() - t0
    return rep


def render(report: Report, fmt: str) -> bytes:
    """``report`` as HTML or PDF bytes, in the report's language."""
    from critmin.i18n import use_language
    from critmin.services import reports_render

    if fmt not in FORMATS:
        raise ReportError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    with use_language(report.lang):
        if fmt == "pdf":
            return reports_render.render_pdf(report)
        return reports_render.render_html(report).encode("utf-8")


def generate(session: Any, caller: Any, kind: str, *, mineral: str, country: str | None = None,
             fmt: str = "html", lang: str = "en", as_of: dt.date | str | None = None
             ) -> tuple[bytes, str, Report]:  # fmt: skip
    """Build and render: the bytes, their media type and the model."""
    if fmt not in FORMATS:
        raise ReportError(f"format {fmt!r}: expected one of {', '.join(FORMATS)}")
    rep = build(session, caller, kind, mineral=mineral, country=country, as_of=as_of, lang=lang)
    return render(rep, fmt), MEDIA_TYPES[fmt], rep
