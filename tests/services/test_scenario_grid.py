"""The large sweep: every mineral x major producer x level x draw, in process and on a
real Dask cluster (same numbers), with the economy stage where end uses are mapped."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.services.scenario import ScenarioError
from critmin.services.scenario_grid import ELEVEN_LEVELS, grid


def _table(out):
    return {(c["mineral"], c["country"]): c for c in out["cases"]}


def test_every_bundled_mineral_and_major_producer_is_covered():
    out = grid(levels=[0.0, 1.0], n_draws=50, seed=1, scheduler="none", economy="none")
    cases = _table(out)
    assert ("gallium", "CHN") in cases and ("tungsten", "CHN") in cases
    assert ("antimony", "TJK") in cases and ("niobium", "BRA") in cases
    assert cases[("gallium", "CHN")]["inputs"] == "curated"
    assert cases[("tungsten", "CHN")]["inputs"] == "generic"
    assert {s["mineral"] for s in out["skipped"]} == {"germanium", "zinc"}
    assert out["scenarios"] == len(out["cases"]) * 2 * 50
    for c in out["cases"]:
        assert c["results"][0]["price_ratio"]["central"] == pytest.approx(1.0)
        assert c["results"][0]["shortfall_share"]["high"] == 0.0
        assert c["results"][1]["price_ratio"]["low"] >= 1.0 - 1e-12


def test_gdp_loss_where_end_uses_are_mapped_and_monotone_in_level():
    out = grid(["gallium", "tungsten", "cobalt"], levels=ELEVEN_LEVELS, n_draws=300,
               seed=4, scheduler="none")
    cases = _table(out)
    for key in (("gallium", "CHN"), ("tungsten", "CHN")):
        loss = [r["gdp_loss_usd"]["central"] for r in cases[key]["results"]]
        assert loss[0] == 0.0 and loss[-1] > 1e8
        assert np.all(np.diff(loss) >= -1e-6)
        top = cases[key]["results"][-1]["gdp_loss_usd"]
        assert top["low"] <= top["central"] <= top["high"]
    cobalt = cases[("cobalt", "COD")]
    assert cobalt["results"][-1]["gdp_loss_usd"] is None
    assert "no end-use mapping" in cobalt["economy_note"]


def test_same_numbers_in_process_and_on_a_dask_scheduler_by_address():
    from dask.distributed import LocalCluster

    kw = {"levels": [0.5, 1.0], "n_draws": 40, "seed": 9, "economy": "none"}
    here = grid(["antimony", "vanadium"], scheduler="none", **kw)
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=False,
                      dashboard_address=None) as cluster:
        there = grid(["antimony", "vanadium"], scheduler=cluster.scheduler_address, **kw)
    assert there["scheduler"].startswith(("tcp://", "inproc://"))
    assert [c["results"] for c in here["cases"]] == [c["results"] for c in there["cases"]]


@pytest.mark.parametrize("kwargs, message", [
    ({"minerals": ["unobtainium"]}, "no USGS MCS 2026 chapter"),
    ({"levels": [1.5]}, "between 0 and 1"),
    ({"economy": "cge"}, "economy 'cge'"),
    ({"region": "DEU"}, "USA only"),
    ({"minerals": ["germanium"]}, "no mineral x producer case"),
])
def test_bad_requests_name_what_is_wrong(kwargs, message):
    minerals = kwargs.pop("minerals", ["antimony"])
    with pytest.raises(ScenarioError, match=message):
        grid(minerals, scheduler="none", n_draws=5, **kwargs)
