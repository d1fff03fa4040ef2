"""CEPII BACI trade flows: published totals, code mapping by baci_code, bad files.

The full file is loaded once per backend by the session fixture ``reference_engine``;
the store-level tests here use a real slice of the file (HS 261100, 2022).
"""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from critmin.ingest.baci import BACI_FILE, load_baci, parse_baci, read_baci
from critmin.ingest.countries import read_baci_country_codes
from critmin.ingest.errors import IngestError
from critmin.store.db import transaction
from critmin.store.tables import TradeFlow


@pytest.fixture(scope="module")
def flows() -> pd.DataFrame:
    return parse_baci()


def test_shape_and_published_totals(flows):
    assert len(flows) == 427_945
    assert int(flows.quantity_t.isna().sum()) == 25_223
    assert flows.hs6.nunique() == 32 and (flows.year.min(), flows.year.max()) == (1995, 2024)
    ores = flows[(flows.hs6 == "261100") & (flows.year == 2022)]
    assert round(ores.value_kusd.sum(), 3) == 275_248.498
    assert round(ores.quantity_t.sum(), 3) == 20_845.944
    top = ores.loc[ores.value_kusd.idxmax()]
    assert (top.exporter, top.importer) == ("PRK", "CHN")
    assert top.value_kusd == pytest.approx(30_900, abs=100)  # about 30.9 MUSD


def test_codes_map_by_baci_code_not_iso3():
    codes = read_baci_country_codes().set_index("baci_code")
    assert codes.loc[56, "iso3"] == codes.loc[58, "iso3"] == "BEL"
    assert codes.loc[276, "iso3"] == codes.loc[280, "iso3"] == "DEU"
    assert codes.loc[842, "iso3"] == "USA" and codes.loc[699, "iso3"] == "IND"
    assert codes.loc[490, "iso3"] == "TWN" and codes.loc[490, "source_iso3"] == "S19"
    assert codes.loc[711, "iso3"] is None and codes.loc[697, "iso3"] is None


def test_original_codes_are_kept(flows):
    for code in (56, 58):  # Belgium and Belgium-Luxembourg (...1998) both map to BEL
        part = flows[flows.exporter_code == code]
        assert len(part) and set(part.exporter) == {"BEL"}
    assert flows[flows.exporter_code == 58].year.max() == 1998
    taiwan = flows[flows.exporter_code == 490]
    assert len(taiwan) and set(taiwan.exporter) == {"TWN"}
    sacu = flows[flows.importer_code == 711]
    assert len(sacu) and sacu.importer.isna().all()  # SACU is not a country


def test_unknown_code_and_bad_value(samples):
    with pytest.raises(IngestError) as err:
        parse_baci(samples / "baci_unknown_code.csv")
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "exporter", 999)
    assert "country-codes.csv" in problem.expected
    with pytest.raises(IngestError) as err:
        read_baci(samples / "baci_bad_value.csv")
    (problem,) = err.value.problems
    assert (problem.row, problem.column, problem.value) == (3, "value_kusd", "n/a")


@pytest.fixture
def ores_2022(tmp_path):
    """A real slice of the bundled file: HS 261100 in 2022 (253 flows)."""
    raw = pd.read_csv(BACI_FILE, dtype=str, keep_default_na=False)
    part = raw[(raw.hs6 == "261100") & (raw.year == "2022")]
    path = tmp_path / "baci-261100-2022.csv"
    part.to_csv(path, index=False)
    return path, len(part)


def test_load_slice_idempotent_and_unchanged_on_error(engine, ores_2022, samples):
    path, n = ores_2022
    with transaction(engine) as s:
        assert load_baci(s, path) == n == 253
    with pytest.raises(IngestError), transaction(engine) as s:
        load_baci(s, samples / "baci_unknown_code.csv")
    with transaction(engine) as s:
        assert load_baci(s, path) == 0
        total, qty, count = s.execute(
            select(func.sum(TradeFlow.value_kusd), func.sum(TradeFlow.quantity_t), func.count())
        ).one()
        top = s.execute(
            select(TradeFlow.exporter, TradeFlow.importer, TradeFlow.exporter_code)
            .order_by(TradeFlow.value_kusd.desc())
            .limit(1)
        ).one()
    assert (round(total, 3), round(qty, 3), count) == (275_248.498, 20_845.944, 253)
    assert tuple(top) == ("PRK", "CHN", 408)


def test_full_load_known_answers(reference_engine):
    with transaction(reference_engine) as s:
        n = s.scalar(select(func.count()).select_from(TradeFlow))
        total, qty = s.execute(
            select(func.sum(TradeFlow.value_kusd), func.sum(TradeFlow.quantity_t)).where(
                TradeFlow.hs6 == "261100", TradeFlow.year == 2022
            )
        ).one()
        top = s.execute(
            select(TradeFlow.exporter, TradeFlow.importer, TradeFlow.value_kusd)
            .where(TradeFlow.hs6 == "261100", TradeFlow.year == 2022)
            .order_by(TradeFlow.value_kusd.desc())
            .limit(1)
        ).one()
        null_qty = s.scalar(
            select(func.count()).select_from(TradeFlow).where(TradeFlow.quantity_t.is_(None))
        )
    assert n == 427_945 and null_qty == 25_223
    assert (round(total, 3), round(qty, 3)) == (275_248.498, 20_845.944)
    assert (top.exporter, top.importer) == ("PRK", "CHN")
    assert top.value_kusd / 1000 == pytest.approx(30.9, abs=0.05)
