"""Migration 0012 on SQLite and PostgreSQL: the supply-network tables appear on a 0011
database, take a network and its blobs, keep names unique per owner, and go away again
on the way down."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import IntegrityError

from critmin.store.db import make_engine
from critmin.store.migrate import current_revision, downgrade, upgrade

NETWORK = ("INSERT INTO supply_networks (id, name, nodes, edges, synthetic, meta, sharing, "
           "section_sharing, version, owner_org_id) VALUES (:id, :name, 3, 2, :synthetic, "
           "'{}', 'owner', '{}', 1, :owner)")  # fmt: skip
DATA = ("INSERT INTO supply_network_data (network_id, format, nodes_blob, edges_blob) "
        "VALUES (:id, 'parquet-zstd', :nodes, :edges)")  # fmt: skip


def test_0012_adds_supply_networks_and_goes_back(db_url):
    upgrade(db_url, "0011")
    engine = make_engine(db_url)
    try:
        names = inspect(engine).get_table_names()
        assert "supply_networks" not in names and "supply_network_data" not in names
        upgrade(db_url, "0012")
        assert current_revision(db_url) == "0012"
        with engine.begin() as c:
            c.execute(text("INSERT INTO organisations (id, name) VALUES (1, 'A'), (2, 'B')"))
            c.execute(text(NETWORK), {"id": 1, "name": "gallium", "synthetic": False,
                                      "owner": 1})
            c.execute(text(NETWORK), {"id": 2, "name": "gallium", "synthetic": True,
                                      "owner": 2})  # same name, another owner: fine
            c.execute(text(DATA), {"id": 1, "nodes": b"\x00PAR1" * 1000, "edges": b"\x01"})
            row = c.execute(text("SELECT n.name, n.synthetic, n.created_at, d.nodes_blob "
                                 "FROM supply_networks n JOIN supply_network_data d "
                                 "ON d.network_id = n.id")).one()  # fmt: skip
        assert row[0] == "gallium" and not row[1] and row[2] is not None
        assert bytes(row[3]) == b"\x00PAR1" * 1000  # binary kept byte for byte
        with pytest.raises(IntegrityError), engine.begin() as c:
            c.execute(text(NETWORK), {"id": 3, "name": "gallium", "synthetic": False,
                                      "owner": 1})
        downgrade(db_url, "0011")
        assert current_revision(db_url) == "0011"
        names = inspect(engine).get_table_names()
        assert "supply_networks" not in names and "supply_network_data" not in names
        upgrade(db_url, "0012")  # and up again on the same database
        assert "supply_network_data" in inspect(engine).get_table_names()
    finally:
        engine.dispose()
