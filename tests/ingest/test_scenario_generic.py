"""Generic market inputs for any major producer, derived from the USGS MCS 2026 tables
(hand-worked from the bundled chapters)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from critmin.analytics.disruption_mc import sweep_cases
from critmin.ingest import scenario_generic as g
from critmin.ingest.datasets import REFERENCE_DIR


def _world(mineral):
    doc = json.loads((REFERENCE_DIR / "usgs-mcs2026" / f"{mineral}.json").read_text())
    rows = [r for r in doc["world_production"] if not r["country"].lower().startswith("world")]
    return {r["country"]: r["production_latest_year"] or 0.0 for r in rows}


def test_tungsten_china_balance_is_worked_from_the_table():
    prod = _world("tungsten")
    world, china = sum(prod.values()), prod["China"]
    case = g.producer_case("tungsten", "CHN")
    assert case.production_share == pytest.approx(china / world)
    assert case.params["production_other"] == pytest.approx(world - china)
    assert case.params["exports"] == pytest.approx(0.6 * china)
    assert case.params["consumption"] == pytest.approx(world - china + 0.6 * china)
    assert case.uncertain["exports"] == pytest.approx((0.3 * china, 0.6 * china, 0.9 * china))
    # no capacity column for tungsten: spare capacity is an assumption with a range
    lo, mid, hi = case.uncertain["capacity_other"]
    assert (lo, mid, hi) == pytest.approx(((world - china) * 1.05, (world - china) * 1.15,
                                           (world - china) * 1.3))
    rows = {r["name"]: r for r in case.assumptions}
    assert rows["production_other"]["assumption"] is False
    assert rows["exports"]["assumption"] is True
    assert "analyst assumption" in rows["exports"]["source"]
    assert case.sums == {"consumption": ("production_other", "exports")}


def test_kilogram_tables_become_tonnes_and_usgs_capacity_is_used():
    case = g.producer_case("gallium", "CHN")
    # Japan 3 t + Russia 6 t produced; their capacity 10 + 10 t; idle 'Other countries' 100 t
    assert case.params["production_other"] == pytest.approx(9.0)
    assert case.params["capacity_other"] == pytest.approx(20.0)
    assert case.params["idle_capacity"] == pytest.approx(100.0)
    assert "capacity_other" not in case.uncertain


def test_major_producers_and_what_is_skipped():
    found, skipped = g.major_producers("antimony")
    assert found == ["CHN", "RUS", "TJK"]
    assert skipped == []
    found, skipped = g.major_producers("zinc")
    assert found == ["CHN", "PER"]
    assert "Other countries" in skipped[0].reason
    found, skipped = g.major_producers("germanium")
    assert found == [] and "no production" in skipped[0].reason
    assert g.major_producers("antimony", min_share=0.3)[0] == ["CHN"]


def test_a_country_that_produces_nothing_is_refused():
    with pytest.raises(ValueError, match="no tungsten production for 'FRA'"):
        g.producer_case("tungsten", "FRA")


def test_uncertain_parts_keep_the_market_in_balance_draw_by_draw():
    case = g.producer_case("tungsten", "CHN")
    run = {"key": ("tungsten", "CHN"), "params": case.params, "uncertain": case.uncertain,
           "sums": dict(case.sums)}
    out = sweep_cases([run], [0.0, 1.0], 500, 3)
    assert np.all(out["shortfall_share"][0, 0] == 0.0)  # level 0: the baseline exactly
    assert np.all(out["price_ratio"][0, 1] >= 1.0)
    # without the balance the high-export draws would break consumption >= supply
    unbalanced = {**run, "sums": {}}
    with pytest.raises(ValueError, match="consumption"):
        sweep_cases([unbalanced], [1.0], 500, 3)
