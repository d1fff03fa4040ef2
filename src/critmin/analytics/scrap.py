"""Matching scrap offers against requests: pure numpy over the offer x request matrix.

Inputs are plain arrays (one entry per offer or request); sets (scrap types, standards)
come as bit masks over a vocabulary, dates as ``datetime64[D]`` with ``NaT`` for an
open end, coordinates as floats with NaN where unknown.

- **compatible**: same mineral; the offer's scrap type is one the request accepts; the
  offer's grade lies in the request's range (inclusive); every standard the request
  requires is one the offer meets (``required & ~met == 0``); the availability windows
  overlap (at least one common day).
- **quantity**: ``min(offer, request)`` of what is still free on each side.
- **distance**: great-circle (haversine) distance in km where both ends have coordinates,
  NaN otherwise; **transport cost** per t = distance x rate (USD per t·km, an assumption
  the caller states).
- **score** (0-100) = 100 x (0.4 fill + 0.3 proximity + 0.15 grade fit + 0.15 timing):
  fill = quantity / requested; proximity = 1 / (1 + km / 1000), 0.5 when the distance is
  unknown; grade fit = where the grade lies in the range (top = 1; a one-point range = 1);
  timing = min(common days, 90) / 90. Zero where not compatible.
- **allocation**: greedy by score so no lot is promised twice in one proposal set.
"""

from __future__ import annotations

from typing import Any

import numpy as np

