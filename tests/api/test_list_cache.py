"""The cached project list is never stale and never shared across visibilities."""

from __future__ import annotations

import pytest
from sqlalchemy import update

import live_http
from critmin.services.bootstrap import curated_path
from critmin.services.projects import import_file
from critmin.store.db import make_engine, transaction
from critmin.store.tables import Project


@pytest.fixture(scope="module")
def server(api_db_url, live, make_orgs):
    tokens = make_orgs(api_db_url, {"Owner": (["G"], "editor"), "Other": ([], "viewer")})
    with live(api_db_url) as base:
        yield base, tokens


def _names(base: str, token: str | None = None, **params) -> list[str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    r = live_http.get(f"{base}/api/v1/projects", params={"limit": 500, **params}, headers=headers)
    assert r.status_code == 200
    return [p["name"] for p in r.json()["data"]]


def test_writes_show_at_once_and_visibility_is_not_shared(server):
    base, tokens = server
    owner = {"Authorization": f"Bearer {tokens['Owner']}"}
    assert _names(base) == _names(base)  # second call served from the cache
    body = {
        "key": "cache-probe",
        "name": "Cache probe",
        "mineral": "gallium",
        "stage": "recycling",
        "country": "JPN",
        "status": "announced",
        "sharing": "owner",
    }
    created = live_http.post(f"{base}/api/v1/projects", json=body, headers=owner)
    assert created.status_code == 201
    assert "Cache probe" in _names(base, tokens["Owner"])
    assert "Cache probe" not in _names(base)  # anonymous: a different visibility
    assert "Cache probe" not in _names(base, tokens["Other"])
    pid, tag = created.json()["id"], created.headers["ETag"]
    patched = live_http.patch(
        f"{base}/api/v1/projects/{pid}",
        json={"sharing": "public"},
        headers={**owner, "If-Match": tag},
    )
    assert patched.status_code == 200
    assert "Cache probe" in _names(base)  # read-your-writes right after the 200
    assert "Cache probe" in _names(base, tokens["Other"])


def test_conditional_get_and_out_of_band_writes(server, api_db_url, tmp_path):
    base, _ = server
    first = live_http.get(f"{base}/api/v1/projects", params={"mineral": "gallium"})
    again = live_http.get(
        f"{base}/api/v1/projects",
        params={"mineral": "gallium"},
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304
    before = len(first.json()["data"])
    engine = make_engine(api_db_url)  # a write from another process (here: the CLI's path)
    with transaction(engine) as s:
        import_file(session=s, path=curated_path("projects.yaml"), actor="cli")
    after = live_http.get(
        f"{base}/api/v1/projects",
        params={"mineral": "gallium"},
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert after.status_code == 200 and len(after.json()["data"]) > before
    engine.dispose()


def test_unlogged_edits_are_not_the_contract(server, api_db_url):
    """Writes bypassing the change log (raw SQL) are outside the cache's promise; a logged
    write after them refreshes everything."""
    base, tokens = server
    engine = make_engine(api_db_url)
    with transaction(engine) as s:
        s.execute(update(Project).where(Project.key == "cache-probe").values(name="Renamed raw"))
    owner = {"Authorization": f"Bearer {tokens['Owner']}"}
    found = live_http.get(f"{base}/api/v1/projects", params={"q": "cache-probe"}).json()
    pid = next(p["id"] for p in found["data"])
    tag = live_http.get(f"{base}/api/v1/projects/{pid}", headers=owner).headers["ETag"]
    r = live_http.patch(
        f"{base}/api/v1/projects/{pid}",
        json={"name": "Renamed via API"},
        headers={**owner, "If-Match": tag},
    )
    assert r.status_code == 200
    assert "Renamed via API" in _names(base)
    engine.dispose()


def test_session_cookie_never_authorises_api_writes(server):
    """A logged-in browser's cookie cannot be used for a cross-site API write."""
    base, tokens = server
    with live_http.client(base_url=base) as browser:
        page = browser.get("/login")
        csrf = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
        logged = browser.post("/login", data={"token": tokens["Owner"], "csrf_token": csrf})
        assert logged.status_code in (200, 303)
        assert browser.get("/api/v1/me").json()["org"]["name"] == "Owner"  # reads: yes
        body = {
            "key": "cookie-write",
            "name": "Cookie write",
            "mineral": "gallium",
            "stage": "recycling",
            "country": "JPN",
            "status": "announced",
        }
        assert browser.post("/api/v1/projects", json=body).status_code == 401  # writes: no
