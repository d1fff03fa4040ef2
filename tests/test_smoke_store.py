from sqlalchemy import inspect


def test_migrations_create_every_table(engine):
    names = set(inspect(engine).get_table_names())
    assert {"projects", "project_events", "change_log", "export_measures", "trade_flows"} <= names


def test_migrations_match_the_models(engine):
    """Alembic's autogenerate finds nothing to add: migrations and tables agree."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from critmin.store.base import Base

    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
