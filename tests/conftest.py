"""Shared fixtures: real SQLite files and real PostgreSQL databases.

PostgreSQL tests use the server at ``CRITMIN_TEST_PG`` (default
``postgresql://postgres@127.0.0.1:5432/postgres``); each test gets a fresh database.
They are skipped only when no server is reachable *and* ``CI`` is unset; in CI an
unreachable server is an error.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text

from critmin.store.db import make_engine
from critmin.store.migrate import upgrade
from support import temporary_pg_database

PG_ADMIN_URL = os.environ.get(
    "CRITMIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _pg_available() -> str | None:
    try:
        eng = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
        with eng.connect() as conn:
            conn.execute(text("SELECT 1"))
        eng.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return str(exc).splitlines()[0]


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The admin URL of a reachable PostgreSQL server (skip or fail otherwise)."""
    problem = _pg_available()
    if problem:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL not reachable: {problem}")
    return PG_ADMIN_URL


@pytest.fixture
def pg_url(pg_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    with temporary_pg_database(pg_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'critmin.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database URL, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'critmin.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated, empty database on each backend."""
    upgrade(db_url)
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[Engine]:
    """A migrated, empty SQLite database (for tests that need only one backend)."""
    upgrade(sqlite_url)
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="session")
def bundled_db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite database made by ``init_database`` with every bundled dataset (read-only use)."""
    from critmin.services.bootstrap import init_database

    url = f"sqlite:///{tmp_path_factory.mktemp('bundled') / 'critmin.db'}"
    init_database(url)
    return url


@pytest.fixture
def curated_projects_path() -> Path:
    from critmin.services.bootstrap import curated_path

    return curated_path("projects.yaml")
