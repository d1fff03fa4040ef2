"""Criticality indicators: concentration, import reliance, the EU CRM supply risk and
economic importance, a USGS-2021-style supply risk and GeoPolRisk.

Every function is vectorised: a 2-D array has one row per mineral and one column per
country (or per sector for economic importance), and the result has one value per
row. Shares are fractions (0..1). Governance risk is on the 0..1 scale where 1 is
the highest risk (see :func:`governance_risk`). Missing inputs are NaN and give NaN
results: nothing is silently scored as zero. The formulas, with their sources, are
in ``docs/criticality.md``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from critmin.analytics.concentration import hhi, market_shares

FloatArray = NDArray[np.float64]

WGI_LOW, WGI_HIGH = -2.5, 2.5
"""The nominal range of a WGI estimate (standard-normal units)."""
EU_EI_THRESHOLD = 2.8
EU_SR_THRESHOLD = 1.0


def _f(values: ArrayLike) -> FloatArray:
    return np.asarray(values, dtype=float)


def governance_risk(estimate: ArrayLike) -> FloatArray:
    """A WGI estimate as risk on 0..1: ``(2.5 - estimate) / 5``, clipped to 0..1.

    -2.5 (weakest governance) -> 1, +2.5 (strongest) -> 0; NaN stays NaN.
    """
    return np.clip((WGI_HIGH - _f(estimate)) / (WGI_HIGH - WGI_LOW), 0.0, 1.0)


def production_hhi(production: ArrayLike, total: ArrayLike | None = None) -> FloatArray:
    """HHI (0..1) of each row of producing-country quantities, shares of ``total`` (one
    per row; default the row's sum)."""
    return np.asarray(hhi(market_shares(np.atleast_2d(_f(production)), total)), dtype=float)


def governance_weighted_hhi(shares: ArrayLike, risk: ArrayLike) -> FloatArray:
    """``sum_c s_c^2 * g_c``: concentration weighted by governance risk (0..1 each).

    A country with a share but no governance score makes the row NaN.
    """
    s = np.atleast_2d(_f(shares))
    g = np.broadcast_to(_f(risk), s.shape)
    terms = np.where(s > 0, s * s * g, 0.0)
    missing = (s > 0) & np.isnan(g)
    return np.where(missing.any(axis=-1), np.nan, terms.sum(axis=-1))


def net_import_reliance(production: ArrayLike, imports: ArrayLike, exports: ArrayLike,
                        stock_change: ArrayLike = 0.0) -> FloatArray:  # fmt: skip
    """USGS net import reliance: ``(imports - exports - stock change) / apparent
    consumption`` with apparent consumption ``production + imports - exports - stock
    change``. Negative means a net exporter; NaN where consumption is not positive."""
    p, m, x, ds = (_f(v) for v in (production, imports, exports, stock_change))
    net = m - x - ds
    consumption = p + net
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(consumption > 0, net / np.where(consumption > 0, consumption, 1), np.nan)


def eu_import_reliance(production: ArrayLike, imports: ArrayLike,
                       exports: ArrayLike) -> FloatArray:  # fmt: skip
    """EU 2017 import reliance ``(I - E) / (P + I - E)``, bounded to 0..1."""
    return np.clip(net_import_reliance(production, imports, exports), 0.0, 1.0)


def hhi_wgi_t(shares: ArrayLike, risk: ArrayLike, trade_factor: ArrayLike = 1.0) -> FloatArray:
    """EU ``HHI_WGI,t = sum_c s_c^2 * WGI_c * t_c`` with WGI scaled to 0..10
    (``10 * risk``) and ``t_c`` the trade-adjustment factor (1 = no restriction)."""
    s = np.atleast_2d(_f(shares))
    t = np.broadcast_to(_f(trade_factor), s.shape)
    return governance_weighted_hhi(s, 10.0 * np.broadcast_to(_f(risk), s.shape) * t)


def eu_supply_risk(hhi_global: ArrayLike, hhi_sourcing: ArrayLike, import_reliance: ArrayLike,
                   eol_rir: ArrayLike, si_sr: ArrayLike) -> FloatArray:  # fmt: skip
    """EU 2017 SR ``[HHI_GS * IR/2 + HHI_sourcing * (1 - IR/2)] * (1 - EOL_RIR) * SI_SR``."""
    ir = _f(import_reliance)
    mix = _f(hhi_global) * ir / 2.0 + _f(hhi_sourcing) * (1.0 - ir / 2.0)
    return np.asarray(mix * (1.0 - _f(eol_rir)) * _f(si_sr), dtype=float)


def eu_economic_importance(end_use_shares: ArrayLike, value_added: ArrayLike,
                           largest_value_added: ArrayLike,
                           si_ei: ArrayLike) -> FloatArray:  # fmt: skip
    """EU 2017 EI ``10 * sum_s (A_s * Q_s) / Q_max * SI_EI``: end-use shares A_s (rows sum to
    1), value added Q_s of each NACE sector, scaled by the largest manufacturing sector's
    value added Q_max so that EI lies on 0..10."""
    a = np.atleast_2d(_f(end_use_shares))
    q = np.broadcast_to(_f(value_added), a.shape)
    total = np.where(a > 0, a * q, 0.0).sum(axis=-1)
    missing = ((a > 0) & np.isnan(q)).any(axis=-1)
    out = 10.0 * total / _f(largest_value_added) * _f(si_ei)
    return np.where(missing, np.nan, out)


def eu_critical(ei: ArrayLike, sr: ArrayLike) -> NDArray[np.bool_]:
    """Whether EI >= 2.8 and SR >= 1.0 (False where either is NaN)."""
    return (_f(ei) >= EU_EI_THRESHOLD) & (_f(sr) >= EU_SR_THRESHOLD)


def usgs_supply_risk(disruption_potential: ArrayLike, trade_exposure: ArrayLike,
                     economic_vulnerability: ArrayLike) -> FloatArray:  # fmt: skip
    """USGS 2021-style supply risk ``DP * TE * EV`` (Nassar et al. 2020): DP the
    governance-weighted production HHI, TE the net import reliance bounded to 0..1, EV
    the economic vulnerability (0..1)."""
    te = np.clip(_f(trade_exposure), 0.0, 1.0)
    return np.asarray(_f(disruption_potential) * te * _f(economic_vulnerability), dtype=float)


def geopolrisk(production: ArrayLike, imports: ArrayLike, risk: ArrayLike,
               domestic_production: ArrayLike,
               partner_in_region: ArrayLike | None = None,
               world_total: ArrayLike | None = None) -> tuple[FloatArray, ...]:  # fmt: skip
    """GeoPolRisk as geopolrisk-py computes it: ``(hhi, import_risk, score)`` per row.

    ``hhi = sum p_c^2 / (sum p_c)^2`` over world production (``world_total`` instead of
    the sum where a published world total exists); ``import_risk =
    sum_i q_i * g_i / (sum_i q_i + P_importer)`` over the importer's imports ``q_i`` by
    exporter with governance risk ``g_i`` (0..1; a missing score counts 0.5, and
    exporters inside the importing region count 0); ``score = hhi * import_risk``.
    """
    p = np.atleast_2d(_f(production))
    q = np.atleast_2d(np.nan_to_num(_f(imports), nan=0.0))
    g = np.broadcast_to(np.where(np.isnan(_f(risk)), 0.5, _f(risk)), q.shape)
    if partner_in_region is not None:
        g = np.where(np.broadcast_to(np.asarray(partner_in_region, dtype=bool), q.shape), 0.0, g)
    conc = production_hhi(p, world_total)
    denom = q.sum(axis=-1) + _f(domestic_production)
    with np.errstate(divide="ignore", invalid="ignore"):
        risk_ = np.where(denom > 0, (q * g).sum(axis=-1) / np.where(denom > 0, denom, 1), 0.0)
    return conc, risk_, conc * risk_
