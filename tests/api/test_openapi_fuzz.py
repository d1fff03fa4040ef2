"""Fuzz every operation of the live OpenAPI spec over real HTTP: no request may get a 5xx.

The app runs under uvicorn in a thread on 127.0.0.1 (a free port) over a migrated SQLite
database with the bundled data (or, before the reference loader exists, the curated
projects), with the rate limit off. Schemathesis loads ``/api/v1/openapi.json`` from the
running server when the test runs, so operations added later are covered without
changing this file. Every request carries an editor token of a fresh organisation
(``Authorization: Bearer ...``), so write operations get past authentication.

Schemathesis' Python API is used (each operation's Hypothesis strategy, valid and invalid
inputs), one pytest subtest per operation and mode: its pytest plugin's lazy
``from_fixture`` loader does not work with pytest 9 (it sets ``Function._nodeid``).
Bounded and deterministic: ``MAX_EXAMPLES`` (25) per operation and mode, fewer (down
to 10) once the spec has more than 64 operations, so about ``TOTAL_CASES`` requests in
all; ``derandomize=True``, no example database, no shrinking. Only the
``not_a_server_error`` check runs: 4xx answers to invalid input are fine; a 5xx (or a
dropped connection) fails that subtest, named ``METHOD /path (mode)``, with a curl
command that reproduces it.

Override the budget with ``CRITMIN_FUZZ_EXAMPLES`` (e.g. 100 for a longer local run).
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, Verbosity, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.control import SkipTest
from schemathesis.core.result import Err

from critmin.api.app import create_app
from critmin.config import Settings
from critmin.services.auth import create_org, create_token
from critmin.services.bootstrap import curated_path
from critmin.store.db import make_engine, transaction
from support import serve_app

MAX_EXAMPLES = int(os.environ.get("CRITMIN_FUZZ_EXAMPLES", "25"))
TOTAL_CASES = 3200
"""Cases in all (valid + invalid): keeps the test under ~3 minutes as operations are added."""
MIN_EXAMPLES = 10
ORG = "Fuzz Testing Org"


def _fill(url: str) -> None:
    """Bundled data when the reference loader exists; else migrate + curated projects."""
    if importlib.util.find_spec("critmin.ingest.reference") is not None:
        from critmin.services.bootstrap import init_database

        init_database(url, include_trade=False)
        return
    from critmin.services.projects import import_file
    from critmin.store.migrate import upgrade

    upgrade(url)
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            import_file(session=session, path=curated_path("projects.yaml"), actor="fuzz")
    finally:
        engine.dispose()


def _editor_token(url: str) -> str:
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            create_org(session=session, name=ORG, groups=["fuzz-partners"])
            _, token = create_token(session=session, org_name=ORG, role="editor")
    finally:
        engine.dispose()
    return token


@pytest.fixture(scope="module")
def fuzz_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """(base URL, editor token) of a live server on a throwaway SQLite database."""
    path: Path = tmp_path_factory.mktemp("fuzz") / "critmin.db"
    url = f"sqlite:///{path}"
    _fill(url)
    token = _editor_token(url)
    app = create_app(url, Settings(rate_limit_per_minute=0))
    with serve_app(app) as base:
        yield base, token


def _operations(base_url: str) -> list[Any]:
    """Every operation of the live spec (a spec error fails the test, naming it)."""
    loaded = schemathesis.openapi.from_url(f"{base_url}/api/v1/openapi.json", timeout=30)
    operations = []
    for result in loaded.get_all_operations():
        if isinstance(result, Err):
            raise AssertionError(f"invalid OpenAPI operation: {result.err()}")
        operations.append(result.ok())
    return operations


def _fuzz(operation: Any, mode: GenerationMode, examples: int, base_url: str, token: str) -> None:
    """Up to ``examples`` cases; the first 5xx raises (no shrinking: it costs requests)."""

    @settings(
        max_examples=examples,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet,
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case: Any) -> None:
        try:
            case.call_and_validate(
                base_url=base_url,
                headers={"Authorization": f"Bearer {token}"},
                checks=[not_a_server_error],
                timeout=60,
            )
        except requests.RequestException as exc:  # a dropped connection is a server failure
            raise AssertionError(f"{exc!r}\nreproduce: {case.as_curl_command()}") from None

    run()


def test_no_server_errors(fuzz_server: tuple[str, str], subtests: pytest.Subtests) -> None:
    base_url, token = fuzz_server
    operations = _operations(base_url)
    assert len(operations) >= 3, "the spec lists suspiciously few operations"
    examples = max(MIN_EXAMPLES, min(MAX_EXAMPLES, TOTAL_CASES // (2 * len(operations))))
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            # Unsatisfiable/SkipTest: nothing to generate (e.g. no parameter to negate).
            with (
                subtests.test(msg=f"{operation.label} ({mode.value})"),
                contextlib.suppress(Unsatisfiable, SkipTest),
            ):
                _fuzz(operation, mode, examples, base_url, token)
