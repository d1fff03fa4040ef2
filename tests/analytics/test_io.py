"""Input-output analytics: Miller & Blair's two-sector example and hand-worked LP cases."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from critmin.analytics.io import (
    LeontiefSolver,
    demand_impact,
    leontief_output,
    scarce_input_coefficients,
    supply_constrained,
)

# Miller & Blair, Input-Output Analysis, 2nd ed., section 2.3 (two-sector example)
Z = np.array([[150.0, 500.0], [200.0, 100.0]])
X = np.array([1000.0, 2000.0])
F = np.array([350.0, 1700.0])
A = Z / X  # column j divided by x_j: [[0.15, 0.25], [0.2, 0.05]]
V = 1.0 - A.sum(axis=0)  # value added per unit: (1000-350)/1000, (2000-600)/2000
DET = 0.85 * 0.95 - 0.25 * 0.2  # |I - A| = 0.7575


def test_coefficients_by_hand():
    np.testing.assert_allclose(A, [[0.15, 0.25], [0.2, 0.05]], rtol=1e-12)
    np.testing.assert_allclose(V, [0.65, 0.70], rtol=1e-12)


def test_leontief_inverse_columns_by_hand():
    # L = (I - A)^-1 = 1/0.7575 * [[0.95, 0.25], [0.2, 0.85]]
    inverse = LeontiefSolver(sp.csr_matrix(A)).solve(np.eye(2))
    expected = np.array([[0.95, 0.25], [0.2, 0.85]]) / DET
    np.testing.assert_allclose(inverse, expected, rtol=1e-12)
    assert inverse[0, 0] == pytest.approx(1.254125, abs=1e-6)
    assert inverse[1, 0] == pytest.approx(0.264026, abs=1e-6)


def test_baseline_output_reproduced():
    assert leontief_output(A, F) == pytest.approx(X, rel=1e-12)


def test_new_final_demand_by_hand():
    # f_new = (600, 1500): x1 = (0.95*600 + 0.25*1500)/0.7575 = 945/0.7575
    x_new = leontief_output(sp.csr_matrix(A), np.array([600.0, 1500.0]))
    assert x_new == pytest.approx([945 / DET, 1395 / DET], rel=1e-12)
    assert x_new == pytest.approx([1247.52, 1841.58], abs=0.01)


def test_demand_impact_on_output_and_value_added():
    delta_f = np.array([250.0, -200.0])
    impact = demand_impact(A, V, delta_f)
    dx = np.array([945 / DET - 1000, 1395 / DET - 2000])
    assert impact.output == pytest.approx(dx, rel=1e-10)
    assert impact.value_added == pytest.approx(V * dx, rel=1e-10)
    assert float(impact.total_value_added) == pytest.approx(0.65 * dx[0] + 0.7 * dx[1])


def test_many_scenarios_at_once_match_one_by_one():
    dfs = np.array([[250.0, 0.0, -10.0], [-200.0, 100.0, 5.0]])
    solver = LeontiefSolver(A)
    both = demand_impact(A, V, dfs, solver=solver)
    for k in range(3):
        one = demand_impact(A, V, dfs[:, k], solver=solver)
        assert both.output[:, k] == pytest.approx(one.output)
        assert both.value_added[:, k] == pytest.approx(one.value_added)


def test_solver_rejects_wrong_shapes():
    with pytest.raises(ValueError, match="square"):
        LeontiefSolver(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="3 rows"):
        LeontiefSolver(A).solve(np.zeros(3))


def _lp(s, available, f_min=None):
    return supply_constrained(sp.csr_matrix(A), V, X, F, np.asarray(s, float), available, f_min)


def test_no_shortfall_keeps_baseline():
    res = _lp([1.0, 0.0], 1000.0)
    assert res.output == pytest.approx(X)
    assert res.total_value_added_loss == pytest.approx(0.0, abs=1e-9)


def test_shortfall_absorbed_by_final_demand():
    # x1 <= 800; sector 2 needs 0.25*x2 = 500 of sector 1 and 0.85*800 = 680 covers it,
    # so sector 2 keeps 2000 and sector 1's final demand falls to 680 - 500 = 180.
    res = _lp([1.0, 0.0], 800.0)
    assert res.output == pytest.approx([800.0, 2000.0], abs=1e-6)
    assert res.output_loss == pytest.approx([200.0, 0.0], abs=1e-6)
    assert res.total_value_added_loss == pytest.approx(0.65 * 200, abs=1e-6)
    assert res.net_output[0] == pytest.approx(180.0, abs=1e-6)
    assert res.scarce_input_used == pytest.approx(800.0, abs=1e-6)


def test_shortfall_propagates_downstream():
    # x1 <= 500 and 0.85*x1 >= 0.25*x2 give x2 <= 1700:
    # loss = 0.65*500 + 0.70*300 = 535, sector 1 has no final demand left.
    res = _lp([1.0, 0.0], 500.0)
    assert res.output == pytest.approx([500.0, 1700.0], abs=1e-6)
    assert res.total_value_added_loss == pytest.approx(535.0, abs=1e-6)
    assert res.net_output == pytest.approx([0.0, -0.2 * 500 + 0.95 * 1700], abs=1e-6)


def test_scarce_input_goes_to_higher_value_per_unit():
    # s = (0.5, 0.25): value added per unit of scarce input is 1.3 in sector 1, 2.8 in
    # sector 2, so sector 1 is cut: 0.5*x1 <= 900 - 0.25*2000 gives x1 = 800.
    res = _lp([0.5, 0.25], 900.0)
    assert res.output == pytest.approx([800.0, 2000.0], abs=1e-6)
    assert res.total_value_added_loss == pytest.approx(130.0, abs=1e-6)


def test_final_demand_floor_can_make_it_infeasible():
    with pytest.raises(ValueError, match="no solution"):
        _lp([1.0, 0.0], 800.0, f_min=F)


def test_scarce_input_coefficients():
    s = scarce_input_coefficients(X, np.array([0, 0, 1]), np.array([300.0, 200.0, 100.0]))
    assert s == pytest.approx([0.5, 0.05])
    with pytest.raises(ValueError, match="zero output"):
        scarce_input_coefficients(np.array([0.0, 1.0]), np.array([0]), np.array([1.0]))


def test_loss_grows_as_supply_shrinks():
    losses = [_lp([0.5, 0.25], q).total_value_added_loss for q in (1000, 900, 700, 500, 200)]
    assert np.all(np.diff(losses) >= -1e-9)
    assert losses[0] == pytest.approx(0.0, abs=1e-9) and losses[-1] > losses[1]


def test_sparse_and_dense_paths_agree():
    # ten copies of the two-sector economy: 10% dense, so the sparse LU is used
    big = sp.block_diag([sp.csr_matrix(A)] * 10, format="csr")
    solver = LeontiefSolver(big)
    assert not solver.dense and LeontiefSolver(A).dense
    x = solver.solve(np.tile([600.0, 1500.0], 10))
    assert x == pytest.approx(np.tile([945 / DET, 1395 / DET], 10), rel=1e-12)
    res = supply_constrained(big, np.tile(V, 10), np.tile(X, 10), np.tile(F, 10),
                             np.tile([1.0, 0.0], 10), 10 * 500.0)
    # the LP spreads 5000 units; each copy's loss is 0.65*(1000-x1) + 0.7*(2000-x2), and
    # the optimum total equals ten times the single-copy optimum at 500 units
    assert res.total_value_added_loss == pytest.approx(10 * 535.0, abs=1e-5)


def test_shortfall_impact_by_hand():
    from critmin.analytics.io import shortfall_impact

    # all of the mineral goes to sector 1; losing half caps x1 at 500: loss 535 (see above)
    res = shortfall_impact(A, V, X, F, np.array([1.0, 0.0]), 0.5)
    assert res.total_value_added_loss == pytest.approx(535.0, abs=1e-6)
    assert shortfall_impact(A, V, X, F, np.array([1.0, 0.0]), 0.0).total_value_added_loss == (
        pytest.approx(0.0, abs=1e-9))
    with pytest.raises(ValueError, match="fraction"):
        shortfall_impact(A, V, X, F, np.array([1.0, 0.0]), 1.5)
    with pytest.raises(ValueError, match="at most 1"):
        shortfall_impact(A, V, X, F, np.array([0.8, 0.4]), 0.5)


def test_negative_value_added_industry_is_not_cut_for_gain():
    # sector 2 with negative value added: shutting it would "raise" GDP; it must stay
    v = np.array([0.65, -0.1])
    res = supply_constrained(A, v, X, F, np.array([1.0, 0.0]), 1000.0)
    assert res.output == pytest.approx(X)
    res = supply_constrained(A, v, X, F, np.array([1.0, 0.0]), 500.0)
    # x1 <= 500 forces x2 <= 1700 as before; sector 2's forced cut of 300 counts as no
    # gain (max(v, 0) = 0), so the loss is sector 1's alone, never reduced by it
    assert res.output == pytest.approx([500.0, 1700.0], abs=1e-6)
    assert res.total_value_added_loss == pytest.approx(0.65 * 500, abs=1e-6)
    assert res.value_added_loss[1] == 0.0


def test_floor_follows_the_tables_own_net_output():
    # published f0 rounded up by 1 in sector 2: the baseline must stay feasible
    res = supply_constrained(A, V, X, F + np.array([0.0, 1.0]), np.array([1.0, 0.0]), 1000.0)
    assert res.output == pytest.approx(X)


def test_dependent_share_limits_the_constraint_to_part_of_the_industry():
    # 40% of sector 1's output needs the input (400 units at baseline, s/d = 1 per unit
    # of that output); 250 left: x1 <= 600 + 250 = 850, sector 2 unaffected (850*3.4 > 2000)
    d = np.array([0.4, 1.0])
    res = supply_constrained(A, V, X, F, np.array([0.4, 0.0]), 250.0, dependent_share=d)
    assert res.output == pytest.approx([850.0, 2000.0], abs=1e-6)
    assert res.total_value_added_loss == pytest.approx(0.65 * 150, abs=1e-6)
    assert res.scarce_input_used == pytest.approx(250.0, abs=1e-6)
    # d = 1 is the whole-industry model
    whole = supply_constrained(A, V, X, F, np.array([1.0, 0.0]), 500.0,
                               dependent_share=np.ones(2))
    assert whole.total_value_added_loss == pytest.approx(535.0, abs=1e-6)
    with pytest.raises(ValueError, match="dependent_share"):
        supply_constrained(A, V, X, F, np.array([1.0, 0.0]), 500.0,
                           dependent_share=np.array([0.0, 1.0]))
