"""Reading trade files in CEPII's BACI layout and the customs layout: mapping, units,
chunking, and errors that name the file, row, column, value and what was expected."""

from __future__ import annotations

import io

import numpy as np
import pytest

from critmin.ingest.errors import IngestError, ProblemLog
from critmin.ingest.trade import hs6_text, iter_chunks

BACI = (
    "t,i,j,k,v,q\n"
    "2020,156,842,261100,100.5,20\n"
    "2020,490,699,10111,7.25,           NA\n"  # Other Asia nes -> TWN; India; HS 010111
    "2021,697,842,811292,1,\n"  # Europe EFTA nes: no ISO3, its code is kept
)
CUSTOMS = (
    "reporter,partner,flow,hs_code,month,value,quantity\n"
    "CHN,USA,export,811292,2024-01,100000,1000\n"
    "usa,CHN,M,8112.92,2024-02,108000,NA\n"
)


def _read(text: str, layout: str = "baci", chunk_rows: int = 1000):
    log = ProblemLog()
    chunks = list(iter_chunks(io.BytesIO(text.encode()), layout=layout, file="t.csv", log=log,
                              chunk_rows=chunk_rows))  # fmt: skip
    log.raise_if_any()
    return {k: np.concatenate([c[k] for c in chunks]) for k in chunks[0]}


def _problems(text: str, layout: str = "baci", chunk_rows: int = 1000):
    with pytest.raises(IngestError) as info:
        _read(text, layout, chunk_rows)
    return [(p.row, p.column, p.value, p.expected) for p in info.value.problems]


def test_baci_layout_maps_codes_keeps_aggregates_and_reads_na():
    got = _read(BACI)
    assert got["exporter"].tolist() == [b"CHN", b"TWN", b""]
    assert got["importer"].tolist() == [b"USA", b"IND", b"USA"]
    assert got["exporter_code"].tolist() == [156, 490, 697]
    assert got["hs6"].tolist() == [b"261100", b"010111", b"811292"]
    assert got["value_kusd"].tolist() == [100.5, 7.25, 1.0]
    assert got["quantity_t"][0] == 20 and np.isnan(got["quantity_t"][1:]).all()
    assert got["row"].tolist() == [2, 3, 4] and got["month"].tolist() == [-1, -1, -1]


def test_baci_rows_are_numbered_across_chunks():
    got = _read(BACI, chunk_rows=2)
    assert got["row"].tolist() == [2, 3, 4] and got["year"].tolist() == [2020, 2020, 2021]
    bad = BACI + "2021,156,999,261100,1,1\n"
    assert _problems(bad, chunk_rows=2) == [
        (5, "j", 999, "a CEPII country code of the bundled country table")]


def test_baci_errors_name_row_column_value_and_expectation():
    text = (
        "t,i,j,k,v,q\n"
        "2020,156,842,261100,1,1\n"
        "20x0,156,842,261100,1,1\n"
        "2020,156,842,261100,-5,1\n"
        "2020,156,842,261100,1,lots\n"
        "1800,156,842,261100,1,1\n"
    )
    problems = _problems(text, chunk_rows=2)
    assert (3, "t", "20x0", "a year") in problems
    assert (4, "v", "-5", "a value in thousand USD >= 0") in problems
    assert (5, "q", "lots", "a quantity in metric tons, blank or NA") in problems
    assert (6, "t", "1800", "a year between 1900 and 2100") in problems
    assert all(p[0] != 2 for p in problems)


def test_wrong_header_and_unreadable_files_are_refused():
    assert _problems("year,exporter,importer,hs6,value_kusd,quantity_t\n1,2,3,4,5,6\n") == [
        (1, "(header)", "year,exporter,importer,hs6,value_kusd,quantity_t", "t,i,j,k,v,q")]
    with pytest.raises(IngestError, match="a readable CSV"):
        _read("")
    with pytest.raises(IngestError, match="baci or customs"):
        _read(BACI, layout="comtrade")


def test_customs_layout_converts_units_and_directions():
    got = _read(CUSTOMS, layout="customs")
    assert got["reporter"].tolist() == [b"CHN", b"USA"]
    assert got["flow"].tolist() == [b"X", b"M"]
    assert got["exporter"].tolist() == [b"CHN", b"CHN"]
    assert got["importer"].tolist() == [b"USA", b"USA"]
    assert got["value_kusd"].tolist() == [100.0, 108.0]  # USD -> thousand USD
    assert got["quantity_t"][0] == 1.0 and np.isnan(got["quantity_t"][1])  # kg -> t
    assert got["year"].tolist() == [2024, 2024] and got["month"].tolist() == [1, 2]
    assert got["hs6"].tolist() == [b"811292", b"811292"]
    assert got["exporter_code"].tolist() == [-1, -1]


def test_a_byte_order_mark_is_skipped():
    got = _read("\ufeff" + CUSTOMS, layout="customs")
    assert got["reporter"].tolist() == [b"CHN", b"USA"]


def test_customs_errors():
    text = (
        "reporter,partner,flow,hs_code,month,value,quantity\n"
        "CHN,XXX,export,811292,2024-01,1,1\n"
        "CHN,USA,transit,8112,2024-13,-1,-2\n"
    )
    problems = _problems(text, layout="customs")
    assert problems == [
        (2, "partner", "XXX", "an ISO 3166 alpha-3 country code"),
        (3, "flow", "transit", "export or import (X or M)"),
        (3, "hs_code", "8112", "an HS six-digit code"),
        (3, "month", "2024-13", "a month YYYY-MM"),
        (3, "value", "-1", "a value in US dollars >= 0"),
        (3, "quantity", "-2", "a quantity in kilograms >= 0, blank or NA"),
    ]


def test_hs6_text_restores_leading_zeros():
    assert hs6_text(np.array([10111, 261100, 1])).tolist() == [b"010111", b"261100", b"000001"]
