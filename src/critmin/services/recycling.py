"""Recycling tracking: end-of-life recycling figures per mineral and country, the sources'
recycling statements, targets and progress toward them.

The figures and targets are public reference data (``data/reference/recycling``), so no
caller is needed: nothing here reads an organisation's records. Every figure carries its
source and the exact words it was read from; labels follow the current language. Where no
current rate is known for a target, progress says so and computes nothing. Scrap-trade
measures (import bans, standards) live in the export-control tracker (``/measures``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from critmin.analytics import recycling as engine
from critmin.domain.recycling import (
    KIND_LABELS,
    QUALIFIER_LABELS,
    STATUS_LABELS,
    UNIT_LABELS,
    RecyclingFigure,
    RecyclingTarget,
)
from critmin.i18n import N_, _
from critmin.ingest.recycling import bundled
from critmin.services.present import country_label, fmt_num, mineral_label

STATE_LABELS = {
    "met": N_("Target met"),
    "open": N_("Gap open"),
    "past_due": N_("Target year reached, gap still open"),
    "no_timeline": N_("Gap open; no year to measure the pace against"),
    "no_current_rate": N_("No current rate known: progress not computed"),
}
NOT_BUNDLED = N_(
    "The EU's end-of-life recycling input rates (EOL-RIR) are not among the bundled sources; "
    "add them as figures of kind eol_rir (see the recycling documentation)."
)
SCRAP_MEASURES = N_(
    "Scrap-trade measures (import bans, standards) are in the export-control tracker."
)


class RecyclingError(ValueError):
    """A bad filter or input; the message names the value and what was expected, and
    ``field`` the parameter."""

    def __init__(self, message: str, field: str = "mineral"):
        super().__init__(message)
        self.field = field


def _mineral(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    from critmin.domain.vocab import UnknownValue, resolve_mineral

    try:
        return resolve_mineral(value)
    except UnknownValue as exc:
        raise RecyclingError(str(exc)) from None


def _country(value: str | None) -> str | None:
    if value is None or not value.strip():
        return None
    from critmin.domain.vocab import UnknownValue, resolve_country

    try:
        return resolve_country(value)
    except UnknownValue as exc:
        raise RecyclingError(str(exc), "country") from None


def _shown(value: float | None, unit: str, qualifier: str) -> str:
    """``about 28%``, ``at most 20%``, ``3,600,000 t``, ``withheld``."""
    if value is None:
        return _("withheld")
    text = f"{fmt_num(value)}%" if unit == "percent" else f"{fmt_num(value)} t"
    if qualifier == "approximate":
        return _("about %(v)s") % {"v": text}
    if qualifier == "upper_bound":
        return _("at most %(v)s") % {"v": text}
    return text


def _figure_row(f: RecyclingFigure, sources: dict[str, Any]) -> dict[str, Any]:
    src = sources[f.statement]
    return {
        "key": f.key, "mineral": f.mineral, "mineral_label": _(mineral_label(f.mineral)),
        "country": f.country, "country_label": _(country_label(f.country)),
        "year": f.year, "year_label": str(f.year) if f.year else _("not stated"),
        "kind": f.kind, "kind_label": _(KIND_LABELS[f.kind]), "value": f.value,
        "unit": f.unit, "unit_label": UNIT_LABELS[f.unit], "qualifier": f.qualifier,
        "qualifier_label": _(QUALIFIER_LABELS[f.qualifier]),
        "shown": _shown(f.value, f.unit, f.qualifier), "quote": f.quote,
        "statement": f.statement, "source": {**src, "quote": f.quote},
    }  # fmt: skip


def _sources() -> dict[str, Any]:
    rates_doc, _targets = bundled()
    return {s.key: s.source.model_dump(mode="json", exclude_none=True)
            for s in rates_doc.statements}  # fmt: skip


def rates(mineral: str | None = None, country: str | None = None) -> list[dict[str, Any]]:
    """Recycling figures, optionally of one mineral and/or country, each with its source."""
    m, c = _mineral(mineral), _country(country)
    rates_doc, _targets = bundled()
    src = _sources()
    return [_figure_row(f, src) for f in rates_doc.figures
            if (m is None or f.mineral == m) and (c is None or f.country == c)]  # fmt: skip


def statements(mineral: str | None = None) -> list[dict[str, Any]]:
    """The sources' recycling statements verbatim; ``figures`` lists the keys read from each
    (empty: a qualitative statement)."""
    m = _mineral(mineral)
    rates_doc, _targets = bundled()
    read = {}
    for f in rates_doc.figures:
        read.setdefault(f.statement, []).append(f.key)
    return [{"key": s.key, "mineral": s.mineral, "mineral_label": _(mineral_label(s.mineral)),
             "country": s.country, "country_label": _(country_label(s.country)),
             "year": s.year, "text": s.text, "figures": read.get(s.key, []),
             "source": s.source.model_dump(mode="json", exclude_none=True)}
            for s in rates_doc.statements if m is None or s.mineral == m]  # fmt: skip


def _target_row(t: RecyclingTarget) -> dict[str, Any]:
    when = str(t.target_year) if t.target_year else _("no date given")
    extra = t.expected_extra_supply_t_per_year
    return {
        "key": t.key, "mineral": t.mineral, "mineral_label": _(mineral_label(t.mineral)),
        "country": t.country, "country_label": _(country_label(t.country)),
        "target_pct": t.target_pct, "target_year": t.target_year, "target_year_label": when,
        "rate_kind": t.rate_kind, "rate_kind_label": _(KIND_LABELS[t.rate_kind]),
        "status": t.status, "status_label": _(STATUS_LABELS[t.status]), "set_by": t.set_by,
        "description": t.description, "expected_extra_supply_t_per_year": extra,
        "expected_extra_supply_shown": None if extra is None else _shown(
            extra, "t", t.expected_extra_supply_qualifier or "none") + _("/yr"),
        "sources": [s.model_dump(mode="json", exclude_none=True) for s in t.sources],
    }  # fmt: skip


def _targets(mineral: str | None, country: str | None, key: str | None) -> list[RecyclingTarget]:
    m, c = _mineral(mineral), _country(country)
    _rates, targets_doc = bundled()
    chosen = [t for t in targets_doc.targets if (m is None or t.mineral == m)
              and (c is None or t.country == c) and (key is None or t.key == key)]  # fmt: skip
    if key is not None and not chosen:
        known = ", ".join(t.key for t in targets_doc.targets)
        raise RecyclingError(
            f"target {key!r}: expected one of {known} (with the mineral and country given, if any)",
            "target",
        )
    return chosen


def targets(mineral: str | None = None, country: str | None = None) -> list[dict[str, Any]]:
    """Recycling targets with who set or proposed them, their status and sources."""
    return [_target_row(t) for t in _targets(mineral, country, None)]


def _latest(t: RecyclingTarget, figures: list[RecyclingFigure]) -> RecyclingFigure | None:
    """The latest stated figure that measures the target's rate, in its country."""
    same = [
        f
        for f in figures
        if f.mineral == t.mineral
        and f.country == t.country
        and f.kind == t.rate_kind
        and f.value is not None
        and f.unit == "percent"
    ]
    return max(same, key=lambda f: f.year or 0, default=None)


