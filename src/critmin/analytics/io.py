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

  When only a share ``d[j]`` of an industry's output needs the input (e.g. compound
  semiconductors within all semiconductors), that part ``y[j] <= d[j] x0[j]`` carries
  the input (``(s / d) . y <= S``) and ``x[j] <= (1 - d[j]) x0[j] + y[j]``; ``d = 1``
  (the default) gives the model above and is an upper bound on the loss.

  solved with :func:`scipy.optimize.linprog` (HiGHS). The default floor is
  ``f_min = min(f0, (I - A) x0, 0)``: final demand may be cut down to zero (to its baseline
  where that is negative; the table's own net output ``(I - A) x0`` can differ from the
  published ``f0`` by rounding), so ``x0`` is feasible whenever ``s . x0 <= S``. Negative
  value-added coefficients count as zero in the objective (shutting a subsidised industry
  is no gain), and a tiny weight on output keeps industries at baseline unless a
  constraint binds; losses are reported the same way (``max(v, 0)`` per unit of output
  lost), so cutting a subsidised user industry never shows as a GDP gain.
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
        self._lu = splu(sp.identity(self.n, format="csc") - A, permc_spec="MMD_AT_PLUS_A",
                        diag_pivot_thresh=0.1, options={"SymmetricMode": True})

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


OUTPUT_TIEBREAK = 1e-6
"""Weight on gross output (relative to the largest value-added coefficient) that breaks
ties in favour of producing: industries are cut only when the constraints need it."""


def supply_constrained(
    A: sp.spmatrix | np.ndarray,
    va_coefficients: np.ndarray,
    x0: np.ndarray,
    f0: np.ndarray,
    scarce_use: np.ndarray,
    available: float,
    f_min: np.ndarray | None = None,
    dependent_share: np.ndarray | None = None,
) -> SupplyConstrainedResult:
    """Maximise value added under the scarce-input limit (see the module doc for the LP).

    ``scarce_use`` is ``s`` (per unit of output), ``available`` is ``S``; ``f_min``
    defaults to ``min(f0, (I - A) x0, 0)``. ``dependent_share`` (default 1) is the share of
    each industry's output that needs the scarce input; the rest of its output is not
    limited by it. Raises ValueError when the LP is infeasible (e.g. a final-demand floor
    that the scarce input cannot support)."""
    A = _as_csc(A)
    n = A.shape[0]
    v = np.asarray(va_coefficients, dtype=float)
    x0 = np.asarray(x0, dtype=float)
    f0 = np.asarray(f0, dtype=float)
    s = np.asarray(scarce_use, dtype=float)
    d = np.ones(n) if dependent_share is None else np.asarray(dependent_share, dtype=float)
    if not all(a.shape == (n,) for a in (v, x0, f0, s, d)):
        raise ValueError(f"v, x0, f0, scarce_use and dependent_share must have shape ({n},)")
    if available < 0 or np.any(s < 0):
        raise ValueError("the scarce input's availability and use coefficients must be >= 0")
    if np.any((d <= 0) & (s > 0)) or np.any(d > 1):
        raise ValueError("dependent_share must be in (0, 1] where the scarce input is used")
    leontief = sp.identity(n, format="csc") - A
    floor = (np.minimum(np.minimum(f0, leontief @ x0), 0.0) if f_min is None
             else np.asarray(f_min, dtype=float))
    # y[k]: output of user industry J[k] that needs the scarce input (<= d x0);
    # x[J] <= (1 - d) x0 + y, and the scarce input limits y: (s / d) . y <= S.
    users = np.flatnonzero(s > 0)
    m = users.size
    pick = sp.csr_matrix((np.ones(m), (np.arange(m), users)), shape=(m, n))
    A_ub = sp.vstack([
        sp.hstack([-leontief, sp.csr_matrix((n, m))]),
        sp.hstack([pick, -sp.identity(m)]),
        sp.hstack([sp.csr_matrix((1, n)), sp.csr_matrix(s[users] / d[users])]),
    ], format="csc")
    b_ub = np.concatenate([-floor, (1.0 - d[users]) * x0[users], [available]])
    # Cutting an industry with negative value added (a subsidised one) is never a gain:
    # it counts as zero, and a tiny weight on output keeps industries at baseline.
    weight = np.maximum(v, 0.0) + OUTPUT_TIEBREAK * max(float(np.abs(v).max()), 1e-300)
    bounds = np.column_stack([np.zeros(n + m), np.concatenate([x0, d[users] * x0[users]])])
    res = linprog(-np.concatenate([weight, np.zeros(m)]), A_ub=A_ub, b_ub=b_ub,
                  bounds=bounds, method="highs")
    if res.status != 0:
        raise ValueError(f"supply-constrained model has no solution: {res.message}")
    x = np.clip(res.x[:n], 0.0, x0)
    loss = x0 - x
    return SupplyConstrainedResult(
        output=x,
        output_loss=loss,
        value_added_loss=np.maximum(v, 0.0) * loss,
        net_output=leontief @ x,
        scarce_input_used=float(s[users] / d[users] @ res.x[n:]),
        status=str(res.message),
    )


def shortfall_impact(
    A: sp.spmatrix | np.ndarray,
    va_coefficients: np.ndarray,
    x0: np.ndarray,
    f0: np.ndarray,
    shares: np.ndarray,
    shortfall: float,
    f_min: np.ndarray | None = None,
    dependent_share: np.ndarray | None = None,
) -> SupplyConstrainedResult:
    """Supply-constrained losses when a fraction ``shortfall`` of a mineral's supply is lost.

    ``shares`` is the share of the mineral's consumption by industry (end uses; sums to at
    most 1). Consumption is normalised to 1, so ``s[j] = shares[j] / x0[j]`` and the
    quantity left to the mapped industries is ``S = (1 - shortfall) * sum(shares)``: the
    shortfall hits every end use's supply pool alike, and the LP then reallocates it."""
    if not 0.0 <= shortfall <= 1.0:
        raise ValueError(f"shortfall must be a fraction between 0 and 1, got {shortfall}")
    shares = np.asarray(shares, dtype=float)
    x0 = np.asarray(x0, dtype=float)
    if np.any(shares < 0) or shares.sum() > 1.0 + 1e-9:
        raise ValueError("end-use shares must be >= 0 and sum to at most 1")
    s = scarce_input_coefficients(x0, np.arange(shares.size), shares)
    return supply_constrained(A, va_coefficients, x0, f0, s,
                              (1.0 - shortfall) * float(shares.sum()), f_min, dependent_share)
