"""Bundled default inputs of disruption scenarios, checked against the USGS data."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from critmin.analytics.disruption import simulate
from critmin.ingest.errors import IngestError
from critmin.ingest.scenario_defaults import (
    DEFAULTS_DIR,
    available,
    load_defaults,
    market_inputs,
)


def test_gallium_defaults_derive_from_usgs_and_label_assumptions():
    d = load_defaults("gallium")
    assert "gallium" in available()
    # USGS MCS 2026 gallium, 2025: Japan 3 t + Russia 6 t of 900 t; capacities 10 + 10 t;
    # 'Other countries' 100 t of capacity and no production
    assert d.params["production_other"] == 9.0 and d.params["capacity_other"] == 20.0
    assert d.params["idle_capacity"] == 100.0
    assert d.restrictor == "CHN"
    assert d.restrictor_production_share == pytest.approx(900 / 909)
    by_name = {a["parameter"]: a for a in d.assumptions}
    assert by_name["demand_elasticity"]["assumption"] is True
    assert "analyst assumption" in by_name["demand_elasticity"]["source"]
    assert by_name["production_other"]["assumption"] is False
    assert all(a["source"] for a in d.assumptions)
    assert d.uncertain["demand_elasticity"] == (-0.9, -0.5, -0.2)
    assert "price" not in d.uncertain  # a fixed range is not drawn
    assert d.destinations["USA"] == pytest.approx(19 / 170, abs=0.001)


def test_gallium_full_ban_price_ratio_is_reported_not_tuned():
    d = load_defaults("gallium")
    res = simulate(d.params, {"level": np.array([0.0, 1.0])})
    ratio = res["price_ratio_restricted"][:, 0]
    assert ratio[0] == 1.0
    # the documented central inputs give 2.64 in the first year (USGS 2024: > +150 %)
    assert 2.0 < ratio[1] < 3.5


def _write(tmp_path, mutate):
    doc = yaml.safe_load((DEFAULTS_DIR / "gallium.yaml").read_text())
    mutate(doc)
    path = tmp_path / "gallium.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def test_a_value_that_disagrees_with_usgs_is_rejected(tmp_path):
    path = _write(tmp_path, lambda d: d["parameters"]["production_other"].update(value=12))
    with pytest.raises(IngestError) as err:
        load_defaults("gallium", path)
    msg = str(err.value)
    assert "gallium.yaml" in msg and "production_other" in msg and "9.0" in msg


def test_missing_source_and_bad_range_are_named(tmp_path):
    def mutate(d):
        del d["parameters"]["stocks"]["source"]
        d["parameters"]["exports"]["low"] = 200

    with pytest.raises(IngestError) as err:
        load_defaults("gallium", _write(tmp_path, mutate))
    msg = str(err.value)
    assert "row stocks, column 'source'" in msg
    assert "row exports" in msg and "low <= value <= high" in msg


def test_unknown_mineral_lists_the_available_ones():
    with pytest.raises(IngestError, match="expected one of .*gallium"):
        load_defaults("unobtainium")


def test_market_inputs_for_destinations():
    d = load_defaults("gallium")
    assert market_inputs(d, "CHN")["exports"] == 100.0
    assert "dest_share" not in market_inputs(d, "chn")
    assert market_inputs(d, "CHN", ["usa"])["dest_share"] == pytest.approx(0.112)
    with pytest.raises(ValueError, match="restrictions by CHN; got country 'RUS'"):
        market_inputs(d, "RUS")
    with pytest.raises(ValueError, match="destination.*FRA.*known: USA"):
        market_inputs(d, "CHN", ["FRA"])
