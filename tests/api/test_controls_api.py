"""/api/v1/controls over real HTTP on SQLite and PostgreSQL: the check's contract, a CSV
batch, the timeline, the OpenAPI document, bad input as a 4xx naming what was wrong, and
a private measure that changes only its owner's answers."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import live_http
from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction
from critmin.store.tables import ExportMeasure, Organisation

BAN = "cn-2024-12-us-ban-ga-ge-sb-superhard"
Q = {"item": "gallium", "origin": "CHN", "destination": "USA"}


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    engine = make_engine(api_db_url)
    with transaction(engine) as s:
        sync_catalogue(s)
        ensure_datasets(s)
        load_curated(s)
    tokens = make_orgs(api_db_url, {"Owner": (["MSP"], "editor"),
                                    "Partner": (["MSP"], "editor")})  # fmt: skip
    with transaction(engine) as s:  # Owner's private 'suspension' of the public ban
        owner = s.scalar(select(Organisation).where(Organisation.name == "Owner"))
        s.add(ExportMeasure(key="owner-view-suspension", title="Owner's private assumption",
                            imposing_country="CHN", minerals=["gallium"], forms=[],
                            target_countries=["USA"], measure_type="suspension",
                            effective=dt.date(2025, 1, 1), date_precision="day",
                            relates_to=BAN, sharing="owner", owner_org_id=owner.id, sources=[],
                            section_sharing={}, version=1))  # fmt: skip
    engine.dispose()
    with live(api_db_url) as base:
        clients = {
            who: live_http.client(base_url=f"{base}/api/v1/controls", timeout=60,
                              headers={"Authorization": f"Bearer {token}"} if token else {})
            for who, token in (("owner", tokens["Owner"]), ("partner", tokens["Partner"]),
                               ("anon", None))
        }  # fmt: skip
        yield clients
        for c in clients.values():
            c.close()


def test_check_contract_and_private_measures(api):
    r = api["anon"].get("/check", params={**Q, "date": "2025-03-01"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["verdict"] == "prohibited"
    assert {"key", "title", "effect", "sources"} <= set(body["measures"][0])
    assert body["measures"][0]["key"] == BAN
    via = api["partner"].get("/check", params={**Q, "date": "2025-03-01", "via": "VNM"}).json()
    assert via["verdict"] == "prohibited" and "owner-view-suspension" not in str(via)
    # only the owner's own answer uses its private measure
    mine = api["owner"].get("/check", params={**Q, "date": "2025-03-01"}).json()
    assert mine["verdict"] == "licence_required"
    assert {m["key"]: m["effect"] for m in mine["measures"]}["owner-view-suspension"] == (
        "suspends")
    tech = api["anon"].get("/check", params={**Q, "item": "technology:gallium",
                                              "date": "2025-03-01"}).json()  # fmt: skip
    assert tech["verdict"] == "licence_required"


def test_batch_and_timeline(api):
    csv = "item,origin,destination,date,end_use\ngallium,CHN,USA,2026-03-01,\n" \
          "gallium,CHN,USA,2026-03-01,military\n"
    r = api["anon"].post("/check-batch", content=csv, headers={"Content-Type": "text/csv"})
    assert r.status_code == 200, r.text
    assert [x["verdict"] for x in r.json()] == ["licence_required", "prohibited"]
    t = api["partner"].get("/timeline", params={"mineral": "gallium", "as_of": "2026-03-01"})
    data = t.json()
    assert {m["key"]: m["status"] for m in data["measures"]}[BAN] == "suspended"
    assert data["as_of"] == "2026-03-01" and "owner-view-suspension" not in t.text
    own = api["owner"].get("/timeline", params={"mineral": "gallium", "as_of": "2025-03-01"})
    assert {m["key"]: m["status"] for m in own.json()["measures"]}[BAN] == "suspended"
    other = api["partner"].get("/timeline", params={"mineral": "gallium", "as_of": "2025-03-01"})
    assert {m["key"]: m["status"] for m in other.json()["measures"]}[BAN] == "in_force"


def test_bad_input_is_a_4xx_naming_it(api):
    anon = api["anon"]
    r = anon.get("/check", params={**Q, "item": "unobtainium", "date": "2025-01-01"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.item"
    r = anon.get("/check", params={**Q, "origin": "Atlantis", "date": "2025-01-01"})
    assert r.status_code == 422 and "Atlantis" in r.json()["detail"]
    assert anon.get("/check", params={**Q, "date": "2025-02-30"}).status_code == 422
    assert anon.get("/check", params={**Q, "date": "2025-01-01",
                                      "end_use": "peaceful"}).status_code == 422  # fmt: skip
    r = anon.post("/check-batch", content="item,origin\ngallium,CHN\n",
                  headers={"Content-Type": "text/csv"})  # fmt: skip
    assert r.status_code == 422 and "missing column" in r.json()["detail"]
    r = anon.post("/check-batch", content=b"\xff\xfe\x00bad", headers={"Content-Type": "text/csv"})
    assert r.status_code == 400
    assert anon.get("/timeline", params={"mineral": "kryptonite"}).status_code == 422


def test_documented_in_the_openapi(api):
    root = str(api["anon"].base_url).split("/api/v1")[0]
    spec = live_http.get(f"{root}/api/v1/openapi.json", timeout=60).json()
    for path in ("/api/v1/controls/check", "/api/v1/controls/check-batch",
                 "/api/v1/controls/timeline"):  # fmt: skip
        assert path in spec["paths"]
    check = spec["paths"]["/api/v1/controls/check"]["get"]
    assert {p["name"] for p in check["parameters"]} >= {"item", "origin", "destination", "date",
                                                        "via", "end_use"}
    assert "422" in check["responses"]


def test_a_measure_written_over_the_api_is_a_rule_for_its_owner_only(api):
    root = str(api["owner"].base_url).split("/controls")[0]
    body = {"key": "owner-resin-licence", "title": "Owner's record: resin technology licence",
            "imposing_country": "CHN", "minerals": ["gallium"], "measure_type": "ban",
            "effective": "2025-06", "effective_precision": "month", "sharing": "owner",
            "items": [{"kind": "technology", "mineral": "gallium",
                       "description": "Chelating resin for gallium recovery"}],
            "sources": [{"document": "own-note", "title": "Internal note"}]}  # fmt: skip
    headers = dict(api["owner"].headers)
    bad = live_http.post(f"{root}/measures", json=body, headers=headers, timeout=60)
    assert bad.status_code == 422  # "2025-06" is not a date: dates are YYYY-MM-DD
    created = live_http.post(f"{root}/measures", json={**body, "effective": "2025-06-01"},
                         headers=headers, timeout=60)  # fmt: skip
    assert created.status_code == 201, created.text
    assert created.json()["items"][0]["kind"] == "technology"
    hs = live_http.post(f"{root}/measures", headers=headers, timeout=60, json={
        **body, "key": "owner-hs", "items": [{"kind": "hs", "code": "811292",
                                              "description": "no nomenclature"}]})  # fmt: skip
    assert hs.status_code == 422 and "nomenclature" in hs.text
    q = {**Q, "item": "technology:gallium"}
    # month precision read cautiously: the ban may bind from 1 June 2025
    assert api["owner"].get("/check", params={**q, "date": "2025-06-01"}).json()["verdict"] == (
        "prohibited")
    assert api["partner"].get("/check", params={**q, "date": "2025-06-01"}).json()[
        "verdict"] == "licence_required"  # the public technology control only
