"""Leaks and side channels of the sharing rules over real HTTP, on SQLite and PostgreSQL.

Organisation A owns the records. B is A's partner (group MSP) and hostile: it probes
the dashboard outlook, keys, related measures, ETags, sort orders and 404s for what A
keeps to itself. C is unrelated; anonymous callers see public data only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import httpx
import pytest
from sqlalchemy import event

import live_http
from critmin.analytics.outlook_params import OutlookParams, completion_probability
from critmin.api.app import create_app
from critmin.config import Settings
from support import serve_app

SECRET = "sharing-leaks-test-secret-key-of-32-chars-at-least"

SOURCES = [{"document": "notice"}]
PROJECT = {"mineral": "gallium", "stage": "extraction", "country": "CAN",
           "status": "feasibility", "capacity_tpa": 40, "start_year": 2028}  # fmt: skip
KEYED = {
    "facilities": {"name": "Site", "country": "CAN", "sources": SOURCES},
    "measures": {"title": "Measure", "imposing_country": "CHN", "minerals": ["gallium"],
                 "measure_type": "licensing", "effective": "2024-01-01", "sources": SOURCES},
    "price-series": {"mineral": "gallium", "market": "Rotterdam", "unit": "USD/kg",
                     "sources": SOURCES},
}  # fmt: skip
WHO = ("A", "B", "C", "anon")


@dataclass
class World:
    base: str
    tokens: dict[str, str | None]
    statements: list[str]
    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def client(self, who: str) -> httpx.Client:
        if who not in self.clients:
            token = self.tokens[who]
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            self.clients[who] = live_http.client(base_url=self.base, headers=headers, timeout=30)
        return self.clients[who]

    def api(self, who: str, method: str, path: str, **kw) -> httpx.Response:
        return self.client(who).request(method, f"/api/v1{path}", **kw)

    def page(self, who: str, path: str, **params) -> str:
        r = self.client(who).get(path, params=params)
        assert r.status_code == 200, r.text
        return re.sub(r'name="csrf_token" value="[^"]*"', "", r.text)


@pytest.fixture(scope="module")
def world(api_db_url, make_orgs, usgs):
    usgs(api_db_url, "gallium")
    tokens = make_orgs(
        api_db_url,
        {"A": (["MSP"], "editor"), "B": (["MSP"], "editor"), "C": (["OTHER"], "editor")},
    )
    settings = Settings(secret_key=SECRET, env="development", rate_limit_per_minute=0)
    app = create_app(api_db_url, settings)
    statements: list[str] = []

    def record(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", record)
    with serve_app(app) as base:
        w = World(base, {**tokens, "anon": None}, statements)
        yield w
        for client in w.clients.values():
            client.close()


def test_dashboard_outlook_hides_financing_and_its_changes(world):
    """B must not read A's owner-only financing off the outlook, nor see it move."""
    a = world.api("A", "POST", "/projects", json={
        "key": "out-pilot", "name": "Outlook pilot", **PROJECT, "sharing": "public",
        "section_sharing": {"financing": "owner", "milestones": "owner"},
        "financing": {"needed_usd": 1e8, "committed_usd": 9e7},
        "milestones": [{"name": "permit", "state": "achieved"}],
    })  # fmt: skip
    assert a.status_code == 201, a.text
    params = OutlookParams()
    blind = completion_probability(params, status="feasibility")
    told = completion_probability(params, status="feasibility", needed_usd=1e8,
                                  committed_usd=9e7, achieved=1)  # fmt: skip
    assert told != pytest.approx(blind)

    def views() -> dict[str, tuple[float, str, str]]:
        out = {}
        for who in WHO:
            r = world.api(who, "GET", "/dashboard/outlook", params={"mineral": "gallium"})
            assert r.status_code == 200, r.text
            (p,) = [p for p in r.json()["meta"]["projects"] if p["key"] == "out-pilot"]
            out[who] = (p["completion_probability"], r.text, world.page(who, "/outlook"))
        return out

    before = views()
    assert before["A"][0] == pytest.approx(told, abs=1e-6)
    for who in ("B", "C", "anon"):
        assert before[who][0] == pytest.approx(blind, abs=1e-6), who
    tag = a.headers["etag"]
    r = world.api("A", "PATCH", f"/projects/{a.json()['id']}", headers={"If-Match": tag},
                  json={"financing": {"committed_usd": 1e8}})  # fmt: skip
    assert r.status_code == 200, r.text
    after = views()
    for who in ("B", "C", "anon"):
        assert after[who][1:] == before[who][1:], who  # the JSON twin and the page, unchanged
    assert after["A"][0] != pytest.approx(before["A"][0])


