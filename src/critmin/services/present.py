"""How codes and numbers are shown to people: labels, units and number formats.

One place for the CLI tables and the dashboard, so both say "Bayer liquor (alumina
refining)" rather than ``bayer_liquor`` and format 2,500,000 t and 53.2 % alike.
JSON keeps the codes and adds the labels beside them (``stage`` and ``stage_label``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from critmin.domain.countries import UnknownCountry, country_name
from critmin.domain.enums import label
from critmin.domain.minerals import get_form, get_mineral
from critmin.i18n import N_

CODED_FIELDS = (
    "stage", "status", "feed", "sharing", "measure_type", "kind", "state", "date_precision",
)  # fmt: skip
"""Fields whose values are enum codes with a label (:func:`critmin.domain.enums.label`)."""


FIELD_LABELS = {
    "name_original": N_("Original name"), "capacity_tpa": N_("Capacity (t/yr)"),
    "capacity_by_year": N_("Capacity by year"), "start_year": N_("Start year"),
    "end_year": N_("End year"),
    "feed_note": N_("Feed note"), "financing": N_("Financing"), "offtakers": N_("Offtakers"),
    "section_sharing": N_("Section sharing"), "curation_note": N_("Curation note"),
    "deleted_at": N_("Deleted"), "financing.needed_usd": N_("Financing still needed (USD)"),
    "financing.committed_usd": N_("Financing committed (USD)"),
    "financing.capex_amount": N_("Capex (headline)"),
    "financing.capex_currency": N_("Capex currency"),
    "financing.sources": N_("Funding sources"),
}  # fmt: skip


def field_label(name: str) -> str:
    """A record field as people read it: ``capacity_tpa`` -> ``Capacity (t/yr)``."""
    return FIELD_LABELS.get(name) or label(name.split(".")[-1])


def coded(value: object, field: str) -> object:
    """``value`` as shown for ``field``: enum codes get their label (``announced`` ->
    ``Announced``), minerals and forms their names; anything else unchanged."""
    if not isinstance(value, str):
        return value
    if field in ("stage", "status", "feed", "sharing", "state", "kind", "measure_type"):
        return label(value)
    if field == "mineral":
        return mineral_label(value)
    if field == "form":
        return form_label(value)
    return value


def mineral_label(code: str | None) -> str:
    """``gallium`` -> ``Gallium`` (the code itself when unknown)."""
    if not code:
        return ""
    try:
        return get_mineral(code).name
    except KeyError:
        return code


def form_label(code: str | None) -> str:
    """``apt`` -> ``Ammonium paratungstate (APT)`` (the code itself when unknown)."""
    if not code:
        return ""
    try:
        return get_form(code).name
    except KeyError:
        return code


def country_label(iso3: str | None) -> str:
    """A country's display name (the code itself when unknown)."""
    if not iso3:
        return ""
    try:
        return country_name(iso3)
    except UnknownCountry:
        return iso3


def with_labels(row: dict[str, Any]) -> dict[str, Any]:
    """``row`` plus ``<field>_label`` for each coded field it has (mineral, form, country,
    stage, status, ...); the codes are kept as they are."""
    out = dict(row)
    for field, fn in (("mineral", mineral_label), ("form", form_label),
                      ("country", country_label)):  # fmt: skip
        if field in row:
            out[f"{field}_label"] = fn(row[field])
    for field in CODED_FIELDS:
        if field in row and isinstance(row[field], str | None):
            out[f"{field}_label"] = label(row[field])
    return out


def fmt_num(value: Any, digits: int | None = None) -> str:
    """``2,500,000``, ``40``, ``0.66``: thousands separators, decimals only where they
    matter (or exactly ``digits``); an em dash for none."""
    if value is None or value == "":
        return "—"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if digits is None:
        if number == round(number) or abs(number) >= 100:
            digits = 0
        else:
            digits = 2 if abs(number) < 10 else 1
    return f"{number:,.{digits}f}"


def fmt_pct(value: Any, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.5319`` -> ``53.2 %``; an em dash for none."""
    if value is None:
        return "—"
    return f"{float(value) * 100:.{digits}f} %"


def fmt_qty(value: Any, unit: str | None, digits: int | None = None) -> str:
    """A number with its unit: ``40 t/yr``; an em dash for none."""
    text = fmt_num(value, digits)
    return text if text == "—" or not unit else f"{text} {unit}"


def _as_date(value: dt.date | str) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def format_date(value: dt.date | str | None, precision: str = "day") -> str | None:
    """A date shown only as precisely as it is known (``2023``, ``2023-07``, ``2023-07-03``).

    A year-precision date stored as 31 December means the end of that year
    (``end of 2024``), as the curated files record "the end of 2024".
    """
    if value is None:
        return None
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    if precision == "year" and text[5:10] == "12-31":
        return f"end of {text[:4]}"
    return {"year": text[:4], "month": text[:7]}.get(precision, text)


def date_period(value: dt.date | str, precision: str = "day") -> tuple[dt.date, dt.date]:
    """The first and last day a date of this precision may stand for."""
    day = _as_date(value)
    if precision == "year":
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31)
    if precision == "month":
        nxt = dt.date(day.year + day.month // 12, day.month % 12 + 1, 1)
        return day.replace(day=1), nxt - dt.timedelta(days=1)
    return day, day


def window_label(window: str) -> str:
    """An ISO 8601 duration or interval in words: ``P30D`` -> "30 days",
    ``2023-07/P1M`` -> "1 month from 2023-07", ``2023-07/2025-05`` -> "2023-07 to
    2025-05" (anything else as given)."""
    units = {"Y": "year", "M": "month", "W": "week", "D": "day"}

    def duration(text: str) -> str | None:
        if text.startswith("P") and text[1:-1].isdigit() and text[-1:] in units:
            n = int(text[1:-1])
            return f"{n} {units[text[-1]]}{'' if n == 1 else 's'}"
        return None

    start, _, end = window.partition("/")
    if not end:
        return duration(start) or window
    span = duration(end)
    return f"{span} from {start}" if span else f"{start} to {end}"
