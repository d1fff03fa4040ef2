"""The read-only API and the projects page over real HTTP (uvicorn on loopback)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import live_http
from critmin.api.app import create_app
from support import serve_app


@pytest.fixture(scope="module")
def base_url(bundled_db_url) -> Iterator[str]:
    with serve_app(create_app(bundled_db_url)) as base:
        yield base


def test_health(base_url):
    r = live_http.get(f"{base_url}/api/v1/health")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_list_and_detail(base_url):
    r = live_http.get(f"{base_url}/api/v1/projects", params={"mineral": "gallium"})
    body = r.json()
    assert r.status_code == 200 and body["count"] == len(body["data"]) >= 10
    first = body["data"][0]
    d = live_http.get(f"{base_url}/api/v1/projects/{first['id']}")
    assert d.status_code == 200 and d.json()["key"] == first["key"]


def test_bad_input_is_4xx_with_body(base_url):
    r = live_http.get(f"{base_url}/api/v1/projects", params={"stage": "mining"})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "query.stage"
    assert live_http.get(f"{base_url}/api/v1/projects/999999").status_code == 404
    assert live_http.get(f"{base_url}/api/v1/projects/abc").status_code == 422


def test_projects_page_lists_projects(base_url):
    r = live_http.get(f"{base_url}/projects", params={"mineral": "tungsten"})
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "Boguty" in r.text
    assert "Saguenay" not in r.text
    assert live_http.get(f"{base_url}/api/v1/openapi.json").json()["info"]["title"] == "critmin"
