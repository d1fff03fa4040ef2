"""Trade imports and reads on SQLite and PostgreSQL: atomic imports through the bulk
paths (executemany, binary COPY), the summary, sharing (a hostile partner sees nothing
of an owner-only import, not even a derived number), mirror gaps and the balance."""

from __future__ import annotations

import io

import numpy as np
import pytest
from sqlalchemy import func, insert, select

from critmin.ingest.datasets import ensure_datasets
from critmin.ingest.errors import IngestError
from critmin.services import auth
from critmin.services import trade as svc
from critmin.services.auth import ANONYMOUS, LOCAL, Caller, Role
from critmin.services.entities import NotFound
from critmin.services.tracker import Forbidden, InvalidRecord
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import transaction
from critmin.store.tables import TradeFlow
from critmin.store.trade_bulk import COLUMNS, decode
from critmin.store.trade_tables import TradeFlowBlock, TradeImport
from support import load_usgs_chapters

BACI = "t,i,j,k,v,q\n" + "".join(
    f"{2015 + n % 8},156,{(842, 392, 276)[n % 3]},{(261100, 810110)[n % 2]},{n + 1}.5,"
    f"{'NA' if n % 5 == 0 else n * 2}\n" for n in range(40))  # fmt: skip
CUSTOMS = (
    "reporter,partner,flow,hs_code,month,value,quantity\n"
    "CHN,USA,export,811292,2024-01,100000,1000\n"
    "USA,CHN,import,811292,2024-01,108000,990\n"
    "CHN,JPN,export,811292,2024-01,50000,\n"
)


def _import(s, text, caller=LOCAL, **kw):
    return svc.import_file(session=s, caller=caller, source=io.BytesIO(text.encode()),
                           file="trade.csv", **kw)  # fmt: skip


def test_the_nomenclature_is_read_from_cepii_file_names():
    assert svc.hs_revision("/data/BACI_HS92_Y2020_V202401.csv") == "HS1992"
    assert svc.hs_revision("baci_hs17_y2022.csv") == "HS2017"
    assert svc.hs_revision("customs-2024.csv") is None
    assert svc.hs_revision("THS921.csv") is None


def _count(s):
    return (s.scalar(select(func.count()).select_from(TradeImport)),
            s.scalar(select(func.coalesce(func.sum(TradeFlowBlock.rows), 0))))  # fmt: skip


def test_import_writes_every_row_and_summarises(engine):
    with transaction(engine) as s:
        summary = _import(s, BACI, chunk_rows=7)  # several chunks through the bulk path
    assert summary["rows"] == 40 and summary["years"] == list(range(2015, 2023))
    assert summary["reporters"] == ["CHN", "DEU", "JPN", "USA"]
    assert summary["layout"] == "baci" and summary["sharing"] == "public"
    with transaction(engine) as s:
        c = TradeFlowBlock.__table__.c
        blocks = s.execute(select(*(c[k] for k in COLUMNS[1:])).order_by(c.seq)).all()
    # chunks of 7 rows, each split by HS code: 6 chunks of 2 codes
    assert [(b.hs6, b.rows) for b in blocks[:4]] == [("261100", 4), ("810110", 3),
                                                     ("261100", 3), ("810110", 4)]
    assert len(blocks) == 12 and sum(b.rows for b in blocks) == 40
    assert all(b.month is None and b.reporter is None for b in blocks)  # NULL in every row
    assert (blocks[0].year_min, blocks[0].year_max) == (2015, 2021)
    data = decode(blocks)
    assert data["row"].tolist()[:7] == [2, 4, 6, 8, 3, 5, 7]
    order = data["row"].argsort()
    assert data["row"][order].tolist() == list(range(2, 42))
    first, second = order[0], order[1]
    assert (data["hs6"][first], data["exporter"][first], data["importer"][first],
            data["value_kusd"][first]) == (b"261100", b"CHN", b"USA", 1.5)  # fmt: skip
    assert np.isnan(data["quantity_t"][first]) and data["month"][first] == -1
    assert (data["hs6"][second], data["importer"][second], data["quantity_t"][second]) == (
        b"810110", b"JPN", 2.0)
    assert data["value_kusd"].sum() == pytest.approx(sum(n + 1.5 for n in range(40)))


