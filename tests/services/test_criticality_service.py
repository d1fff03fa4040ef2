"""The criticality service on SQLite and PostgreSQL: synthetic rows (not real figures,
chosen so every indicator can be worked by hand), the inputs file, missing and stale
inputs, and the bundled data."""

from __future__ import annotations

import pytest

from critmin.ingest.errors import IngestError
from critmin.services import criticality as service
from critmin.services.auth import LOCAL
from critmin.services.criticality_inputs import load_inputs, read_geopolrisk_csv
from critmin.services.tracker import InvalidRecord
from critmin.store.db import make_engine, transaction
from critmin.store.tables import GovernanceIndicator, ProductionStat, TradeFlow

# WGI estimate -> risk (2.5 - x) / 5: CHN -1.0 -> .7, AUS 1.5 -> .2, JPN 1.25 -> .25, USA .5 -> .4
WGI = {"CHN": -1.0, "AUS": 1.5, "JPN": 1.25, "USA": 0.5}
INPUTS = """
minerals:
  tungsten:
    eu:
      eol_rir: 0.1
      si_sr: 0.9
      si_ei: 0.95
      largest_sector_value_added: 400
      trade_adjustment: {CHN: 1.1}
      end_use:
        - {sector: C25, label: Fabricated metal products, share: 0.5, value_added: 200}
        - {sector: C28, label: Machinery, share: 0.3, value_added: 100}
        - {sector: C29, label: Motor vehicles, share: 0.2, value_added: 50}
    usgs: {economic_vulnerability: 0.4}
  gallium:
    imports: {JPN: 60, DEU: 40}
    imports_source: hand-made test figures
"""


def _seed(session) -> None:
    for iso, value in (("CHN", 80.0), ("AUS", 15.0), ("USA", 5.0), (None, 100.0)):
        session.add(ProductionStat(mineral="tungsten", measure="production", year=2024,
                                   country=iso, country_label=None if iso else "World total",
                                   value=value, unit="t"))  # fmt: skip
    for iso, value in (("CHN", 900.0), ("JPN", 100.0), (None, 1000.0)):
        session.add(ProductionStat(mineral="gallium", measure="production", year=2024,
                                   country=iso, country_label=None if iso else "World total",
                                   value=value, unit="kg"))  # fmt: skip
    flows = (("CHN", "USA", "261100", 30.0, 2024), ("AUS", "USA", "261100", 10.0, 2024),
             ("JPN", "USA", "261100", 10.0, 2024), ("USA", "CAN", "261100", 5.0, 2024),
             ("CHN", "USA", "810110", 7.0, 2016))  # fmt: skip
    for exporter, importer, hs6, qty, year in flows:
        session.add(TradeFlow(year=year, hs6=hs6, exporter=exporter, importer=importer,
                              exporter_code=1, importer_code=2, value_kusd=1.0,
                              quantity_t=qty))  # fmt: skip
    for iso, est in WGI.items():
        for ind in service.WGI_ALL:
            session.add(GovernanceIndicator(iso3=iso, indicator=ind, year=2023, estimate=est))


@pytest.fixture
def seeded(engine):
    with transaction(engine) as s:
        _seed(s)
    return engine


def _row(rows, mineral):
    return next(r for r in rows if r["mineral"] == mineral)


def test_every_indicator_hand_worked(seeded):
    inputs = load_inputs(INPUTS, "inputs.yaml")
    with transaction(seeded) as s:
        rows = service.assess(session=s, caller=LOCAL, region="USA", year=2024, inputs=inputs)
    w = _row(rows, "tungsten")
    assert w["hhi"] == pytest.approx(0.64 + 0.0225 + 0.0025)
    # own 5, imports 50, exports 5: net 45 of consumption 50
    assert w["import_reliance"] == pytest.approx(0.9)
    assert w["inputs"]["import_reliance"]["inputs"][0]["status"] == "derived"
    gw = 0.64 * 0.7 + 0.0225 * 0.2 + 0.0025 * 0.4
    assert w["governance_weighted_hhi"] == pytest.approx(gw)
    gs = 10 * (0.64 * 0.7 * 1.1 + 0.0225 * 0.2 + 0.0025 * 0.4)
    src = 10 * ((30 / 55) ** 2 * 0.7 * 1.1 + (10 / 55) ** 2 * 0.2 + (10 / 55) ** 2 * 0.25
                + (5 / 55) ** 2 * 0.4)  # fmt: skip
    assert w["eu_supply_risk"] == pytest.approx((gs * 0.45 + src * 0.55) * 0.9 * 0.9)
    assert w["eu_economic_importance"] == pytest.approx(10 * 140 / 400 * 0.95)
    assert w["eu_critical"] is True
    assert w["usgs_supply_risk"] == pytest.approx(gw * 0.9 * 0.4)
    assert w["geopolrisk"] == pytest.approx(0.665 * 25.5 / 55)
    assert w["geopolrisk_import_risk"] == pytest.approx(25.5 / 55)
    # HS 810110 has rows only up to 2016: flagged; 261100 is current, so still scored
    assert w["stale_trade"] == [{"hs6": "810110", "last_year": 2016}]
    assert w["governance_year"] == 2023


