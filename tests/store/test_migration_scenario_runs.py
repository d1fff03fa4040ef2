"""Migration 0011 on SQLite and PostgreSQL: the saved-runs table appears on a 0010
database, takes a run, and goes away again on the way down."""

from __future__ import annotations

from sqlalchemy import inspect, text

from critmin.store.db import make_engine
from critmin.store.migrate import current_revision, downgrade, upgrade

RUN = ("INSERT INTO scenario_runs (kind, spec, results, data_versions, sharing, "
       "section_sharing, version) VALUES ('ban', '{\"level\": 1}', '{\"x\": 2}', '[]', "
       "'owner', '{}', 1)")  # fmt: skip


def test_0011_adds_scenario_runs_and_goes_back(db_url):
    upgrade(db_url, "0010")
    engine = make_engine(db_url)
    try:
        assert "scenario_runs" not in inspect(engine).get_table_names()
        upgrade(db_url, "0011")
        assert current_revision(db_url) == "0011"
        with engine.begin() as c:
            c.execute(text(RUN))
            row = c.execute(text("SELECT kind, sharing, owner_org_id, created_at "
                                 "FROM scenario_runs")).one()  # fmt: skip
        assert tuple(row[:3]) == ("ban", "owner", None) and row[3] is not None
        downgrade(db_url, "0010")
        assert current_revision(db_url) == "0010"
        assert "scenario_runs" not in inspect(engine).get_table_names()
    finally:
        engine.dispose()
