"""Input-output loaders: bundled BEA 2017 tables, the CSV layout, pymrio systems, end uses."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmin.analytics.io import leontief_output
from critmin.ingest.bea_io import BEA_DIR, from_pymrio, load_bea, load_io_csv, load_pymrio
from critmin.ingest.end_uses import industry_shares, load_end_uses
from critmin.ingest.errors import IngestError

# Published cells are rounded to $1 million, so Make column totals and Use row totals of a
# commodity can differ by a few million: the reproduced output is checked to 1e-4
# relative per industry on the summary table and 0.5% per industry (1e-4 in total) on the
# detail table, where industries are small.
TOL = {"summary": 1e-4, "detail": 5e-3}


@pytest.mark.parametrize("level,n", [("summary", 71), ("detail", 402)])
@pytest.mark.parametrize("domestic", [True, False])
def test_bea_dimensions_and_output_reproduced(level, n, domestic):
    t = load_bea(level, domestic)
    assert t.n == n and t.A.shape == (n, n) and len(t.labels) == n
    x = leontief_output(t.A, t.final_demand)
    assert np.abs(x - t.x) / t.x == pytest.approx(np.zeros(n), abs=TOL[level])
    assert x.sum() == pytest.approx(t.x.sum(), rel=1e-4)


@pytest.mark.parametrize("level", ["summary", "detail"])
def test_bea_column_sums_below_one_where_value_added_positive(level):
    t = load_bea(level)
    col = np.asarray(t.A.sum(axis=0)).ravel()
    positive = t.value_added > 0
    assert np.all(col[positive] < 1)
    # an industry can use more inputs than its output only with negative value added
    assert set(np.flatnonzero(col >= 1)) <= set(np.flatnonzero(~positive))


def test_bea_totals_match_published_series():
    gross = pd.read_csv(BEA_DIR / "Summary_GrossOutput_IO_17sch.csv", index_col=0)["2017"]
    va = pd.read_csv(BEA_DIR / "Summary_ValueAdded_IO_17sch.csv", index_col=0)["2017"]
    t = load_bea("summary")
    assert t.x == pytest.approx(gross.loc[list(t.codes)].to_numpy(), rel=1e-3)
    assert t.value_added == pytest.approx(va.loc[list(t.codes)].to_numpy(), rel=1e-3, abs=5)
    # GDP 2017 (value added of all industries), in millions of dollars
    assert t.value_added.sum() == pytest.approx(19_612_097, rel=1e-6)


def test_bea_semiconductors_and_imports():
    dom, tot = load_bea("detail", True), load_bea("detail", False)
    i = dom.index_of(["334413"])[0]
    assert dom.labels[i] == "Semiconductor and related device manufacturing"
    assert dom.x[i] == pytest.approx(64_245)
    # domestic requirements leave imported inputs out
    assert dom.A.sum() < tot.A.sum()
    assert load_bea("detail") is dom  # cached per process
    with pytest.raises(ValueError, match="unknown industry"):
        dom.index_of(["999999"])
    with pytest.raises(ValueError, match="level"):
        load_bea("national")  # type: ignore[arg-type]


# Miller & Blair's two-sector example in the CSV layout
Z = [[150.0, 500.0], [200.0, 100.0]]


def _write_z(folder: Path, z_cell: str = "500") -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "industries.csv").write_text("code,label\nAG,Agriculture\nMF,Manufacturing\n")
    (folder / "Z.csv").write_text(f"code,AG,MF\nAG,150,{z_cell}\nMF,200,100\n")
    (folder / "final_demand.csv").write_text("code,final_demand\nAG,350\nMF,1700\n")
    (folder / "value_added.csv").write_text("code,value_added\nAG,650\nMF,1400\n")
    return folder


def test_csv_z_layout(tmp_path):
    t = load_io_csv(_write_z(tmp_path / "mb"))
    assert t.codes == ("AG", "MF") and t.labels == ("Agriculture", "Manufacturing")
    assert t.x == pytest.approx([1000, 2000])
    assert t.A.toarray() == pytest.approx(np.array([[0.15, 0.25], [0.2, 0.05]]))
    assert t.va_coefficients == pytest.approx([0.65, 0.7])


def test_csv_a_layout(tmp_path):
    d = tmp_path / "a"
    d.mkdir()
    (d / "industries.csv").write_text("code,label\nAG,Agriculture\nMF,Manufacturing\n")
    (d / "A.csv").write_text("code,AG,MF\nAG,0.15,0.25\nMF,0.2,0.05\n")
    (d / "output.csv").write_text("code,x\nAG,1000\nMF,2000\n")
    t = load_io_csv(d)
    assert t.final_demand == pytest.approx([350, 1700])
    assert t.value_added == pytest.approx([650, 1400])


def test_csv_bad_cell_names_file_row_column_value(tmp_path):
    with pytest.raises(IngestError) as err:
        load_io_csv(_write_z(tmp_path / "bad", z_cell="five hundred"))
    p = err.value.problems[0]
    assert (p.file, p.row, p.column, p.value) == ("Z.csv", 2, "MF", "five hundred")
    assert "finite number" in p.expected


def test_csv_codes_keep_leading_zeros(tmp_path):
    d = tmp_path / "zeros"
    d.mkdir()
    (d / "industries.csv").write_text("code,label\n0101,Crops\n0200,Mining\n")
    (d / "Z.csv").write_text("code,0101,0200\n0101,150,500\n0200,200,100\n")
    (d / "final_demand.csv").write_text("code,final_demand\n0101,350\n0200,1700\n")
    (d / "value_added.csv").write_text("code,value_added\n0101,650\n0200,1400\n")
    t = load_io_csv(d)
    assert t.codes == ("0101", "0200") and t.x == pytest.approx([1000, 2000])


def test_csv_codes_out_of_order(tmp_path):
    d = _write_z(tmp_path / "order")
    (d / "final_demand.csv").write_text("code,final_demand\nMF,1700\nAG,350\n")
    with pytest.raises(IngestError, match="final_demand.csv"):
        load_io_csv(d)
    (d / "Z.csv").unlink()
    with pytest.raises(IngestError, match="Z.csv or A.csv"):
        load_io_csv(d)
    with pytest.raises(IngestError, match="industries.csv"):
        load_io_csv(tmp_path / "no_such_folder")


def _pymrio_system():
    pymrio = pytest.importorskip("pymrio")
    idx = pd.MultiIndex.from_tuples([("US", "agri"), ("US", "manu")], names=["region", "sector"])
    cols = pd.MultiIndex.from_tuples([("US", "households")], names=["region", "category"])
    factors = pd.DataFrame([[650.0, 1400.0]], index=pd.Index(["value added"], name="stressor"),
                           columns=idx)
    io = pymrio.IOSystem(
        Z=pd.DataFrame(Z, index=idx, columns=idx),
        Y=pd.DataFrame([[350.0], [1700.0]], index=idx, columns=cols),
        unit=pd.DataFrame({"unit": ["USD"] * 2}, index=idx), name="mb",
        factor_inputs={"name": "factor_inputs", "F": factors,
                       "unit": pd.DataFrame({"unit": ["USD"]}, index=factors.index)},
    )
    io.calc_all()
    return io


def test_pymrio_in_memory():
    t = from_pymrio(_pymrio_system())
    assert t.codes == ("agri", "manu") and t.unit == "USD"
    assert t.A.toarray() == pytest.approx(np.array([[0.15, 0.25], [0.2, 0.05]]))
    assert t.x == pytest.approx([1000, 2000]) and t.final_demand == pytest.approx([350, 1700])
    assert t.value_added == pytest.approx([650, 1400])


def test_pymrio_saved_folder(tmp_path):
    _pymrio_system().save_all(tmp_path / "mb")
    t = load_pymrio(tmp_path / "mb")
    assert t.x == pytest.approx([1000, 2000])
    assert leontief_output(t.A, t.final_demand) == pytest.approx([1000, 2000])


def test_end_uses_gallium_on_detail_and_summary():
    maps = load_end_uses()
    ga = maps["gallium"]
    assert ga.mapped_share == pytest.approx(0.99)
    assert "ICs accounted for 73%" in ga.quote
    detail = industry_shares(ga, load_bea("detail"), "detail")
    t = load_bea("detail")
    assert detail[t.index_of(["334413"])[0]] == pytest.approx(0.99)
    assert detail.sum() == pytest.approx(0.99)
    summary = industry_shares(ga, load_bea("summary"), "summary")
    assert summary[load_bea("summary").index_of(["334"])[0]] == pytest.approx(0.99)
    w = industry_shares(maps["tungsten"], t, "detail")
    assert w.sum() == pytest.approx(0.60) and w[t.index_of(["33351B"])[0]] == pytest.approx(0.3)


def test_end_uses_validation(tmp_path):
    bad = tmp_path / "end_uses.yaml"
    bad.write_text(
        "minerals:\n  gallium:\n    end_uses:\n"
        "      - {end_use: ICs, share: 0.8, industries: [{detail: '334413', summary: '334',"
        " weight: 1.0}]}\n"
        "      - {end_use: LEDs, share: 0.3, industries: [{detail: '999999', summary: '334',"
        " weight: 1.0}]}\n"
    )
    with pytest.raises(IngestError, match=r"summing to <= 1"):
        load_end_uses(bad)
    bad.write_text(bad.read_text().replace("0.3", "0.1"))
    with pytest.raises(IngestError, match="999999"):
        industry_shares(load_end_uses(bad)["gallium"], load_bea("detail"), "detail")


def test_gallium_shortfall_on_detail_table_by_hand():
    from critmin.analytics.io import shortfall_impact

    t = load_bea("detail")
    shares = industry_shares(load_end_uses()["gallium"], t, "detail")
    i = t.index_of(["334413"])[0]
    # 10% less gallium caps semiconductors at 90% of output; their final sales absorb the
    # cut, so the loss is 10% of the industry's value added ($48,543 M in 2017)
    res = shortfall_impact(t.A, t.va_coefficients, t.x, t.final_demand, shares, 0.10)
    assert res.output[i] == pytest.approx(0.9 * t.x[i], rel=1e-6)
    assert res.total_value_added_loss == pytest.approx(0.1 * 48_543, rel=1e-4)
    none = shortfall_impact(t.A, t.va_coefficients, t.x, t.final_demand, shares, 0.0)
    assert none.total_value_added_loss == pytest.approx(0.0, abs=1e-3)
