"""Migration 0013 on SQLite and PostgreSQL: stockpile lots gain purity, supplier and the
supplier's country; existing lots keep their values on the way up and down."""

from __future__ import annotations

from sqlalchemy import inspect, text

from critmin.store.db import make_engine
from critmin.store.migrate import current_revision, downgrade, upgrade

LOT = ("INSERT INTO stockpile_lots (mineral, quantity, unit, location, sources, sharing, "
       "section_sharing, version) VALUES ('gallium', 2.5, 't', 'Depot A', '[]', 'public', "
       "'{}', 1)")


def _columns(engine) -> set[str]:
    return {c["name"] for c in inspect(engine).get_columns("stockpile_lots")}


def test_0013_adds_origin_columns_and_keeps_lots(db_url):
    upgrade(db_url, "0012")
    engine = make_engine(db_url)
    try:
        with engine.begin() as c:
            c.execute(text("INSERT INTO minerals (code, name, quantity_unit) "
                           "VALUES ('gallium', 'Gallium', 'kg')"))
            c.execute(text(LOT))
        assert "supplier" not in _columns(engine)
        upgrade(db_url, "0013")
        assert current_revision(db_url) == "0013"
        assert {"purity_pct", "supplier", "supplier_country"} <= _columns(engine)
        with engine.begin() as c:
            c.execute(text("UPDATE stockpile_lots SET purity_pct = 99.99, supplier = 'Dowa', "
                           "supplier_country = 'JPN'"))
            row = c.execute(text("SELECT quantity, location, purity_pct, supplier, "
                                 "supplier_country FROM stockpile_lots")).one()  # fmt: skip
        assert tuple(row) == (2.5, "Depot A", 99.99, "Dowa", "JPN")
        downgrade(db_url, "0012")
        assert "supplier" not in _columns(engine)
        with engine.begin() as c:
            kept = c.execute(text("SELECT quantity, location FROM stockpile_lots")).one()
        assert tuple(kept) == (2.5, "Depot A")
    finally:
        engine.dispose()
