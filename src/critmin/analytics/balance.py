"""Supply-demand balance per year (pure, vectorised).

apparent consumption = production + imports - exports; where the change in stocks is
known (year-end stocks minus the year before's), ``after_stocks`` subtracts it (stocks
built up were not consumed). Every input may be missing (NaN): a total with a missing
input is NaN, never a partial sum.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def stock_change(stocks: pd.Series) -> pd.Series:
    """Year-end stocks by year -> change from the year before (NaN without both years)."""
    stocks = stocks.sort_index()
    previous = stocks.reindex(stocks.index - 1).to_numpy()
    return pd.Series(stocks.to_numpy() - previous, index=stocks.index)


def apparent_consumption(production: pd.Series, imports: pd.Series, exports: pd.Series,
                         stocks_change: pd.Series | None = None) -> pd.DataFrame:  # fmt: skip
    """One row per year of any input: the inputs, ``net_imports``, ``apparent`` and
    ``after_stocks`` (all in one unit, which the caller converted to)."""
    years = production.index.union(imports.index).union(exports.index)
    change = stocks_change if stocks_change is not None else pd.Series(dtype=float)
    frame = pd.DataFrame({
        "production": production.reindex(years), "imports": imports.reindex(years),
        "exports": exports.reindex(years), "stock_change": change.reindex(years),
    }, index=years).astype(float)  # fmt: skip
    frame["net_imports"] = frame["imports"] - frame["exports"]
    frame["apparent"] = frame["production"] + frame["net_imports"]
    frame["after_stocks"] = frame["apparent"] - frame["stock_change"]
    frame.index.name = "year"
    return frame.replace([np.inf, -np.inf], np.nan)
