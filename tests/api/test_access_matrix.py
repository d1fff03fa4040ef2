"""Zero leaks: every caller x record level x section level x endpoint that reveals data.

Organisation A owns every record; B is its partner (group MSP); C is unrelated (group
OTHER); and the anonymous caller. A's records cover each record level (public,
partners, owner) with each section (financing, offtakers, milestones) at each level,
plus records whose sections inherit the record's level, and one deleted record. Every
section carries a unique marker string; each response is checked for exactly the
records and sections its caller may see, and scanned for any marker it may not.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field

import httpx
import pytest

import live_http
from critmin.analytics.outlook_params import OutlookParams, completion_probability

LEVELS = ("public", "partners", "owner")
RANK = {level: n for n, level in enumerate(LEVELS)}
SECTIONS = ("financing", "offtakers", "milestones")
CALLERS = ("owner", "partner", "other", "anon")
MARK = {"financing": "FUNDSECRET", "offtakers": "OFFTAKESECRET", "milestones": "MILESTONESECRET"}


def sees(level: str, who: str) -> bool:
    """The rule, stated independently of the code under test."""
    return level == "public" or who == "owner" or (level == "partners" and who == "partner")


@dataclass
class Rec:
    n: int
    level: str
    sections: dict[str, str]
    id: int = 0
    key: str = ""
    markers: dict[str, list[str]] = field(default_factory=dict)

    def section_level(self, section: str) -> str:
        own = self.sections.get(section, self.level)
        return max(own, self.level, key=RANK.__getitem__)

    def visible(self, who: str) -> bool:
        return sees(self.level, who)

    def shows(self, section: str, who: str) -> bool:
        return sees(self.section_level(section), who)


def _body(rec: Rec) -> dict:
    n = rec.n
    return {
        "key": rec.key,
        "name": f"Matrix record {n:02d}",
        "mineral": "gallium",
        "stage": "extraction",
        "country": "CAN",
        "status": "feasibility",
        "capacity_tpa": 10 + n,
        "start_year": 2028,
        "operator": "Matrix Operator",
        "sharing": rec.level,
        "section_sharing": rec.sections,
        "financing": {
            "needed_usd": 1_000_000 + n,
            "committed_usd": 0,
            "sources": [{"name": f"FUNDSECRET{n:02d}A"}],
        },
        "offtakers": [{"name": f"OFFTAKESECRET{n:02d}A"}],
        "milestones": [{"name": f"MILESTONESECRET{n:02d}A", "state": "achieved"}],
    }


def _update(n: int) -> dict:
    """A change to every sensitive section (so history holds old and new values)."""
    return {
        "financing": {"committed_usd": 500_000 + n, "sources": [{"name": f"FUNDSECRET{n:02d}B"}]},
        "offtakers": [{"name": f"OFFTAKESECRET{n:02d}B"}],
        "milestones": [
            {"name": f"MILESTONESECRET{n:02d}B", "state": "achieved"},
            {"name": f"MILESTONESECRET{n:02d}C", "state": "planned"},
        ],
    }


@dataclass
class World:
    base: str
    tokens: dict[str, str | None]
    recs: list[Rec]
    deleted: Rec

    clients: dict[str, httpx.Client] = field(default_factory=dict)

    def get(self, who: str, path: str, **params) -> httpx.Response:
        if who not in self.clients:
            token = self.tokens[who]
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            self.clients[who] = live_http.client(base_url=self.base, headers=headers, timeout=30)
        return self.clients[who].get(f"/api/v1{path}", params=params)

    def forbidden_markers(self, who: str) -> list[str]:
        """Strings that must never appear in a response to ``who``."""
        out = [self.deleted.key, "DELETEDSECRET"]
        for rec in self.recs:
            if not rec.visible(who):
                out.append(rec.key)
            out += [m for s in SECTIONS if not rec.shows(s, who) for m in rec.markers[s]]
        return out

    def assert_clean(self, who: str, text: str) -> None:
        leaks = [m for m in self.forbidden_markers(who) if m in text]
        assert not leaks, f"{who} sees {leaks}"


@pytest.fixture(scope="module")
def world(api_db_url, live, make_orgs, usgs) -> World:
    usgs(api_db_url, "gallium")
    tokens = make_orgs(
        api_db_url,
        {"A": (["MSP"], "editor"), "B": (["MSP"], "editor"), "C": (["OTHER"], "editor")},
    )
    who_token = {"owner": tokens["A"], "partner": tokens["B"], "other": tokens["C"], "anon": None}
    recs = []
    for level in LEVELS:
        for k in range(3):  # each section at each level, rotated
            sections = {s: LEVELS[(k + j) % 3] for j, s in enumerate(SECTIONS)}
            recs.append(Rec(len(recs), level, sections))
        recs.append(Rec(len(recs), level, {}))  # sections inherit the record's level
    with live(api_db_url) as base:
        owner = {"Authorization": f"Bearer {tokens['A']}"}
        with live_http.client(base_url=f"{base}/api/v1", headers=owner, timeout=30) as c:
            for rec in recs:
                rec.key = f"mx-{rec.n:02d}-{rec.level}"
                r = c.post("/projects", json=_body(rec))
                assert r.status_code == 201, r.text
                rec.id = r.json()["id"]
                r = c.patch(
                    f"/projects/{rec.id}",
                    json=_update(rec.n),
                    headers={"If-Match": r.headers["etag"]},
                )
                assert r.status_code == 200, r.text
                rec.markers = {s: [f"{MARK[s]}{rec.n:02d}{x}" for x in "ABC"] for s in SECTIONS}
            gone = Rec(99, "public", {}, key="mx-deleted")
            body = _body(gone) | {"name": "DELETEDSECRET project"}
            r = c.post("/projects", json=body)
            gone.id = r.json()["id"]
            r = c.delete(f"/projects/{gone.id}", headers={"If-Match": r.headers["etag"]})
            assert r.status_code == 200 and r.json()["deleted"] is True
        world = World(base, who_token, recs, gone)
        yield world
        for client in world.clients.values():
            client.close()


@pytest.mark.parametrize("who", CALLERS)
def test_list_and_search(world, who):
    want = {r.key for r in world.recs if r.visible(who)}
    r = world.get(who, "/projects", limit=500)
    body = r.json()
    assert r.status_code == 200
    assert {p["key"] for p in body["data"]} == want and body["count"] == len(want)
    world.assert_clean(who, r.text)
    page = world.get(who, "/projects", limit=2, offset=1, sort="-name").json()
    assert page["count"] == len(want) and len(page["data"]) == min(2, len(want) - 1)
    found = world.get(who, "/projects", q="MATRIX record")
    assert {p["key"] for p in found.json()["data"]} == want
    world.assert_clean(who, found.text)
    for rec in [*world.recs, world.deleted]:
        hit = world.get(who, "/projects", q=rec.key).json()
        assert hit["count"] == (1 if rec.key in want else 0), rec.key
    for marker in ("SECRET", "FUNDSECRET00A", "OFFTAKESECRET"):  # sections are never searched
        assert world.get(who, "/projects", q=marker).json()["count"] == 0
    mine = world.get(who, "/projects", deleted="true").json()
    assert [p["key"] for p in mine["data"]] == (["mx-deleted"] if who == "owner" else [])


@pytest.mark.parametrize("who", CALLERS)
def test_detail_and_404(world, who):
    missing = world.get(who, "/projects/999999")
    assert missing.status_code == 404 and missing.json() == {"detail": "no project with id 999999"}
    for rec in [*world.recs, world.deleted]:
        r = world.get(who, f"/projects/{rec.id}")
        if rec is world.deleted or not rec.visible(who):
            assert r.status_code == 404
            assert r.json() == {"detail": f"no project with id {rec.id}"}
            assert "etag" not in r.headers
            continue
        assert r.status_code == 200 and r.headers["etag"]
        data = r.json()
        assert data["key"] == rec.key and data["sharing"] == rec.level
        for s in SECTIONS:
            if rec.shows(s, who):
                assert f"{MARK[s]}{rec.n:02d}B" in str(data[s]), (rec.key, s)
            else:
                assert data.get(s) is None, (rec.key, s, who)
        assert data["financing"] is None or data["financing"]["committed_usd"] == 500_000 + rec.n
        assert data["editable"] is (who == "owner")
        # the version (the owner's concurrency token) would count hidden edits
        assert (data["version"] is not None) is (who == "owner")
        assert r.headers["etag"].startswith(f'"p{rec.id}-v' if who == "owner" else f'"p{rec.id}-b')
        world.assert_clean(who, r.text)


@pytest.mark.parametrize("who", CALLERS)
def test_history(world, who):
    for rec in [*world.recs, world.deleted]:
        r = world.get(who, f"/projects/{rec.id}/history")
        if not rec.visible(who) or (rec is world.deleted and who != "owner"):
            assert r.status_code == 404
            assert r.json() == {"detail": f"no project with id {rec.id}"}
            continue
        assert r.status_code == 200
        actions = [e["action"] for e in r.json()["data"]]
        if rec is world.deleted:
            assert actions == ["create", "delete"]
            continue
        sees_a_section = any(rec.shows(s, who) for s in SECTIONS)
        assert actions == (["create", "update"] if sees_a_section else ["create"])
        world.assert_clean(who, r.text)
        for s in SECTIONS:  # what the caller may see is there, old and new values
            for x in "AB":
                assert (f"{MARK[s]}{rec.n:02d}{x}" in r.text) is rec.shows(s, who), (rec.key, s)


@pytest.mark.parametrize("who", CALLERS)
def test_export_json(world, who):
    r = world.get(who, "/projects/export", format="json")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    items = {p["key"]: p for p in r.json()["projects"]}
    assert set(items) == {rec.key for rec in world.recs if rec.visible(who)}
    world.assert_clean(who, r.text)
    for rec in world.recs:
        if rec.key in items:
            for s in SECTIONS:
                shown = s in items[rec.key]
                assert shown is rec.shows(s, who), (rec.key, s, who)
                if shown:
                    assert f"{MARK[s]}{rec.n:02d}B" in str(items[rec.key][s])


@pytest.mark.parametrize("who", CALLERS)
def test_export_csv(world, who):
    r = world.get(who, "/projects/export", format="csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = {row["key"]: row for row in csv.DictReader(io.StringIO(r.text))}
    assert set(rows) == {rec.key for rec in world.recs if rec.visible(who)}
    world.assert_clean(who, r.text)
    cells = {"financing": "funding_sources", "offtakers": "offtakers", "milestones": "milestones"}
    for rec in world.recs:
        if rec.key not in rows:
            continue
        row = rows[rec.key]
        for s, column in cells.items():
            assert (f"{MARK[s]}{rec.n:02d}B" in row[column]) is rec.shows(s, who)
        fin = rec.shows("financing", who)
        assert (row["financing_needed_usd"], row["financing_committed_usd"]) == (
            (str(1_000_000 + rec.n), str(500_000 + rec.n)) if fin else ("", "")
        )


@pytest.mark.parametrize("path", ["/outlook", "/dashboard/outlook"])
@pytest.mark.parametrize("who", CALLERS)
def test_outlook_aggregates_only_what_the_caller_sees(world, who, path):
    r = world.get(who, path, mineral="gallium", **{"from": 2026, "to": 2032})
    assert r.status_code == 200, r.text
    meta = r.json()["meta"]
    visible = {rec.key: rec for rec in world.recs if rec.visible(who)}
    assert {p["key"] for p in meta["projects"]} | {s["key"] for s in meta["skipped"]} == set(
        visible
    )
    world.assert_clean(who, r.text)
    params = OutlookParams()
    for p in meta["projects"]:
        rec = visible[p["key"]]
        fin = rec.shows("financing", who)
        achieved = 1 if rec.shows("milestones", who) else 0
        expected = completion_probability(
            params,
            status="feasibility",
            needed_usd=1_000_000 + rec.n if fin else None,
            committed_usd=500_000 + rec.n if fin else None,
            achieved=achieved,
        )
        assert p["completion_probability"] == pytest.approx(expected, abs=1e-6), (rec.key, who)
    if who == "owner":  # hidden inputs change the number, so the check above has teeth
        plain = completion_probability(params, status="feasibility")
        assert all(p["completion_probability"] != pytest.approx(plain) for p in meta["projects"])


@pytest.mark.parametrize("who", ("partner", "other", "anon"))
def test_writes_by_others_reveal_nothing(world, who):
    token = world.tokens[who]
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    for rec in world.recs:
        tag = f'"p{rec.id}-v2"'
        for method in ("PATCH", "DELETE"):
            r = live_http.request(
                method,
                f"{world.base}/api/v1/projects/{rec.id}",
                json={"notes": "x"} if method == "PATCH" else None,
                headers={**headers, "If-Match": tag},
            )
            want = 401 if who == "anon" else 403 if rec.visible(who) else 404
            assert r.status_code == want, (method, rec.key, who, r.text)
            world.assert_clean(who, r.text)
