"""Market stage of the disruption engine: hand-worked market-clearing cases."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import brentq

from critmin.analytics.disruption import projects_from_outlook, ramp, responses, simulate

UNIT = dict(price=1.0, consumption=100.0, exports=50.0, production_other=50.0,
            demand_elasticity=-1.0, supply_elasticity=1.0)  # fmt: skip
FIXED = dict(price=1.0, consumption=100.0, exports=40.0, production_other=60.0,
             demand_elasticity=-0.5, supply_elasticity=0.0)  # fmt: skip


def price(params, level=1.0, levers=None, **kw):
    return simulate(params, {"level": [level]}, levers, **kw)["price_ratio_restricted"][0, 0]


def test_unit_elasticities_full_and_half_ban():
    # full ban: 100 / u = 50 u  ->  u = sqrt(2)
    assert price(UNIT) == pytest.approx(math.sqrt(2), rel=1e-9)
    # half ban: 100 / u = 50 u + 25  ->  50 u^2 + 25 u - 100 = 0
    assert price(UNIT, 0.5) == pytest.approx((-25 + math.sqrt(625 + 20000)) / 100, rel=1e-9)


def test_fixed_supply_is_linear_in_logs():
    # ln u = ln(S / D0) / e_d = ln(0.6) / -0.5  ->  u = 0.6 ** -2
    assert price(FIXED) == pytest.approx(0.6**-2, rel=1e-9)
    res = simulate(FIXED, {"level": [1.0]})
    assert res["consumption_restricted"][0, 0] == pytest.approx(60.0)
    assert res["shortfall_restricted"][0, 0] == pytest.approx(40.0)


def test_capacity_cap_binding_and_not():
    # uncapped the answer is sqrt(2) with 70.7 t from other producers
    assert price({**UNIT, "capacity_other": 80.0}) == pytest.approx(math.sqrt(2), rel=1e-9)
    # capped at 55 t: 100 / u = 55
    res = simulate({**UNIT, "capacity_other": 55.0}, {"level": [1.0]})
    assert res["price_ratio_restricted"][0, 0] == pytest.approx(100 / 55, rel=1e-9)
    assert res["supply_operating"][0, 0] == pytest.approx(55.0)


def test_level_zero_is_the_baseline_even_with_responses_and_levers(tmp_path):
    p = {**UNIT, "idle_capacity": 30.0, "idle_available": 1.0, "stocks": 50.0,
         "stock_draw": 0.5}  # fmt: skip
    res = simulate(p, {"level": [0.0]}, {"stockpile_release": 10.0}, n_periods=3)
    assert np.all(res["price_ratio_restricted"] == 1.0)
    assert np.all(res["consumption_restricted"] == 100.0)
    assert np.all(res["shortfall_restricted"] == 0.0)


def test_price_is_monotone_in_the_level():
    p = {**UNIT, "capacity_other": 60.0, "idle_capacity": 20.0, "idle_available": 0.5,
         "response_speed": 0.4, "stocks": 30.0, "stock_draw": 0.3}  # fmt: skip
    levels = np.linspace(0, 1, 101)
    res = simulate(p, {"level": levels}, n_periods=4)
    pr = res["price_ratio_restricted"]
    assert np.all(np.diff(pr, axis=0) >= -1e-9)
    assert np.all(pr >= 1 - 1e-12) and pr[-1, 0] > pr[50, 0] > 1


def test_restart_ramp_and_stock_exhaustion():
    active = np.array([[False, True, True, True]])
    assert ramp(active, np.full((1, 4), 0.5)).tolist() == [[0.0, 0.5, 0.75, 0.875]]
    need = np.full((1, 3), 100.0)
    used, draws = responses(need, np.full((1, 3), 10.0), np.full((1, 3), 30.0),
                            np.full((1, 3), 0.5))
    assert used.tolist() == [[10.0, 10.0, 10.0]] and draws.tolist() == [[15.0, 15.0, 0.0]]
    # responses never exceed the need: no draw when restarts cover it
    used, draws = responses(np.full((1, 2), 4.0), np.full((1, 2), 10.0),
                            np.full((1, 2), 30.0), np.full((1, 2), 0.5))
    assert used.tolist() == [[4.0, 4.0]] and draws.tolist() == [[0.0, 0.0]]


def test_restart_path_over_periods():
    # fixed supply; 20 t idle, all restartable, half restarted each period
    p = {**FIXED, "idle_capacity": 20.0, "idle_available": 1.0, "response_speed": 0.5}
    res = simulate(p, {"level": [1.0], "start": [1], "duration": [3]}, n_periods=5)
    restart = [0.0, 10.0, 15.0, 17.5, 0.0]
    assert res["supply_restart"][0].tolist() == restart
    expected = [((60 + r) / 100) ** -2 if 0 < i < 4 else 1.0 for i, r in enumerate(restart)]
    assert res["price_ratio_restricted"][0] == pytest.approx(expected, rel=1e-9)


def test_two_markets_clear_together_when_arbitrage_serves_the_restricted_one():
    # half the demand restricted; the restrictor sells its restricted volume elsewhere
    p = {**UNIT, "supply_elasticity": 0.0, "dest_share": 0.5, "diversion": 1.0}
    res = simulate(p, {"level": [1.0]})
    assert not res["separated"][0, 0]
    assert res["price_ratio_restricted"][0, 0] == pytest.approx(1.0)
    # without diversion 25 t leave the market: 100 / u = 75 for everyone
    res = simulate({**p, "diversion": 0.0}, {"level": [1.0]})
    assert res["price_ratio_restricted"][0, 0] == pytest.approx(4 / 3)
    assert res["price_ratio_rest"][0, 0] == pytest.approx(4 / 3)


def test_two_markets_separate_when_the_rest_cannot_absorb_diverted_metal():
    # rest: 50 / u = 25 + 15 (own scrap) + 25 (diverted)  ->  u = 50 / 65
    # restricted: 50 / u = 20 (other producers) + 15 (own scrap)  ->  u = 50 / 35
    p = dict(price=1.0, consumption=100.0, exports=50.0, production_other=20.0,
             demand_elasticity=-1.0, dest_share=0.5, diversion=1.0)  # fmt: skip
    res = simulate(p, {"level": [1.0]})
    assert res["separated"][0, 0]
    assert res["price_ratio_rest"][0, 0] == pytest.approx(50 / 65)
    assert res["price_ratio_restricted"][0, 0] == pytest.approx(50 / 35)


def test_choke_price_rations_demand():
    p = dict(price=1.0, consumption=100.0, exports=100.0, production_other=0.0,
             demand_elasticity=-0.5, choke=10.0)  # fmt: skip
    res = simulate(p, {"level": [1.0]})
    assert res["choked"][0, 0] and res["price_ratio_restricted"][0, 0] == pytest.approx(10.0)
    assert res["consumption_restricted"][0, 0] == 0.0
    assert res["shortfall_restricted"][0, 0] == 100.0


@pytest.mark.parametrize(("levers", "expected"), [
    ({"stockpile_release": 20.0}, 0.8**-2),
    ({"project_capacity": 10.0}, 0.7**-2),
    ({"recycling_increase": 0.1}, 0.7**-2),
    ({"substitution_shift": 0.2}, (60 / 80) ** -2),
    ({"substitution_elasticity": -0.5}, 100 / 60),
])  # fmt: skip
def test_each_lever_enters_as_documented(levers, expected):
    assert price(FIXED, levers=levers) == pytest.approx(expected, rel=1e-9)


def test_joint_procurement_floor_price():
    res = simulate(FIXED, {"level": [1.0]}, {"reserved_supply": 10.0, "floor_price": 1.0})
    u = 0.7**-2
    assert res["price_ratio_restricted"][0, 0] == pytest.approx(u)
    assert res["price_ratio_paid_restricted"][0, 0] == pytest.approx((u * 60 + 10) / 70)


def test_vectorised_solve_equals_brentq_per_scenario():
    rng = np.random.default_rng(5)
    n = 200
    p = dict(price=1.0, consumption=100.0, exports=rng.uniform(10, 90, n),
             production_other=0.0, demand_elasticity=rng.uniform(-1.5, -0.1, n),
             supply_elasticity=rng.uniform(0, 2, n), choke=1e6)  # fmt: skip
    p["production_other"] = 100.0 - p["exports"]
    p["capacity_other"] = p["production_other"] * rng.uniform(1.0, 1.5, n)
    level = rng.uniform(0, 1, n)
    got = simulate(p, {"level": level})["price_ratio_restricted"][:, 0]
    for i in range(n):
        e0, s0, cap = p["exports"][i], p["production_other"][i], p["capacity_other"][i]
        ed, es = p["demand_elasticity"][i], p["supply_elasticity"][i]
        def f(x, e0=e0, s0=s0, cap=cap, ed=ed, es=es, lv=level[i]):
            return 100 * math.exp(ed * x) - min(s0 * math.exp(es * x), cap) - e0 * (1 - lv)
        x = brentq(f, -math.log(1e6), math.log(1e6), xtol=1e-12)
        assert got[i] == pytest.approx(math.exp(x), rel=1e-8)


def test_bad_inputs_are_named():
    with pytest.raises(ValueError, match=r"'demand_elasticity'.*expected < 0"):
        simulate({**UNIT, "demand_elasticity": 0.2}, {"level": [1.0]})
    with pytest.raises(ValueError, match=r"'consumption'.*balance"):
        simulate({**UNIT, "consumption": 90.0}, {"level": [1.0]})
    with pytest.raises(ValueError, match=r"'level'.*share between 0 and 1"):
        simulate(UNIT, {"level": [1.5]})
    with pytest.raises(ValueError, match=r"'stocks'.*3 scenarios x 2 periods"):
        simulate({**UNIT, "stocks": np.ones((3, 5))}, {"level": np.ones(3)}, n_periods=2)
    with pytest.raises(ValueError, match="unknown parameter"):
        simulate({**UNIT, "elasticity": 1.0}, {"level": [1.0]})


def test_projects_from_outlook_p50():
    years = np.array([2025, 2026, 2027, 2028])
    p50 = np.array([120.0, 130.0, 150.0, 145.0])
    # restriction from 2026: increments over 2025's 120 t; 2028's carries on
    got = projects_from_outlook(years, p50, 2026, 4)
    assert got.tolist() == [10.0, 30.0, 25.0, 25.0]
    assert projects_from_outlook(years, p50, 2025, 2, baseline=125.0).tolist() == [0.0, 5.0]
