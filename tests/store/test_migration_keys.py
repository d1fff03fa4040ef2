"""Migration 0003 (keys unique per owner) on a filled 0002 database, SQLite and PostgreSQL:
nothing is lost (SQLite rebuilds the tables; their children must survive), keys become
per owner, and the migration goes back down."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from critmin.store.db import make_engine
from critmin.store.migrate import current_revision, downgrade, upgrade

PROJECT = (
    "INSERT INTO projects (id, key, name, mineral, stage, country, status, capacity_unit, "
    "partners, milestones, funding_sources, offtakers, sources, sharing, section_sharing, "
    "version, owner_org_id, created_at, updated_at) VALUES (:id, :key, 'P', 'gallium', "
    "'extraction', 'CAN', 'announced', 't/yr', '[]', '[]', '[]', '[]', '[]', 'public', '{}', "
    "1, :owner, :at, :at)"
)
AT = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)


def _fill_0002(url: str) -> None:
    upgrade(url, "0002")
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(text("INSERT INTO minerals (code, name, quantity_unit) "
                       "VALUES ('gallium', 'Gallium', 'kg')"))  # fmt: skip
        c.execute(text("INSERT INTO organisations (id, name) VALUES (1, 'A'), (2, 'B')"))
        c.execute(text(PROJECT), {"id": 1, "key": "plant", "owner": 1, "at": AT})
        c.execute(text(PROJECT), {"id": 2, "key": "ref-plant", "owner": None, "at": AT})
        c.execute(text("INSERT INTO project_capacity (project_id, year, capacity_tpa) "
                       "VALUES (1, 2027, 5), (1, 2028, 10)"))  # fmt: skip
        c.execute(text("INSERT INTO project_events (project_id, date, status) "
                       "VALUES (1, '2025-01-01', 'announced')"))  # fmt: skip
        c.execute(text("INSERT INTO export_measures (key, title, imposing_country, "
                       "target_countries, minerals, forms, measure_type, extraterritorial, "
                       "date_precision, sources, sharing, section_sharing, version) VALUES "
                       "('ban', 'Ban', 'CHN', '[]', '[]', '[]', 'ban', false, 'day', '[]', "
                       "'public', '{}', 1)"))  # fmt: skip
    engine.dispose()


def test_upgrade_keeps_every_row_and_scopes_keys(db_url):
    _fill_0002(db_url)
    upgrade(db_url, "0003")
    assert current_revision(db_url) == "0003"
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            assert c.execute(text("SELECT count(*) FROM project_capacity")).scalar() == 2
            assert c.execute(text("SELECT count(*) FROM project_events")).scalar() == 1
            assert c.execute(text("SELECT count(*) FROM export_measures")).scalar() == 1
            stamps = c.execute(text("SELECT updated_at, shared_updated_at FROM projects")).all()
            assert all(u == s for u, s in stamps) and len(stamps) == 2
            # the same key for another owner, and for reference data next to an owner's
            c.execute(text(PROJECT), {"id": 3, "key": "plant", "owner": 2, "at": AT})
            c.execute(text(PROJECT), {"id": 4, "key": "plant", "owner": None, "at": AT})
        for owner in (1, None):  # one per owner, reference data included
            with pytest.raises(IntegrityError), engine.begin() as c:
                c.execute(text(PROJECT), {"id": 9, "key": "plant", "owner": owner, "at": AT})
        with engine.begin() as c:
            fk = c.execute(text("PRAGMA foreign_keys")).scalar() if "sqlite" in db_url else 1
            assert fk == 1  # enforcement is back on for the application's connections
            c.execute(text("DELETE FROM projects WHERE id IN (3, 4)"))
    finally:
        engine.dispose()
    downgrade(db_url, "0002")
    assert current_revision(db_url) == "0002"
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            assert c.execute(text("SELECT count(*) FROM project_capacity")).scalar() == 2
        with pytest.raises(IntegrityError), engine.begin() as c:  # global keys again
            c.execute(text(PROJECT), {"id": 5, "key": "plant", "owner": 2, "at": AT})
    finally:
        engine.dispose()
    upgrade(db_url, "0003")
    assert current_revision(db_url) == "0003"


def test_owner_key_indexes_match_the_models(sqlite_engine):
    """SQLite cannot reflect expression indexes, so Alembic's comparison of models and
    migrations skips them there: compare their DDL directly."""
    from sqlalchemy.schema import CreateIndex

    from critmin.store.base import Base

    expected = {
        ix.name: str(CreateIndex(ix).compile(sqlite_engine)).strip()
        for table in Base.metadata.tables.values()
        for ix in table.indexes
        if ix.name and ix.name.endswith("_owner_key")
    }
    assert {"uq_projects_owner_key", "uq_facilities_owner_key", "uq_network_nodes_owner_key",
            "uq_export_measures_owner_key", "uq_price_series_owner_key",
            "uq_alert_rules_owner_key"} <= set(expected)  # fmt: skip
    with sqlite_engine.connect() as c:
        stored = dict(c.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                                     "AND name LIKE '%owner_key'")).all())  # fmt: skip

    def norm(sql: str) -> str:
        return " ".join(sql.replace('"', "").split()).lower()

    assert {k: norm(v) for k, v in stored.items()} == {k: norm(v) for k, v in expected.items()}
