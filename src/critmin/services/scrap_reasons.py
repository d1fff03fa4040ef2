"""The reasons for a scrap match's rank, and for a pair that does not match: sentences
built from the figures :func:`critmin.analytics.scrap.match_matrix` computed, in the
caller's language."""

from __future__ import annotations

from typing import Any

import numpy as np

from critmin.domain.scrap import scrap_type_label, standard_label
from critmin.i18n import _
from critmin.store.tables import ScrapLot

OPEN_END = np.datetime64("9999-12-31", "D")
"""How the engine marks a window without an end date."""


def _f(message: str, **values: Any) -> str:
    """A translated message with its named values filled in."""
    return message % values


def _t(x: float) -> str:
    return f"{x:,.3g}" if x < 1000 else f"{x:,.0f}"


def _range(r: ScrapLot) -> str:
    return f"{r.grade_min_pct:g}–{r.grade_max_pct:g} %"


def match_reasons(m: dict[str, Any], i: int, j: int, o: ScrapLot, r: ScrapLot,
                  legal: dict[str, Any], q: float, status: str,
                  licence_factor: float) -> list[str]:  # fmt: skip
    """Why this compatible pair ranks where it does."""
    free_r = max(r.quantity - (r.allocated_t or 0.0), 0.0)
    out = [
        _f(_("Score %(score)s of 100: fill %(fill)s, proximity %(prox)s, grade fit %(grade)s, "
          "timing %(timing)s (weights 0.4, 0.3, 0.15, 0.15)"), score=f"{m['score'][i, j]:.1f}",
          fill=f"{m['fill'][i, j]:.2f}", prox=f"{m['proximity'][i, j]:.2f}",
          grade=f"{m['grade_fit'][i, j]:.2f}", timing=f"{m['timing'][i, j]:.2f}"),
        _f(_("Scrap type %(type)s is accepted"), type=scrap_type_label((o.scrap_types or [""])[0])),
        _f(_("Grade %(g)s %% lies within the requested %(range)s"), g=f"{o.grade_pct:g}",
          range=_range(r)),
        _f(_("Quantity %(q)s t of the %(want)s t requested"), q=_t(float(m["quantity_t"][i, j])),
          want=_t(free_r)),
        _f(_("Available together from %(start)s for %(days)s days"),
          start=str(np.datetime64(m["common_from"][i, j], "D")),
          days=int(m["common_days"][i, j])) if m["common_to"][i, j] != OPEN_END else
        _f(_("Available together from %(start)s, with no end date"),
           start=str(np.datetime64(m["common_from"][i, j], "D"))),
    ]  # fmt: skip
    if r.required_standards:
        out.append(
            _f(
                _("Required standards met: %(list)s"),
                list=", ".join(standard_label(s) for s in r.required_standards),
            )
        )
    km = m["distance_km"][i, j]
    if np.isnan(km):
        out.append(_("Distance unknown (coordinates missing on one side): proximity counted "
                     "as 0.5, no transport cost"))  # fmt: skip
    else:
        out.append(
            _f(
                _(
                    "Distance %(km)s km (great circle); transport about %(usd)s USD/t at "
                    "%(rate)s USD per t·km (assumption)"
                ),
                km=f"{km:,.0f}",
                usd=f"{m['transport_usd_per_t'][i, j]:,.0f}",
                rate=f"{m['transport_usd_per_t'][i, j] / km:g}" if km > 0 else "0",
            )
        )
    why = _deciding(legal)
    if legal["verdict"] == "prohibited":
        out.append(_f(_("Not proposed: the export is prohibited on that date (%(why)s)"), why=why))
    elif legal["verdict"] == "licence_required":
        out.append(
            _f(
                _("Needs an export licence (%(why)s): ranked at %(f)s of its score"),
                why=why,
                f=f"{licence_factor:g}",
            )
        )
    if status == "not_proposed" and legal["verdict"] != "prohibited" and q <= 0:
        out.append(_("Not proposed in this set: a higher-ranked match already takes the lot"))
    if status in ("accepted", "declined"):
        out.append(_f(_("Already decided: %(status)s"), status=_(status)))
    elif 0 < q < float(m["quantity_t"][i, j]) - 1e-9:
        out.append(
            _f(_("Partly allocated: %(q)s t here, the rest to higher-ranked matches"), q=_t(q))
        )
    return out


def decided_reasons(status: str, quantity_t: float) -> list[str]:
    """A decided pair that no longer matches as offered (its quantity is taken)."""
    return [_f(_("Already decided: %(status)s"), status=_(status)),
            _f(_("Quantity %(q)s t"), q=_t(quantity_t))]  # fmt: skip


def rejection_reasons(m: dict[str, Any], i: int, j: int, o: ScrapLot, r: ScrapLot) -> list[str]:
    """Why this pair does not match (every failed test)."""
    out = []
    if not m["type_ok"][i, j]:
        out.append(
            _f(
                _("Scrap type mismatch: %(type)s is not among the accepted %(accepted)s"),
                type=scrap_type_label((o.scrap_types or [""])[0]),
                accepted=", ".join(scrap_type_label(t) for t in r.scrap_types or []),
            )
        )
    if not m["grade_ok"][i, j]:
        out.append(
            _f(
                _("Grade mismatch: %(g)s %% is outside the requested %(range)s"),
                g=f"{o.grade_pct:g}",
                range=_range(r),
            )
        )
    if not m["standards_ok"][i, j]:
        missing = [s for s in r.required_standards or [] if s not in (o.standards or [])]
        out.append(
            _f(_("Standards missing: %(list)s"), list=", ".join(standard_label(s) for s in missing))
        )
    if not m["window_ok"][i, j]:
        out.append(_("Availability windows do not overlap (from the date of the match on)"))
    if not m["quantity_ok"][i, j]:
        out.append(_("Nothing left: the lot or the request is fully matched"))
    return out or [_("Different mineral")]


def _deciding(legal: dict[str, Any]) -> str:
    """The measures that decide a verdict, by their titles (the records' own words): in
    English the engine's sentence; in another language the titles alone, so that no
    English frame is left inside a translated reason."""
    from critmin import i18n

    titles = [m["title"] for m in legal.get("measures", []) if m.get("decides")]
    if i18n.current() == i18n.DEFAULT or not titles:
        return legal["why"]
    return "; ".join(titles)
