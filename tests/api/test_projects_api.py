"""The project endpoints end to end over real HTTP: CRUD, ETags, filters, import/export."""

from __future__ import annotations

import csv
import io
import json

import pytest

import live_http
from critmin.services import projects as project_service
from critmin.services.bootstrap import curated_path
from critmin.store.db import make_engine, transaction

NEW = {
    "key": "a-new-refinery",
    "name": "A new refinery",
    "mineral": "gallium",
    "stage": "refining",
    "country": "can",
    "status": "announced",
    "capacity_tpa": 12.5,
    "financing": {"needed_usd": 5e7, "committed_usd": 1e7},
    "section_sharing": {"financing": "owner"},
}


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    """The curated projects as reference data, orgs A (editor, viewer) and B, and clients."""
    engine = make_engine(api_db_url)
    with transaction(engine) as session:
        project_service.import_file(
            session=session, path=curated_path("projects.yaml"), actor="test"
        )
    engine.dispose()
    tokens = make_orgs(api_db_url, {"A": (["MSP"], "editor"), "B": ([], "editor")})
    viewer = make_orgs(api_db_url, {"A": (["MSP"], "viewer")})["A"]
    with live(api_db_url) as base:
        clients = {
            who: live_http.client(
                base_url=f"{base}/api/v1",
                headers={"Authorization": f"Bearer {token}"} if token else {},
                timeout=30,
            )
            for who, token in (("A", tokens["A"]), ("B", tokens["B"]), ("viewer", viewer),
                               ("anon", None))
        }  # fmt: skip
        yield clients
        for c in clients.values():
            c.close()


def test_create_read_conditional_get(api):
    a = api["A"]
    r = a.post("/projects", json=NEW)
    assert r.status_code == 201, r.text
    body = r.json()
    assert r.headers["location"] == f"/api/v1/projects/{body['id']}"
    assert r.headers["etag"] == f'"p{body["id"]}-v1"'
    assert (
        body["country"] == "CAN"
        and body["editable"]
        and body["section_sharing"] == {"financing": "owner"}
    )
    assert body["financing"]["needed_usd"] == 5e7
    got = a.get(f"/projects/{body['id']}")
    assert got.status_code == 200 and got.headers["etag"] == r.headers["etag"]
    assert got.headers["cache-control"].startswith("private")
    assert (
        a.get(f"/projects/{body['id']}", headers={"If-None-Match": r.headers["etag"]}).status_code
        == 304
    )
    assert api["anon"].get(f"/projects/{body['id']}").json()["financing"] is None
    dup = a.post("/projects", json=NEW)
    assert dup.status_code == 409 and "already exists" in dup.json()["detail"]


@pytest.mark.parametrize(
    "body,fields",
    [
        ({**NEW, "key": "bad-1", "capacity_tpa": "lots"}, {"capacity_tpa"}),
        ({**NEW, "key": "bad-2", "country": "ZZZ", "stage": "mining"}, {"country", "stage"}),
        ({**NEW, "key": "Bad Key"}, {"key"}),
        ({**NEW, "key": "bad-3", "financing": {"needed_usd": -1}}, {"financing.needed_usd"}),
        ({**NEW, "key": "bad-4", "section_sharing": {"financing": "friends"}},
         {"section_sharing.financing"}),
        ({**NEW, "key": "bad-5", "section_sharing": {"notes": "owner"}}, {"section_sharing.notes"}),
        ({**NEW, "key": "bad-6", "colour": "red"}, {"colour"}),
        ({k: v for k, v in NEW.items() if k != "name"} | {"key": "bad-7"}, {"name"}),
    ],
)  # fmt: skip
def test_create_rejects_bad_bodies_naming_fields(api, body, fields):
    r = api["A"].post("/projects", json=body)
    assert r.status_code == 422, r.text
    assert {e["field"] for e in r.json()["errors"]} == fields
    assert all(e["problem"] for e in r.json()["errors"])


def test_patch_preconditions_and_validation(api):
    a = api["A"]
    r = a.post("/projects", json=NEW | {"key": "patch-me"})
    pid, v1 = r.json()["id"], r.headers["etag"]
    url = f"/projects/{pid}"
    assert a.patch(url, json={"name": "x"}).status_code == 428
    assert a.patch(url, json={"name": "x"}, headers={"If-Match": "*"}).status_code == 428
    for bad in ('"p999-v1"', "garbage", '"p1-v99999999999"'):
        assert a.patch(url, json={"name": "x"}, headers={"If-Match": bad}).status_code == 412
    bad = a.patch(url, json={"capacity_tpa": -3, "end_year": "soon"}, headers={"If-Match": v1})
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"capacity_tpa", "end_year"}
    for change in ({"key": "other-key"}, {"version": 7}, {"owner_org_id": 99}):
        r = a.patch(url, json=change, headers={"If-Match": v1})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == next(iter(change))
    assert a.patch(url, json=["name"], headers={"If-Match": v1}).status_code == 422
    full = a.get(url).json()  # a whole GET body can be sent back (read-only fields unchanged)
    ok = a.patch(url, json=full | {"name": "Renamed"}, headers={"If-Match": v1})
    assert ok.status_code == 200 and ok.json()["name"] == "Renamed"
    assert ok.json()["financing"]["committed_usd"] == 1e7
    v2 = ok.headers["etag"]
    merged = a.patch(url, json={"financing": {"committed_usd": 2e7}}, headers={"If-Match": v2})
    assert merged.json()["financing"] == merged.json()["financing"] | {
        "needed_usd": 5e7,
        "committed_usd": 2e7,
    }
    stale = a.patch(url, json={"name": "Lost"}, headers={"If-Match": v2})
    assert stale.status_code == 412
    assert a.get(url).json()["name"] == "Renamed"
    assert a.get(url).json()["financing"]["committed_usd"] == 2e7