EARTH_RADIUS_KM = 6371.0088
"""Mean Earth radius (IUGG), km."""
WEIGHTS = {"fill": 0.4, "proximity": 0.3, "grade": 0.15, "timing": 0.15}
PROXIMITY_SCALE_KM = 1000.0
UNKNOWN_PROXIMITY = 0.5
TIMING_FULL_DAYS = 90
DEFAULT_RATE_USD_PER_TKM = 0.10
"""Indicative overland freight rate, USD per tonne-kilometre: an assumption, stated as such
wherever it is used, and a parameter of every call."""
_OPEN_END = np.datetime64("9999-12-31", "D")


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                 lon2: np.ndarray) -> np.ndarray:  # fmt: skip
    """Great-circle distance, km, between every point 1 (rows) and point 2 (columns);
    NaN where a coordinate is unknown."""
    p1, l1 = (
        np.radians(np.asarray(lat1, float))[:, None],
        np.radians(np.asarray(lon1, float))[:, None],
    )
    p2, l2 = (
        np.radians(np.asarray(lat2, float))[None, :],
        np.radians(np.asarray(lon2, float))[None, :],
    )
    a = np.sin((p2 - p1) / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin((l2 - l1) / 2) ** 2
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def _days(values: Any) -> np.ndarray:
    return np.asarray(values, dtype="datetime64[D]")


def match_matrix(
    offers: dict[str, Any],
    requests: dict[str, Any],
    rate_usd_per_tkm: float = DEFAULT_RATE_USD_PER_TKM,
) -> dict[str, np.ndarray]:
    """Every test and figure for every offer x request pair.

    ``offers``: ``mineral`` (str), ``type_bit`` (int, one bit), ``grade`` (%),
    ``free_t``, ``lat``, ``lon``, ``start``, ``end`` (NaT = open), ``standards`` (bits).
    ``requests``: ``mineral``, ``types`` (bits accepted), ``grade_min``, ``grade_max``,
    ``free_t``, ``lat``, ``lon``, ``start``, ``end``, ``required`` (bits).
    """
    if not (np.isfinite(rate_usd_per_tkm) and rate_usd_per_tkm >= 0):
        raise ValueError("rate_usd_per_tkm: expected a finite number >= 0")
    o, r = offers, requests
    same_mineral = (
        np.asarray(o["mineral"], object)[:, None] == np.asarray(r["mineral"], object)[None, :]
    )
    type_ok = (np.asarray(o["type_bit"], np.int64)[:, None]
               & np.asarray(r["types"], np.int64)[None, :]) != 0  # fmt: skip
    grade = np.asarray(o["grade"], float)[:, None]
    lo, hi = np.asarray(r["grade_min"], float)[None, :], np.asarray(r["grade_max"], float)[None, :]
    grade_ok = (grade >= lo) & (grade <= hi)
    missing_std = np.asarray(r["required"], np.int64)[None, :] & ~np.asarray(
        o["standards"], np.int64)[:, None]  # fmt: skip
    standards_ok = missing_std == 0
    o_start, r_start = _days(o["start"])[:, None], _days(r["start"])[None, :]
    o_end = np.where(np.isnat(_days(o["end"])), _OPEN_END, _days(o["end"]))[:, None]
    r_end = np.where(np.isnat(_days(r["end"])), _OPEN_END, _days(r["end"]))[None, :]
    common_from = np.maximum(o_start, r_start)
    common_to = np.minimum(o_end, r_end)
    common_days = (common_to - common_from).astype(np.int64) + 1
    window_ok = common_days > 0
    free_o, free_r = (
        np.asarray(o["free_t"], float)[:, None],
        np.asarray(r["free_t"], float)[None, :],
    )
    quantity_ok = (free_o > 0) & (free_r > 0)
    compatible = same_mineral & type_ok & grade_ok & standards_ok & window_ok & quantity_ok
    quantity = np.where(compatible, np.minimum(free_o, free_r), 0.0)
    km = haversine_km(o["lat"], o["lon"], r["lat"], r["lon"])
    fill = np.where(free_r > 0, quantity / np.where(free_r > 0, free_r, 1.0), 0.0)
    proximity = np.where(np.isnan(km), UNKNOWN_PROXIMITY, 1.0 / (1.0 + km / PROXIMITY_SCALE_KM))
    span = hi - lo
    grade_fit = np.where(span > 0, (grade - lo) / np.where(span > 0, span, 1.0), 1.0)
    timing = np.minimum(np.maximum(common_days, 0), TIMING_FULL_DAYS) / TIMING_FULL_DAYS
    score = 100.0 * (
        WEIGHTS["fill"] * fill
        + WEIGHTS["proximity"] * proximity
        + WEIGHTS["grade"] * np.clip(grade_fit, 0, 1)
        + WEIGHTS["timing"] * timing
    )
    return {
        "compatible": compatible, "same_mineral": same_mineral, "type_ok": type_ok,
        "grade_ok": grade_ok, "standards_ok": standards_ok, "missing_standards": missing_std,
        "window_ok": window_ok, "quantity_ok": quantity_ok, "quantity_t": quantity,
        "common_from": np.broadcast_to(common_from, compatible.shape),
        "common_to": np.broadcast_to(common_to, compatible.shape),
        "common_days": np.maximum(common_days, 0), "distance_km": km,
        "transport_usd_per_t": km * rate_usd_per_tkm,
        "transport_usd": km * rate_usd_per_tkm * quantity,
        "fill": fill, "proximity": proximity, "grade_fit": grade_fit, "timing": timing,
        "score": np.where(compatible, np.round(score, 2), 0.0),
    }  # fmt: skip


def rank(score: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    """Flat indices (row-major) of eligible pairs, best score first (ties: offer, then
    request order)."""
    flat = np.flatnonzero(np.asarray(eligible, bool).ravel())
    order = np.lexsort((flat, -np.asarray(score, float).ravel()[flat]))
    return flat[order]


def allocate(free_offer: np.ndarray, free_request: np.ndarray, pairs: np.ndarray,
             n_requests: int) -> np.ndarray:  # fmt: skip
    """Greedy allocation along ``pairs`` (flat indices, best first): each pair takes what
    is still free on both sides, so no offer or request is promised more than it has.
    Returns the tonnes allocated per pair (0 where nothing is left).

    Sequential by nature (each pair sees what the earlier ones took); it walks the
    ranked candidate pairs only, never the whole matrix."""
    left_o = np.asarray(free_offer, float).copy()
    left_r = np.asarray(free_request, float).copy()
    rows, cols = np.divmod(np.asarray(pairs, np.int64), n_requests)
    out = np.zeros(len(pairs))
    for k, (i, j) in enumerate(zip(rows.tolist(), cols.tolist(), strict=True)):
        q = min(left_o[i], left_r[j])
        if q > 1e-9:
            out[k] = q
            left_o[i] -= q
            left_r[j] -= q
    return out


def bits(values: list[list[str]] | list[str], vocabulary: list[str]) -> np.ndarray:
    """Bit masks of ``values`` over ``vocabulary`` (a code's bit is its position)."""
    index = {v: 1 << i for i, v in enumerate(vocabulary)}
    return np.asarray([sum(index[x] for x in set([v] if isinstance(v, str) else v))
                       for v in values], dtype=np.int64)  # fmt: skip