def test_keys_are_no_existence_oracle(world):
    """A key A hides answers B exactly like a free key: 201, B's own record."""
    r = world.api("A", "POST", "/projects", json={"key": "a-secret-plan", "name": "A plan",
                                                   **PROJECT, "sharing": "owner"})  # fmt: skip
    assert r.status_code == 201
    a_id, a_tag, a_org = r.json()["id"], r.headers["etag"], r.json()["owner_org_id"]
    for path, body in KEYED.items():
        r = world.api("A", "POST", f"/{path}", json={"key": "a-secret", **body,
                                                     "sharing": "owner"})  # fmt: skip
        assert r.status_code == 201, r.text
    for key in ("a-secret-plan", "b-free-plan"):
        r = world.api("B", "POST", "/projects", json={"key": key, "name": "B", **PROJECT})
        assert r.status_code == 201, r.text
        assert r.json()["owner_org_id"] != a_org and r.json()["key"] == key
    dup = world.api("B", "POST", "/projects", json={"key": "a-secret-plan", "name": "B",
                                                     **PROJECT})  # fmt: skip
    assert dup.status_code == 409 and "your organisation" in dup.json()["detail"]
    for path, body in KEYED.items():
        for key in ("a-secret", "b-free"):
            r = world.api("B", "POST", f"/{path}", json={"key": key, **body})
            assert r.status_code == 201, (path, key, r.text)
        dup = world.api("B", "POST", f"/{path}", json={"key": "a-secret", **body})
        assert dup.status_code == 409, path
    doc = {"projects": [{"key": "a-secret-plan", "name": "C's", **PROJECT}]}
    r = world.api("C", "POST", "/projects/import", json=doc)
    assert r.status_code == 200 and r.json()["keys"]["created"] == ["a-secret-plan"], r.text
    mine = world.api("A", "GET", f"/projects/{a_id}")
    assert (mine.json()["name"], mine.headers["etag"]) == ("A plan", a_tag)  # untouched


def test_related_measures_show_only_what_the_caller_may_see(world):
    ban = world.api("A", "POST", "/measures", json={**KEYED["measures"], "key": "a-hidden-ban",
                                                    "sharing": "owner"})  # fmt: skip
    susp = world.api("A", "POST", "/measures", json={
        **KEYED["measures"], "key": "a-open-suspension", "relates_to": "a-hidden-ban",
        "title": "Open suspension", "effective": "2025-01-01",
    })  # fmt: skip
    assert ban.status_code == susp.status_code == 201, susp.text
    sid = susp.json()["id"]
    assert susp.json()["relates_to"] == "a-hidden-ban"  # the owner sees its relation
    for who in ("B", "C", "anon"):
        one = world.api(who, "GET", f"/measures/{sid}")
        assert one.status_code == 200 and one.json()["relates_to"] is None, who
        texts = [
            world.api(who, "GET", "/measures", params={"limit": 500}).text,
            world.api(who, "GET", "/dashboard/measures").text,
            world.api(who, "GET", "/dashboard/minerals/gallium").text,
            world.page(who, "/measures"),
            world.page(who, "/minerals/gallium"),
        ]
        assert "Open suspension" in texts[3]
        for text in texts:
            assert "a-hidden-ban" not in text, who
    timeline = world.api("A", "GET", "/dashboard/measures").json()
    assert ["a-hidden-ban", "a-open-suspension"] in [
        [m["key"] for m in chain] for chain in timeline["chains"]
    ]


