"""Criticality indicators against hand-worked answers (each worked in the comments)."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.analytics import criticality as c


def test_governance_risk_scales_wgi_to_0_1():
    # (2.5 - x) / 5: -2.5 -> 1, 0 -> 0.5, 1.5 -> 0.2, 3.0 clipped to 0
    got = c.governance_risk([-2.5, 0.0, 1.5, 3.0, np.nan])
    assert got[:4] == pytest.approx([1.0, 0.5, 0.2, 0.0])
    assert np.isnan(got[4])


def test_production_hhi_rows():
    # 60/30/10 -> .36 + .09 + .01 = .46 ; 50/50 -> .5
    got = c.production_hhi([[60, 30, 10], [50, 0, 50]])
    assert got == pytest.approx([0.46, 0.5])


def test_governance_weighted_hhi_and_missing_score():
    # .6^2*.8 + .4^2*.2 = .288 + .032 = .32
    assert c.governance_weighted_hhi([[0.6, 0.4]], [0.8, 0.2]) == pytest.approx([0.32])
    # a producing country without a score gives NaN, not a lower number
    assert np.isnan(c.governance_weighted_hhi([[0.6, 0.4]], [0.8, np.nan])[0])
    # a country with no share needs no score
    assert c.governance_weighted_hhi([[1.0, 0.0]], [0.3, np.nan]) == pytest.approx([0.3])


def test_net_import_reliance():
    # P 20, I 100, X 40: net 60, consumption 80 -> 0.75 ; net exporter P 100 I 10 X 50 -> -40/60
    got = c.net_import_reliance([20, 100, 0], [100, 10, 0], [40, 50, 0])
    assert got[:2] == pytest.approx([0.75, -40 / 60])
    assert np.isnan(got[2])
    assert c.eu_import_reliance([100], [10], [50]) == pytest.approx([0.0])


def test_eu_supply_risk_hand_worked():
    # global: CHN .8 (WGI 6.0 on 0..10), AUS .2 (WGI 2.0); CHN export tax t = 1.1
    #   HHI_WGI,t = .64*6*1.1 + .04*2 = 4.224 + .08 = 4.304
    gs = c.hhi_wgi_t([[0.8, 0.2]], [0.6, 0.2], [1.1, 1.0])
    assert gs == pytest.approx([4.304])
    # sourcing: CHN .5, AUS .5 -> .25*6 + .25*2 = 2.0
    src = c.hhi_wgi_t([[0.5, 0.5]], [0.6, 0.2])
    assert src == pytest.approx([2.0])
    # IR .6: 4.304*.3 + 2.0*.7 = 1.2912 + 1.4 = 2.6912 ; *(1-.1) * .9 = 2.179872
    sr = c.eu_supply_risk(gs, src, 0.6, 0.1, 0.9)
    assert sr == pytest.approx([2.179872])


def test_eu_economic_importance_and_thresholds():
    # A = (.5, .3, .2), Q = (200, 100, 50), Qmax 400: sum AQ = 100 + 30 + 10 = 140
    #   EI = 10 * 140 / 400 * .95 = 3.325
    ei = c.eu_economic_importance([[0.5, 0.3, 0.2]], [200, 100, 50], 400, 0.95)
    assert ei == pytest.approx([3.325])
    assert c.eu_critical([3.325, 3.325, 2.79, np.nan], [1.0, 0.99, 5, 5]).tolist() == [
        True, False, False, False]


def test_usgs_supply_risk():
    # DP .5, TE 1.2 bounded to 1, EV .4 -> .2 ; negative reliance bounds to 0
    assert c.usgs_supply_risk([0.5, 0.5], [1.2, -0.3], [0.4, 0.4]) == pytest.approx([0.2, 0.0])


def _geopolrisk_py_formula(prod, imports, wgi, own_production):
    """The geopolrisk-py formula written out term by term (HHI, WTA, Score)."""
    total = sum(prod)
    hhi = sum(p * p for p in prod) / (total * total)
    numerator = sum(q * w for q, w in zip(imports, wgi, strict=True))
    wta = numerator / (sum(imports) + own_production)
    return hhi, wta, hhi * wta


def test_geopolrisk_hand_worked_and_equal_to_reference_formula():
    # world production CHN 80, AUS 15, USA 5 -> HHI = (6400 + 225 + 25) / 10000 = .665
    # USA imports: CHN 30 (g .7), AUS 10 (g .2), JPN 10 (g .25); own production 5
    #   import risk = (21 + 2 + 2.5) / (50 + 5) = 25.5 / 55 = .4636...
    prod, imports, risk = [80, 15, 5, 0], [30, 10, 0, 10], [0.7, 0.2, 0.3, 0.25]
    h, ir, score = c.geopolrisk([prod], [imports], risk, [5])
    assert h == pytest.approx([0.665])
    assert ir == pytest.approx([25.5 / 55])
    assert score == pytest.approx([0.665 * 25.5 / 55])
    ref = _geopolrisk_py_formula(prod, imports, risk, 5)
    assert (h[0], ir[0], score[0]) == pytest.approx(ref)


def test_geopolrisk_missing_score_counts_half_and_region_partners_zero():
    # imports 10 from A (no score -> .5) and 10 from B inside the region (-> 0); P 0
    _, ir, _ = c.geopolrisk([[1, 1]], [[10, 10]], [np.nan, 0.9], [0], [False, True])
    assert ir == pytest.approx([5 / 20])


def test_vectorised_rows_match_single_rows():
    prod = np.array([[80, 15, 5], [10, 10, 10]], dtype=float)
    imp = np.array([[30, 10, 0], [5, 0, 5]], dtype=float)
    risk = np.array([0.7, 0.2, 0.3])
    both = c.geopolrisk(prod, imp, risk, [5, 0])
    for row in range(2):
        one = c.geopolrisk(prod[row], imp[row], risk, [[5, 0][row]])
        assert [b[row] for b in both] == pytest.approx([o[0] for o in one])
