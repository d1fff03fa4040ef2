"""Input-output economics: the demand-driven Leontief model and a supply-constrained LP.

Notation (Miller & Blair, *Input-Output Analysis*, 2nd ed.): ``A`` technical coefficients
(``A[i, j]`` = input from ``i`` per unit of ``j``'s output), ``x`` gross output, ``f``
final demand, ``v`` value added per unit of output.

- Demand-driven: ``(I - A) x = f``, so ``dx = (I - A)^-1 df`` and ``dVA = v * dx``. The
  system is solved by a sparse LU factorisation of ``I - A`` (SuperLU via
  :func:`scipy.sparse.linalg.splu`, minimum-degree ordering on ``M + M^T``, diagonal
  pivots preferred); the Leontief inverse is never formed.
- Supply-constrained: an industry cannot produce beyond what its scarce input allows.
  With ``s[j]`` the scarce input used per unit of ``j``'s output and ``S`` the quantity
  available after a disruption::

      max  v . x
      s.t. (I - A) x >= f_min        (net output covers the final-demand floor)
           s . x <= S                (the scarce input)
           0 <= x <= x0              (no industry grows beyond its baseline output)

  solved with :func:`scipy.optimize.linprog` (HiGHS). The default floor is
  ``f_min = min(f0, 0)``: final demand may be cut down to zero (to its baseline value where
  that is negative), so the baseline ``x0`` is feasible whenever ``s . x0 <= S``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.linalg import lu_factor, lu_solve
from scipy.optimize import linprog
from scipy.sparse.linalg import splu


def _as_csc(A: sp.spmatrix | sp.sparray | np.ndarray) -> sp.csc_matrix:
    A = sp.csc_matrix(A, dtype=float)
    if A.shape[0] != A.shape[1]:
        raise ValueError(f"A must be square, got shape {A.shape}")
    return A


DENSE_ABOVE = 0.25
"""Density of ``A`` above which the LU is dense (LAPACK): sparsity no longer pays."""


class LeontiefSolver:
    """An LU factorisation of ``I - A``, reused for any number of final-demand vectors.

    Sparse (SuperLU) for sparse tables, dense (LAPACK ``getrf``) when ``A`` is more than
    :data:`DENSE_ABOVE` full, as detailed national tables are; never an inverse."""

    def __init__(self, A: sp.spmatrix | sp.sparray | np.ndarray):
        A = _as_csc(A)
        self.n = A.shape[0]
        self.dense = self.n > 0 and A.nnz / self.n**2 > DENSE_ABOVE
        if self.dense:
            self._lu_dense = lu_factor(np.eye(self.n) - A.toarray(), check_finite=True)
            return
        # I - A keeps a structurally nonzero, dominant diagonal: order on the pattern of
        # M + M^T (minimum degree) and keep diagonal pivots unless one is below 0.1 x the
        # column's largest entry (a productive A makes I - A column diagonally dominant).
        self._lu = splu(sp.identity(self.n, format="csc") - A,
                        permc_spec="MMD_AT_PLUS_A", diag_pivot_thresh=0.1)

    def solve(self, f: np.ndarray) -> np.ndarray:
        """``x = (I - A)^-1 f`` for ``f`` of shape (n,) or (n, k) (k scenarios at once)."""
        f = np.asarray(f, dtype=float)
        if f.shape[0] != self.n:
            raise ValueError(f"final demand has {f.shape[0]} rows, the table has {self.n}")
        if self.dense:
            return lu_solve(self._lu_dense, f)
        return self._lu.solve(f)


def leontief_output(A: sp.spmatrix | np.ndarray, f: np.ndarray) -> np.ndarray:
    """Gross output ``x`` that meets final demand ``f``: ``(I - A) x = f``."""
    return LeontiefSolver(A).solve(f)


@dataclass(frozen=True)
class DemandImpact:
    """Change in gross output and value added by industry for a change in final demand."""

    output: np.ndarray
    value_added: np.ndarray

    @property
    def total_value_added(self) -> np.ndarray | float:
        return self.value_added.sum(axis=0)


def demand_impact(
    A: sp.spmatrix | np.ndarray,
    va_coefficients: np.ndarray,
    delta_f: np.ndarray,
    solver: LeontiefSolver | None = None,
) -> DemandImpact:
    """``dx = (I - A)^-1 df`` and ``dVA = v * dx``; ``delta_f`` may hold k columns."""
    solver = solver or LeontiefSolver(A)
    dx = solver.solve(delta_f)
    v = np.asarray(va_coefficients, dtype=float)
    dva = v[:, None] * dx if dx.ndim == 2 else v * dx
    return DemandImpact(output=dx, value_added=dva)


@dataclass(frozen=True)
class SupplyConstrainedResult:
    """Outcome of :func:`supply_constrained`: output and losses by industry."""

    output: np.ndarray
    output_loss: np.ndarray
    value_added_loss: np.ndarray
    net_output: np.ndarray
    scarce_input_used: float
    status: str

    @property
    def total_value_added_loss(self) -> float:
        return float(self.value_added_loss.sum())


def scarce_input_coefficients(
    x0: np.ndarray, industry: np.ndarray, quantity: np.ndarray, n: int | None = None
) -> np.ndarray:
    """Scarce input per unit of output: ``s[j] = use[j] / x0[j]``.

    ``industry`` holds positions and ``quantity`` the baseline use of the scarce input by
    those industries (e.g. consumption x end-use share; repeated positions add up)."""
    x0 = np.asarray(x0, dtype=float)
    use = np.zeros(n or x0.shape[0])
    np.add.at(use, np.asarray(industry, dtype=np.intp), np.asarray(quantity, dtype=float))
    if np.any(use[x0 <= 0] > 0):
        raise ValueError("an industry with zero output cannot use the scarce input")
    s = np.zeros_like(use)
    np.divide(use, x0, out=s, where=x0 > 0)
    return s


def supply_constrained(
    A: sp.spmatrix | np.ndarray,
    va_coefficients: np.ndarray,
    x0: np.ndarray,
    f0: np.ndarray,
    scarce_use: np.ndarray,
    available: float,
    f_min: np.ndarray | None = None,
) -> SupplyConstrainedResult:
    """Maximise value added under the scarce-input limit (see the module doc for the LP).

    ``scarce_use`` is ``s`` (per unit of output), ``available`` is ``S``; ``f_min``
    defaults to ``min(f0, 0)``. Raises ValueError when the LP is infeasible (e.g. a
    final-demand floor that the scarce input cannot support)."""
    A = _as_csc(A)
    n = A.shape[0]
    v = np.asarray(va_coefficients, dtype=float)
    x0 = np.asarray(x0, dtype=float)
    f0 = np.asarray(f0, dtype=float)
    s = np.asarray(scarce_use, dtype=float)
    if not all(a.shape == (n,) for a in (v, x0, f0, s)):
        raise ValueError(f"v, x0, f0 and scarce_use must all have shape ({n},)")
    if available < 0 or np.any(s < 0):
        raise ValueError("the scarce input's availability and use coefficients must be >= 0")
    floor = np.minimum(f0, 0.0) if f_min is None else np.asarray(f_min, dtype=float)
    leontief = sp.identity(n, format="csc") - A
    A_ub = sp.vstack([-leontief, sp.csr_matrix(s)], format="csc")
    b_ub = np.concatenate([-floor, [available]])
    res = linprog(-v, A_ub=A_ub, b_ub=b_ub, bounds=np.column_stack([np.zeros(n), x0]),
                  method="highs")
    if res.status != 0:
        raise ValueError(f"supply-constrained model has no solution: {res.message}")
    x = np.minimum(res.x, x0)
    loss = x0 - x
    return SupplyConstrainedResult(
        output=x,
        output_loss=loss,
        value_added_loss=v * loss,
        net_output=leontief @ x,
        scarce_input_used=float(s @ x),
        status=str(res.message),
    )
