"""Disruption sweeps on a real Dask LocalCluster equal the in-process sweep."""

from __future__ import annotations

import numpy as np

from critmin.analytics.disruption_mc import sweep_cases
from critmin.services.disruption_dask import sweep_dask

FIXED = dict(price=1.0, consumption=100.0, exports=40.0, production_other=60.0,
             demand_elasticity=-0.5, supply_elasticity=0.0)  # fmt: skip
UNCERTAIN = {"demand_elasticity": (-0.9, -0.5, -0.2)}


def test_dask_sweep_equals_the_in_process_sweep():
    cases = [{"key": f"case{i}", "params": {**FIXED, "exports": 10.0 + 5 * i,
                                             "production_other": 90.0 - 5 * i},
              "uncertain": UNCERTAIN} for i in range(7)]  # fmt: skip
    levels = [0.0, 0.5, 1.0]
    local = sweep_cases(cases, levels, 50, 21)
    remote = sweep_dask(cases, levels, 50, 21, chunk_cases=3, processes=False)
    assert set(remote) == set(local)
    for k in local:
        assert np.array_equal(local[k], remote[k], equal_nan=True), k


def test_dask_sweep_on_a_given_client():
    from dask.distributed import Client, LocalCluster

    case = {"params": FIXED, "uncertain": UNCERTAIN}
    with LocalCluster(n_workers=1, processes=False, dashboard_address=None) as cluster, \
            Client(cluster) as client:  # fmt: skip
        remote = sweep_dask([case] * 3, [1.0], 20, 2, chunk_cases=1, client=client)
        assert client.status == "running"  # a caller's client is left open
    local = sweep_cases([case] * 3, [1.0], 20, 2)
    assert np.array_equal(local["price_ratio"], remote["price_ratio"])
