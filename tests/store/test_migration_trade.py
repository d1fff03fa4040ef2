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
