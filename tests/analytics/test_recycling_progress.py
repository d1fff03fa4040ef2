"""Progress toward recycling targets against hand-worked answers, vectorised over targets."""

from __future__ import annotations

import math

import numpy as np
import pytest

from critmin.analytics.recycling import STATES, progress


def test_one_open_target_by_hand():
    # 40% in 2025 toward 70% by 2028: 30 points in 3 years = 10 points a year;
    # on 10,000 t/yr of consumption the 30 points are 3,000 t/yr of extra secondary supply.
    out = progress(40.0, 2025, 70.0, 2028, consumption_t=10_000.0)
    assert out["gap_pp"][0] == pytest.approx(30.0)
    assert out["years_left"][0] == pytest.approx(3.0)
    assert out["needed_pp_per_year"][0] == pytest.approx(10.0)
    assert out["share_of_target"][0] == pytest.approx(40 / 70)
    assert out["extra_supply_t"][0] == pytest.approx(3_000.0)
    assert out["state"][0] == "open"


def test_many_targets_at_once():
    nan = math.nan
    out = progress(
        current_pct=[75.0, nan, 50.0, 20.0, 12.5],
        current_year=[2025, nan, 2025, 2025, nan],
        target_pct=[70.0, 70.0, 60.0, 60.0, 50.0],
        target_year=[2028, 2028, 2024, nan, 2030],
        consumption_t=[1_000.0, 1_000.0, 2_000.0, 500.0, 80.0],
    )
    assert list(out["state"]) == [
        "met",
        "no_current_rate",
        "past_due",
        "no_timeline",
        "no_timeline",
    ]
    # met: 5 points above; nothing more is needed and no extra supply is implied
    assert out["gap_pp"][0] == pytest.approx(-5.0) and out["extra_supply_t"][0] == 0.0
    assert math.isnan(out["needed_pp_per_year"][0])
    # unknown current rate: nothing is computed
    for k in ("gap_pp", "needed_pp_per_year", "share_of_target", "extra_supply_t"):
        assert math.isnan(out[k][1]), k
    # past due: 10 points open one year after the target year; 10% of 2,000 t = 200 t
    assert out["years_left"][2] == pytest.approx(-1.0)
    assert math.isnan(out["needed_pp_per_year"][2])
    assert out["extra_supply_t"][2] == pytest.approx(200.0)
    # no target year: the gap (40 points) and the extra supply (200 t) still hold
    assert out["gap_pp"][3] == pytest.approx(40.0) and out["extra_supply_t"][3] == 200.0
    # a rate without a year gives no pace either: 37.5 points of 80 t = 30 t
    assert math.isnan(out["years_left"][4]) and out["extra_supply_t"][4] == pytest.approx(30.0)
    assert out["share_of_target"][4] == pytest.approx(0.25)
    assert set(out["state"]) <= set(STATES)


def test_scalars_broadcast_and_no_consumption_gives_no_tonnage():
    out = progress(np.array([10.0, 30.0, 80.0]), 2024, np.array([70.0, 70.0, 70.0]), 2030)
    assert out["needed_pp_per_year"][:2] == pytest.approx([10.0, 40 / 6])
    assert np.isnan(out["extra_supply_t"]).all()
    assert list(out["state"]) == ["open", "open", "met"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"target_pct": 0.0}, "target rates"),
        ({"target_pct": 120.0}, "target rates"),
        ({"current_pct": -1.0}, "current rates"),
        ({"consumption_t": -5.0}, "consumption"),
        ({"current_pct": [1.0, 2.0, 3.0]}, "one value per target"),
    ],
)
def test_bad_inputs_are_refused(kwargs, match):
    args = {
        "current_pct": 40.0,
        "current_year": 2025,
        "target_pct": 70.0,
        "target_year": 2028,
        "consumption_t": None,
    } | kwargs
    with pytest.raises(ValueError, match=match):
        progress(**args)
