"""Seeded price paths: hand-worked returns, bootstrap paths made only of observed
returns in blocks, the lognormal walk's moments, and the annual fit."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.analytics import price_paths as pp


def test_monthly_log_returns_take_month_ends_and_skip_gaps():
    dates = ["2024-01-05", "2024-01-20", "2024-02-10", "2024-03-31", "2024-05-01", "2024-06-01"]
    levels = [90.0, 100.0, 110.0, 121.0, 50.0, 55.0]
    r = pp.monthly_log_returns(dates, levels)
    # Jan ends at 100; Feb 110, Mar 121, (no April) May 50, Jun 55
    assert r == pytest.approx([np.log(1.1), np.log(1.1), np.log(1.1)])
    with pytest.raises(ValueError, match="> 0"):
        pp.monthly_log_returns(["2024-01-01"], [0.0])


def test_bootstrap_uses_observed_returns_in_blocks():
    r = np.array([0.01, 0.02, 0.03, 0.04, 0.05])
    paths = pp.bootstrap_paths(r, 100.0, 200, 7, seed=4, block=3)
    assert paths.shape == (200, 7)
    steps = np.diff(np.log(np.column_stack([np.full(200, 100.0), paths])), axis=1)
    assert np.all(np.isin(np.round(steps, 12), np.round(r, 12)))
    # inside a block the returns are consecutive observations (step 0.01 apart)
    assert np.allclose(steps[:, 1] - steps[:, 0], 0.01)
    assert np.array_equal(paths, pp.bootstrap_paths(r, 100.0, 200, 7, seed=4, block=3))
    with pytest.raises(ValueError, match="no monthly returns"):
        pp.bootstrap_paths([], 1.0, 1, 1, 0)


def test_lognormal_paths_match_their_moments():
    paths = pp.lognormal_paths(100.0, 0.05, 0.3, 40_000, 12, seed=1)
    year_end = paths[:, -1]
    assert np.mean(year_end) == pytest.approx(100 * np.exp(0.05), rel=0.01)
    assert np.std(np.log(year_end / 100)) == pytest.approx(0.3, rel=0.02)


def test_fit_annual_is_the_sample_moments_of_log_returns():
    prices = [277.0, 432.0, 365.0, 439.0, 580.0]  # USGS MCS 2026 gallium import unit values
    mu, sigma = pp.fit_annual(prices)
    r = np.diff(np.log(prices))
    assert sigma == pytest.approx(np.std(r, ddof=1))
    assert mu == pytest.approx(r.mean() + sigma**2 / 2)
    with pytest.raises(ValueError, match="three"):
        pp.fit_annual([1.0, 2.0])
