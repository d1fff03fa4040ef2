"""The project import and export over real HTTP, on SQLite and PostgreSQL: sharing never
widened, hostile bodies refused quickly with a 4xx, bounded fields, formula-safe CSV, and
pages that survive out-of-bounds rows stored before the bounds existed."""

from __future__ import annotations

import csv
import io
import json
import math
import time

import httpx
import pytest
from sqlalchemy import insert

import live_http
from critmin.domain.projects import MAX_CELL_CHARS
from critmin.store.db import make_engine, transaction
from critmin.store.tables import Project

BASE = {"mineral": "gallium", "stage": "refining", "country": "CAN", "status": "announced"}
BOMB = "\n".join(
    [f'{a}: &{a} [{", ".join([f"*{p}" if p else chr(34) + "lol" + chr(34)] * 9)}]'
     for p, a in zip(["", "a", "b", "c", "d", "e", "f"], "abcdefg", strict=True)]
    + ["projects:", "- {key: bomb-1, name: [*g, *g, *g, *g, *g, *g, *g, *g, *g],",
       "   mineral: gallium, stage: extraction, country: CAN, status: announced}", ""]
)  # fmt: skip


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    tokens = make_orgs(api_db_url, {"Owner": (["MSP"], "editor"), "Partner": (["MSP"], "editor")})
    with live(api_db_url) as base:
        clients = {
            who: live_http.client(base_url=f"{base}/api/v1", timeout=60,
                              headers={"Authorization": f"Bearer {token}"} if token else {})
            for who, token in (("owner", tokens["Owner"]), ("partner", tokens["Partner"]),
                               ("anon", None))
        }  # fmt: skip
        clients["base"] = live_http.client(base_url=base, timeout=60)  # type: ignore[assignment]
        clients["url"] = api_db_url  # type: ignore[assignment]
        yield clients
        for c in clients.values():
            if isinstance(c, httpx.Client):
                c.close()


def _csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _post_csv(client, text: str, **params):
    return client.post("/projects/import", content=text.encode(), params=params,
                       headers={"Content-Type": "text/csv"})  # fmt: skip


def test_reimport_never_widens_sharing_nor_drops_financing(api):
    owner, anon, partner = api["owner"], api["anon"], api["partner"]
    body = {"key": "quiet-refinery", "name": "Quiet refinery", **BASE, "sharing": "owner",
            "financing": {"needed_usd": 4e7, "committed_usd": 1e7}}  # fmt: skip
    created = owner.post("/projects", json=body)
    assert created.status_code == 201, created.text
    pid = created.json()["id"]
    exported = owner.get("/projects/export", params={"format": "csv", "q": "quiet"}).text
    rows = list(csv.DictReader(io.StringIO(exported)))
    no_sharing = ["key", "name", "mineral", "stage", "country", "status", "notes"]
    r = _post_csv(owner, _csv(rows, no_sharing))
    assert r.status_code == 200, r.text
    assert anon.get(f"/projects/{pid}").status_code == 404
    assert partner.get(f"/projects/{pid}").status_code == 404
    assert owner.get(f"/projects/{pid}").json()["financing"]["needed_usd"] == 4e7
    rows[0]["sharing"] = "public"
    r = _post_csv(owner, _csv(rows, [*no_sharing, "sharing"]))
    assert r.json()["kept_sharing"] == [
        {"key": "quiet-refinery", "sharing": "owner", "stated": "public"}
    ]
    assert anon.get(f"/projects/{pid}").status_code == 404
    fresh = _post_csv(owner, _csv([{"key": "quiet-new", "name": "New", **BASE}], no_sharing))
    assert fresh.json()["owner_only_by_default"] == 1
    assert anon.get("/projects", params={"q": "quiet-new"}).json()["count"] == 0


def test_yaml_alias_bomb_is_refused_quickly(api):
    assert len(BOMB.encode()) < 600
    started = time.perf_counter()
    r = api["owner"].post("/projects/import", content=BOMB.encode(), params={"format": "yaml"},
                          headers={"Content-Type": "application/yaml"})  # fmt: skip
    assert time.perf_counter() - started < 3
    assert r.status_code == 422 and len(r.content) < 2_000 and "lol" not in r.text
    (problem,) = r.json()["problems"]
    assert problem["column"] == "(document)" and "aliases" in problem["expected"]
    assert api["owner"].get("/health").status_code == 200


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_deeply_nested_imports_are_a_422(api, fmt):
    deep = "[" * 1_000 + "]" * 1_000
    text = (
        '{"projects": [{"key": "deep-1", "notes": ' + deep + "}]}"
        if fmt == "json"
        else "projects:\n- key: deep-1\n  notes: " + deep + "\n"
    )
    r = api["owner"].post("/projects/import", content=text.encode(), params={"format": fmt},
                          headers={"Content-Type": f"application/{fmt}"})  # fmt: skip
    assert r.status_code == 422, r.text
    assert "levels deep" in r.json()["problems"][0]["expected"]


