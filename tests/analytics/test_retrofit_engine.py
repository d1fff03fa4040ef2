"""Retrofit NPV/IRR engine against hand-worked cases and a reference IRR."""

from __future__ import annotations

import numpy as np

from critmin.analytics.retrofit import (
    floor_payouts,
    irr,
    npv,
    public_cost_per_tonne,
    retrofit_cashflows,
)


def reference_irr(cf: list[float]) -> float:
    """Reference: the real root of sum cf_t x^t (x = 1 / (1 + r)) with the smallest |r|,
    as numpy-financial computes it from the polynomial's roots."""
    roots = np.roots(cf[::-1])
    real = roots[np.isreal(roots)].real
    real = real[real > 0]
    rates = 1.0 / real - 1.0
    return float(rates[np.argmin(np.abs(rates))])


def test_npv_by_hand():
    np.testing.assert_allclose(npv([-100.0, 60.0, 60.0], 0.1), -100 + 60 / 1.1 + 60 / 1.21)


def test_irr_matches_reference_on_hand_cases():
    cases = [[-100.0, 60.0, 60.0], [-100.0, 0.0, 0.0, 150.0], [-250.0, 40.0, 80.0, 90.0, 100.0],
             [-100.0, 110.0], [-100.0, 20.0, 20.0, 20.0]]
    got = irr(np.array([c + [0.0] * (5 - len(c)) for c in cases]))
    want = [reference_irr(c) for c in cases]
    np.testing.assert_allclose(got, want, atol=1e-9)
    # by hand: -100 + 110 / (1 + r) = 0 -> r = 10 %
    np.testing.assert_allclose(got[3], 0.10, atol=1e-12)
    # -100 + 60/(1+r) + 60/(1+r)^2 = 0 -> x = 1/(1+r) solves 60x^2 + 60x - 100 = 0
    x = (-60 + np.sqrt(60**2 + 4 * 60 * 100)) / 120
    np.testing.assert_allclose(got[0], 1 / x - 1, atol=1e-9)


def test_irr_nan_when_no_sign_change():
    assert np.isnan(irr(np.array([[-100.0, -10.0, -10.0]]))[0])


def test_cashflows_support_and_floor_by_hand():
    market = np.array([[100.0, 300.0]])  # one path, two years
    cf = retrofit_cashflows(market, [1000.0], [10.0], [150.0], [[0.5, 1.0]], match=[0.4],
                            floor=[200.0], backed=[0.5])
    # year 0: -1000 x 0.6; year 1: 5 t x (0.5 x 200 + 0.5 x 100 - 150) = 0;
    # year 2: 10 t x (300 - 150) = 1500
    np.testing.assert_allclose(cf[0, 0], [-600.0, 0.0, 1500.0])
    plain = retrofit_cashflows(market, [1000.0], [10.0], [150.0], [[0.5, 1.0]])
    np.testing.assert_allclose(plain[0, 0], [-1000.0, -250.0, 1500.0])
    pay = floor_payouts(market, [10.0], [[0.5, 1.0]], [200.0], [0.5], 0.0)
    np.testing.assert_allclose(pay, [[250.0]])  # 2.5 t x 100
    # public cost: 0.4 x 1000 + 250 = 650 over 10 t/yr x P(viable) 0.5 -> 130 per t/yr
    np.testing.assert_allclose(public_cost_per_tonne([1000.0], [0.4], pay, [10.0], [0.5]),
                               [130.0])
    assert np.isinf(public_cost_per_tonne([1000.0], [0.4], pay, [10.0], [0.0]))[0]


def test_support_never_lowers_npv():
    rng = np.random.default_rng(1)
    market = 300 * np.exp(np.cumsum(rng.normal(0, 0.3, (200, 8)), axis=1))
    args = (market, [5000.0, 8000.0], [20.0, 30.0], [250.0, 280.0], np.ones((2, 8)))
    plain = npv(retrofit_cashflows(*args), 0.08)
    backed = npv(retrofit_cashflows(*args, match=[0.3, 0.5], floor=[260.0, np.nan],
                                    backed=[0.5, 0.5]), 0.08)
    assert np.all(backed >= plain - 1e-9)
