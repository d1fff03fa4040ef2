"""Scrap exchange matching, through the caller's view.

:func:`matches` ranks every visible offer against every visible request of a mineral
(:func:`critmin.analytics.scrap.match_matrix`), checks each compatible pair's legality
through the export-control engine (:func:`critmin.services.controls.check_many`: origin
= the offer's country, destination = the request's, date = the first common day of the
windows, item = the mineral's scrap form) and allocates the legal ones greedily so no
lot is promised twice. A prohibited pair is reported with the measures that forbid it
and is never proposed. Decisions are in :mod:`critmin.services.scrap_decisions`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.analytics import rules
from critmin.analytics import scrap as engine
from critmin.domain.scrap import SCRAP_FORMS, SCRAP_TYPES, STANDARDS
from critmin.i18n import _
from critmin.services import access, controls
from critmin.services import scrap as listings
from critmin.services.auth import Caller
from critmin.services.scrap_reasons import (
    Phrases,
    _f,
    decided_reasons,
    match_reasons,
    rejection_reasons,
)
from critmin.services.tracker import InvalidRecord
from critmin.store.scrap_tables import ScrapMatch
from critmin.store.tables import ScrapLot

LICENCE_FACTOR = 0.9
"""Ranking weight of a pair that needs an export licence (delay and refusal risk): an
assumption, stated in every answer."""
TYPES, STDS = list(SCRAP_TYPES), list(STANDARDS)
MAX_REJECTED = 500


def _arrays(rows: list[ScrapLot], side: str, as_of: dt.date) -> dict[str, Any]:
    start = [max(r.available_from or as_of, as_of) for r in rows]
    common = {
        "mineral": [r.mineral for r in rows],
        "free_t": [max(r.quantity - (r.allocated_t or 0.0), 0.0) for r in rows],
        "lat": [np.nan if r.lat is None else r.lat for r in rows],
        "lon": [np.nan if r.lon is None else r.lon for r in rows],
        "start": np.asarray(start, dtype="datetime64[D]"),
        "end": np.asarray([r.available_to or np.datetime64("NaT") for r in rows],
                          dtype="datetime64[D]"),
    }  # fmt: skip
    if side == "offer":
        return {**common, "type_bit": engine.bits([(r.scrap_types or [""])[0] for r in rows],
                                                  TYPES),
                "grade": [r.grade_pct for r in rows],
                "standards": engine.bits([r.standards or [] for r in rows], STDS)}  # fmt: skip
    return {**common, "types": engine.bits([r.scrap_types or [] for r in rows], TYPES),
            "grade_min": [r.grade_min_pct for r in rows],
            "grade_max": [r.grade_max_pct for r in rows],
            "required": engine.bits([r.required_standards or [] for r in rows], STDS)}  # fmt: skip


def _legal(session: Session, caller: Caller, pairs: list[tuple[ScrapLot, ScrapLot, dt.date]]
           ) -> list[dict[str, Any]]:  # fmt: skip
    """The export-control verdict of each (offer, request, date) shipment; a shipment
    within one country is domestic and no export control applies.

    A verdict changes only on the measures' change days
    (:func:`critmin.services.controls.change_days`), so each date is checked as the first
    day of its period between them, and each distinct (item, origin, destination,
    period) once; every answer carries its pair's own date."""
    days = np.asarray([d for _o, _r, d in pairs], dtype="datetime64[D]")
    changes = controls.change_days(session=session, caller=caller)
    starts = rules.period_starts(days, changes).astype(dt.date).tolist() if len(days) else []
    keys = [(SCRAP_FORMS.get(o.mineral, o.mineral), o.country, r.country, s)
            for (o, r, _d), s in zip(pairs, starts, strict=True)]  # fmt: skip
    cross = list(dict.fromkeys(k for k in keys if k[1] != k[2]))
    found = controls.check_many(session=session, caller=caller, shipments=[
        {"item": item, "origin": a, "destination": b, "date": d}
        for item, a, b, d in cross]) if cross else []  # fmt: skip
    verdicts = {}
    for key, c in zip(cross, found, strict=True):
        verdicts[key] = {
            "verdict": c["verdict"], "verdict_label": _(c["verdict_label"]),
            "measures": [{k: m.get(k) for k in ("key", "title", "effect", "effect_label",
                                                "decides", "sources")} for m in c["measures"]],
            "why": c["why"], "origin": c["origin"], "destination": c["destination"],
            "date": c["date"], "item": c["item"], "item_label": c["item_label"],
        }  # fmt: skip
    out = []
    for (item, a, b, start), (_o, _r, d) in zip(keys, pairs, strict=True):
        if a != b:
            out.append({**verdicts[(item, a, b, start)], "date": d.isoformat()})
            continue
        out.append({"verdict": "allowed", "verdict_label": _("Allowed"), "measures": [],
                    "why": _f(_("Domestic: the lot does not leave %(country)s"), country=a),
                    "origin": a, "destination": b, "date": d.isoformat(),
                    "item": item})  # fmt: skip
    return out


