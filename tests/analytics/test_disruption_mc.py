"""Uncertainty and sweeps of the disruption market stage."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.analytics.disruption_mc import (
    draw,
    monte_carlo,
    sweep_cases,
    sweep_summary,
)

FIXED = dict(price=1.0, consumption=100.0, exports=40.0, production_other=60.0,
             demand_elasticity=-0.5, supply_elasticity=0.0)  # fmt: skip
UNCERTAIN = {"demand_elasticity": (-0.9, -0.5, -0.2)}


def test_same_seed_same_numbers_other_seed_other_numbers():
    a = monte_carlo(FIXED, UNCERTAIN, {"level": 1.0}, n_draws=500, seed=11)
    b = monte_carlo(FIXED, UNCERTAIN, {"level": 1.0}, n_draws=500, seed=11)
    c = monte_carlo(FIXED, UNCERTAIN, {"level": 1.0}, n_draws=500, seed=12)
    assert a["summary"]["price_ratio"] == b["summary"]["price_ratio"]
    assert a["summary"]["price_ratio"]["central"] != c["summary"]["price_ratio"]["central"]


def test_quantiles_are_the_model_at_the_parameter_quantiles():
    # fixed supply: u = 0.6 ** (1 / e_d), increasing in e_d; with 1001 draws the
    # 5th, 50th and 95th percentiles are single order statistics
    n, seed = 1001, 3
    e = draw(UNCERTAIN, n, np.random.default_rng(seed))["demand_elasticity"]
    got = monte_carlo(FIXED, UNCERTAIN, {"level": 1.0}, n_draws=n, seed=seed)
    s = got["summary"]["price_ratio"]
    q = np.quantile(e, [0.5, 0.05, 0.95])
    assert s["central"] == pytest.approx(0.6 ** (1 / q[0]), rel=1e-9)
    assert s["low"] == pytest.approx(0.6 ** (1 / q[1]), rel=1e-9)
    assert s["high"] == pytest.approx(0.6 ** (1 / q[2]), rel=1e-9)
    assert s["low"] < s["central"] < s["high"]


def test_triangular_draws_stay_in_range_and_fixed_ranges_are_constant():
    d = draw({"a": (1.0, 2.0, 5.0), "b": (3.0, 3.0, 3.0), "c": (0.0, 1.0)}, 20000,
             np.random.default_rng(0))  # fmt: skip
    assert d["a"].min() >= 1 and d["a"].max() <= 5 and np.all(d["b"] == 3.0)
    # triangular(1, 2, 5) has mean (1 + 2 + 5) / 3
    assert d["a"].mean() == pytest.approx(8 / 3, abs=0.03)
    assert d["c"].min() >= 0 and d["c"].max() <= 1
    with pytest.raises(ValueError, match="'a'.*low <= central <= high"):
        draw({"a": (1.0, 6.0, 5.0)}, 10, np.random.default_rng(0))


def test_sweep_is_monotone_and_zero_at_level_zero():
    case = {"params": FIXED, "uncertain": UNCERTAIN}
    levels = np.linspace(0, 1, 11)
    got = sweep_cases([case], levels, 300, 4)
    assert got["price_ratio"].shape == (1, 11, 300)
    assert np.all(got["price_ratio"][:, 0] == 1.0) and np.all(got["shortfall_t"][:, 0] == 0)
    assert np.all(np.diff(got["price_ratio"], axis=1) >= -1e-12)
    summary = sweep_summary(got)["price_ratio"]
    assert summary["central"].shape == (1, 11)
    assert np.all(summary["low"] <= summary["central"])


def test_sweep_case_equals_its_own_monte_carlo_run():
    case = {"params": FIXED, "uncertain": UNCERTAIN}
    got = sweep_cases([case, case], [1.0], 400, 9)
    # each case draws with (seed, index): case 0 and case 1 differ
    assert not np.array_equal(got["price_ratio"][0], got["price_ratio"][1])
    rng = np.random.default_rng(np.random.SeedSequence([9, 1]))
    e = draw(UNCERTAIN, 400, rng)["demand_elasticity"]
    assert got["price_ratio"][1, 0] == pytest.approx(0.6 ** (1 / e), rel=1e-9)