@pytest.mark.parametrize("path", ["/projects", "/facilities"])
def test_deeply_nested_json_bodies_are_a_422_everywhere(api, path):
    body = '{"key": "deep-2", "name": ' + "[" * 5_000 + "]" * 5_000 + "}"
    r = api["owner"].post(path, content=body.encode(),
                          headers={"Content-Type": "application/json"})  # fmt: skip
    assert r.status_code == 422
    problem = "JSON nested at most 32 levels deep"
    assert r.json()["errors"] == [{"field": "body", "problem": problem}]
    shallow = api["owner"].post(path, json={"key": "shallow-1", "name": [[["x"]]]})
    assert shallow.status_code == 422 and shallow.json()["errors"][0]["field"] != "body"


def test_oversized_fields_are_refused_on_create(api):
    owner = api["owner"]
    for field, value in (
        ("notes", "x" * 200_000),
        ("capacity_tpa", 1.7e308),
        ("partners", ["p"] * 1_000),
        ("financing", {"committed_usd": 1e16}),
    ):
        r = owner.post("/projects", json={"key": "too-big", "name": "Too big", **BASE,
                                          field: value})  # fmt: skip
        assert r.status_code == 422, (field, r.text)
        assert r.json()["errors"][0]["field"].split(".")[0] == field
    r = owner.post("/facilities", json={"key": "fac-big", "name": "F", "country": "CAN",
                                        "notes": "x" * 200_000})  # fmt: skip
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.notes"


def test_the_largest_record_the_api_accepts_exports_and_reimports(api):
    owner = api["owner"]
    quote = '"\\' * 900  # JSON doubles every character of it
    sources = [{"document": f"doc-{i}", "title": "t" * 900, "quote": quote} for i in range(20)]
    body = {"key": "big-but-fine", "name": "n" * 300, **BASE, "notes": "=" + "y" * 9_999,
            "partners": ["p" * 200] * 100, "sources": sources,
            "offtakers": [{"name": "o" * 300, "note": "-" + "z" * 999}] * 20}  # fmt: skip
    created = owner.post("/projects", json=body)
    assert created.status_code == 201, created.text[:500]
    text = owner.get("/projects/export", params={"format": "csv", "q": "big-but-fine"}).text
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["notes"].startswith("'=") and len(row["sources"]) <= MAX_CELL_CHARS
    again = _post_csv(owner, text, dry_run="true")
    assert again.status_code == 200, again.text[:500]
    assert again.json()["unchanged"] == 1
    too_many = owner.post("/projects", json=body | {"key": "too-much", "sources": sources * 2})
    assert too_many.status_code == 422
    (error,) = too_many.json()["errors"]
    assert error["field"] == "sources" and "when written as JSON" in error["problem"]


def test_a_csv_cell_over_the_field_limit_is_a_422(api):
    text = "key,name,mineral,stage,country,status,notes\n"
    text += "huge-1,Huge,gallium,refining,CAN,announced," + "x" * 140_000 + "\n"
    r = _post_csv(api["owner"], text)
    assert r.status_code == 422
    (problem,) = r.json()["problems"]
    assert (problem["row"], problem["column"]) == (2, "(row)")


def test_csv_export_neutralises_formulas_and_reimports_unchanged(api):
    owner = api["owner"]
    body = {"key": "formula-one", "name": '=HYPERLINK("http://evil.example","x")', **BASE,
            "operator": "+1+1", "site": "@SUM(A1)", "notes": "'=already quoted",
            "partners": ["-2", "plain"], "sharing": "public"}  # fmt: skip
    assert owner.post("/projects", json=body).status_code == 201
    text = owner.get("/projects/export", params={"format": "csv", "q": "formula-one"}).text
    (row,) = list(csv.DictReader(io.StringIO(text)))
    assert row["name"] == "'" + body["name"] and row["operator"] == "'+1+1"
    assert row["site"] == "'@SUM(A1)" and row["notes"] == "''=already quoted"
    assert row["partners"] == "'-2|plain"
    r = _post_csv(owner, text)
    assert r.status_code == 200 and r.json()["unchanged"] == 1
    assert owner.get("/projects/export", params={"format": "csv", "q": "formula-one"}).text == text


def test_pages_survive_values_stored_before_the_bounds(api):
    engine = make_engine(api["url"])
    with transaction(engine) as s:
        s.execute(insert(Project.__table__), [
            {"key": f"legacy-huge-{i}", "name": f"Legacy huge {i}", **BASE, "sharing": "public",
             "capacity_tpa": 1.7e308, "version": 1, "section_sharing": {}, "partners": [],
             "milestones": [], "funding_sources": [], "offtakers": [], "sources": []}
            for i in range(2)
        ])  # fmt: skip
    engine.dispose()
    page = api["base"].get("/minerals/gallium")
    assert page.status_code == 200 and "left out of the totals" in page.text
    twin = api["anon"].get("/dashboard/minerals/gallium")
    assert twin.status_code == 200
    pipe = twin.json()["pipeline"]
    assert pipe["capacity_left_out"] == 2 and "left out" in pipe["note"]
    totals = [g["capacity_tpa"] for g in pipe["by_status"] + pipe["by_year"]]
    assert all(t is None or math.isfinite(t) for t in totals)
    listed = api["anon"].get("/projects", params={"q": "legacy-huge"}).json()["data"]
    detail = api["anon"].get(f"/projects/{listed[0]['id']}")
    assert detail.status_code == 200 and detail.json()["capacity_tpa"] == 1.7e308
    exported = api["anon"].get("/projects/export", params={"q": "legacy-huge"})
    assert exported.status_code == 200
    assert len(json.loads(exported.text)["projects"]) == 2
