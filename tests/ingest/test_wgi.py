"""World Bank WGI 2024: known estimates, empty placeholders, bad files."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from critmin.ingest.errors import IngestError
from critmin.ingest.wgi import load_wgi, parse_wgi
from critmin.store.db import transaction
from critmin.store.tables import Dataset, GovernanceIndicator


@pytest.fixture(scope="module")
def wgi():
    return parse_wgi()


def _estimate(frame, iso3, indicator, year):
    row = frame[(frame.iso3 == iso3) & (frame.indicator == indicator) & (frame.year == year)]
    assert len(row) == 1
    return float(row.estimate.iloc[0])


def test_counts_and_known_estimates(wgi):
    assert len(wgi) == 32_100
    assert int(wgi.estimate.isna().sum()) == 1_126  # empty placeholders stay NULL
    assert wgi.iso3.nunique() == 214 and sorted(wgi.indicator.unique()) == sorted(
        ["VA", "PV", "GE", "RQ", "RL", "CC"]
    )
    assert round(_estimate(wgi, "CHN", "PV", 2023), 4) == -0.5131
    assert round(_estimate(wgi, "USA", "RL", 2022), 4) == 1.3692
    assert round(_estimate(wgi, "COD", "RL", 2022), 4) == -1.6718
    assert 1997 not in set(wgi.year)  # biennial before 2002


def test_bad_cells_are_all_reported(samples):
    with pytest.raises(IngestError) as err:
        parse_wgi(samples / "wgi_bad.csv")
    found = [(p.row, p.column, p.value) for p in err.value.problems]
    assert found == [(3, "estimate", "minus one"), (4, "iso3", "XXX"), (5, "indicator", "ZZ")]
    assert "wgi_bad.csv, row 3, column 'estimate': got 'minus one'" in str(err.value)


def test_wrong_columns(samples):
    with pytest.raises(IngestError) as err:
        parse_wgi(samples / "wgi_wrong_columns.csv")
    missing = {p.column for p in err.value.problems}
    assert {"wb_code", "std_error", "n_sources"} <= missing
    assert {p.row for p in err.value.problems} == {1}


def test_load_store_and_reject_leaves_database_unchanged(engine, samples):
    with transaction(engine) as s:
        assert load_wgi(s) == 32_100
    with pytest.raises(IngestError), transaction(engine) as s:
        load_wgi(s, samples / "wgi_bad.csv")
    with transaction(engine) as s:
        assert load_wgi(s) == 0  # unchanged: nothing written again
        n = s.scalar(select(func.count()).select_from(GovernanceIndicator))
        row = s.execute(
            select(GovernanceIndicator, Dataset.code)
            .join(Dataset, Dataset.id == GovernanceIndicator.dataset_id)
            .where(GovernanceIndicator.iso3 == "CHN", GovernanceIndicator.indicator == "PV",
                   GovernanceIndicator.year == 2023)
        ).one()  # fmt: skip
        empty = s.scalar(
            select(func.count())
            .select_from(GovernanceIndicator)
            .where(GovernanceIndicator.estimate.is_(None))
        )
    assert n == 32_100 and empty == 1_126
    assert row.code == "wgi-2024" and round(row.GovernanceIndicator.estimate, 4) == -0.5131
    assert row.GovernanceIndicator.n_sources == 8