def test_flow_frame_reads_the_blocks_of_the_asked_codes_and_filters(engine):
    """Rows n = 0..39 of BACI: HS 810110 for odd n, importer JPN for n % 3 == 1, year
    2016 for n % 8 == 1, so all three hold for n = 1 and 25 (values 2.5 and 26.5;
    quantity 2 for n = 1, NA for n = 25 as n % 5 == 0)."""
    with transaction(engine) as s:
        imp = _import(s, BACI, chunk_rows=7)["import_id"]
    with transaction(engine) as s:
        frame, source = svc.flow_frame(s, LOCAL, imp, ["810110"], exporter="CHN",
                                       importer="JPN", year=2016)  # fmt: skip
        top, _ = svc.flow_frame(s, LOCAL, imp, ["810110"], importer="JPN", year=2016, limit=1)
        every, _ = svc.flow_frame(s, LOCAL, imp)
        none, _ = svc.flow_frame(s, LOCAL, imp, ["250410"])
    assert list(frame.columns) == ["year", "month", "reporter", "flow", "exporter",
                                   "importer", "hs6", "value_kusd", "quantity_t", "period"]
    assert frame.fillna(-1)[["year", "exporter", "importer", "hs6", "value_kusd",
                             "quantity_t", "period"]].values.tolist() == [
        [2016, "CHN", "JPN", "810110", 2.5, 2.0, 2016],
        [2016, "CHN", "JPN", "810110", 26.5, -1, 2016]]  # fmt: skip
    assert frame["month"].isna().all() and frame["reporter"].isna().all()
    assert not source["monthly"]
    assert top["value_kusd"].tolist() == [26.5]
    # everything, in file order (blocks split each chunk by code), NA quantities as NaN
    assert every["value_kusd"].tolist() == [n + 1.5 for n in range(40)]
    assert every["quantity_t"].isna().tolist() == [n % 5 == 0 for n in range(40)]
    assert every["importer"].tolist() == [("USA", "JPN", "DEU")[n % 3] for n in range(40)]
    assert none.empty and "period" in none


@pytest.mark.parametrize("copy_from", [1, 10**9])
def test_blocks_written_by_copy_or_executemany_read_the_same(engine, monkeypatch, copy_from):
    """On PostgreSQL a chunk of many blocks goes through binary COPY, of few blocks
    through executemany: both write what the reads give back (SQLite: executemany)."""
    from critmin.store import trade_bulk

    monkeypatch.setattr(trade_bulk, "PG_COPY_FROM", copy_from)
    with transaction(engine) as s:
        imp = _import(s, CUSTOMS, layout="customs", chunk_rows=2)["import_id"]
    with transaction(engine) as s:
        frame, source = svc.flow_frame(s, LOCAL, imp)
    assert source["monthly"]
    assert frame[["period", "reporter", "flow", "exporter", "importer", "hs6",
                  "value_kusd"]].values.tolist() == [
        [24288, "CHN", "X", "CHN", "USA", "811292", 100.0],
        [24288, "USA", "M", "CHN", "USA", "811292", 108.0],
        [24288, "CHN", "X", "CHN", "JPN", "811292", 50.0]]  # fmt: skip
    assert frame["quantity_t"].tolist()[:2] == [1.0, 0.99] and np.isnan(frame["quantity_t"][2])


@pytest.mark.parametrize("bad_row", [3, 38])
def test_a_bad_row_anywhere_changes_nothing(engine, bad_row):
    lines = BACI.splitlines()
    lines[bad_row - 1] = lines[bad_row - 1].replace(",156,", ",9999,")
    with transaction(engine) as s:
        _import(s, CUSTOMS, layout="customs")
        before = _count(s)
    with pytest.raises(IngestError) as err, transaction(engine) as s:
        _import(s, "\n".join(lines) + "\n", chunk_rows=5)
    problem = err.value.problems[0]
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "trade.csv", bad_row, "i", 9999)
    assert "nothing was imported" in str(err.value)
    with transaction(engine) as s:
        assert _count(s) == before


def _orgs(s):
    a = auth.create_org(session=s, name="Alpha", groups=["MSP"])
    b = auth.create_org(session=s, name="Beta", groups=["MSP"])
    c = auth.create_org(session=s, name="Gamma", groups=[])

    def caller(org, role=Role.EDITOR):
        return Caller(org_id=org.id, org_name=org.name, role=role,
                      partner_org_ids=auth.partner_ids(session=s, org_id=org.id))
    return caller(a), caller(b), caller(c)


