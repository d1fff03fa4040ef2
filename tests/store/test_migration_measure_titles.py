"""Migration 0015 on SQLite and PostgreSQL: export measures gain ``title_original``; a
measure stored before keeps its values, and the column goes on the way down."""

from __future__ import annotations

from sqlalchemy import inspect, text

from critmin.store.db import make_engine
from critmin.store.migrate import current_revision, downgrade, upgrade

MEASURE = ("INSERT INTO export_measures (key, title, imposing_country, target_countries, "
           "minerals, forms, measure_type, extraterritorial, expiry_derived, date_precision, "
           "sources, sharing, section_sharing, version) VALUES ('cn-law', 'Export Control "
           "Law', 'CHN', '[]', '[]', '[]', 'law', TRUE, FALSE, 'day', '[]', 'public', '{}', "
           "1)")  # fmt: skip


def _columns(engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("export_measures")}


def test_0015_adds_the_original_title_and_goes_back(db_url):
    upgrade(db_url, "0014")
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            c.execute(text(MEASURE))
        assert "title_original" not in _columns(engine)
        upgrade(db_url, "0015")
        assert current_revision(db_url) == "0015"
        assert "title_original" in _columns(engine)
        with engine.begin() as c:
            before = c.execute(text("SELECT title, title_original FROM export_measures")).one()
            assert tuple(before) == ("Export Control Law", None)
            c.execute(text("UPDATE export_measures SET title_original = '出口管制法'"))
            assert c.execute(
                text("SELECT title_original FROM export_measures")
            ).scalar_one() == "出口管制法"
        downgrade(db_url, "0014")
        assert current_revision(db_url) == "0014"
        assert "title_original" not in _columns(engine)
        with engine.begin() as c:
            kept = c.execute(text("SELECT key, title FROM export_measures")).one()
        assert tuple(kept) == ("cn-law", "Export Control Law")
    finally:
        engine.dispose()
