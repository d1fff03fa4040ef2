"""Consortium offtake engine against hand-worked cases."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.analytics.offtake import (
    allocate,
    annual_mean,
    completion_with_floor,
    contract_price,
    indexed_floor,
    simulate_offtake,
)


def two_year_case(floor=None, cap=None):
    # one path, one project producing 10 t then 20 t, half offered; two buyers commit 4 and 2
    market = np.array([[100.0, 300.0]])
    output = np.array([[[10.0, 20.0]]])
    return simulate_offtake(market, output, [0.5], [[4.0], [2.0]], floor=floor, cap=cap,
                            unit_cost=[150.0])


def test_two_year_case_by_hand():
    r = two_year_case(floor=200.0, cap=250.0)
    # offered 5 t then 10 t; commitments 6 t: year 1 pro rata 5/6 -> 10/3 and 5/3, year 2 full
    np.testing.assert_allclose(r.alloc[0, :, 0, 0], [10 / 3, 5 / 3])
    np.testing.assert_allclose(r.alloc[0, :, 0, 1], [4.0, 2.0])
    # contract price: year 1 floor 200, year 2 cap 250
    np.testing.assert_allclose(r.buyer_cost[0], [10 / 3 * 200 + 4 * 250, 5 / 3 * 200 + 2 * 250])
    np.testing.assert_allclose(r.buyer_market_cost[0], [10 / 3 * 100 + 4 * 300,
                                                       5 / 3 * 100 + 2 * 300])
    # producer: year 1: 5 t at 200 + 5 t at 100 = 1500; year 2: 6 t at 250 + 14 t at 300 = 5700
    np.testing.assert_allclose(r.producer_revenue[0, 0], [1500.0, 5700.0])
    # floor removed (cap kept): year 1 all at 100 = 1000
    np.testing.assert_allclose(r.producer_revenue_no_floor[0, 0], [1000.0, 5700.0])
    np.testing.assert_allclose(r.producer_revenue_market[0, 0], [1000.0, 6000.0])
    # unit cost 150: year 1 costs 1500 -> not a loss with the floor (1500 < 1500 false), a loss
    # without it
    assert r.loss_year[0, 0].tolist() == [False, False]
    assert r.loss_year_no_floor[0, 0].tolist() == [True, False]
    # put: year 1 (200 - 100) x 5 t = 500 split 10/3 : 5/3; call: year 2 (300 - 250) x 6 t = 300
    np.testing.assert_allclose(r.put_value[0], [1000 / 3, 500 / 3])
    np.testing.assert_allclose(r.call_value[0], [200.0, 100.0])
    # consortium net cost over market = put - call
    np.testing.assert_allclose(r.buyer_cost[0] - r.buyer_market_cost[0],
                               r.put_value[0] - r.call_value[0])


def test_discounting():
    market = np.array([[100.0, 100.0]])
    r = simulate_offtake(market, np.array([[[1.0, 1.0]]]), [1.0], [[1.0]], floor=210.0,
                         discount_rate=0.1)
    np.testing.assert_allclose(r.put_value[0, 0], 110 / 1.1 + 110 / 1.21)


def paths(seed=3, n=400, years=6):
    rng = np.random.default_rng(seed)
    market = 300 * np.exp(np.cumsum(rng.normal(0, 0.3, (n, years)), axis=1))
    output = rng.choice([0.0, 8.0, 12.0], size=(n, 2, years))
    return market, output


def test_floor_never_lowers_producer_revenue_in_any_path():
    market, output = paths()
    for floor in (0.0, 150.0, 300.0, 600.0):
        for cap in (None, 400.0):
            r = simulate_offtake(market, output, [0.6, 0.3], [[5.0, 1.0], [3.0, 2.0]],
                                 floor=floor, cap=cap, unit_cost=[200.0, 250.0])
            assert np.all(r.producer_revenue >= r.producer_revenue_no_floor - 1e-9)
            assert r.loss_year.sum() <= r.loss_year_no_floor.sum()


def test_consortium_expected_cost_rises_with_floor_level():
    market, output = paths()
    levels = np.linspace(0, 800, 9)
    put = []
    net = []
    for f in levels:
        r = simulate_offtake(market, output, [0.6, 0.3], [[5.0, 1.0], [3.0, 2.0]], floor=f,
                             cap=900.0)
        put.append(r.put_value.sum(axis=1).mean())
        net.append((r.buyer_cost - r.buyer_market_cost).sum(axis=1).mean())
    assert np.all(np.diff(put) >= 0) and put[-1] > put[0]
    assert np.all(np.diff(net) >= 0) and net[-1] > net[0]


def test_cap_never_raises_buyer_cost():
    market, output = paths(seed=8)
    base = simulate_offtake(market, output, [0.5, 0.5], [[4.0, 4.0]], floor=250.0)
    for cap in (250.0, 400.0, 1000.0):
        capped = simulate_offtake(market, output, [0.5, 0.5], [[4.0, 4.0]], floor=250.0,
                                  cap=cap)
        assert np.all(capped.buyer_cost <= base.buyer_cost + 1e-9)


def test_pro_rata_versus_priority_allocation():
    offered = np.array([[[6.0]]])
    commit = [[4.0], [4.0], [2.0]]
    # pro rata: 6 of 10 committed -> 60 % each
    np.testing.assert_allclose(allocate(offered, commit)[0, :, 0, 0], [2.4, 2.4, 1.2])
    # tiers 1, 2, 2: tier 1 takes 4; tier 2 shares the remaining 2 as 4:2
    np.testing.assert_allclose(allocate(offered, commit, [1, 2, 2])[0, :, 0, 0],
                               [4.0, 4 / 3, 2 / 3])
    # tiers 2, 1, 3: buyer 2 first (4), then buyer 1 (2 left of 4), buyer 3 nothing
    np.testing.assert_allclose(allocate(offered, commit, [2, 1, 3])[0, :, 0, 0],
                               [2.0, 4.0, 0.0])
    # enough for all: everyone gets the commitment whatever the rule
    np.testing.assert_allclose(allocate(np.array([[[20.0]]]), commit, [3, 1, 2])[0, :, 0, 0],
                               [4.0, 4.0, 2.0])


def test_contract_price_and_indexed_floor():
    np.testing.assert_allclose(contract_price([50, 150, 400], 100, 300), [100, 150, 300])
    # floor above cap: floor wins
    np.testing.assert_allclose(contract_price([50, 500], 350, 300), [350, 350])
    np.testing.assert_allclose(indexed_floor([200.0, 300.0], margin_pct=20, margin_abs=5),
                               [245.0, 365.0])


def test_completion_link():
    # odds 1 (p = 0.5) x (2)^1 = 2 -> 2/3; beta 0 leaves p; 0 and 1 unchanged
    np.testing.assert_allclose(completion_with_floor([0.5, 0.5, 0.0, 1.0], 200, 100, 1.0),
                               [2 / 3, 2 / 3, 0.0, 1.0])
    np.testing.assert_allclose(completion_with_floor(0.3, 200, 100, 0.0), 0.3)
    with pytest.raises(ValueError):
        completion_with_floor(0.3, 0, 100, 1.0)


def test_annual_mean():
    monthly = np.arange(24, dtype=float)[None, :]
    np.testing.assert_allclose(annual_mean(monthly, 2), [[5.5, 17.5]])
    with pytest.raises(ValueError):
        annual_mean(monthly, 3)


def test_floor_per_buyer():
    # one path, one year at market 100; buyer 1 has a floor of 150, buyer 2 none (-inf)
    floor = np.array([[[150.0]], [[-np.inf]]])  # (B, J, 1)
    r = simulate_offtake(np.array([[100.0]]), np.array([[[10.0]]]), [1.0], [[4.0], [6.0]],
                         floor=floor)
    np.testing.assert_allclose(r.buyer_cost[0], [600.0, 600.0])
    np.testing.assert_allclose(r.put_value[0], [200.0, 0.0])
    np.testing.assert_allclose(r.producer_revenue[0, 0], [1200.0])


def test_indexed_floor_per_path_never_lowers_revenue_and_costs_more_with_margin():
    market, output = paths(seed=11)
    rng = np.random.default_rng(5)
    bench = 150 * np.exp(np.cumsum(rng.normal(0, 0.3, market.shape), axis=1))
    puts = []
    for margin in (0.0, 20.0, 50.0, 100.0):
        floor = indexed_floor(bench, margin_pct=margin)[:, None, None, :]  # (P, 1, 1, Y)
        r = simulate_offtake(market, output, [0.7, 0.4], [[5.0, 2.0], [3.0, 3.0]],
                             tier=[1, 2], floor=floor, cap=700.0)
        assert np.all(r.producer_revenue >= r.producer_revenue_no_floor - 1e-9)
        puts.append(r.put_value.sum(axis=1))
    # path by path, a higher margin never lowers the consortium's floor payouts
    assert all(np.all(b >= a - 1e-9) for a, b in zip(puts, puts[1:], strict=False))
    assert puts[-1].mean() > puts[0].mean()
