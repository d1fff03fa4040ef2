"""The response cache (list and project detail) over real HTTP, on SQLite and PostgreSQL.

A cached response is never served to a caller with a different view (organisation,
partners, role), every logged write shows at once, ``CRITMIN_RESPONSE_CACHE=off``
computes every response, and the hot reads stay within their statement budget.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from sqlalchemy import event, update

import live_http
from critmin.api.app import create_app
from critmin.api.cache import ResponseCache
from critmin.config import Settings, get_settings
from critmin.services import tracker
from critmin.services.auth import authenticate
from critmin.store.db import make_engine, transaction
from critmin.store.tables import Project
from support import serve_app

SECRET = "test-secret-key-of-at-least-thirty-two-characters"
PROJECT = {
    "key": "cache-view-probe",
    "name": "Cache view probe",
    "mineral": "gallium",
    "stage": "refining",
    "country": "CAN",
    "status": "feasibility",
    "sharing": "partners",
    "section_sharing": {"financing": "owner"},
    "financing": {"needed_usd": 77_000_000, "committed_usd": 1_000_000},
}


class Statements:
    """Counts the SQL statements the app's engine sends (a listener on the real engine)."""

    def __init__(self, engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args) -> None:
        self.count += 1

    @contextmanager
    def delta(self) -> Iterator[list[int]]:
        out: list[int] = []
        start = self.count
        yield out
        out.append(self.count - start)