def progress(
    mineral: str | None = None,
    country: str | None = None,
    *,
    target: str | None = None,
    current_pct: float | None = None,
    current_year: int | None = None,
    consumption_t: float | None = None,
) -> list[dict[str, Any]]:
    """Each target against its latest known rate: gap (percentage points), years left, the
    yearly gain needed, and, with ``consumption_t``, the extra supply implied (t/yr).

    ``current_pct`` (with ``current_year``) is a rate the user supplies, labelled as such;
    it needs the selection narrowed to one target. ``consumption_t`` is a consumption base
    the user supplies (t/yr).
    """
    chosen = _targets(mineral, country, target)
    if current_pct is not None and len(chosen) != 1:
        raise RecyclingError(
            f"current rate {current_pct!r}: expected the selection narrowed "
            f"to one target (it matches {len(chosen)}); give the target key "
            "or the mineral and country",
            "current_pct",
        )
    if current_pct is not None and not 0 <= current_pct <= 100:
        raise RecyclingError(
            f"current rate {current_pct!r}: expected a percentage 0-100", "current_pct"
        )
    if consumption_t is not None and not consumption_t >= 0:
        raise RecyclingError(
            f"consumption {consumption_t!r}: expected a tonnage of 0 or more", "consumption_t"
        )
    if not chosen:
        return []
    rates_doc, _targets_doc = bundled()
    src = _sources()
    current: list[dict[str, Any] | None] = []
    for t in chosen:
        if current_pct is not None:
            current.append({"value": current_pct, "year": current_year,
                            "shown": f"{fmt_num(current_pct)}%", "given_by_user": True,
                            "qualifier": "none", "source": None})  # fmt: skip
        else:
            f = _latest(t, rates_doc.figures)
            current.append(None if f is None else {**_figure_row(f, src), "given_by_user": False})
    nan = np.nan
    out = engine.progress(
        [nan if c is None else c["value"] for c in current],
        [nan if c is None or c["year"] is None else c["year"] for c in current],
        [t.target_pct for t in chosen],
        [nan if t.target_year is None else t.target_year for t in chosen],
        nan if consumption_t is None else consumption_t,
    )
    rows = []
    for i, t in enumerate(chosen):
        state = str(out["state"][i])
        num = {k: (None if np.isnan(out[k][i]) else round(float(out[k][i]), 6))
               for k in ("gap_pp", "years_left", "needed_pp_per_year", "share_of_target",
                         "extra_supply_t")}  # fmt: skip
        if consumption_t is None:
            num["extra_supply_t"] = None
        note = None
        if current[i] is None:
            note = _(
                "No bundled source states a current %(kind)s for %(mineral)s "
                "(%(country)s), so progress is not computed."
            ) % {
                "kind": _(KIND_LABELS[t.rate_kind]).lower(),
                "mineral": _(mineral_label(t.mineral)),
                "country": _(country_label(t.country)),
            }
        elif current[i]["qualifier"] == "upper_bound":
            note = _("The current rate is an upper bound, so the gap is a lower bound.")
        rows.append({"target": _target_row(t), "current": current[i], "state": state,
                     "state_label": _(STATE_LABELS[state]), "note": note,
                     "consumption_t": consumption_t, **num})  # fmt: skip
    return rows


def not_bundled() -> str:
    """What is not bundled (the EU's EOL-RIR) and how to add it, in the current language."""
    return _(NOT_BUNDLED)


def summary(session: Any, mineral: str) -> dict[str, Any]:
    """One mineral's recycling figures, statements, targets and progress, JSON-able, each
    figure with its source (for reports). ``session`` is accepted so reports call every
    summary alike; the figures are public reference data and need no database read."""
    code = _mineral(mineral)
    if code is None:
        raise RecyclingError("mineral '': expected a mineral code or name, e.g. tungsten")
    return {
        "mineral": code, "mineral_label": _(mineral_label(code)),
        "rates": rates(code), "statements": statements(code), "targets": targets(code),
        "progress": progress(code), "not_bundled": not_bundled(),
        "scrap_measures": _(SCRAP_MEASURES),
    }  # fmt: skip
