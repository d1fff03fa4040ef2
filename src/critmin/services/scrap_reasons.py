"""The reasons for a scrap match's rank, and for a pair that does not match: sentences
built from the figures :func:`critmin.analytics.scrap.match_matrix` computed, in the
caller's language."""

from __future__ import annotations

from typing import Any

import numpy as np

from critmin import i18n
from critmin.domain.scrap import scrap_type_label, standard_label
from critmin.i18n import N_, _
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


MATCH_MESSAGES = {
    "score": N_("Score %(score)s of 100: fill %(fill)s, proximity %(prox)s, grade fit "
                "%(grade)s, timing %(timing)s (weights 0.4, 0.3, 0.15, 0.15)"),
    "type": N_("Scrap type %(type)s is accepted"),
    "grade": N_("Grade %(g)s %% lies within the requested %(range)s"),
    "quantity": N_("Quantity %(q)s t of the %(want)s t requested"),
    "window": N_("Available together from %(start)s for %(days)s days"),
    "open": N_("Available together from %(start)s, with no end date"),
    "standards": N_("Required standards met: %(list)s"),
    "no_distance": N_("Distance unknown (coordinates missing on one side): proximity counted "
                      "as 0.5, no transport cost"),
    "distance": N_("Distance %(km)s km (great circle); transport about %(usd)s USD/t at "
                   "%(rate)s USD per t·km (assumption)"),
    "prohibited": N_("Not proposed: the export is prohibited on that date (%(why)s)"),
    "licence": N_("Needs an export licence (%(why)s): ranked at %(f)s of its score"),
    "taken": N_("Not proposed in this set: a higher-ranked match already takes the lot"),
    "decided": N_("Already decided: %(status)s"),
    "partly": N_("Partly allocated: %(q)s t here, the rest to higher-ranked matches"),
}  # fmt: skip
"""The sentences of a match's reasons, translated once per call (:class:`Phrases`)."""


class Phrases:
    """What the reasons of one call repeat, worked out once: the sentences in the
    caller's language and each listing's own words (scrap type, grade, range, standards),
    so that a pair costs only its own figures."""

    def __init__(self, offers: list[ScrapLot], requests: list[ScrapLot]) -> None:
        self.t = {k: _(v) for k, v in MATCH_MESSAGES.items()}
        self.english = i18n.current() == i18n.DEFAULT
        self.offer = {o.id: {"type": scrap_type_label((o.scrap_types or [""])[0]),
                             "g": f"{o.grade_pct:g}" if o.grade_pct is not None else ""}
                      for o in offers}  # fmt: skip
        self.request = {r.id: {
            "range": _range(r) if r.grade_min_pct is not None
            and r.grade_max_pct is not None else "",
            "want": _t(max(r.quantity - (r.allocated_t or 0.0), 0.0)),
            "standards": ", ".join(standard_label(x) for x in r.required_standards or []),
        } for r in requests}  # fmt: skip


def match_reasons(m: dict[str, Any], i: int, j: int, o: ScrapLot, r: ScrapLot,
                  legal: dict[str, Any], q: float, status: str,
                  licence_factor: float, p: Phrases) -> list[str]:  # fmt: skip
    """Why this compatible pair ranks where it does (``p``: the call's :class:`Phrases`)."""
    t, ot, rt = p.t, p.offer[o.id], p.request[r.id]
    start = str(np.datetime64(m["common_from"][i, j], "D"))
    out = [
        t["score"] % {"score": f"{m['score'][i, j]:.1f}", "fill": f"{m['fill'][i, j]:.2f}",
                      "prox": f"{m['proximity'][i, j]:.2f}",
                      "grade": f"{m['grade_fit'][i, j]:.2f}",
                      "timing": f"{m['timing'][i, j]:.2f}"},
        t["type"] % {"type": ot["type"]},
        t["grade"] % {"g": ot["g"], "range": rt["range"]},
        t["quantity"] % {"q": _t(float(m["quantity_t"][i, j])), "want": rt["want"]},
        t["window"] % {"start": start, "days": int(m["common_days"][i, j])}
        if m["common_to"][i, j] != OPEN_END else t["open"] % {"start": start},
    ]  # fmt: skip
    if rt["standards"]:
        out.append(t["standards"] % {"list": rt["standards"]})
    km = m["distance_km"][i, j]
    if np.isnan(km):
        out.append(t["no_distance"])
    else:
        usd = m["transport_usd_per_t"][i, j]
        out.append(t["distance"] % {"km": f"{km:,.0f}", "usd": f"{usd:,.0f}",
                                    "rate": f"{usd / km:g}" if km > 0 else "0"})  # fmt: skip
    if legal["verdict"] == "prohibited":
        out.append(t["prohibited"] % {"why": _deciding(legal, p.english)})
    elif legal["verdict"] == "licence_required":
        out.append(t["licence"] % {"why": _deciding(legal, p.english),
                                   "f": f"{licence_factor:g}"})  # fmt: skip
    if status == "not_proposed" and legal["verdict"] != "prohibited" and q <= 0:
        out.append(t["taken"])
    if status in ("accepted", "declined"):
        out.append(t["decided"] % {"status": _(status)})
    elif 0 < q < float(m["quantity_t"][i, j]) - 1e-9:
        out.append(t["partly"] % {"q": _t(q)})
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


def _deciding(legal: dict[str, Any], english: bool) -> str:
    """The measures that decide a verdict, by their titles (the records' own words): in
    English the engine's sentence; in another language the titles alone, so that no
    English frame is left inside a translated reason."""
    if english:
        return legal["why"]
    titles = [m["title"] for m in legal.get("measures", []) if m.get("decides")]
    return "; ".join(titles) if titles else legal["why"]
