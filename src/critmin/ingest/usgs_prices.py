"""USGS MCS 2026 price quotes -> price series (one per chapter and quote).

Observations are annual values dated **1 July** of their year with ``date_precision``
``year``: mid-year stands for an annual average, and the precision says that only the
year is meaningful. ``2025e`` values are USGS estimates (said in the note). Units follow
the quote's unit phrase only ("dollars per pound" -> USD/lb, also for V2O5); what is
priced (metal, oxide, carbonate, ferroalloy) is in the series' market and description.
Keys are ``usgs-<chapter>-<quote>`` (e.g. ``usgs-gallium-import-unit-value``).
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from pydantic import ValidationError

from critmin.domain.prices import PriceObservationRecord, PriceSeriesRecord
from critmin.ingest.errors import raise_problems, validation_problems
from critmin.ingest.usgs import Chapter, footnote_text, parse_cell, parse_year, slug

PRICE_UNITS = (
    ("cents per pound", "USC/lb"),
    ("dollars per dry metric ton unit of tungsten trioxide", "USD/mtu WO3"),
    ("dollars per metric ton unit", "USD/mtu"),  # manganese: per mtu of Mn content
    ("dollars per kilogram of tantalum oxide", "USD/kg Ta2O5"),
    ("dollars per pound", "USD/lb"),
    ("dollars per kilogram", "USD/kg"),
    ("dollars per metric ton", "USD/t"),
)
PRICE_FORMS = {"usgs-tungsten-concentrate-in-warehouse-rotterdam": "tungsten_concentrate"}


def price_unit(text: str) -> str:
    low = text.lower()
    for phrase, unit in PRICE_UNITS:
        if phrase in low:
            return unit
    raise ValueError(text)


def quote_text(text: str) -> str:
    """The words of a price line without "Price," and the unit phrase."""
    text = re.sub(r"^price,?\s*", "", text.strip(), flags=re.I)
    return re.split(r",?\s*\b(?:dollars|cents) per\b", text, maxsplit=1, flags=re.I)[0].strip(" ,")


def quote_key(chapter: str, text: str) -> str:
    text = text.replace("average unit value of imports", "import unit value")
    words = [w for w in slug(text, "-").split("-") if w not in {"average", "annual"}]
    return "-".join(["usgs", chapter, *words])


def describe_quote(form: str, note: str) -> tuple[str, str, str]:
    """(market, unit phrase, key text) of a quote from its ``form`` and ``unit_note``.

    ``form`` is either the whole price line, a sub-market ("Flake", "U.S. spot, cathode")
    or, for nickel, the unit itself ("Dollars per pound"): then the unit joins the key.
    """
    if re.match(r"(dollars|cents) per", form, re.I):
        return quote_text(note), form, f"{quote_text(note)} {price_unit(form)}"
    if not form or form == note:
        return quote_text(note), note, quote_text(note)
    return f"{quote_text(note)}: {form}", note, quote_text(form)


def _observations(chapter: Chapter, i: int, quote: dict, locator: str) -> list:
    out = []
    for column, raw in (quote.get("raw_values") or {}).items():
        try:
            year, estimated = parse_year(column)
            value, lower = parse_cell(raw)
        except ValueError:
            chapter.problem(i, f"price_quotes.raw_values.{column}", raw, "a year and a number")
            continue
        if value is None:
            continue  # W / NA: no price to record
        notes = ["annual value dated 1 July by convention"]
        notes += ["USGS estimate"] * estimated + [f"lower bound ({raw})"] * lower
        out.append(
            PriceObservationRecord(
                date=dt.date(year, 7, 1),
                date_precision="year",
                value=value,
                kind="level",
                note="; ".join(notes),
                sources=[chapter.source(locator)],
            )
        )
    return out


def parse_usgs_prices(path: Path) -> list[PriceSeriesRecord]:
    """One price series per price quote of the chapter (annual, dated 1 July)."""
    chapter = Chapter(path)
    doc = chapter.doc
    price_rows = [s for s in doc["salient_stats"] if (s.get("section") or "").startswith("Price")]
    out: list[PriceSeriesRecord] = []
    for i, quote in enumerate(doc["price_quotes"], start=1):
        form, note = quote.get("form") or "", quote.get("unit_note") or ""
        try:
            market, unit_text, key_text = describe_quote(form, note)
            unit = price_unit(unit_text)
        except ValueError:
            chapter.problem(i, "price_quotes.unit_note", note, "a known price unit phrase")
            continue
        key = quote_key(chapter.slug, key_text)
        row = next((s for s in price_rows if s.get("raw_values") == quote.get("raw_values")), {})
        footnote = footnote_text(doc, row.get("footnote")).removeprefix("; ")
        extra = f" ({form})" if form and form != note else ""
        locator = f"MCS 2026 {chapter.slug}, salient statistics, {note}{extra}"
        description = f"USGS MCS 2026 {doc['name']}: {note}{extra}"
        description += f". {footnote}" if footnote else ""
        try:
            series = PriceSeriesRecord(
                key=key,
                mineral=chapter.mineral,
                form=PRICE_FORMS.get(key),
                market=market[:120] or doc["name"],
                unit=unit,
                description=description,
                observations=_observations(chapter, i, quote, locator),
            )
        except ValidationError as exc:
            chapter.problems.extend(validation_problems(exc, file=chapter.file, row=i))
            continue
        out.append(series)
    keys = [s.key for s in out]
    for k in sorted({k for k in keys if keys.count(k) > 1}):
        chapter.problem(None, "price_quotes", k, "a unique series key per quote")
    raise_problems(chapter.problems)
    return out
