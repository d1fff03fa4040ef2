"""The served API conforms to its own OpenAPI document: ``schemathesis run --checks all``.

The app runs under uvicorn in a thread on 127.0.0.1 (a free port) over a migrated SQLite
database with the bundled data, with the rate limit off. Schemathesis' command line runs
against it as a user would, with the repository's ``schemathesis.toml`` (which documents
the answers that are intended, e.g. 412 for a made-up If-Match): every check (no 5xx,
documented status codes, content types, headers and bodies, valid data accepted, invalid
data rejected, ``Allow`` on 405, ...) over the examples, coverage, fuzzing and stateful
phases (the three Monte Carlo operations skip the coverage phase: see the comment in
``schemathesis.toml``). Every request carries an editor token of a fresh organisation, so writes get
past authentication.

Bounded and deterministic: ``--generation-deterministic`` and ``MAX_EXAMPLES`` (5) per
operation, about 5,000 requests in ~25 s. Override with ``CRITMIN_FUZZ_EXAMPLES`` (e.g.
100 for a longer local run). A failure shows schemathesis' report with a curl command
that reproduces each problem.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest

import live_http
from critmin.api.app import create_app
from critmin.config import Settings
from critmin.services.auth import create_org, create_token
from critmin.services.bootstrap import init_database
from critmin.store.db import make_engine, transaction
from support import serve_app

MAX_EXAMPLES = int(os.environ.get("CRITMIN_FUZZ_EXAMPLES", "5"))
CONFIG = Path(__file__).resolve().parents[2] / "schemathesis.toml"
ORG = "Fuzz Testing Org"


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
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'critmin.db'}"
    init_database(url, include_trade=False)
    token = _editor_token(url)
    app = create_app(url, Settings(rate_limit_per_minute=0, auth_failures_per_minute=0))
    with serve_app(app) as base:
        yield base, token


def test_schemathesis_finds_no_conformance_failures(fuzz_server, tmp_path):
    base_url, token = fuzz_server
    command = [
        sys.executable, "-c", "from schemathesis.cli import schemathesis; schemathesis()",
        "--config-file", str(CONFIG), "--no-color",
        "run", f"{base_url}/api/v1/openapi.json",
        "--checks", "all",
        "--header", f"Authorization: Bearer {token}",
        "--max-examples", str(MAX_EXAMPLES),
        "--generation-deterministic",
        "--request-timeout", "60",
    ]  # fmt: skip
    proc = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    report = proc.stdout + proc.stderr
    assert "Tested: " in report, report[-3000:]
    assert proc.returncode == 0, report[report.find("FAILURES") :][:12000] or report[-6000:]


def test_error_bodies_match_the_documented_schemas(fuzz_server):
    """A real 422, 404, 401 and 405 validate against the schemas the OpenAPI gives them."""
    base_url, _ = fuzz_server
    spec = live_http.get(f"{base_url}/api/v1/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    cases = [
        ("get", "/api/v1/projects", {"params": {"limit": "many"}}, 422),
        ("get", "/api/v1/projects/{project_id}", {"url": "/api/v1/projects/999999"}, 404),
        ("get", "/api/v1/me", {"headers": {"Authorization": "Bearer cm_nope"}}, 401),
        ("post", "/api/v1/projects/import", {"content": b"{}", "headers": {
            "Authorization": f"Bearer {fuzz_server[1]}", "Content-Type": "application/json"}},
         422),
    ]  # fmt: skip
    for method, path, options, status in cases:
        url = base_url + options.pop("url", path)
        response = live_http.request(method, url, **options)
        assert response.status_code == status, (path, response.text)
        documented = spec["paths"][path][method]["responses"][str(status)]
        ref = documented["content"]["application/json"]["schema"]["$ref"]
        jsonschema.validate(response.json(), {"$ref": ref, "components": spec["components"]})
    with pytest.raises(jsonschema.ValidationError):  # the check can fail: FastAPI's own shape
        jsonschema.validate({"detail": [{"loc": ["query"], "msg": "x", "type": "y"}]},
                            {"$ref": ref, "components": spec["components"]})  # fmt: skip
