"""Disruption sweeps on a Dask cluster: many cases (mineral x restricting country) x
restriction levels x Monte Carlo draws, split into chunks of cases, each chunk run by
:func:`critmin.analytics.disruption_mc.sweep_cases` on a ``dask.distributed`` worker.

Reads no stored records: the cases carry their parameters. A ``LocalCluster`` is started
(and closed) by default; ``address`` connects to a running scheduler instead, and a
caller's ``client`` is used as it is and left open.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from critmin.analytics.disruption_mc import METRICS, sweep_cases


def _chunk(cases: list[dict[str, Any]], levels: list[float], n_draws: int, seed: int,
           first: int, n_periods: int) -> dict[str, np.ndarray]:
    return sweep_cases(cases, levels, n_draws, seed, first_index=first, n_periods=n_periods)


def sweep_dask(
    cases: Sequence[Mapping[str, Any]], levels: Sequence[float], n_draws: int, seed: int,
    *, n_periods: int = 1, chunk_cases: int = 8, address: str | None = None,
    client: Any = None, n_workers: int = 2, processes: bool = True,
) -> dict[str, np.ndarray]:
    """``sweep_cases`` split into chunks of ``chunk_cases`` cases, run on a
    ``dask.distributed`` cluster: ``client`` when given, else the scheduler at
    ``address``, else a new ``LocalCluster`` (closed afterwards). Same result as the
    in-process sweep."""
    from dask.distributed import Client, LocalCluster

    own_cluster = own_client = None
    if client is None:
        if address:
            own_client = client = Client(address)
        else:
            own_cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1,
                                       processes=processes, dashboard_address=None)
            own_client = client = Client(own_cluster)
    try:
        items = [dict(c) for c in cases]
        lv = [float(x) for x in levels]
        futures = [client.submit(_chunk, items[i:i + chunk_cases], lv, n_draws, seed, i,
                                 n_periods, pure=False)
                   for i in range(0, len(items), chunk_cases)]  # fmt: skip
        parts = client.gather(futures)
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()
    if not parts:
        return {k: np.zeros((0, len(levels), n_draws)) for k in METRICS}
    return {k: np.concatenate([p[k] for p in parts]) for k in parts[0]}
