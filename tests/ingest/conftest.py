"""Session-scoped databases holding the full bundled reference data (BACI included).

Each backend is loaded once per test session: the full load is the slow part of
these tests. Tests must only read these databases (or re-run the idempotent load).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from critmin.ingest.reference import load_reference
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade
from support import temporary_pg_database

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def samples() -> Path:
    return SAMPLES


def _loaded(url: str) -> tuple[Engine, dict[str, int], float]:
    upgrade(url)
    engine = make_engine(url)
    started = time.perf_counter()
    with transaction(engine) as session:
        counts = load_reference(session)
    return engine, counts, time.perf_counter() - started


@pytest.fixture(scope="session")
def _pg_reference_url(pg_server: str) -> Iterator[str]:
    with temporary_pg_database(pg_server, "critmin_ref") as url:
        yield url


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def reference_db(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Engine, dict[str, int], float]]:
    """(engine, counts returned by load_reference, seconds) of a fully loaded database."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('reference') / 'critmin.db'}"
    else:
        url = request.getfixturevalue("_pg_reference_url")
    engine, counts, seconds = _loaded(url)
    yield engine, counts, seconds
    engine.dispose()


@pytest.fixture(scope="session")
def reference_engine(reference_db: tuple[Engine, dict[str, int], float]) -> Engine:
    return reference_db[0]
