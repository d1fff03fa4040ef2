"""The report endpoints over real HTTP on SQLite and PostgreSQL: HTML, PDF and the JSON
model with their documented content types, the language from ``lang`` or
``Accept-Language``, 422 naming the problem, and a hostile partner: another
organisation's private projects never reach a caller's dossier."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

import live_http
from critmin.services import tracker
from critmin.services.auth import Caller, Role
from critmin.store.db import make_engine, transaction
from critmin.store.tables import Organisation

AS_OF = "2026-11-29"


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs, usgs):
    tokens = make_orgs(api_db_url, {"Owner": ([], "editor"), "Other": ([], "editor")})
    usgs(api_db_url, "tungsten")
    usgs(api_db_url, "gallium")
    engine = make_engine(api_db_url)
    with transaction(engine) as s:
        owner = s.scalar(select(Organisation).where(Organisation.name == "Owner"))
        me = Caller(org_id=owner.id, org_name="Owner", role=Role.EDITOR)
        for key, sharing, cap in (
            ("secret-w-mine", "owner", 7000.0),
            ("open-w-plant", "public", 250.0),
        ):
            tracker.create(session=s, caller=me, data={
                "key": key, "name": key.replace("-", " ").title(), "mineral": "tungsten",
                "stage": "extraction", "country": "USA", "status": "financed",
                "capacity_tpa": cap, "sharing": sharing})  # fmt: skip
    engine.dispose()
    with live(api_db_url) as base:
        clients = {who: live_http.client(base_url=f"{base}/api/v1/reports", timeout=300,
                                     headers={"Authorization": f"Bearer {tok}"} if tok else {})
                   for who, tok in (("owner", tokens["Owner"]), ("other", tokens["Other"]),
                                    ("anon", None))}  # fmt: skip
        yield clients
        for c in clients.values():
            c.close()


def _model(client: httpx.Client, **params) -> dict:
    r = client.get(
        "/dossier",
        params={
            "mineral": "tungsten",
            "country": "USA",
            "format": "json",
            "as_of": AS_OF,
            **params,
        },
    )
    assert r.status_code == 200, r.text
    return r.json()


def test_hostile_owner_projects_never_reach_others(api):
    own = _model(api["owner"])["figures"]
    assert own["dom.proj.total"]["value"] == 7250.0
    for who in ("other", "anon"):
        model = _model(api[who])
        figs = model["figures"]
        assert figs["dom.proj.total"]["value"] == 250.0
        assert "Secret W Mine" not in str(model)
        assert figs["pipe.total"]["value"] == own["pipe.total"]["value"] - 1
        html = api[who].get("/dossier", params={"mineral": "tungsten", "as_of": AS_OF}).text
        assert "Secret W Mine" not in html
        assert "7,250 t/yr" not in html and "7,000 t/yr" not in html and "250 t/yr" in html


def test_formats_and_content_types(api):
    r = api["anon"].get("/briefing", params={"mineral": "gallium", "as_of": AS_OF})
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert r.headers["content-language"] == "en" and "<svg" in r.text
    assert "private" in r.headers["cache-control"]
    pdf = api["anon"].get("/briefing", params={"mineral": "gallium", "format": "pdf",
                                               "as_of": AS_OF})  # fmt: skip
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert 'filename="briefing-gallium-en.pdf"' in pdf.headers["content-disposition"]


def test_language_from_the_query_or_accept_language(api):
    r = api["anon"].get(
        "/dossier",
        params={"mineral": "tungsten", "as_of": AS_OF},
        headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"},
    )
    assert r.headers["content-language"] == "zh-Hans" and "国家安全进口调查档案" in r.text
    r = api["anon"].get("/dossier", params={"mineral": "tungsten", "lang": "en",
                                            "as_of": AS_OF},
                        headers={"Accept-Language": "zh-CN"})  # fmt: skip
    assert r.headers["content-language"] == "en" and "National-security import dossier" in r.text


@pytest.mark.parametrize(("path", "params", "word"), [
    ("/dossier", {"mineral": "unobtainium"}, "mineral"),
    ("/dossier", {"mineral": "tungsten", "country": "Atlantis"}, "country"),
    ("/briefing", {"mineral": "gallium", "lang": "xx"}, "language"),
    ("/briefing", {"mineral": "gallium", "format": "docx"}, "format"),
    ("/briefing", {"mineral": "gallium", "as_of": "2026-02-31"}, "as_of"),
    ("/stockpile", {"mineral": "tungsten"}, "tungsten"),
])  # fmt: skip
def test_bad_input_is_a_422_naming_it(api, path, params, word):
    r = api["anon"].get(path, params=params)
    assert r.status_code == 422, r.text
    assert word in r.text.lower()
    assert "Traceback" not in r.text


def test_openapi_documents_the_content_types(api):
    base = str(api["anon"].base_url).rstrip("/").removesuffix("/reports")
    spec = live_http.get(f"{base}/openapi.json").json()
    for path in (
        "/api/v1/reports/dossier",
        "/api/v1/reports/briefing",
        "/api/v1/reports/stockpile",
    ):
        content = spec["paths"][path]["get"]["responses"]["200"]["content"]
        assert {"text/html", "application/pdf", "application/json"} <= set(content)
