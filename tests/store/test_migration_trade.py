"""Migration 0007 on a filled 0006 database, SQLite and PostgreSQL: the bundled trade
rows stay as they are, the import tables appear (flows keyed by import and file row),
and the migration goes back down."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from critmin.store.db import make_engine
from critmin.store.migrate import current_revision, downgrade, upgrade

FLOW = (
    "INSERT INTO trade_flows (year, hs6, hs_revision, exporter, importer, exporter_code, "
    "importer_code, value_kusd, quantity_t) VALUES (2020, '261100', 'HS1992', 'CHN', 'USA', "
    "156, 842, 12.5, 3)"
)


def test_0007_adds_trade_imports_and_keeps_flows(db_url):
    upgrade(db_url, "0006")
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            c.execute(text(FLOW))
        upgrade(db_url, "0007")
        assert current_revision(db_url) == "0007"
        with engine.begin() as c:
            kept = c.execute(text("SELECT exporter, importer, value_kusd FROM trade_flows")).one()
            assert tuple(kept) == ("CHN", "USA", 12.5)
            c.execute(text("INSERT INTO trade_imports (id, file, layout, rows, years, reporters, "
                           "sources, sharing, section_sharing, version) VALUES (1, 'f.csv', "
                           "'customs', 1, '[2024]', '[\"CHN\"]', '[]', 'owner', '{}', 1)"))
            c.execute(text("INSERT INTO trade_import_flows (import_id, row, year, month, "
                           "reporter, flow, exporter, importer, hs6, value_kusd) VALUES "
                           "(1, 2, 2024, 1, 'CHN', 'X', 'CHN', 'USA', '811292', 100)"))
        with pytest.raises(IntegrityError), engine.begin() as c:  # one row per file row
            c.execute(text("INSERT INTO trade_import_flows (import_id, row, year, hs6, "
                           "value_kusd) VALUES (1, 2, 2024, '811292', 1)"))
    finally:
        engine.dispose()
    downgrade(db_url, "0006")
    assert current_revision(db_url) == "0006"
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            assert c.execute(text("SELECT count(*) FROM trade_flows")).scalar() == 1
    finally:
        engine.dispose()


ROWS = [  # import 1 (customs), import 2 (BACI): file row, year, month, reporter, flow,
    # exporter, importer, exporter code, importer code, HS code, value, quantity
    (1, 2, 2024, 1, "CHN", "X", "CHN", "USA", None, None, "811292", 100.0, 1.0),
    (1, 3, 2024, 1, "USA", "M", "CHN", "USA", None, None, "811292", 108.0, None),
    (1, 4, 2024, 2, "CHN", "X", "CHN", "JPN", None, None, "260400", 50.5, 2.5),
    (2, 2, 2020, None, None, None, "CHN", "USA", 156, 842, "261100", 12.5, None),
    (2, 3, 2021, None, None, None, None, "DEU", 490, 276, "261100", 7.25, 3.0),
]
FIELDS = ("import_id, row, year, month, reporter, flow, exporter, importer, exporter_code, "
          "importer_code, hs6, value_kusd, quantity_t")


def _imports(c):
    for i, layout in ((1, "customs"), (2, "baci")):
        c.execute(text("INSERT INTO trade_imports (id, file, layout, rows, years, reporters, "
                       "sources, sharing, section_sharing, version) VALUES (:i, 'f.csv', "
                       ":layout, 3, '[]', '[]', '[]', 'public', '{}', 1)"),
                  {"i": i, "layout": layout})  # fmt: skip


def test_0010_turns_flow_rows_into_blocks_and_back(db_url):
    from critmin.services.auth import LOCAL
    from critmin.services.trade import flow_frame
    from critmin.store.db import transaction

    upgrade(db_url, "0009")
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            _imports(c)
            marks = ", ".join(f":p{n}" for n in range(13))
            for r in ROWS:
                c.execute(text(f"INSERT INTO trade_import_flows ({FIELDS}) VALUES ({marks})"),
                          {f"p{n}": v for n, v in enumerate(r)})  # fmt: skip
        upgrade(db_url, "0010")
        assert current_revision(db_url) == "0010"
        with engine.begin() as c:
            blocks = c.execute(text("SELECT import_id, hs6, seq, rows, year_min, year_max, "
                                    "month FROM trade_flow_blocks ORDER BY import_id, seq")).all()
        # one block per import and HS code (codes in order), BACI month NULL in the block
        assert [tuple(b)[:6] for b in blocks] == [
            (1, "260400", 0, 1, 2024, 2024), (1, "811292", 1, 2, 2024, 2024),
            (2, "261100", 0, 2, 2020, 2021)]
        assert blocks[2].month is None and blocks[0].month is not None
        with transaction(engine) as s:
            customs, _ = flow_frame(s, LOCAL, 1)
            baci, _ = flow_frame(s, LOCAL, 2, ["261100"], year=2021)
        assert customs[["month", "reporter", "flow", "exporter", "importer", "hs6",
                        "value_kusd"]].values.tolist() == [
            [1, "CHN", "X", "CHN", "USA", "811292", 100.0],
            [1, "USA", "M", "CHN", "USA", "811292", 108.0],
            [2, "CHN", "X", "CHN", "JPN", "260400", 50.5]]  # fmt: skip
        assert customs["quantity_t"].fillna(-1).tolist() == [1.0, -1, 2.5]
        assert baci[["exporter", "importer", "value_kusd", "quantity_t", "period"]].values.tolist(
            ) == [[None, "DEU", 7.25, 3.0, 2021]]
    finally:
        engine.dispose()
    downgrade(db_url, "0009")
    assert current_revision(db_url) == "0009"
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            back = c.execute(text(f"SELECT {FIELDS} FROM trade_import_flows "
                                  "ORDER BY import_id, row")).all()  # fmt: skip
        assert [tuple(r) for r in back] == ROWS
    finally:
        engine.dispose()