def test_hostile_partner_sees_nothing_of_an_owner_only_import(engine):
    with transaction(engine) as s:
        alpha, beta, gamma = _orgs(s)
        private = _import(s, CUSTOMS, alpha, layout="customs")
        shared = _import(s, CUSTOMS, alpha, layout="customs", sharing="partners")
    assert private["sharing"] == "owner" and private["owned"]
    with transaction(engine) as s:
        assert [i["import_id"] for i in svc.list_imports(session=s, caller=alpha)] == [
            shared["import_id"], private["import_id"]]
        assert [i["import_id"] for i in svc.list_imports(session=s, caller=beta)] == [
            shared["import_id"]]
        assert svc.list_imports(session=s, caller=gamma) == []
        assert svc.list_imports(session=s, caller=ANONYMOUS) == []
        mine = svc.mirror(session=s, caller=alpha, import_id=private["import_id"])
        assert mine["rows"][0]["gap_kusd"] == pytest.approx(8.0)
        for hostile in (beta, gamma, ANONYMOUS):
            for call in (
                lambda c: svc.mirror(session=s, caller=c, import_id=private["import_id"]),
                lambda c: svc.flows(session=s, caller=c, import_id=private["import_id"]),
                lambda c: svc.circumvention(session=s, caller=c, origin="CHN", target="USA",
                                            hs=["811292"], start="2024-01",
                                            import_id=private["import_id"]),
            ):  # fmt: skip
                with pytest.raises(NotFound, match=f"no such trade import {private['import_id']}"):
                    call(hostile)
        assert svc.mirror(session=s, caller=beta, import_id=shared["import_id"])["rows"]
        with pytest.raises(NotFound):
            svc.mirror(session=s, caller=gamma, import_id=shared["import_id"])
        for nobody in (ANONYMOUS, Caller(org_id=beta.org_id, org_name="Beta", role=Role.VIEWER)):
            with pytest.raises(Forbidden):
                _import(s, CUSTOMS, nobody, layout="customs")
        with pytest.raises(InvalidRecord):
            _import(s, CUSTOMS, LOCAL, layout="customs", sharing="owner")  # no owner


def test_mirror_flows_and_bad_input(engine):
    with transaction(engine) as s:
        customs = _import(s, CUSTOMS, layout="customs")["import_id"]
        baci = _import(s, BACI)["import_id"]
    with transaction(engine) as s:
        result = svc.mirror(session=s, caller=LOCAL, import_id=customs)
        usa, jpn = result["rows"]
        assert (usa["exporter_label"], usa["importer_label"], usa["period"]) == (
            "China", "United States", "2024-01")
        assert (usa["exports_kusd"], usa["imports_kusd"], usa["gap_pct"]) == (100.0, 108.0, 8.0)
        assert jpn["imports_kusd"] is None and "CIF" in result["valuation"]
        flows = svc.flows(session=s, caller=LOCAL, import_id=baci, exporter="chn", year=2015,
                          importer="USA",
                          hs=["2611.00"])  # n = 0 and 24 of the generator
        assert [r["value_kusd"] for r in flows["rows"]] == [25.5, 1.5]
        with pytest.raises(InvalidRecord, match="reconciled"):
            svc.mirror(session=s, caller=LOCAL, import_id=baci)
        for kw in ({"exporter": "XXX"}, {"hs": ["26110"]}, {"limit": 0}):
            with pytest.raises(InvalidRecord):
                svc.flows(session=s, caller=LOCAL, import_id=baci, **kw)
        with pytest.raises(InvalidRecord, match="periods before"):
            svc.circumvention(session=s, caller=LOCAL, origin="CHN", target="USA",
                              hs=["261100"], start="2016", import_id=baci)
        with pytest.raises(InvalidRecord, match="YYYY-MM"):
            svc.circumvention(session=s, caller=LOCAL, origin="CHN", target="USA",
                              hs=["261100"], start="2016-13", import_id=baci)


def _trade_rows(s):
    ds = ensure_datasets(s, ["baci-hs92"])["baci-hs92"]
    rows = [  # (year, exporter, importer, hs6, t)
        (2022, "CHN", "USA", "261100", 100.0), (2022, "DEU", "USA", "810110", 50.0),
        (2022, "USA", "CAN", "261100", 30.0), (2022, "USA", "CAN", "261100", None),
        (2022, "BOL", "USA", "282200", 999.0),  # cobalt oxides: not tungsten
        (2023, "USA", "MEX", "810110", 5.0),
    ]  # fmt: skip
    s.execute(insert(TradeFlow), [
        {"year": y, "exporter": e, "importer": i, "exporter_code": 0, "importer_code": 0,
         "hs6": h, "hs_revision": "HS1992", "value_kusd": 1.0, "quantity_t": q,
         "dataset_id": ds} for y, e, i, h, q in rows])  # fmt: skip