def test_roles_and_ownership(api):
    a, b, viewer, anon = api["A"], api["B"], api["viewer"], api["anon"]
    r = a.post("/projects", json=NEW | {"key": "owned-by-a"})
    pid, tag = r.json()["id"], r.headers["etag"]
    assert anon.post("/projects", json=NEW | {"key": "anon-1"}).status_code == 401
    assert viewer.post("/projects", json=NEW | {"key": "viewer-1"}).status_code == 403
    assert viewer.patch(f"/projects/{pid}", json={}, headers={"If-Match": tag}).status_code == 403
    assert (
        b.patch(f"/projects/{pid}", json={"name": "B"}, headers={"If-Match": tag}).status_code
        == 403
    )
    assert b.delete(f"/projects/{pid}", headers={"If-Match": tag}).status_code == 403
    ref = a.get("/projects", params={"q": "boguty"}).json()["data"][0]
    ref_tag = a.get(f"/projects/{ref['id']}").headers["etag"]
    r = a.patch(f"/projects/{ref['id']}", json={"name": "Mine now"}, headers={"If-Match": ref_tag})
    assert r.status_code == 403  # bundled reference data is read-only
    assert a.get("/me").json()["role"] == "editor" and viewer.get("/me").json()["role"] == "viewer"


def test_delete_restore_history(api):
    a, b = api["A"], api["B"]
    r = a.post("/projects", json=NEW | {"key": "delete-me", "sharing": "public"})
    pid, v1 = r.json()["id"], r.headers["etag"]
    url = f"/projects/{pid}"
    assert a.delete(url).status_code == 428
    gone = a.delete(url, headers={"If-Match": v1})
    assert gone.status_code == 200 and gone.json()["deleted"] is True
    assert a.get(url).status_code == 404 and b.get(url).status_code == 404
    assert a.get(url, params={"deleted": "true"}).status_code == 200
    assert b.get(url, params={"deleted": "true"}).status_code == 404
    assert "delete-me" not in a.get("/projects", params={"limit": 500}).text
    assert "delete-me" in a.get("/projects", params={"deleted": "true"}).text
    assert a.delete(url, headers={"If-Match": gone.headers["etag"]}).status_code == 404
    assert a.post(f"{url}/restore", headers={"If-Match": v1}).status_code == 412
    assert b.post(f"{url}/restore", headers={"If-Match": gone.headers["etag"]}).status_code == 404
    back = a.post(f"{url}/restore", headers={"If-Match": gone.headers["etag"]})
    assert back.status_code == 200 and back.json()["deleted"] is False
    assert a.post(f"{url}/restore", headers={"If-Match": back.headers["etag"]}).status_code == 409
    assert b.get(url).status_code == 200
    history = a.get(f"{url}/history").json()
    assert [e["action"] for e in history["data"]] == ["create", "delete", "restore"]
    assert history["count"] == 3 and history["data"][1]["actor"] == "A (editor)"
    assert "financing" in history["data"][0]["changes"]
    assert "financing" not in b.get(f"{url}/history").json()["data"][0]["changes"]


def test_list_filters_sort_and_paging(api):
    anon = api["anon"]
    every = anon.get("/projects", params={"limit": 500}).json()
    assert every["count"] == len(every["data"]) >= 23
    tungsten = anon.get("/projects", params={"mineral": "tungsten", "sort": "-capacity_tpa"})
    rows = tungsten.json()["data"]
    assert rows and all(p["mineral"] == "tungsten" for p in rows)
    caps = [p["capacity_tpa"] for p in rows if p["capacity_tpa"] is not None]
    assert caps == sorted(caps, reverse=True)
    can = anon.get("/projects", params={"country": "can", "stage": "recycling"}).json()
    assert all(p["country"] == "CAN" and p["stage"] == "recycling" for p in can["data"])
    page = anon.get("/projects", params={"limit": 3, "offset": 3, "sort": "id"}).json()
    assert page["count"] == every["count"] and len(page["data"]) == 3
    ids = [p["id"] for p in anon.get("/projects", params={"sort": "id", "limit": 6}).json()["data"]]
    assert [p["id"] for p in page["data"]] == ids[3:6]
    assert anon.get("/projects", params={"q": "SAGUENAY"}).json()["count"] == 1
    for params, field in (
        ({"limit": 0}, "query.limit"),
        ({"limit": 501}, "query.limit"),
        ({"offset": -1}, "query.offset"),
        ({"sort": "financing_needed_usd"}, "query.sort"),
        ({"status": "dreaming"}, "query.status"),
        ({"country": "Atlantis"}, "query.country"),
        ({"mineral": "gallum"}, "query.mineral"),
    ):
        r = anon.get("/projects", params=params)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, params