def test_hidden_edits_move_no_etag_body_or_sort_order(world):
    first = world.api("A", "POST", "/projects", json={
        "key": "etag-first", "name": "ETag first", **PROJECT, "sharing": "partners",
        "section_sharing": {"financing": "owner"}, "financing": {"needed_usd": 5e6},
    })  # fmt: skip
    second = world.api("A", "POST", "/projects", json={"key": "etag-second",
                                                        "name": "ETag second", **PROJECT,
                                                        "sharing": "partners"})  # fmt: skip
    assert first.status_code == second.status_code == 201
    pid, tag = first.json()["id"], first.headers["etag"]
    assert tag == f'"p{pid}-v1"'

    def seen(who: str) -> tuple[str, dict, list[str]]:
        r = world.api(who, "GET", f"/projects/{pid}")
        assert r.status_code == 200
        order = world.api(who, "GET", "/projects", params={"q": "etag-", "sort": "-updated_at"})
        return r.headers["etag"], r.json(), [p["key"] for p in order.json()["data"]]

    b_tag, b_body, b_order = seen("B")
    assert b_body["version"] is None and b_body["financing"] is None
    assert b_order == ["etag-second", "etag-first"] and b_tag != tag
    url = f"/projects/{pid}"
    # the hostile partner cannot write, whatever If-Match it sends
    for method in ("PATCH", "DELETE"):
        for guess in (b_tag, tag, None):
            headers = {"If-Match": guess} if guess else {}
            r = world.api("B", method, url, headers=headers, json={"name": "x"}
                          if method == "PATCH" else None)  # fmt: skip
            assert r.status_code == 403, (method, guess, r.text)
    # A edits only the financing B may not see: B's ETag, body and order stay put
    assert world.api("A", "PATCH", url, json={"name": "x"}).status_code == 428
    r = world.api("A", "PATCH", url, headers={"If-Match": tag},
                  json={"financing": {"needed_usd": 6e6}})  # fmt: skip
    assert r.status_code == 200 and r.headers["etag"] == f'"p{pid}-v2"'
    assert world.api("A", "PATCH", url, headers={"If-Match": tag},
                     json={"notes": "late"}).status_code == 412  # fmt: skip
    assert seen("B") == (b_tag, b_body, b_order)
    r = world.api("B", "GET", url, headers={"If-None-Match": b_tag})
    assert r.status_code == 304 and r.headers["etag"] == b_tag
    assert seen("A")[2] == ["etag-first", "etag-second"]  # the owner's sort sees its edit
    # a change B can see moves B's ETag and order
    r = world.api("A", "PATCH", url, headers={"If-Match": f'"p{pid}-v2"'},
                  json={"notes": "visible note"})  # fmt: skip
    assert r.status_code == 200
    b_tag2, b_body2, b_order2 = seen("B")
    assert b_tag2 != b_tag and b_body2["notes"] == "visible note"
    assert b_order2 == ["etag-first", "etag-second"]
    assert world.api("B", "GET", url, headers={"If-None-Match": b_tag}).status_code == 200


def test_hidden_and_missing_take_the_same_path(world):
    """A hidden id and a missing one run the same statements and answer the same body."""
    r = world.api("A", "POST", "/projects", json={
        "key": "path-secret", "name": "Path secret", **PROJECT, "sharing": "owner",
        "capacity_by_year": [{"year": 2029, "capacity_tpa": 10}],
        "history": [{"date": "2025-01-01", "status": "announced"}],
    })  # fmt: skip
    ids = {"projects": r.json()["id"]}
    for path, body in KEYED.items():
        r = world.api("A", "POST", f"/{path}", json={"key": "path-secret", **body,
                                                     "sharing": "owner"})  # fmt: skip
        ids[path] = r.json()["id"]
    world.api("B", "GET", "/me")  # warm up the caller's first request
    for path, hidden in ids.items():
        for suffix in ("", "/history"):
            answers = []
            for ident in (hidden, 900_000 + hidden):
                del world.statements[:]
                r = world.api("B", "GET", f"/{path}/{ident}{suffix}")
                body = r.text.replace(str(ident), "ID")
                answers.append((r.status_code, body, len(world.statements)))
            assert answers[0] == answers[1], (path, suffix, answers)
            assert answers[0][0] == 404