@contextmanager
def served(url: str, **settings) -> Iterator[tuple[str, object]]:
    app = create_app(url, Settings(secret_key=SECRET, rate_limit_per_minute=0, **settings))
    with serve_app(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def world(api_db_url, make_orgs):
    """Owner (editor and viewer tokens, group G), Partner (viewer, G), Other; a project
    shared with partners whose financing only the owner may see."""
    tokens = make_orgs(
        api_db_url,
        {"Owner": (["G"], "editor"), "Partner": (["G"], "viewer"), "Other": ([], "viewer")},
    )
    tokens["OwnerViewer"] = make_orgs(api_db_url, {"Owner": (["G"], "viewer")})["Owner"]
    tokens["anon"] = None
    with served(api_db_url) as (base, app):
        clients = {
            who: live_http.client(
                base_url=f"{base}/api/v1",
                headers={"Authorization": f"Bearer {token}"} if token else {},
                timeout=30,
            )
            for who, token in tokens.items()
        }
        created = clients["Owner"].post("/projects", json=PROJECT)
        assert created.status_code == 201, created.text
        yield clients, app, created.json()["id"]
        for client in clients.values():
            client.close()


def test_detail_is_cached_per_view_and_never_shared(world):
    clients, app, pid = world
    statements = Statements(app.state.engine)
    first: dict[str, httpx.Response] = {}
    for who in ("Owner", "Partner", "OwnerViewer", "Other", "anon"):
        first[who] = clients[who].get(f"/projects/{pid}")
    for who in ("anon", "Other", "OwnerViewer", "Partner", "Owner"):  # again, cached
        with statements.delta() as spent:
            again = clients[who].get(f"/projects/{pid}")
        assert again.status_code == first[who].status_code
        assert again.content == first[who].content, who
        if again.status_code == 200:
            assert again.headers["etag"] == first[who].headers["etag"]
            assert spent[0] <= (1 if who == "anon" else 4), (who, spent)  # auth + generation
    owner, partner, owner_viewer = (first[w].json() for w in ("Owner", "Partner", "OwnerViewer"))
    assert owner["financing"]["needed_usd"] == 77_000_000 and owner["editable"] is True
    assert partner["financing"] is None and partner["editable"] is False
    assert owner_viewer["financing"]["needed_usd"] == 77_000_000
    assert owner_viewer["editable"] is False  # same organisation, other role: other body
    assert "77000000" not in first["Partner"].text
    assert first["Other"].status_code == 404 and first["anon"].status_code == 404


def test_anonymous_detail_hit_costs_one_statement(world):
    clients, app, _ = world
    public_id = clients["Owner"].post(
        "/projects", json={**PROJECT, "key": "cache-public", "sharing": "public"}
    ).json()["id"]
    statements = Statements(app.state.engine)
    clients["anon"].get(f"/projects/{public_id}")
    with statements.delta() as hit:
        assert clients["anon"].get(f"/projects/{public_id}").status_code == 200
    with statements.delta() as listed:  # a full page: generation, page, count
        assert len(clients["anon"].get("/projects", params={"limit": 1}).json()["data"]) == 1
    with statements.delta() as last_page:  # not full, so nothing after it: no count
        clients["anon"].get("/projects", params={"limit": 7})
    with statements.delta() as listed_again:
        clients["anon"].get("/projects", params={"limit": 1})
    assert hit == [1] and listed == [3] and last_page == [2] and listed_again == [1]


def test_writes_show_at_once(world, api_db_url):
    clients, _, pid = world
    owner, partner = clients["Owner"], clients["Partner"]
    before = partner.get(f"/projects/{pid}")
    tag = owner.get(f"/projects/{pid}").headers["etag"]
    patched = owner.patch(
        f"/projects/{pid}", json={"name": "Renamed probe"}, headers={"If-Match": tag}
    )
    assert patched.status_code == 200, patched.text
    after = partner.get(f"/projects/{pid}", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.json()["name"] == "Renamed probe"
    assert after.headers["etag"] != before.headers["etag"]
    # a logged write from another process (the CLI's path) shows too
    engine = make_engine(api_db_url)
    with transaction(engine) as session:
        row = session.get(Project, pid)
        token = owner.headers["authorization"].split()[1]
        caller = authenticate(session=session, token=token)
        tracker.patch(
            session=session, caller=caller, id=pid, changes={"name": "Renamed elsewhere"},
            if_match=row.version,
        )  # fmt: skip
    engine.dispose()
    assert partner.get(f"/projects/{pid}").json()["name"] == "Renamed elsewhere"
    assert "Renamed elsewhere" in [p["name"] for p in partner.get("/projects").json()["data"]]


def test_cache_off_computes_every_response(api_db_url, make_orgs, monkeypatch):
    monkeypatch.setenv("CRITMIN_RESPONSE_CACHE", "off")
    assert get_settings().response_cache is False
    monkeypatch.setenv("CRITMIN_RESPONSE_CACHE", "on")
    assert get_settings().response_cache is True
    token = make_orgs(api_db_url, {"Owner": (["G"], "editor")})["Owner"]
    with served(api_db_url, response_cache=False) as (base, app):
        auth = {"Authorization": f"Bearer {token}"}
        body = {**PROJECT, "key": "cache-off-probe", "sharing": "public"}
        pid = live_http.post(f"{base}/api/v1/projects", json=body, headers=auth).json()["id"]
        names = [p["name"] for p in live_http.get(f"{base}/api/v1/projects").json()["data"]]
        assert live_http.get(f"{base}/api/v1/projects/{pid}").json()["name"] == PROJECT["name"]
        engine = make_engine(api_db_url)  # an edit the change log does not see
        with transaction(engine) as session:
            session.execute(update(Project).where(Project.id == pid).values(name="Raw rename"))
        engine.dispose()
        again = [p["name"] for p in live_http.get(f"{base}/api/v1/projects").json()["data"]]
        assert "Raw rename" in again and "Raw rename" not in names
        assert live_http.get(f"{base}/api/v1/projects/{pid}").json()["name"] == "Raw rename"
        assert len(app.state.response_cache) == 0


def test_stats_share_statement_budget(api_db_url, usgs):
    usgs(api_db_url, "gallium")
    with served(api_db_url) as (base, app):
        statements = Statements(app.state.engine)
        url = f"{base}/api/v1/stats/share"
        with statements.delta() as spent:
            r = live_http.get(url, params={"mineral": "gallium"})
        assert r.status_code == 200 and r.json()["year"] == 2025
        assert spent == [3]  # years, the year's rows, their datasets
        assert live_http.get(url, params={"mineral": "gallium", "year": 1990}).status_code == 404


def test_cache_bounds_entries_and_bytes_and_follows_the_generation():
    cache = ResponseCache(maxsize=3, max_bytes=10)
    renders: list[str] = []

    def render(key: str, body: bytes = b"1234"):
        return lambda: renders.append(key) or (body, f'"{key}"')

    def at(n: int):
        return lambda: (n, n)

    for key in "abc":
        cache.get_or_render(key, at(1), render(key))
    assert len(cache) == 2  # 12 bytes > 10: the least recently used ("a") went
    cache.get_or_render("c", at(1), render("c"))
    assert renders == ["a", "b", "c"]  # "c" was a hit
    cache.get_or_render("c", at(2), render("c"))  # the data moved on: rendered again
    assert renders[-1] == "c" and len(renders) == 4
    hit = cache.get_or_render("c", at(2), render("c"))
    assert (hit.body, hit.etag, len(renders)) == (b"1234", '"c"', 4)
    big = cache.get_or_render("big", at(2), render("big", b"x" * 11))
    assert big.body == b"x" * 11 and len(cache) == 2  # too big to keep
    off = ResponseCache(enabled=False)
    for _ in range(2):
        off.get_or_render("k", at(1), render("k"))
    assert renders.count("k") == 2 and len(off) == 0
