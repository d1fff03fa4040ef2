"""Live-server fixtures for the API tests: uvicorn on loopback over real SQLite/PostgreSQL.

``api_db_url`` is a fresh migrated database per test module, once per backend;
``live`` starts an app on a free port and yields its base URL; ``make_orgs`` creates
organisations, groups and tokens through the auth service.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

import critmin
from critmin.api.app import create_app
from critmin.config import Settings
from critmin.services import auth
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade
from support import load_usgs_chapters, serve_app, temporary_pg_database

SECRET = "test-secret-key-of-at-least-thirty-two-characters"
USGS = Path(critmin.__file__).parent / "data" / "reference" / "usgs-mcs2026"


@contextmanager
def running(url: str, **settings: Any) -> Iterator[str]:
    """Serve the app for ``url`` on a free loopback port; yields the base URL."""
    settings.setdefault("rate_limit_per_minute", 0)
    app = create_app(url, Settings(secret_key=SECRET, env="development", **settings))
    with serve_app(app) as base:
        yield base


@pytest.fixture(scope="session")
def live() -> Callable[..., Any]:
    """``with live(url, rate_limit_per_minute=5) as base: ...``"""
    return running


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def api_db_url(request: pytest.FixtureRequest, tmp_path_factory) -> Iterator[str]:
    """A fresh migrated database for this module, once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'critmin.db'}"
        upgrade(url)
        yield url
        return
    with temporary_pg_database(request.getfixturevalue("pg_server"), "critmin_api") as url:
        upgrade(url)
        yield url


def create_orgs(url: str, spec: dict[str, tuple[list[str], str]]) -> dict[str, str]:
    """``{org: ([groups], role)}`` -> ``{org: token}`` (organisations created as needed)."""
    engine = make_engine(url)
    tokens = {}
    with transaction(engine) as session:
        for name, (groups, role) in spec.items():
            auth.create_org(session=session, name=name, groups=groups)
            tokens[name] = auth.create_token(session=session, org_name=name, role=role)[1]
    engine.dispose()
    return tokens


@pytest.fixture(scope="session")
def make_orgs() -> Callable[..., dict[str, str]]:
    return create_orgs


def load_usgs(url: str, slug: str) -> None:
    """Load a bundled USGS chapter with the real loader (for the outlook)."""
    engine = make_engine(url)
    with transaction(engine) as session:
        load_usgs_chapters(session, slug)
    engine.dispose()


@pytest.fixture(scope="session")
def usgs() -> Callable[[str, str], None]:
    return load_usgs
