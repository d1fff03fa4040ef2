"""Scrap matching engine against hand-worked answers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from critmin.analytics import scrap as engine

TYPES = ["carbide_inserts", "heavy_alloy", "grinding_sludge"]
STDS = ["iso_9001", "iso_14001"]
NAT = np.datetime64("NaT")


def _offers(**over):
    base = {
        "mineral": ["tungsten", "tungsten"],
        "type_bit": engine.bits(["carbide_inserts", "heavy_alloy"], TYPES),
        "grade": [90.0, 80.0],
        "free_t": [20.0, 5.0],
        "lat": [0.0, 0.0],
        "lon": [0.0, 0.0],
        "start": np.array(["2026-01-01", "2026-01-01"], "datetime64[D]"),
        "end": np.array(["2026-12-31", NAT], "datetime64[D]"),
        "standards": engine.bits([["iso_14001"], ["iso_14001", "iso_9001"]], STDS),
    }
    return {**base, **over}


def _requests(**over):
    base = {
        "mineral": ["tungsten"],
        "types": engine.bits([["carbide_inserts", "heavy_alloy"]], TYPES),
        "grade_min": [85.0],
        "grade_max": [95.0],
        "free_t": [10.0],
        "lat": [0.0],
        "lon": [9.0],
        "start": np.array(["2026-03-01"], "datetime64[D]"),
        "end": np.array([NAT], "datetime64[D]"),
        "required": engine.bits([["iso_14001"]], STDS),
    }
    return {**base, **over}


def test_haversine_along_the_equator():
    # 9 degrees of arc on the mean-radius sphere: 9 * pi / 180 * 6371.0088 km
    km = engine.haversine_km([0.0], [0.0], [0.0, np.nan], [9.0, 1.0])
    assert km[0, 0] == pytest.approx(1000.7557, abs=1e-3)
    assert math.isnan(km[0, 1])


def test_compatible_pair_hand_worked_score_quantity_and_cost():
    m = engine.match_matrix(_offers(), _requests(), rate_usd_per_tkm=0.1)
    assert m["compatible"][:, 0].tolist() == [True, False]
    assert m["quantity_t"][0, 0] == 10.0  # min(20 offered, 10 requested)
    # fill 10/10 = 1; proximity 1 / (1 + 1000.7557/1000) = 0.499811; grade fit
    # (90 - 85) / (95 - 85) = 0.5; common days 2026-03-01..2026-12-31 = 306 -> timing 1
    # score = 100 (0.4 + 0.3 x 0.499811 + 0.15 x 0.5 + 0.15) = 77.494
    assert m["common_days"][0, 0] == 306
    assert m["proximity"][0, 0] == pytest.approx(0.499811, abs=1e-6)
    assert m["score"][0, 0] == pytest.approx(77.49, abs=0.005)
    assert m["transport_usd_per_t"][0, 0] == pytest.approx(100.0756, abs=1e-3)
    assert m["transport_usd"][0, 0] == pytest.approx(1000.756, abs=1e-2)


def test_grade_mismatch_is_named_and_scores_zero():
    m = engine.match_matrix(_offers(), _requests())
    # offer 1 is heavy alloy at 80 %: the type is accepted, the grade is below 85 %
    assert m["type_ok"][1, 0] and not m["grade_ok"][1, 0]
    assert not m["compatible"][1, 0] and m["score"][1, 0] == 0 and m["quantity_t"][1, 0] == 0


def test_grade_range_is_inclusive_at_both_ends():
    m = engine.match_matrix(
        _offers(
            grade=[85.0, 95.0], type_bit=engine.bits(["carbide_inserts", "carbide_inserts"], TYPES)
        ),
        _requests(),
    )
    assert m["grade_ok"][:, 0].tolist() == [True, True]
    assert m["grade_fit"][:, 0].tolist() == [0.0, 1.0]


def test_type_standards_window_and_mineral_tests():
    req = _requests(
        types=engine.bits([["grinding_sludge"]], TYPES),
        required=engine.bits([["iso_9001", "iso_14001"]], STDS),
        start=np.array(["2027-02-01"], "datetime64[D]"),
    )
    m = engine.match_matrix(_offers(), req)
    assert m["type_ok"][:, 0].tolist() == [False, False]
    # offer 0 lacks ISO 9001 (bit 0); offer 1 has both
    assert m["standards_ok"][:, 0].tolist() == [False, True]
    assert m["missing_standards"][0, 0] == 1
    # offer 0 ends 2026-12-31, before the request starts; offer 1 is open-ended
    assert m["window_ok"][:, 0].tolist() == [False, True]
    other = engine.match_matrix(_offers(mineral=["gallium", "tungsten"]), _requests())
    assert other["same_mineral"][:, 0].tolist() == [False, True]


def test_unknown_distance_counts_half_proximity_and_no_cost():
    m = engine.match_matrix(_offers(lat=[np.nan, 0.0]), _requests())
    assert math.isnan(m["distance_km"][0, 0]) and math.isnan(m["transport_usd_per_t"][0, 0])
    assert m["proximity"][0, 0] == 0.5
    # 100 (0.4 + 0.3 x 0.5 + 0.15 x 0.5 + 0.15) = 77.5
    assert m["score"][0, 0] == pytest.approx(77.5)


def test_greedy_allocation_never_over_promises_a_lot():
    # one 10 t offer, requests of 6 t and 8 t; ranked (0,0) then (0,1): 6 t then 4 t
    alloc = engine.allocate(np.array([10.0]), np.array([6.0, 8.0]), np.array([0, 1]), 2)
    assert alloc.tolist() == [6.0, 4.0]
    # two offers (5 t, 5 t) into one 7 t request: 5 then 2, nothing more
    alloc = engine.allocate(np.array([5.0, 5.0]), np.array([7.0]), np.array([1, 0]), 1)
    assert alloc.tolist() == [5.0, 2.0]
    alloc = engine.allocate(np.array([3.0]), np.array([3.0, 3.0]), np.array([1, 0]), 2)
    assert alloc.tolist() == [3.0, 0.0]


def test_rank_orders_eligible_pairs_by_score_then_position():
    score = np.array([[50.0, 70.0], [70.0, 10.0]])
    eligible = np.array([[True, True], [True, False]])
    assert engine.rank(score, eligible).tolist() == [1, 2, 0]


def test_bad_rate_is_refused():
    with pytest.raises(ValueError, match="rate_usd_per_tkm"):
        engine.match_matrix(_offers(), _requests(), rate_usd_per_tkm=float("nan"))
