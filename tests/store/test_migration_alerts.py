"""Migration 0009 on a filled 0006 database, SQLite and PostgreSQL: existing series and
observations stay, the alert tables appear with their unique fingerprint and per-owner
rule keys, and the migration goes back down leaving the data as it was."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from critmin.store.db import make_engine
from critmin.store.migrate import current_revision, downgrade, upgrade

SERIES = (
    "INSERT INTO price_series (id, key, mineral, market, unit, sources, sharing, "
    "section_sharing, version) VALUES (1, 'ga-rot', 'gallium', 'Rotterdam', 'USD/kg', '[]', "
    "'public', '{}', 1)"
)
RULE = (
    "INSERT INTO alert_rules (key, title, kind, params, builtin, sharing, section_sharing, "
    "version) VALUES ('r', 'R', 'price_change', '{}', false, 'public', '{}', 1)"
)
EVENT = (
    "INSERT INTO alert_events (fingerprint, rule_id, kind, subject, series_id, date, "
    "date_precision, qualifier, message, details, created_at) VALUES ('f', 1, 'price_change', "
    "'ga-rot', 1, '2024-01-25', 'day', 'exact', 'm', '{}', CURRENT_TIMESTAMP)"
)


def _script_head() -> str:
    from critmin.store.migrate import alembic_config

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def test_0009_adds_the_alert_tables_and_keeps_data(db_url):
    upgrade(db_url, "0006")
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO minerals (code, name, quantity_unit) "
                           "VALUES ('gallium', 'Gallium', 'kg')"))  # fmt: skip
            c.execute(text(SERIES))
            c.execute(text("INSERT INTO price_observations (series_id, date, date_precision, "
                           "kind, value, unit, sources) VALUES (1, '2024-01-25', 'day', "
                           "'level', 145, 'USD/kg', '[]')"))  # fmt: skip
        upgrade(db_url, "0009")
        assert current_revision(db_url) == "0009"
        with engine.begin() as c:
            c.execute(text(RULE))
            c.execute(text(EVENT))
            assert c.execute(text("SELECT count(*) FROM price_observations")).scalar() == 1
            assert c.execute(text("SELECT enabled FROM alert_rules")).scalar() in (True, 1)
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(text(EVENT))  # one event per fingerprint
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(text(RULE))  # one reference rule per key
    finally:
        engine.dispose()
    downgrade(db_url, "0006")
    assert current_revision(db_url) == "0006"
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            assert c.execute(text("SELECT count(*) FROM price_series")).scalar() == 1
    finally:
        engine.dispose()
    upgrade(db_url)
    assert current_revision(db_url) == _script_head()
