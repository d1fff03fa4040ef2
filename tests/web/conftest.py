"""Fixtures for the dashboard tests: one filled database and one server per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web_support import World, build_world, running


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return build_world(f"sqlite:///{tmp_path_factory.mktemp('web') / 'critmin.db'}")


@pytest.fixture(scope="module")
def base_url(world: World) -> Iterator[str]:
    with running(world.url) as url:
        yield url
