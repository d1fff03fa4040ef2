"""The dashboard over real HTTP: every page and its JSON twin, sharing rules, login, CSRF
and the edit form (uvicorn on loopback, a filled SQLite database)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
from web_support import World, csrf_of, decode_session, login

import live_http

TWIN = "/api/v1/dashboard"
PAGES = [  # (page, its JSON twin without the prefix)
    ("/", ""),
    ("/minerals/gallium", "/minerals/gallium"),
    ("/minerals/tungsten", "/minerals/tungsten"),
    ("/projects", "/projects"),
    ("/projects?mineral=gallium&stage=extraction", "/projects?mineral=gallium&stage=extraction"),
    ("/outlook?mineral=gallium&from=2025&to=2035", "/outlook?mineral=gallium&from=2025&to=2035"),
    ("/measures", "/measures"),
    ("/measures?mineral=gallium", "/measures?mineral=gallium"),
    ("/sources", "/sources"),
]


@pytest.fixture
def anon(base_url: str) -> Iterator[httpx.Client]:
    with live_http.client(base_url=base_url, timeout=30) as client:
        yield client


@contextmanager
def client_for(base_url: str, token: str) -> Iterator[httpx.Client]:
    """A client logged in with ``token`` through the login form."""
    with live_http.client(base_url=base_url, timeout=30) as client:
        assert login(client, token).status_code == 303
        yield client


def session_data(client: httpx.Client) -> dict:
    return decode_session(client.cookies.get("critmin_session"))


@pytest.mark.parametrize(("page", "twin"), PAGES)
def test_page_and_json_twin(anon: httpx.Client, page: str, twin: str) -> None:
    twin = TWIN + twin
    html = anon.get(page)
    assert html.status_code == 200, html.text[:500]
    assert html.headers["content-type"].startswith("text/html")
    assert f'href="{twin.replace("&", "&amp;")}"' in html.text  # the page links its twin
    assert "default-src 'self'" in html.headers["content-security-policy"]
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', html.text)
    data = anon.get(twin)
    assert data.status_code == 200 and data.headers["content-type"] == "application/json"


def test_home_lists_minerals(anon: httpx.Client) -> None:
    html = anon.get("/").text
    assert 'href="/minerals/gallium"' in html and 'href="/minerals/tungsten"' in html
    rows = {m["code"]: m for m in anon.get("/api/v1/dashboard").json()["minerals"]}
    assert rows["gallium"]["projects"] >= 10 and rows["gallium"]["measures"] >= 3


def test_mineral_overview(anon: httpx.Client) -> None:
    html = anon.get("/minerals/gallium").text
    for chart in ("chart-concentration", "chart-prices-1", "chart-pipeline"):
        assert f'id="{chart}"' in html
    assert "/static/plotly.min.js" in html
    data = anon.get("/api/v1/dashboard/minerals/gallium").json()
    assert data["concentration"]["shares"][0]["country"] == "CHN"
    assert data["concentration"]["year"] == 2025
    assert any(o["kind"] == "level" for s in data["prices"] for o in s["observations"])
    assert data["pipeline"]["projects"] >= 10
    keys = [m["key"] for m in data["latest_measures"]]
    assert "cn-2025-11-us-gallium-ban-suspension" in keys and len(keys) <= 5
    assert anon.get("/minerals/unobtainium").status_code == 404
    assert anon.get("/api/v1/dashboard/minerals/unobtainium").status_code == 404


def test_projects_filters_and_pagination(anon: httpx.Client) -> None:
    body = anon.get("/api/v1/dashboard/projects", params={"mineral": "tungsten"}).json()
    assert body["total"] >= 3 and {r["mineral"] for r in body["rows"]} == {"tungsten"}
    html = anon.get("/projects", params={"mineral": "gallium", "stage": "recycling"}).text
    assert "Acme Recovery Plant" in html and "tungsten" not in html.split("<tbody>")[1]
    assert "Acme Recovery Plant" in anon.get("/projects", params={"q": "recovery plant"}).text
    assert "Acme Recovery Plant" in anon.get("/projects", params={"country": "DEU"}).text
    page2 = anon.get("/projects", params={"per_page": 5, "page": 2})
    assert page2.status_code == 200 and "page 2 of" in page2.text
    assert 'rel="prev"' in page2.text and 'rel="next"' in page2.text
    assert anon.get("/projects", params={"stage": "mining"}).status_code == 422
    assert anon.get("/api/v1/dashboard/projects", params={"status": "dreaming"}).status_code == 422


def test_measures_timeline_and_chains(anon: httpx.Client) -> None:
    data = anon.get("/api/v1/dashboard/measures").json()
    chains = [[c["key"] for c in chain] for chain in data["chains"]]
    gallium = ["cn-2024-12-us-ban-ga-ge-sb-superhard", "cn-2025-11-us-gallium-ban-suspension"]
    assert gallium in chains
    assert ["cn-2021-solid-waste-import-ban", "cn-2020-recycled-copper-aluminium-standards",
            "cn-2024-recycled-copper-aluminium-standards"] in chains  # fmt: skip
    by_key = {m["key"]: m for m in data["measures"]}
    suspension = by_key["cn-2025-11-us-gallium-ban-suspension"]
    assert suspension["effective_label"] == "2025-11-09" and suspension["expiry"] == "2026-11-27"
    html = anon.get("/measures").text
    assert 'id="chart-measures"' in html and "Followed by" in html and "Linked measures" in html


def test_sources_lists_datasets_and_citations(anon: httpx.Client) -> None:
    data = anon.get("/api/v1/dashboard/sources").json()
    codes = {d["code"] for d in data["datasets"]}
    assert {"usgs-mcs2026-gallium", "seed-gallium-csis"} <= codes
    assert any(c["cited_by"] and c["document"].startswith("seeds/") for c in data["citations"])
    assert "USGS Mineral Commodity Summaries 2026: Gallium" in anon.get("/sources").text


def test_anonymous_sees_no_partner_or_owner_data(anon: httpx.Client, world: World) -> None:
    listing = anon.get("/projects", params={"per_page": 200}).text
    assert "Acme Recovery Plant" in listing
    assert "Acme Partner Pilot" not in listing and "Acme Internal Study" not in listing
    for pid in (world.partners_id, world.owner_id):
        assert anon.get(f"/projects/{pid}").status_code == 404
        assert anon.get(f"/api/v1/dashboard/projects/{pid}").status_code == 404
    detail = anon.get(f"/projects/{world.public_id}").text
    assert "Environmental permit" in detail  # milestones are public
    assert "Quietbuyer" not in detail and "50,000,000" not in detail
    assert detail.count("Not shared with you") == 2
    twin = anon.get(f"/api/v1/dashboard/projects/{world.public_id}").json()
    assert twin["project"]["financing"] is None and twin["project"]["offtakers"] is None
    assert twin["owner"] == "Acme Gallium"
    assert set(twin["hidden_sections"]) == {"financing", "offtakers"}
    assert not any("financing" in c["changes"] for c in twin["change_log"])
    assert "partners-only memo" not in anon.get("/sources").text
    outlook = anon.get("/api/v1/dashboard/outlook", params={"mineral": "gallium"}).json()
    assert "acme-partner-pilot" not in {p["key"] for p in outlook["meta"]["projects"]}
    assert 'id="edit-link"' not in detail


def test_partner_sees_partner_data(base_url: str, world: World) -> None:
    with client_for(base_url, world.partner) as partner:
        assert "Acme Partner Pilot" in partner.get("/projects", params={"per_page": 200}).text
        detail = partner.get(f"/projects/{world.public_id}").text
        assert "Quietbuyer" in detail and "50,000,000" not in detail
        assert partner.get(f"/projects/{world.owner_id}").status_code == 404
        assert "partners-only memo" in partner.get("/sources").text
        outlook = partner.get("/api/v1/dashboard/outlook", params={"mineral": "gallium"}).json()
        assert "acme-partner-pilot" in {p["key"] for p in outlook["meta"]["projects"]}
    with client_for(base_url, world.outsider) as outsider:
        assert outsider.get(f"/projects/{world.partners_id}").status_code == 404


def test_login_with_a_bad_token(anon: httpx.Client) -> None:
    form = anon.get("/login").text
    r = anon.post("/login", data={"token": "cm_bad_token", "csrf_token": csrf_of(form)})
    assert r.status_code == 401 and "not valid" in r.text
    assert "token" not in session_data(anon) and "sid" not in session_data(anon)
    assert "Log in" in anon.get("/").text


def test_login_and_logout(base_url: str, world: World) -> None:
    with client_for(base_url, world.viewer) as client:
        assert "sid" in session_data(client) and "token" not in session_data(client)
        assert "Acme Gallium" in client.get("/").text
        assert "Acme Internal Study" in client.get("/projects", params={"per_page": 200}).text
        r = client.post("/logout", data={"csrf_token": csrf_of(client.get("/").text)})
        assert r.status_code == 303 and session_data(client) == {}
        assert "Log in" in client.get("/").text


def test_open_redirect_is_refused(anon: httpx.Client, world: World) -> None:
    form = anon.get("/login").text
    r = anon.post("/login", data={"token": world.viewer, "csrf_token": csrf_of(form),
                                  "next": "//evil.example/"})  # fmt: skip
    assert r.status_code == 303 and r.headers["location"] == "/"


def test_csrf_is_enforced(base_url: str, world: World) -> None:
    with live_http.client(base_url=base_url, timeout=30) as fresh:
        assert fresh.post("/login", data={"token": world.editor}).status_code == 403
    with client_for(base_url, world.editor) as editor:
        url = f"/projects/{world.public_id}/edit"
        form = editor.get(url).text
        fields = {"name": "Hijacked", "status": "operating", "sharing": "public",
                  "version": re.search(r'name="version" value="(\d+)"', form).group(1)}  # fmt: skip
        assert editor.post(url, data=fields).status_code == 403
        r = editor.post(url, data={**fields, "csrf_token": "forged"})
        assert r.status_code == 403 and "Form refused" in r.text
        r = editor.post(url, data={**fields, "csrf_token": csrf_of(form)},
                        headers={"Origin": "http://evil.example"})  # fmt: skip
        assert r.status_code == 403
        assert editor.post("/logout", data={}).status_code == 403
        assert "Hijacked" not in editor.get(f"/projects/{world.public_id}").text
        assert "sid" in session_data(editor)


def test_edit_form(base_url: str, world: World, anon: httpx.Client) -> None:
    url = f"/projects/{world.owner_id}/edit"
    assert anon.get(url).status_code == 303  # to the login page
    with client_for(base_url, world.viewer) as viewer:
        r = viewer.get(url)
        assert r.status_code == 403 and '<form method="post" action="/projects' not in r.text
        assert 'id="edit-link"' not in viewer.get(f"/projects/{world.owner_id}").text
        token = csrf_of(viewer.get("/").text)
        posted = viewer.post(url, data={"csrf_token": token, "name": "Viewer was here",
                                        "status": "operating", "sharing": "public",
                                        "version": "1"})  # fmt: skip
        assert posted.status_code == 403
    with client_for(base_url, world.editor) as editor:
        form = editor.get(url).text
        version = re.search(r'name="version" value="(\d+)"', form).group(1)
        base = {"csrf_token": csrf_of(form), "version": version, "name": "Acme Internal Study",
                "status": "permitting", "capacity_tpa": "55", "start_year": "2029",
                "sharing": "owner", "financing_needed_usd": "2000000"}  # fmt: skip
        bad = editor.post(url, data={**base, "capacity_tpa": "lots"})
        assert bad.status_code == 422 and "enter a number" in bad.text
        ok = editor.post(url, data=base)
        assert ok.status_code == 303 and ok.headers["location"].endswith("?saved=1")
        detail = editor.get(ok.headers["location"]).text
        assert "Saved." in detail and "permitting" in detail and "55 t/yr" in detail
        log = editor.get(f"/api/v1/dashboard/projects/{world.owner_id}").json()["change_log"]
        assert log[-1]["changes"]["status"] == ["feasibility", "permitting"]
        assert log[-1]["actor"].startswith("Acme Gallium")
        stale = editor.post(url, data={**base, "status": "construction"})
        assert stale.status_code == 412 and "changed by someone else" in stale.text
        assert f'name="version" value="{int(version) + 1}"' in stale.text


HUGE = str(2**70)


@pytest.mark.parametrize(
    "url",
    [
        "/projects?q=a%00b", "/projects?country=a%00b", "/projects?mineral=a%00b",
        f"/projects?page={HUGE}", "/projects?sort=__class__", f"/projects/{HUGE}",
        "/projects/abc", "/projects/0", f"/projects/{HUGE}/edit", "/outlook?from=2030&to=2020",
        "/outlook?mineral=mithril", f"/outlook?from={HUGE}", "/measures?mineral=mithril",
        f"/api/v1/dashboard/projects?page={HUGE}", f"/api/v1/dashboard/projects/{HUGE}",
        "/api/v1/dashboard/projects?q=a%00b", "/api/v1/dashboard/outlook?from=2030&to=2020",
        "/api/v1/dashboard/outlook?mineral=a%00b", "/api/v1/dashboard/measures?mineral=mithril",
    ],
)  # fmt: skip
def test_bad_input_is_a_4xx(anon: httpx.Client, url: str) -> None:
    assert 400 <= anon.get(url).status_code < 500
