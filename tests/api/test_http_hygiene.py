"""HTTP hygiene over real HTTP: caching headers on caller-dependent answers, HEAD on every
GET route, ASCII-only path ids, compressed static assets with working ETags, ``Allow`` on
405, and API docs that load nothing from another site."""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator

import httpx
import pytest

import live_http
from critmin.api.app import create_app
from critmin.config import Settings
from critmin.web.assets import plotly_js_path
from support import serve_app

SECRET = "hygiene-test-secret-key-with-32-characters-or-more"
SAMPLES = {"project_id": "1", "id": "1", "obs_id": "1", "token_id": "1", "mineral": "gallium",
           "from": "2026", "to": "2030", "ref": "ga-rotterdam-low-purity",
           "series": "ga-rotterdam-low-purity", "a": "w-rotterdam-apt",
           "b": "w-rotterdam-concentrate-65pct", "import_id": "1", "origin": "CHN",
           "target": "USA", "hs": "261100", "start": "2019", "item": "gallium",
           "destination": "USA", "date": "2025-03-01", "network_id": "1",
           "end": "chip-a"}  # fmt: skip
PAGES = ["/", "/projects", "/projects/1", "/projects/1/edit", "/minerals/gallium", "/outlook",
         "/measures", "/sources", "/login", "/logout", "/favicon.ico", "/api/docs"]  # fmt: skip
STATIC = ["/static/plotly.min.js", "/static/dashboard.css", "/static/dashboard.js",
          "/static/favicon.svg", "/static/swagger-ui/swagger-ui-bundle.js",
          "/static/swagger-ui/swagger-ui.css"]  # fmt: skip


@pytest.fixture(scope="module")
def base(bundled_db_url: str) -> Iterator[str]:
    app = create_app(bundled_db_url, Settings(secret_key=SECRET, rate_limit_per_minute=0))
    with serve_app(app) as url:
        yield url


@pytest.fixture(scope="module")
def client(base: str) -> Iterator[httpx.Client]:
    with live_http.client(base_url=base, timeout=60) as c:
        yield c


def api_get_urls(client: httpx.Client) -> list[str]:
    """Every GET operation of the OpenAPI, with sample values for its required parameters."""
    urls = []
    for path, item in client.get("/api/v1/openapi.json").json()["paths"].items():
        if "get" not in item:
            continue
        params = item["get"].get("parameters", [])
        url = re.sub(r"\{(\w+)\}", lambda m: SAMPLES[m.group(1)], path)
        query = [f"{p['name']}={SAMPLES[p['name']]}" for p in params
                 if p["in"] == "query" and p.get("required")]  # fmt: skip
        urls.append(url + ("?" + "&".join(query) if query else ""))
    return urls


def _private(r: httpx.Response) -> bool:
    vary = {v.strip().lower() for v in r.headers.get("vary", "").split(",")}
    cache = r.headers.get("cache-control", "")
    return {"authorization", "cookie"} <= vary and ("private" in cache or "no-store" in cache)


def test_caller_dependent_answers_are_private(client):
    urls = [u for u in api_get_urls(client) if u not in {"/api/v1/health"}] + PAGES[:-2]
    assert len(urls) > 30
    bad = {"Authorization": "Bearer cm_not_a_real_token"}
    for url in urls:
        r = client.get(url)
        assert _private(r), (url, r.status_code, r.headers)
    for r in (client.get("/api/v1/projects/999999"), client.get("/api/v1/me", headers=bad),
              client.post("/api/v1/projects", json={}), client.options("/api/v1/facilities"),
              client.get("/api/v1/projects", params={"limit": "many"})):  # fmt: skip
        assert r.status_code >= 400 and _private(r), (r.request.url, r.headers)


def test_static_assets_are_shared_and_cacheable(client):
    for url in STATIC:
        r = client.get(url)
        assert r.status_code == 200, url
        cache = r.headers["cache-control"]
        assert "public" in cache and "private" not in cache
        assert "authorization" not in r.headers.get("vary", "").lower()