def test_import_json_csv_multipart_atomic(api):
    a, b, viewer = api["A"], api["B"], api["viewer"]
    doc = {"schema_version": "1.0", "projects": [
        {"key": "imp-one", "name": "Imported one", "mineral": "gallium", "stage": "recycling",
         "country": "DEU", "status": "feasibility", "sharing": "partners"},
        {"key": "imp-two", "name": "Imported two", "mineral": "tungsten", "stage": "extraction",
         "country": "AUS", "status": "announced"},
    ]}  # fmt: skip
    dry = a.post("/projects/import", params={"dry_run": "true"}, json=doc)
    assert dry.status_code == 200 and dry.json()["created"] == 2 and dry.json()["dry_run"]
    assert a.get("/projects", params={"q": "imp-"}).json()["count"] == 0
    assert viewer.post("/projects/import", json=doc).status_code == 403
    assert api["anon"].post("/projects/import", json=doc).status_code == 401
    done = a.post("/projects/import", json=doc)
    assert done.json()["keys"]["created"] == ["imp-one", "imp-two"]
    listed = a.get("/projects", params={"q": "imp-"}).json()["data"]
    assert {p["key"] for p in listed} == {"imp-one", "imp-two"}
    assert all(a.get(f"/projects/{p['id']}").json()["editable"] for p in listed)
    # keys are per organisation: B's keys are B's own records, never A's nor reference data
    takeover = {"projects": [doc["projects"][1] | {"name": "B's takeover", "sharing": "owner"},
                             doc["projects"][0] | {"key": "b-new", "sharing": "owner"},
                             {**doc["projects"][0], "key": "boguty-tungsten-kazakhstan",
                              "sharing": "owner"}]}  # fmt: skip
    r = b.post("/projects/import", json=takeover)
    assert r.status_code == 200, r.text
    assert r.json()["keys"]["created"] == ["imp-two", "b-new", "boguty-tungsten-kazakhstan"]
    assert [p["name"] for p in listed if p["key"] == "imp-two"] == ["Imported two"]
    assert [p["name"] for p in a.get("/projects", params={"q": "imp-two"}).json()["data"]] == [
        "Imported two"
    ]
    assert a.get("/projects", params={"q": "b-new"}).json()["count"] == 0
    # CSV body and multipart upload: the same exchange format, the same error report
    csv_text = a.get("/projects/export", params={"format": "csv", "q": "imp-"}).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    rows[0]["name"] = "Imported one, renamed"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    r = a.post("/projects/import", content=out.getvalue(), headers={"Content-Type": "text/csv"})
    assert r.status_code == 200 and r.json()["updated"] == 1 and r.json()["unchanged"] == 1
    broken = out.getvalue().replace("recycling", "smelting")
    r = a.post("/projects/import", files={"file": ("partner.csv", broken.encode(), "text/csv")})
    assert r.status_code == 422
    (p,) = r.json()["problems"]
    assert (p["file"], p["row"], p["column"], p["value"]) == ("partner.csv", 2, "stage", "smelting")
    assert r.json()["detail"] == "1 problem found; nothing was imported"
    r = a.post("/projects/import", content=b"\xff\xfe", headers={"Content-Type": "text/csv"})
    assert r.status_code == 422 and r.json()["problems"][0]["column"] == "(file)"
    r = a.post("/projects/import", content="{", headers={"Content-Type": "application/json"})
    assert r.status_code == 422 and r.json()["problems"][0]["column"] == "(document)"
    assert a.post("/projects/import", files={"other": ("x.csv", b"")}).status_code == 422


def test_export_round_trip(api):
    a = api["A"]
    text = a.get("/projects/export").text
    doc = json.loads(text)
    assert doc["schema_version"] == "1.0" and len(doc["projects"]) >= 23
    mine = {"projects": [p for p in doc["projects"] if p["key"].startswith("imp-")]}
    r = a.post("/projects/import", json=mine, params={"dry_run": "true"})
    assert r.status_code == 200 and r.json()["unchanged"] == len(mine["projects"]) == 2
    csv_export = a.get("/projects/export", params={"format": "csv", "mineral": "tungsten"})
    assert csv_export.headers["content-disposition"] == 'attachment; filename="projects.csv"'
    assert {r["mineral"] for r in csv.DictReader(io.StringIO(csv_export.text))} == {"tungsten"}