def test_balance_shows_every_input_with_its_source(engine):
    with transaction(engine) as s:
        sync_catalogue(s)
        load_usgs_chapters(s, "tungsten", "gallium")
        _trade_rows(s)
    with transaction(engine) as s:
        result = svc.balance(s, LOCAL, "tungsten", country="usa", years=[2022, 2023])
        assert (result["country_label"], result["unit"]) == ("United States", "t")
        assert [c["hs6"] for c in result["hs_codes"]] == ["261100", "810110"]
        assert result["conversion"]["factor"] == 1.0
        y22, y23 = result["years"]
        assert y22["production"]["value"] == 0.0  # no US mine output (USGS)
        assert y22["production"]["measure"] == "production:mine"
        assert "Tungsten" in y22["production"]["source"]
        assert (y22["imports"]["value"], y22["exports"]["value"]) == (150.0, 30.0)
        assert y22["imports"]["hs_codes"] == ["261100", "810110"]
        assert y22["apparent_consumption"]["value"] == 120.0  # 0 + 150 - 30
        assert y22["stock_change"]["status"] == "unknown"  # USGS withholds the stocks
        assert y23["imports"]["value"] == 0.0 and y23["apparent_consumption"]["value"] == -5.0
        # gallium: stocks known (kg), no BACI code in the bundled subset: trade unknown
        ga = svc.balance(s, LOCAL, "gallium", country="USA", years=[2022, 2023])
        g22, g23 = ga["years"]
        assert ga["unit"] == "kg" and ga["hs_codes"] == []
        assert g22["stock_change"] == {"value": -30.0, "unit": "kg", "status": "known",
                                       "measure": "stocks_consumer_yearend"}  # 2,780 - 2,810
        assert g23["stock_change"]["value"] == 560.0
        assert g22["imports"]["value"] is None and g22["apparent_consumption"]["value"] is None
        world = svc.balance(s, LOCAL, "tungsten", years=[2024])["years"][0]
        assert world["production"]["value"] == 82_000.0
        for bad in ({"mineral": "unobtainium"}, {"mineral": "tungsten", "country": "XXX"}):
            with pytest.raises(InvalidRecord):
                svc.balance(s, LOCAL, **bad)


def _monthly_rerouting() -> str:
    """Customs declarations, monthly 2023-01..2025-06 (invented): from 2024-12 China's
    gallium to the US falls and Malaysia's imports from China and exports to the US
    quadruple; Viet Nam trades steadily on both legs."""
    lines = ["reporter,partner,flow,hs_code,month,value,quantity"]
    for n in range(30):
        month = f"{2023 + n // 12}-{n % 12 + 1:02d}"
        after = n >= 23  # 2024-12
        base = 100_000 + 10_000 * (n % 3)
        lines += [
            f"MYS,CHN,import,811292,{month},{base * (4 if after else 1)},",
            f"USA,MYS,import,811292,{month},{base * (4 if after else 1)},",
            f"USA,CHN,import,811292,{month},{base * (0.2 if after else 5)},",
            f"VNM,CHN,import,811292,{month},{base},",
            f"USA,VNM,import,811292,{month},{base},",
        ]  # fmt: skip
    return "\n".join(lines) + "\n"


def test_circumvention_takes_what_is_not_given_from_a_measure(engine):
    from critmin.ingest.curated import load_curated

    with transaction(engine) as s:
        sync_catalogue(s)
        ensure_datasets(s)
        load_curated(s)
        ref = _import(s, _monthly_rerouting(), layout="customs")["import_id"]
    with transaction(engine) as s:
        got = svc.circumvention(session=s, caller=LOCAL, import_id=ref,
                                measure="cn-2024-12-us-ban-ga-ge-sb-superhard")  # fmt: skip
        assert (got["origin"], got["target"], got["start"]) == ("CHN", "USA", "2024-12")
        assert "811292" in got["hs"] and got["measure"]["key"].startswith("cn-2024-12")
        assert got["flagged"] == ["MYS"]
        assert {r["country"] for r in got["rows"]} == {"MYS", "VNM"}
        assert got["direct"]["after_kusd"] < got["direct"]["before_kusd"]
        with pytest.raises(InvalidRecord, match="names 0"):  # all destinations: say which
            svc.circumvention(session=s, caller=LOCAL, import_id=ref,
                              measure="cn-2023-ga-ge-licensing")
        with pytest.raises(NotFound):
            svc.circumvention(session=s, caller=LOCAL, measure="no-such-measure")