def test_every_get_route_answers_head(client):
    for url in api_get_urls(client) + PAGES + STATIC + ["/api/v1/openapi.json"]:
        got, head = client.get(url), client.head(url)
        assert head.status_code == got.status_code != 405, url
        if got.status_code == 404:  # a record that is not there, not a missing route
            assert got.json()["detail"] != "Not Found", url
        assert head.content == b"", url
        assert head.headers.get("content-type") == got.headers.get("content-type"), url


@pytest.mark.parametrize("bad", ["١٢", "１", "+1", " 1", "1_0", "1.0", "-1"])
def test_path_ids_take_ascii_digits_only(client, bad):
    for template in ("/api/v1/projects/{}", "/api/v1/projects/{}/history", "/api/v1/facilities/{}",
                     "/api/v1/dashboard/projects/{}", "/api/v1/price-series/1/observations/{}",
                     "/projects/{}", "/projects/{}/edit"):  # fmt: skip
        r = client.get(template.format(bad))
        assert r.status_code in (404, 422), (template, bad, r.status_code)
    assert client.get("/api/v1/projects/1").status_code == 200
    assert client.get("/projects/1").status_code == 200


def test_openapi_still_says_integer_ids(client):
    spec = client.get("/api/v1/openapi.json").json()
    param = spec["paths"]["/api/v1/projects/{project_id}"]["get"]["parameters"][0]
    assert param["schema"]["type"] == "integer" and param["schema"]["minimum"] == 1


def test_static_assets_are_compressed_with_working_etags(client):
    raw = plotly_js_path().read_bytes()
    plain = client.get("/static/plotly.min.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == raw
    assert int(plain.headers["content-length"]) == len(raw) > 4_000_000
    assert not plain.headers["etag"].startswith("W/")
    with client.stream("GET", "/static/plotly.min.js", headers={"Accept-Encoding": "gzip"}) as r:
        wire = b"".join(r.iter_raw())
        headers = r.headers
    assert headers["content-encoding"] == "gzip" and "content-length" not in headers  # streamed
    assert "accept-encoding" in headers["vary"].lower()
    assert len(wire) < len(raw) / 2 and gzip.decompress(wire) == raw
    assert headers["etag"].startswith("W/")  # another representation of the file
    for tag, encoding in ((headers["etag"], "gzip"), (plain.headers["etag"], "identity")):
        again = client.get("/static/plotly.min.js",
                           headers={"If-None-Match": tag, "Accept-Encoding": encoding})  # fmt: skip
        assert again.status_code == 304 and again.content == b""
    small = client.get("/static/favicon.svg", headers={"Accept-Encoding": "gzip"})
    assert small.status_code == 200


def test_405_lists_every_method_of_the_path(client):
    r = client.options("/api/v1/facilities")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, POST"
    r = client.request("PUT", "/api/v1/projects/1")
    assert r.status_code == 405 and r.headers["allow"] == "DELETE, GET, HEAD, PATCH"
    r = client.patch("/api/v1/projects/export", json={})
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"
    r = client.delete("/static/dashboard.css")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD"


def test_api_docs_load_only_local_assets(client):
    html = client.get("/api/docs").text
    refs = re.findall(r'(?:src|href)="([^"]+)"', html) + re.findall(r"url: '([^']+)'", html)
    assert refs and not re.search(r"https?://|//[a-z]", html.replace("window.location", ""))
    assert all(ref.startswith("/") for ref in refs), refs
    kinds = {}
    for ref in refs:
        r = client.get(ref)
        assert r.status_code == 200, ref
        kinds[ref.split("?")[0].rsplit(".", 1)[-1]] = r.headers["content-type"]
    assert "javascript" in kinds["js"] and kinds["css"].startswith("text/css")
    assert kinds["json"].startswith("application/json")  # the OpenAPI document
