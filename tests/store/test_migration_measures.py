"""Migration 0008 on a filled 0006 database, SQLite and PostgreSQL: existing measures
keep their data, each date gets the record's precision, the new lists are empty and the
end use is 'all'; the rules engine reads them; the migration goes back down."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from critmin.services import controls
from critmin.services.auth import LOCAL
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import current_revision, downgrade, upgrade

MEASURE = (
    "INSERT INTO export_measures (key, title, imposing_country, target_countries, minerals, "
    "forms, measure_type, extraterritorial, announced, effective, expiry, expiry_derived, "
    "date_precision, sources, sharing, section_sharing, version) VALUES (:key, 'T', 'CHN', "
    "'[\"USA\"]', '[\"gallium\"]', '[]', :type, false, :ann, :eff, :exp, :derived, :p, '[]', "
    "'public', '{}', 1)"
)


def test_0008_keeps_measures_and_reads_them_as_rules(db_url):
    upgrade(db_url, "0006")
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO minerals (code, name, quantity_unit) "
                           "VALUES ('gallium', 'Gallium', 'kg')"))  # fmt: skip
            c.execute(text(MEASURE), {"key": "ban", "type": "ban", "ann": "2024-12-01",
                                      "eff": "2024-12-01", "exp": None, "derived": False,
                                      "p": "month"})  # fmt: skip
            c.execute(text(MEASURE), {"key": "lift", "type": "suspension", "ann": None,
                                      "eff": "2025-11-01", "exp": "2026-11-01", "derived": True,
                                      "p": "month"})  # fmt: skip
            c.execute(text("UPDATE export_measures SET relates_to = 'ban' WHERE key = 'lift'"))
        upgrade(db_url, "0008")
        assert current_revision(db_url) == "0008"
        with engine.begin() as c:
            rows = c.execute(text(
                "SELECT key, announced_precision, effective_precision, expiry_precision, "
                "announced_derived, effective_derived, expiry_derived, items, end_users, "
                "milestones, end_use FROM export_measures ORDER BY key")).all()  # fmt: skip
        as_json = [json.loads(v) if isinstance(v, str) else v for v in rows[0][7:10]]
        assert [tuple(r[:7]) for r in rows] == [
            ("ban", "month", "month", "month", False, False, False),
            ("lift", "month", "month", "month", False, False, True),
        ]
        assert as_json == [[], [], []] and rows[0][10] == "all"
        upgrade(db_url, "head")  # today's code reads them, through every later migration
        with transaction(engine) as s:
            # month precision read cautiously: the suspension surely lifts from 30 Nov 2025
            ask = {"session": s, "caller": LOCAL, "item": "gallium", "origin": "CHN",
                   "destination": "USA"}  # fmt: skip
            assert controls.check(**ask, date="2025-11-15")["verdict"] == "prohibited"
            assert controls.check(**ask, date="2026-03-01")["verdict"] == "allowed"
    finally:
        engine.dispose()
    downgrade(db_url, "0006")
    assert current_revision(db_url) == "0006"
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            assert c.execute(text("SELECT count(*) FROM export_measures")).scalar() == 2
        # the per-owner key index is still there after SQLite's table rebuild
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(text(MEASURE), {"key": "ban", "type": "ban", "ann": None, "eff": None,
                                      "exp": None, "derived": False, "p": "day"})  # fmt: skip
    finally:
        engine.dispose()
