"""Shares and concentration indices against hand-computed answers."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.analytics.concentration import (
    concentration_ratio,
    effective_number,
    hhi,
    hhi_from_values,
    hhi_points,
    market_shares,
)


@pytest.mark.parametrize(
    "shares,expected", [([0.5, 0.5], 0.5), ([1.0], 1.0), ([0.6, 0.3, 0.1], 0.46)]
)
def test_hhi_hand_cases(shares, expected):
    assert hhi(shares) == pytest.approx(expected)
    assert hhi_points(shares) == pytest.approx(expected * 10_000)
    assert isinstance(hhi(shares), float)


def test_gallium_2024_usgs():
    world = 848_000.0  # USGS MCS 2026 world total (rounded), kg
    shares = market_shares([839_000.0, 3_000.0, 6_000.0], world)
    assert shares[0] == pytest.approx(0.98939, abs=1e-5)
    expected = (839_000 / world) ** 2 + (3_000 / world) ** 2 + (6_000 / world) ** 2
    assert hhi(shares) == pytest.approx(expected)
    assert hhi_from_values([839_000.0, 3_000.0, 6_000.0], world) == pytest.approx(expected)


def test_market_shares_default_total_and_nan():
    np.testing.assert_allclose(market_shares([3.0, 1.0, np.nan]), [0.75, 0.25, 0.0])
    assert np.isnan(market_shares([0.0, 0.0])).all()


def test_negative_values_raise():
    with pytest.raises(ValueError, match="non-negative"):
        market_shares([1.0, -2.0])
    with pytest.raises(ValueError, match="non-negative"):
        hhi([0.5, -0.1])
    with pytest.raises(ValueError, match="non-negative"):
        market_shares([1.0], total=-3)


def test_two_dimensional_rows():
    values = np.array([[1.0, 1.0, 0.0], [6.0, 3.0, 1.0], [5.0, 0.0, 0.0]])
    shares = market_shares(values)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    np.testing.assert_allclose(hhi(shares), [0.5, 0.46, 1.0])
    np.testing.assert_allclose(hhi_points(shares), [5000.0, 4600.0, 10000.0])
    per_row_total = market_shares(values, total=[4.0, 10.0, 10.0])
    np.testing.assert_allclose(per_row_total[:, 0], [0.25, 0.6, 0.5])


def test_hhi_nan_handling():
    assert hhi([0.5, np.nan, 0.5]) == pytest.approx(0.5)
    assert np.isnan(hhi([np.nan, np.nan]))
    assert hhi([]) == 0.0


def test_concentration_ratio_and_effective_number():
    assert concentration_ratio([0.1, 0.6, 0.3], 2) == pytest.approx(0.9)
    np.testing.assert_allclose(concentration_ratio([[0.5, 0.5], [0.9, 0.1]], 1), [0.5, 0.9])
    assert effective_number(0.25) == pytest.approx(4.0)
    with pytest.raises(ValueError):
        concentration_ratio([0.5], 0)
