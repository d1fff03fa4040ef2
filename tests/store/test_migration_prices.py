"""Migration 0006 on a filled 0005 database, SQLite and PostgreSQL: existing observations
keep working (exact; ratios get their other series, conventional changes their window),
the FX table appears, and the migration goes back down."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from critmin.store.db import make_engine
from critmin.store.migrate import current_revision, downgrade, upgrade

SERIES = (
    "INSERT INTO price_series (id, key, mineral, market, unit, sources, sharing, "
    "section_sharing, version) VALUES (1, 'ga-rot', 'gallium', 'Rotterdam', 'USD/kg', '[]', "
    "'public', '{}', 1)"
)
OBS = (
    "INSERT INTO price_observations (series_id, date, date_precision, kind, value, unit, "
    "reference, sources) VALUES (1, :d, 'day', :kind, :value, :unit, :ref, '[]')"
)


def test_0006_migrates_observations_and_adds_fx(db_url):
    upgrade(db_url, "0005")
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO minerals (code, name, quantity_unit) "
                           "VALUES ('gallium', 'Gallium', 'kg')"))  # fmt: skip
            c.execute(text(SERIES))
            for d, kind, value, unit, ref in (
                ("2025-01-01", "level", 600, "USD/kg", None),
                ("2025-01-08", "change_pct", 2.5, "USD/kg", "w/w"),
                ("2025-02-01", "change_pct", 9, "USD/kg", "before the controls"),
                ("2025-03-01", "ratio_to_series", 2, "USD/kg", "ga-cn"),
            ):
                c.execute(text(OBS), {"d": d, "kind": kind, "value": value, "unit": unit,
                                      "ref": ref})  # fmt: skip
        upgrade(db_url, "0006")
        assert current_revision(db_url) == "0006"
        with engine.begin() as c:
            rows = c.execute(text("SELECT kind, qualifier, \"window\", relative_to, reference "
                                  "FROM price_observations ORDER BY date")).all()  # fmt: skip
            assert [tuple(r) for r in rows] == [
                ("level", "exact", None, None, None),
                ("change_pct", "exact", "P1W", None, "w/w"),
                ("change_pct", "exact", None, None, "before the controls"),
                ("ratio_to_series", "exact", None, "ga-cn", "ga-cn"),
            ]
            c.execute(text("INSERT INTO fx_rates (base, quote, date, date_precision, rate, "
                           "basis, sources) VALUES ('USD', 'CNY', '2023-01-01', 'year', "
                           "7.0809, 'average', '[]')"))  # fmt: skip
            purity = c.execute(text("SELECT purity, frequency FROM price_series")).one()
            assert tuple(purity) == (None, None)
    finally:
        engine.dispose()
    downgrade(db_url, "0005")
    assert current_revision(db_url) == "0005"
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            assert c.execute(text("SELECT count(*) FROM price_observations")).scalar() == 4
        # the per-owner key index is still there after SQLite's table rebuilds
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(text(SERIES.replace("(1, 'ga-rot'", "(2, 'ga-rot'")))
    finally:
        engine.dispose()
