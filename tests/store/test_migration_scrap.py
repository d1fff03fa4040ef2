"""Migration 0014 on SQLite and PostgreSQL: scrap lots become offers and requests (an
existing lot keeps its values and is an offer), matches and their decisions get tables,
and everything goes back on the way down."""

from __future__ import annotations

from sqlalchemy import inspect, text

from critmin.store.db import make_engine
from critmin.store.migrate import current_revision, downgrade, upgrade

LOT = ("INSERT INTO scrap_lots (mineral, quantity, unit, grade_pct, country, sources, "
       "sharing, section_sharing, version) VALUES ('tungsten', 12.5, 't', 88.0, 'DEU', "
       "'[]', 'owner', '{}', 1)")  # fmt: skip


def _columns(engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("scrap_lots")}


def test_0014_adds_the_exchange_and_goes_back(db_url):
    upgrade(db_url, "0013")
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO minerals (code, name, quantity_unit) "
                    "VALUES ('tungsten', 'Tungsten', 't')"
                )
            )
            c.execute(text(LOT))
        assert "side" not in _columns(engine)
        assert "scrap_matches" not in inspect(engine).get_table_names()
        upgrade(db_url, "0014")
        assert current_revision(db_url) == "0014"
        assert {"side", "scrap_types", "grade_min_pct", "allocated_t", "available_to",
                "required_standards"} <= _columns(engine)  # fmt: skip
        with engine.begin() as c:
            row = c.execute(text("SELECT quantity, grade_pct, country, side, allocated_t "
                                 "FROM scrap_lots")).one()  # fmt: skip
            assert tuple(row) == (12.5, 88.0, "DEU", "offer", 0.0)
            c.execute(
                text(
                    "INSERT INTO scrap_lots (mineral, quantity, unit, country, side, "
                    "sources, sharing, section_sharing, version, allocated_t) VALUES "
                    "('tungsten', 5, 't', 'USA', 'request', '[]', 'public', '{}', 1, 0)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO scrap_matches (offer_id, request_id, status, "
                    "quantity_t, version) VALUES (1, 2, 'accepted', 5, 1)"
                )
            )
            c.execute(
                text(
                    "INSERT INTO scrap_match_events (match_id, action, to_status, "
                    "actor, at) VALUES (1, 'accept', 'accepted', 'A (editor)', "
                    "CURRENT_TIMESTAMP)"
                )
            )
            dup = c.execute(text("SELECT count(*) FROM scrap_matches")).scalar_one()
        assert dup == 1
        downgrade(db_url, "0013")
        assert current_revision(db_url) == "0013"
        assert "side" not in _columns(engine)
        names = set(inspect(engine).get_table_names())
        assert "scrap_matches" not in names and "scrap_match_events" not in names
        with engine.begin() as c:
            kept = c.execute(text("SELECT quantity, grade_pct, country FROM scrap_lots "
                                  "ORDER BY id")).all()  # fmt: skip
        assert [tuple(k) for k in kept] == [(12.5, 88.0, "DEU"), (5.0, None, "USA")]
    finally:
        engine.dispose()