def test_gallium_imports_from_the_inputs_file(seeded):
    inputs = load_inputs(INPUTS, "inputs.yaml")
    with transaction(seeded) as s:
        ga = _row(service.assess(session=s, caller=LOCAL, region="USA", year=2024,
                                 inputs=inputs), "gallium")  # fmt: skip
    # HHI .81 + .01 = .82; imports JPN 60 (.25), DEU 40 (no WGI row: .5); no US production
    assert ga["geopolrisk_hhi"] == pytest.approx(0.82)
    assert ga["geopolrisk_import_risk"] == pytest.approx((60 * 0.25 + 40 * 0.5) / 100)
    trade = ga["inputs"]["geopolrisk"]["inputs"][-1]
    assert (trade["status"], trade["source"]) == ("given", "hand-made test figures")


def test_missing_inputs_are_null_with_reasons_never_zero(seeded):
    with transaction(seeded) as s:
        rows = service.assess(session=s, caller=LOCAL, region="USA", year=2024)
    w, ga = _row(rows, "tungsten"), _row(rows, "gallium")
    for key in ("eu_supply_risk", "eu_economic_importance", "usgs_supply_risk"):
        assert w[key] is None
        assert "not bundled" in w["inputs"][key]["reason"]
    assert ga["geopolrisk"] is None
    assert "no HS code" in ga["inputs"]["geopolrisk"]["reason"]
    ge = _row(rows, "germanium")
    assert ge["hhi"] is None and "no USGS world production" in ge["inputs"]["hhi"]["reason"]


def test_all_codes_stale_is_missing_not_zero_risk(seeded):
    with transaction(seeded) as s:
        s.query(TradeFlow).filter(TradeFlow.hs6 == "261100").delete()
        w = _row(service.assess(session=s, caller=LOCAL, region="USA", year=2024), "tungsten")
    assert w["geopolrisk"] is None and w["import_reliance"] is None
    assert "stale trade data" in w["inputs"]["geopolrisk"]["reason"]
    assert {"hs6": "261100", "last_year": None} in w["stale_trade"]


def test_caller_required_and_bad_region(seeded):
    with transaction(seeded) as s:
        with pytest.raises(TypeError):
            service.assess(session=s, caller=None, region="USA", year=2024)
        with pytest.raises(InvalidRecord, match="region"):
            service.assess(session=s, caller=LOCAL, region="ZZZ", year=2024)


def test_bad_inputs_file_names_key_column_value_expected():
    bad = "minerals:\n  tungsten:\n    eu: {si_sr: 1.7, colour: red}\n    imports: {XXX: 3}\n"
    with pytest.raises(IngestError) as err:
        load_inputs(bad, "in.yaml")
    text = str(err.value)
    assert "in.yaml" in text and "minerals.tungsten.eu" in text and "si_sr" in text
    assert "1.7" in text and "from 0 to 1" in text and "colour" in text and "XXX" in text


def test_geopolrisk_csv_errors_name_row_and_column():
    with pytest.raises(IngestError) as err:
        read_geopolrisk_csv("country,score\nCHN,0.5\nAUS,-1\n", "gov.csv", "governance")
    assert "gov.csv, row 3, column 'score'" in str(err.value)
    with pytest.raises(IngestError, match="header with columns exporter,quantity"):
        read_geopolrisk_csv("country,quantity\nCHN,1\n", "imp.csv", "imports")


def test_bundled_data_usa_2024(bundled_db_url):
    engine = make_engine(bundled_db_url)
    try:
        with transaction(engine) as s:
            rows = service.assess(session=s, caller=LOCAL, region="USA", year=2024)
    finally:
        engine.dispose()
    ga = _row(rows, "gallium")
    # USGS MCS 2026: China 839,000 of 848,000 kg; US net import reliance 100 %
    assert ga["hhi"] == pytest.approx((839 / 848) ** 2 + (6 / 848) ** 2 + (3 / 848) ** 2)
    assert ga["import_reliance"] == pytest.approx(1.0)
    assert ga["inputs"]["import_reliance"]["inputs"][0]["status"] == "given"
    ge = _row(rows, "germanium")
    assert {"hs6": "811230", "last_year": 2016} in ge["stale_trade"]


def test_us_import_structure_from_usgs_import_sources(seeded):
    """No BACI code for gallium: the US import sources (synthetic: Japan 40 %, other 40 %,
    i.e. 50/50 once normalised) scaled to a net import reliance of 80 %."""
    with transaction(seeded) as s:
        for iso, label, value in (("JPN", "Japan", 40.0), (None, "other", 40.0)):
            s.add(ProductionStat(mineral="gallium", measure="import_share:metal", year=2024,
                                 year_start=2021, country=iso, country_label=label,
                                 value=value, unit="percent"))  # fmt: skip
        s.add(ProductionStat(mineral="gallium", measure="net_import_reliance", year=2024,
                             country="USA", value=80.0, raw_value="80", unit="percent"))
        s.flush()
        us = _row(service.assess(session=s, caller=LOCAL, region="USA", year=2024), "gallium")
        eu = _row(service.assess(session=s, caller=LOCAL, region="EU", year=2024), "gallium")
    # imports .5 * .8 from JPN (g .25) and .5 * .8 from "other" (g .5); production .2
    #   import risk = (.4 * .25 + .4 * .5) / (.8 + .2) = .3
    assert us["import_reliance"] == pytest.approx(0.8)
    assert us["geopolrisk_import_risk"] == pytest.approx(0.3)
    assert us["geopolrisk"] == pytest.approx(0.82 * 0.3)
    source = us["inputs"]["geopolrisk"]["inputs"][-1]["source"]
    assert "US import sources 2021–2024 (metal)" in source and "summed to 80 %" in source
    assert eu["geopolrisk"] is None  # the US figures say nothing about EU imports
