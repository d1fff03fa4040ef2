"""Hand-worked stockpile plans: rotation against holding, infeasibility, budget, bans."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.analytics.stockpile import (
    PlanInputs,
    Supplier,
    coverage_months,
    plan,
    plan_many,
    plan_many_loop,
    requirement_from_demand,
    requirement_from_shortfall,
)


def _two_period(**kw: object) -> PlanInputs:
    base = dict(months=2, target_t=np.array([10.0, 10.0]),
                suppliers=[Supplier("A", "JPN", 1e6, 100.0, 0)], shelf_life_months=2,
                rotation_discount=0.8, holding_cost_usd_per_t_month=1.0,
                rotation_window_months=2)
    base.update(kw)
    return PlanInputs(**base)  # type: ignore[arg-type]


def test_two_period_expiry_rotation_cheaper_than_holding_to_expiry() -> None:
    # shelf life 1 month: each month's 10 t must leave at the end of that month.
    # rotation: buy 10 @100 twice (2000), hold 20 t-months at 1 (20), sell back 0.8*100*10
    # at the end of month 0 (-800; the lot expiring at the horizon's end earns nothing)
    # -> 1220; holding to expiry and disposing at 5/t (month 0 only) -> 2000 + 20 + 50
    rot = plan(_two_period(shelf_life_months=1, disposal_cost_usd_per_t=5.0))
    held = plan(_two_period(shelf_life_months=1, disposal_cost_usd_per_t=5.0,
                            rotation_window_months=0))
    assert rot.cost_usd == pytest.approx(1220.0)
    assert held.cost_usd == pytest.approx(2070.0)
    assert [(r["month"], r["quantity_t"], r["proceeds_usd"]) for r in rot.rotations] == [
        (0, 10.0, 800.0), (1, 10.0, 0.0)]
    assert held.rotations == [] and len(held.disposals) == 2


def test_rotation_cheaper_than_holding_when_price_falls() -> None:
    # shelf life 2: hold month 0's lot through month 1 -> 1000 + 20 = 1020; or sell it back
    # at the end of month 0 (0.8 * its price 100 = 80/t) and re-buy at 40:
    # 1000 - 800 + 400 + 20 = 620, cheaper
    r = plan(_two_period(), prices=np.array([[100.0, 40.0]]))
    assert r.cost_usd == pytest.approx(620.0)
    assert [p["month"] for p in r.purchases] == [0, 1]
    assert r.rotations == [{"month": 0, "quantity_t": 10.0, "age_months": 1,
                            "proceeds_usd": 800.0}]


def test_no_buy_to_sell_arbitrage_when_price_rises() -> None:
    # proceeds reference the purchase price: a tenfold rise must not make the plan buy
    # more than the target; buy 10 @100 in month 0 and hold: 1000 + 20
    r = plan(_two_period(target_t=np.array([0.0, 10.0])),
             prices=np.array([[100.0, 1000.0]]))
    assert sum(p["quantity_t"] for p in r.purchases) == pytest.approx(10.0)
    assert r.cost_usd == pytest.approx(1020.0)


def test_holding_wins_at_flat_prices() -> None:
    # hold: 1000 + 20 = 1020; rotate: 1000 - 800 + 1000 + 20 = 1220
    r = plan(_two_period())
    assert r.cost_usd == pytest.approx(1020.0)
    assert len(r.purchases) == 1
    assert r.rotations[0]["age_months"] == 2


def test_expiry_forces_disposal_without_rotation() -> None:
    # shelf life 1: a lot bought in month 0 must leave at the end of month 0
    r = plan(_two_period(shelf_life_months=1, rotation_window_months=0,
                         disposal_cost_usd_per_t=5.0, holding_cost_usd_per_t_month=0.0))
    assert r.rotations == []
    assert r.cost_usd == pytest.approx(2 * 1000.0 + 50.0)  # the last exit is free
    assert sum(d["quantity_t"] for d in r.disposals) == pytest.approx(20.0)


def test_infeasible_target_names_capacity() -> None:
    # 3 t/month (36 t/yr) from Japan, 12-month shelf life: at most 36 t held at once
    sup = [Supplier("Japan", "JPN", 36.0, 700e3, 2), Supplier("China", "CHN", 1e4, 3e5, 1)]
    inp = PlanInputs(months=60, target_t=np.r_[np.zeros(59), 50.0], suppliers=sup,
                     shelf_life_months=12, excluded_origins={"CHN"})
    r = plan(inp)
    assert not r.feasible
    assert "capacity" in r.why_infeasible and "36.0 t" in r.why_infeasible
    assert "50.0 t" in r.why_infeasible
    assert all(p["country"] != "CHN" for p in r.purchases)
    assert r.inventory_t[-1] == pytest.approx(36.0)


def test_excluded_origin_gets_nothing_even_when_cheapest() -> None:
    sup = [Supplier("Cheap", "CHN", 1e3, 1.0, 0), Supplier("Dear", "DEU", 1e3, 9.0, 0)]
    inp = PlanInputs(months=3, target_t=np.full(3, 5.0), suppliers=sup,
                     shelf_life_months=3, excluded_origins={"chn"})
    r = plan(inp)
    assert r.feasible
    assert {p["supplier"] for p in r.purchases} == {"Dear"}
    assert r.cost_usd == pytest.approx(45.0)


def test_budget_binds_and_is_named() -> None:
    sup = [Supplier("A", "JPN", 1200.0, 100.0, 0)]
    target = np.r_[np.zeros(11), 50.0]
    inp = PlanInputs(months=12, target_t=target, suppliers=sup, shelf_life_months=12,
                     budget_usd=np.array([4000.0]))
    r = plan(inp)
    assert not r.feasible
    assert r.why_infeasible.startswith("budget")
    assert sum(p["cost_usd"] for p in r.purchases) == pytest.approx(4000.0)
    assert r.inventory_t[-1] == pytest.approx(40.0)
    ok = plan(PlanInputs(months=12, target_t=target, suppliers=sup, shelf_life_months=12,
                         budget_usd=np.array([5000.0])))
    assert ok.feasible and ok.cost_usd == pytest.approx(5000.0)


def test_lead_time_and_min_order() -> None:
    sup = [Supplier("A", "JPN", 120.0, 10.0, 2, min_order_t=8.0)]
    inp = PlanInputs(months=4, target_t=np.array([0.0, 0.0, 0.0, 5.0]), suppliers=sup,
                     shelf_life_months=4)
    r = plan(inp)
    assert r.feasible
    assert r.purchases[0]["arrival_month"] == r.purchases[0]["month"] + 2
    assert all(p["quantity_t"] >= 8.0 - 1e-6 for p in r.purchases)


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_no_lot_is_held_past_its_shelf_life(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, months, life = 4, 30, int(rng.integers(1, 7))
    sup = [Supplier(f"S{i}", "JPN", float(rng.uniform(20, 80)), float(rng.uniform(1, 5)),
                    int(rng.integers(0, 3))) for i in range(n)]
    target = np.r_[np.zeros(5), rng.uniform(0, 10, months - 5)]
    inp = PlanInputs(months=months, target_t=target, suppliers=sup, shelf_life_months=life,
                     rotation_discount=float(rng.uniform(0, 0.9)),
                     holding_cost_usd_per_t_month=0.1, initial_lots=[(3.0, life - 1)])
    prices = rng.uniform(1, 5, (n, months))
    r = plan(inp, prices)
    assert r.inventory_by_age.shape == (months, life)
    # replay every purchase as a lot: age in month m is m - arrival; it must be < life
    arrivals = np.zeros(months)
    for p in r.purchases:
        arrivals[p["arrival_month"]] += p["quantity_t"]
    np.testing.assert_allclose(r.inventory_by_age[:, 0], arrivals + np.r_[0.0, np.zeros(
        months - 1)], atol=1e-6)
    for j in range(1, life):  # a cohort never grows as it ages
        assert np.all(r.inventory_by_age[1:, j] <= r.inventory_by_age[:-1, j - 1] + 1e-6)
    # the month-0 initial lot of age life-1 is gone by month 1
    assert r.inventory_by_age[1:, :].sum() <= arrivals.sum() * life + 1e-6
    exits = sum(x["quantity_t"] for x in r.rotations + r.disposals)
    bought = arrivals.sum() + 3.0
    assert exits <= bought + 1e-6
    # everything bought before the last shelf life has left by the end
    old = arrivals[: months - life].sum() + 3.0
    assert exits >= old - 1e-6
    assert r.feasible == bool(np.all(r.inventory_t >= target - 1e-6))


def test_plan_many_matches_the_loop() -> None:
    rng = np.random.default_rng(7)
    sup = [Supplier(f"S{i}", "JPN", 30.0, 100.0 + i, i % 2) for i in range(3)]
    inp = PlanInputs(months=24, target_t=np.r_[np.zeros(6), np.full(18, 12.0)],
                     suppliers=sup, shelf_life_months=6, rotation_discount=0.5,
                     budget_usd=np.array([2500.0, 2500.0]))
    paths = rng.lognormal(0, 0.3, (7, 3, 24)) * 100
    a = plan_many(inp, paths, batch=3)
    b = plan_many_loop(inp, paths)
    np.testing.assert_allclose(a["cost_usd"], b["cost_usd"], rtol=1e-6)
    np.testing.assert_array_equal(a["feasible"], b["feasible"])


def test_requirements_and_coverage() -> None:
    assert requirement_from_shortfall(12.0, 6, mitigations_t=2.0) == pytest.approx(4.0)
    assert requirement_from_demand(19.0, 12) == pytest.approx(19.0)
    assert requirement_from_demand(19.0, 6, mitigations_t=100.0) == 0.0
    np.testing.assert_allclose(coverage_months(np.array([19.0, 9.5]), 19.0), [12.0, 6.0])


def test_bad_inputs_are_named() -> None:
    with pytest.raises(ValueError, match="one value per month"):
        plan(_two_period(target_t=np.array([1.0])))
    with pytest.raises(ValueError, match="rotation_discount"):
        plan(_two_period(rotation_discount=1.5))