def _decisions(session: Session, offer_ids: list[int], request_ids: list[int]
               ) -> dict[tuple[int, int], ScrapMatch]:  # fmt: skip
    if not offer_ids or not request_ids:
        return {}
    rows = session.scalars(
        select(ScrapMatch).where(
            ScrapMatch.offer_id.in_(offer_ids), ScrapMatch.request_id.in_(request_ids)
        )
    )
    return {(m.offer_id, m.request_id): m for m in rows}


def _side(row: ScrapLot, pub: dict[str, Any]) -> dict[str, Any]:
    keep = (
        "id",
        "reference",
        "owner",
        "owner_org_id",
        "country",
        "country_label",
        "place",
        "lat",
        "lon",
        "scrap_types",
        "scrap_type_labels",
        "grade_pct",
        "grade_min_pct",
        "grade_max_pct",
        "assay",
        "quantity_t",
        "free_t",
        "price_usd_per_t",
        "price_formula",
        "standards",
        "required_standards",
        "available_from",
        "available_to",
        "sharing",
        "version",
    )
    return {k: pub[k] for k in keep}


def matches(*, session: Session, caller: Caller, mineral: str,
            rate_usd_per_tkm: float = engine.DEFAULT_RATE_USD_PER_TKM,
            as_of: dt.date | None = None, include_rejected: bool = False
            ) -> dict[str, Any]:  # fmt: skip
    """Ranked matches of the visible offers and requests of ``mineral``, each with its
    quantity, legality, score and reasons; with ``include_rejected``, the pairs that do
    not match and why not."""
    access.check_caller(caller)
    mineral = listings._check_filters(mineral, None)
    if mineral is None:
        raise InvalidRecord([{"field": "mineral", "problem": "a mineral is required"}])
    if not (np.isfinite(rate_usd_per_tkm) and 0 <= rate_usd_per_tkm <= 1000):
        raise InvalidRecord([{"field": "rate_usd_per_tkm", "problem": "expected 0 to 1000"}])
    as_of = as_of or dt.date.today()
    offers = listings.visible_rows(session=session, caller=caller, mineral=mineral, side="offer")
    requests = listings.visible_rows(session=session, caller=caller, mineral=mineral,
                                     side="request")  # fmt: skip
    assumptions = {
        "rate_usd_per_tkm": rate_usd_per_tkm,
        "rate_note": _f(_("Transport cost uses %(rate)s USD per tonne-kilometre, an assumption "
                       "(indicative overland freight); distances are great-circle."),
                       rate=f"{rate_usd_per_tkm:g}"),
        "licence_factor": LICENCE_FACTOR,
        "licence_note": _f(_("A pair that needs an export licence ranks with its score x "
                          "%(f)s (an assumption for delay and refusal risk)."),
                          f=f"{LICENCE_FACTOR:g}"),
        "weights": engine.WEIGHTS, "as_of": as_of.isoformat(),
    }  # fmt: skip
    out = {"mineral": mineral, "as_of": as_of.isoformat(), "offers": len(offers),
           "requests": len(requests), "matches": [], "rejected": [],
           "assumptions": assumptions}  # fmt: skip
    if not offers or not requests:
        return out
    o_arr, r_arr = _arrays(offers, "offer", as_of), _arrays(requests, "request", as_of)
    m = engine.match_matrix(o_arr, r_arr, rate_usd_per_tkm)
    decided = _decisions(session, [o.id for o in offers], [r.id for r in requests])
    closed = np.zeros(m["compatible"].shape, dtype=bool)
    o_pos = {o.id: n for n, o in enumerate(offers)}
    r_pos = {r.id: n for n, r in enumerate(requests)}
    done = [k for k, d in decided.items() if d.status in ("accepted", "declined")]
    if done:  # a decided pair is shown with its decision and not proposed again
        closed[[o_pos[a] for a, _b in done], [r_pos[b] for _a, b in done]] = True
    rows, cols = np.nonzero(m["compatible"] | closed)
    dates = [np.datetime64(m["common_from"][i, j], "D").astype(dt.date) for i, j in
             zip(rows, cols, strict=True)]  # fmt: skip
    legal = _legal(session, caller, [(offers[i], requests[j], d) for i, j, d in
                                     zip(rows, cols, dates, strict=True)])  # fmt: skip
    verdict = np.full(m["compatible"].shape, "", dtype=object)
    verdict[rows, cols] = [g["verdict"] for g in legal]
    eligible = m["compatible"] & (verdict != "prohibited") & ~closed
    weight = np.where(verdict == "licence_required", LICENCE_FACTOR, 1.0)
    ranked = engine.rank(m["score"] * weight, eligible)
    allocated = engine.allocate(o_arr["free_t"], r_arr["free_t"], ranked, len(requests))
    got = dict(zip(ranked.tolist(), allocated.tolist(), strict=True))
    position = {k: n for n, k in enumerate(ranked.tolist(), start=1)}
    owners = listings.owner_names(session, offers + requests)
    pubs_o = {o.id: listings.to_public(o, caller, owners) for o in offers}
    pubs_r = {r.id: listings.to_public(r, caller, owners) for r in requests}
    phrases = Phrases(offers, requests)
    side_o = {o.id: _side(o, pubs_o[o.id]) for o in offers}  # once per listing, not per pair
    side_r = {r.id: _side(r, pubs_r[r.id]) for r in requests}
    for (i, j), g in zip(zip(rows.tolist(), cols.tolist(), strict=True), legal, strict=True):
        o, r = offers[i], requests[j]
        flat = i * len(requests) + j
        d = decided.get((o.id, r.id))
        q = got.get(flat, 0.0)
        if d is not None and d.status == "accepted":
            q = d.quantity_t
        status = (
            d.status
            if d is not None and d.status != "withdrawn"
            else "not_proposed"
            if g["verdict"] == "prohibited" or q <= 0
            else "proposed"
        )
        out["matches"].append({
            "offer": side_o[o.id], "request": side_r[r.id],
            "quantity_t": round(q, 6), "possible_t": round(float(m["quantity_t"][i, j]), 6),
            "legal": g, "score": float(m["score"][i, j]) if m["compatible"][i, j]
            else float(d.score or 0.0) if d is not None else 0.0,
            "rank": position.get(flat), "status": status,
            "match_id": d.id if d is not None else None,
            "match_version": d.version if d is not None else None,
            "distance_km": None if np.isnan(m["distance_km"][i, j])
            else round(float(m["distance_km"][i, j]), 1),
            "transport_usd_per_t": None if np.isnan(m["transport_usd_per_t"][i, j])
            else round(float(m["transport_usd_per_t"][i, j]), 2),
            "window": {"from": dates[len(out["matches"])].isoformat(),
                       "to": None if m["common_to"][i, j] == np.datetime64("9999-12-31")
                       else str(np.datetime64(m["common_to"][i, j], "D")),
                       "days": None if m["common_to"][i, j] == np.datetime64("9999-12-31")
                       else int(m["common_days"][i, j])},
            "reasons": match_reasons(m, i, j, o, r, g, q, status, LICENCE_FACTOR, phrases)
            if m["compatible"][i, j] else decided_reasons(status, q),
        })  # fmt: skip
    out["matches"].sort(key=lambda x: (x["rank"] is None, x["rank"] or 0, -x["score"]))
    if include_rejected:
        bad_i, bad_j = np.nonzero(~m["compatible"] & ~closed)
        for i, j in list(zip(bad_i.tolist(), bad_j.tolist(), strict=True))[:MAX_REJECTED]:
            out["rejected"].append({"offer": _side(offers[i], pubs_o[offers[i].id]),
                                    "request": _side(requests[j], pubs_r[requests[j].id]),
                                    "compatible": False,
                                    "reasons": rejection_reasons(m, i, j, offers[i],
                                                                 requests[j])})  # fmt: skip
    return out
