from sqlalchemy import inspect


def test_migrations_create_every_table(engine):
    names = set(inspect(engine).get_table_names())
    assert {"projects", "project_events", "change_log", "export_measures", "trade_flows"} <= names
