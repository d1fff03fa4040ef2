"""The capacity-outlook Monte Carlo against known and analytic answers; its parameters."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from critmin.analytics.outlook import (
    capacity_profiles,
    delay_cdf,
    expected_capacity,
    ramp_points,
    simulate_capacity,
    simulate_outlook,
)
from critmin.analytics.outlook_params import (
    COMPLETION_PROBABILITY,
    STATUSES,
    OutlookParams,
    ParamsError,
    completion_probability,
    load_params,
    merge_params,
)

YEARS = np.arange(2025, 2036)


def one_project(p: float, mean_delay: float = 0.0, draws: int = 2_000, seed: int = 7):
    proj, year, cap = ramp_points([2027], [40.0])
    prof = capacity_profiles(YEARS, 1, proj, year, cap)
    return simulate_outlook(
        prof,
        [p],
        [mean_delay],
        [False],
        baseline_non_china=120.0,
        baseline_china=1600.0,
        n_draws=draws,
        seed=seed,
    )


def test_certain_project_adds_its_capacity_from_its_first_year():
    out = one_project(1.0)
    want = np.where(YEARS >= 2027, 160.0, 120.0)
    for series in (out.expected, out.p10, out.p50, out.p90, out.analytic_expected):
        np.testing.assert_allclose(series, want)
    np.testing.assert_allclose(out.share_expected, want / (want + 1600.0))
    np.testing.assert_allclose(out.china_expected, 1600.0)


def test_impossible_project_leaves_the_baseline():
    out = one_project(0.0, mean_delay=2.0)
    for series in (out.expected, out.p10, out.p50, out.p90, out.analytic_expected):
        np.testing.assert_allclose(series, 120.0)


def test_same_seed_same_output_and_ordered_quantiles():
    a, b = one_project(0.5, 2.0, seed=3), one_project(0.5, 2.0, seed=3)
    for name in ("expected", "p10", "p50", "p90", "share_expected"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name))
    assert not np.array_equal(a.expected, one_project(0.5, 2.0, seed=4).expected)
    assert np.all(a.p10 <= a.p50) and np.all(a.p50 <= a.p90)


def pipeline(n: int = 40, seed: int = 1):
    rng = np.random.default_rng(seed)
    first = rng.integers(2026, 2034, n)
    cap = rng.uniform(5.0, 100.0, n)
    proj, year, value = ramp_points(first, cap, [0.3, 0.7, 1.0])
    end = np.where(rng.random(n) < 0.2, first + 4, np.nan)
    prof = capacity_profiles(YEARS, n, proj, year, value, end)
    return prof, rng.uniform(0.05, 1.0, n), rng.uniform(0.0, 4.0, n), rng.random(n) < 0.25


def test_monte_carlo_mean_converges_to_analytic_expectation():
    prof, p, mu, china = pipeline()
    out = simulate_outlook(
        prof, p, mu, china, baseline_non_china=50.0, dispersion=1.5, n_draws=40_000, seed=11
    )
    assert np.all(out.std_error[2:] > 0)
    z = np.abs(out.expected - out.analytic_expected) / np.maximum(out.std_error, 1e-12)
    assert np.all(z < 3.0), z
    assert np.all(out.p10 <= out.p50) and np.all(out.p50 <= out.p90)
    sims = simulate_capacity(
        prof, p, mu, dispersion=1.5, n_draws=40_000, seed=11, groups=china.astype(int), n_groups=2
    )
    exp = expected_capacity(prof, p, mu, 1.5)
    np.testing.assert_allclose(
        sims[:, 1, :].mean(axis=0),
        exp[china].sum(axis=0),
        atol=4 * sims[:, 1, :].std(axis=0).max() / 200 + 1e-9,
    )


def test_delay_distribution_matches_negative_binomial():
    mu, k = np.array([0.0, 1.0, 3.0]), 2.0
    cdf = delay_cdf(mu, k, 60)
    np.testing.assert_allclose(cdf[:, -1], 1.0, atol=1e-9)
    np.testing.assert_allclose(cdf[0], 1.0)  # no delay at all
    p = k / (k + 3.0)
    direct = [
        math.gamma(x + k) / (math.gamma(k) * math.factorial(x)) * p**k * (1 - p) ** x
        for x in range(4)
    ]
    np.testing.assert_allclose(cdf[2, :4], np.cumsum(direct))
    pmf = np.diff(cdf, axis=1, prepend=0.0)
    np.testing.assert_allclose((pmf * np.arange(61)).sum(axis=1), mu, atol=1e-6)


def test_delay_shifts_the_whole_schedule_including_closure():
    proj, year, cap = ramp_points([2027], [10.0], [0.5, 1.0])
    prof = capacity_profiles(YEARS, 1, proj, year, cap, end_year=[2029])
    np.testing.assert_allclose(prof[0], [0, 0, 5, 10, 10, 0, 0, 0, 0, 0, 0])
    sims = simulate_capacity(prof, [1.0], [5.0], dispersion=2.0, n_draws=500, seed=0)
    lifetime = sims[:, 0, :].sum(axis=1)
    late = (sims[:, 0, :] > 0).argmax(axis=1)
    full = late + 3 <= len(YEARS)  # the whole shifted life fits in the grid
    np.testing.assert_allclose(lifetime[full & (lifetime > 0)], 25.0)


def test_profiles_carry_points_forward_and_from_before_the_grid():
    prof = capacity_profiles(YEARS, 3, [0, 0, 1, 2], [2020, 2030, 2026, 2040], [3.0, 8.0, 4.0, 9.0])
    np.testing.assert_allclose(prof[0], [3, 3, 3, 3, 3, 8, 8, 8, 8, 8, 8])
    np.testing.assert_allclose(prof[1], [0] + [4] * 10)
    np.testing.assert_allclose(prof[2], 0.0)


def test_empty_pipeline_is_the_baseline():
    out = simulate_outlook(
        np.zeros((0, len(YEARS))),
        [],
        [],
        [],
        baseline_non_china=10.0,
        baseline_china=30.0,
        n_draws=10,
    )
    np.testing.assert_allclose(out.expected, 10.0)
    np.testing.assert_allclose(out.share_expected, 0.25)


def test_invalid_inputs_raise():
    prof = np.ones((1, 3))
    with pytest.raises(ValueError):
        simulate_capacity(prof, [1.5], [0.0], dispersion=2.0, n_draws=10, seed=0)
    with pytest.raises(ValueError):
        simulate_capacity(prof, [0.5], [-1.0], dispersion=2.0, n_draws=10, seed=0)
    with pytest.raises(ValueError):
        simulate_capacity(prof, [0.5], [1.0], dispersion=0.0, n_draws=10, seed=0)


# -- parameters -------------------------------------------------------------------------


def test_default_probabilities_are_ordered_and_complete():
    p = COMPLETION_PROBABILITY
    assert set(p) == set(STATUSES)
    order = ["announced", "feasibility", "permitting", "financed", "construction", "commissioning"]
    assert all(p[a] < p[b] for a, b in zip(order, order[1:], strict=False))
    assert p["operating"] == 1.0 and p["cancelled"] == p["closed"] == 0.0
    assert 0 < p["stalled"] < p["announced"]
    defaults = OutlookParams()
    assert set(defaults.mean_delay_years) == set(STATUSES) == set(defaults.default_lead_years)


def test_financing_and_approvals_move_the_probability():
    d = OutlookParams()
    base = completion_probability(d, status="feasibility")
    assert base == pytest.approx(0.20)
    full = completion_probability(d, status="feasibility", needed_usd=1e8, committed_usd=1e8)
    part = completion_probability(d, status="feasibility", needed_usd=1e8, committed_usd=1e7)
    none = completion_probability(d, status="feasibility", needed_usd=1e8, committed_usd=0)
    assert none < base < part < full < 1
    assert completion_probability(d, status="feasibility", achieved=2) > base
    assert completion_probability(d, status="feasibility", rejected=1) < base
    assert completion_probability(d, status="operating", needed_usd=1e8) == 1.0
    assert completion_probability(d, status="cancelled", achieved=3) == 0.0
    capped = merge_params({"max_probability": 0.95})
    assert completion_probability(
        capped, status="commissioning", needed_usd=1, committed_usd=1, achieved=9
    ) == pytest.approx(0.95)


def test_partial_override_merges_with_defaults(tmp_path):
    params = merge_params(
        {"completion_probability": {"announced": 0.05}, "financing_odds": {"none_committed": 0.4}}
    )
    assert params.completion_probability["announced"] == 0.05
    assert params.completion_probability["financed"] == COMPLETION_PROBABILITY["financed"]
    assert params.financing_odds.none_committed == 0.4
    assert params.financing_odds.fully_committed == OutlookParams().financing_odds.fully_committed
    yml = tmp_path / "p.yaml"
    yml.write_text("delay_dispersion: 5\nramp: [0.5, 1.0]\n")
    loaded = load_params(yml)
    assert loaded.delay_dispersion == 5 and loaded.ramp == [0.5, 1.0]
    js = tmp_path / "p.json"
    js.write_text(json.dumps({"mean_delay_years": {"announced": 4}}))
    assert load_params(js).mean_delay_years["announced"] == 4


@pytest.mark.parametrize(
    "override,needle",
    [
        ({"completion_probabilty": {}}, "'completion_probabilty'"),
        ({"completion_probability": {"dreaming": 0.1}}, "'completion_probability.dreaming'"),
        ({"financing_odds": {"sometimes": 1.0}}, "'financing_odds.sometimes'"),
        ({"completion_probability": {"announced": 1.5}}, "completion_probability"),
        ({"delay_dispersion": -1}, "delay_dispersion"),
    ],
)
def test_bad_overrides_name_the_key(override, needle):
    with pytest.raises(ParamsError, match=needle.replace(".", r"\.")):
        merge_params(override)


def test_unreadable_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("completion_probability: [unclosed\n")
    with pytest.raises(ParamsError, match="cannot read"):
        load_params(bad)
    with pytest.raises(ParamsError, match="cannot read"):
        load_params(tmp_path / "missing.yaml")
