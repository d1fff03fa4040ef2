"""Facilities, measures, price series (+ observations), stockpile lots and offtakes over
real HTTP (uvicorn on loopback), on SQLite and PostgreSQL: CRUD, sharing, ETags,
concurrency, validation and auth."""

from __future__ import annotations

import datetime as dt
import json
import threading

import httpx
import pytest
from entities_helpers import CHANGES, FILTERS, api, bearer, sample, search_text, unique

import live_http
from critmin.domain.entities import PriceSeriesCreate
from critmin.services import entities as service
from critmin.store import entities as store
from critmin.store.db import make_engine, transaction
from critmin.store.tables import PriceObservation, PriceSeries, Project

PATHS = list(service.SPECS)
MISSING = 2_000_000_000
__all__ = ["api"]  # the module-scoped live-server fixture, once per backend


# ---------------------------------------------------------------- CRUD round trip


@pytest.mark.parametrize("path", PATHS)
def test_crud_round_trip(api, path):
    created = api.create(path)
    body, tag = created.json(), created.headers["etag"]
    rid = body["id"]
    assert created.headers["location"].endswith(f"/api/v1/{path}/{rid}")
    assert body["version"] == 1 and body["editable"] and not body["deleted"]
    assert body["owner_org_id"] == api.org_ids["Alpha"]

    got = api.call("GET", created.headers["location"], "alpha")
    assert got.status_code == 200 and got.json() == body and got.headers["etag"] == tag
    assert (
        api.call("GET", f"/{path}/{rid}", "alpha", headers={"If-None-Match": tag}).status_code
        == 304
    )

    listed = api.call("GET", f"/{path}", "alpha", params={"q": search_text(body), **FILTERS[path]})
    assert listed.status_code == 200
    assert [d["id"] for d in listed.json()["data"]] == [rid] and listed.json()["count"] == 1

    patched = api.call(
        "PATCH", f"/{path}/{rid}", "alpha", json=CHANGES[path], headers={"If-Match": tag}
    )
    assert patched.status_code == 200, patched.text
    new = patched.json()
    assert new["version"] == 2 and patched.headers["etag"] != tag
    for name, value in CHANGES[path].items():
        assert new[name] == value

    deleted = api.call(
        "DELETE", f"/{path}/{rid}", "alpha", headers={"If-Match": patched.headers["etag"]}
    )
    assert deleted.status_code == 200 and deleted.json()["deleted"] is True
    assert api.call("GET", f"/{path}/{rid}", "beta").status_code == 404
    assert api.call("GET", f"/{path}/{rid}", "alpha").json()["deleted"] is True
    params = {"q": search_text(body)}
    assert api.call("GET", f"/{path}", "alpha", params=params).json()["count"] == 0
    trash = api.call("GET", f"/{path}", "alpha", params={**params, "deleted": "true"}).json()
    assert [d["id"] for d in trash["data"]] == [rid]
    assert (
        api.call("GET", f"/{path}", "beta", params={**params, "deleted": "true"}).json()["count"]
        == 0
    )
    assert (
        api.call(
            "PATCH",
            f"/{path}/{rid}",
            "alpha",
            json=CHANGES[path],
            headers={"If-Match": deleted.headers["etag"]},
        ).status_code
        == 409
    )

    restored = api.call(
        "POST", f"/{path}/{rid}/restore", "alpha", headers={"If-Match": deleted.headers["etag"]}
    )
    assert restored.status_code == 200 and restored.json()["deleted"] is False
    assert api.call("GET", f"/{path}/{rid}", "beta").status_code == 200

    history = api.call("GET", f"/{path}/{rid}/history", "beta").json()
    assert [h["action"] for h in history["data"]] == ["create", "update", "delete", "restore"]
    update = history["data"][1]
    assert update["actor"] == "Alpha (editor)" and update["changes"]
    for name, value in CHANGES[path].items():
        assert update["changes"][name][1] == value


def test_observations_round_trip(api):
    series = api.create("price-series")
    sid, tag = series.json()["id"], series.headers["etag"]
    obs_url = f"/price-series/{sid}/observations"
    point = {"date": "2025-03-01", "value": 410.0, "sources": [{"document": "weekly.pdf"}]}
    assert api.call("POST", obs_url, "alpha", json=point).status_code == 428

    added = api.call("POST", obs_url, "alpha", json=point, headers={"If-Match": tag})
    assert added.status_code == 201, added.text
    obs = added.json()
    assert obs["unit"] == "USD/mtu WO3" and obs["series_id"] == sid
    assert added.headers["location"].endswith(f"{obs_url}/{obs['id']}")
    tag2 = added.headers["etag"]
    assert tag2 != tag
    assert api.call("GET", f"/price-series/{sid}", "alpha").json()["version"] == 2

    second = {"date": "2025-04-01", "value": 5.0, "kind": "change_pct", "reference": "m/m"}
    added2 = api.call("POST", obs_url, "alpha", json=second, headers={"If-Match": tag2})
    assert added2.status_code == 201, added2.text
    tag3 = added2.headers["etag"]

    listed = api.call("GET", obs_url, "gamma", params={"sort": "-date"})
    assert listed.status_code == 200 and listed.headers["etag"] == tag3
    assert [o["date"] for o in listed.json()["data"]] == ["2025-04-01", "2025-03-01"]
    assert api.call("GET", obs_url, None, params={"kind": "level"}).json()["count"] == 1

    item = f"{obs_url}/{obs['id']}"
    stale = api.call("PATCH", item, "alpha", json={"value": 1.0}, headers={"If-Match": tag})
    assert stale.status_code == 412
    changed = api.call("PATCH", item, "alpha", json={"value": 415.5}, headers={"If-Match": tag3})
    assert changed.status_code == 200 and changed.json()["value"] == 415.5
    bad = api.call(
        "PATCH", item, "alpha", json={"value": -3}, headers={"If-Match": changed.headers["etag"]}
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "body.value"
    assert (
        api.call(
            "PATCH", item, "beta", json={"value": 1}, headers={"If-Match": changed.headers["etag"]}
        ).status_code
        == 403
    )

    gone = api.call("DELETE", item, "alpha", headers={"If-Match": changed.headers["etag"]})
    assert gone.status_code == 204 and gone.headers["etag"] != changed.headers["etag"]
    assert api.call("GET", item, "alpha").status_code == 404
    assert api.call("GET", obs_url, "alpha").json()["count"] == 1

    history = api.call("GET", f"/price-series/{sid}/history", "alpha").json()["data"]
    keys = [k for h in history for k in h["changes"]]
    oid = obs["id"]
    assert f"observations.{oid}" in keys and f"observations.{oid}.value" in keys
    assert history[-1]["changes"][f"observations.{oid}"][0]["value"] == 415.5


# ---------------------------------------------------------------- access matrix

VISIBLE = {  # sharing -> callers who may see it
    "public": {"owner", "partner", "unrelated", "anonymous"},
    "partners": {"owner", "partner"},
    "owner": {"owner"},
}
CALLERS = {"owner": "alpha_viewer", "partner": "beta", "unrelated": "gamma", "anonymous": None}


@pytest.mark.parametrize("path", PATHS)
def test_access_matrix(api, path):
    records = {}
    for sharing in VISIBLE:
        created = api.create(path, sharing=sharing)
        records[sharing] = created.json()
        if path == "price-series":
            r = api.call(
                "POST",
                f"/price-series/{created.json()['id']}/observations",
                "alpha",
                json={"date": "2025-01-01", "value": 1.0},
                headers={"If-Match": created.headers["etag"]},
            )
            assert r.status_code == 201
    for role, who in CALLERS.items():
        missing = {
            "detail": api.call("GET", f"/{path}/{MISSING}", who),
            "history": api.call("GET", f"/{path}/{MISSING}/history", who),
            "obs": api.call("GET", f"/price-series/{MISSING}/observations", who),
        }
        assert all(r.status_code == 404 for r in missing.values())
        for sharing, body in records.items():
            rid, allowed = body["id"], role in VISIBLE[sharing]
            q = {"q": search_text(body)}
            listed = api.call("GET", f"/{path}", who, params=q).json()
            assert [d["id"] for d in listed["data"]] == ([rid] if allowed else []), (role, sharing)
            assert listed["count"] == int(allowed)
            detail = api.call("GET", f"/{path}/{rid}", who)
            history = api.call("GET", f"/{path}/{rid}/history", who)
            checks = [(detail, "detail"), (history, "history")]
            if path == "price-series":
                obs = api.call("GET", f"/price-series/{rid}/observations", who)
                checks.append((obs, "obs"))
                if allowed:
                    assert obs.json()["count"] == 1
            for response, kind in checks:
                if allowed:
                    assert response.status_code == 200, (role, sharing, kind)
                else:
                    assert response.status_code == 404, (role, sharing, kind)
                    assert response.content == missing[kind].content
                    assert "etag" not in response.headers
            if allowed:
                assert detail.json()["editable"] is False  # viewers and other orgs
    # partners may not edit a record they can see
    partners = records["partners"]
    tag = api.call("GET", f"/{path}/{partners['id']}", "beta").headers["etag"]
    r = api.call(
        "PATCH", f"/{path}/{partners['id']}", "beta", json=CHANGES[path], headers={"If-Match": tag}
    )
    assert r.status_code == 403
    hidden = api.call(
        "PATCH",
        f"/{path}/{records['owner']['id']}",
        "beta",
        json=CHANGES[path],
        headers={"If-Match": tag},
    )
    other = f'"{service.SPECS[path].etag_prefix}{MISSING}-v1"'
    gone = api.call(
        "PATCH", f"/{path}/{MISSING}", "beta", json=CHANGES[path], headers={"If-Match": other}
    )
    assert hidden.status_code == 412  # the tag names another record
    assert gone.status_code == 404


def test_hidden_write_is_404_like_missing(api):
    private = api.create("facilities", sharing="owner")
    rid, tag = private.json()["id"], private.headers["etag"]
    hidden = api.call(
        "PATCH", f"/facilities/{rid}", "gamma", json={"name": "x"}, headers={"If-Match": tag}
    )
    missing = api.call(
        "PATCH",
        f"/facilities/{MISSING}",
        "gamma",
        json={"name": "x"},
        headers={"If-Match": f'"fac{MISSING}-v1"'},
    )
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json() == {"detail": "no such facility", "errors": []}


# ---------------------------------------------------------------- ETags and concurrency


def test_if_match_required_and_checked(api):
    created = api.create("stockpile-lots")
    rid, tag = created.json()["id"], created.headers["etag"]
    url = f"/stockpile-lots/{rid}"
    for method, target, kw in (
        ("PATCH", url, {"json": {"quantity": 1}}),
        ("DELETE", url, {}),
        ("POST", f"{url}/restore", {}),
    ):
        r = api.call(method, target, "alpha", **kw)
        assert r.status_code == 428, (method, target)
        assert r.json()["errors"] == [{"field": "header.If-Match", "problem": "missing"}]
    for bad in ('"sl999-v1"', '"fac1-v1"', "garbage", f'"sl{rid}-v7"'):
        r = api.call("PATCH", url, "alpha", json={"quantity": 1}, headers={"If-Match": bad})
        assert r.status_code == 412 and r.json()["detail"], bad
    ok = api.call("PATCH", url, "alpha", json={"quantity": 2}, headers={"If-Match": tag})
    assert ok.status_code == 200
    again = api.call("PATCH", url, "alpha", json={"quantity": 3}, headers={"If-Match": tag})
    assert again.status_code == 412
    assert api.call("GET", url, "alpha").json()["quantity"] == 2


def test_concurrent_patches_one_wins(api):
    created = api.create("measures")
    rid, tag = created.json()["id"], created.headers["etag"]
    barrier = threading.Barrier(10)
    results: dict[int, int] = {}

    def edit(i: int) -> None:
        with live_http.client(base_url=api.base, timeout=60) as client:
            barrier.wait()
            r = client.patch(
                f"/measures/{rid}",
                json={"description": f"edit {i}"},
                headers={**bearer(api.tokens["alpha"]), "If-Match": tag},
            )
            results[i] = r.status_code

    threads = [threading.Thread(target=edit, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results.values()) == [200] + [412] * 9, results
    history = api.call("GET", f"/measures/{rid}/history", "alpha").json()["data"]
    updates = [h for h in history if h["action"] == "update"]
    assert len(updates) == 1
    final = api.call("GET", f"/measures/{rid}", "alpha").json()
    assert final["version"] == 2 and updates[0]["changes"]["description"][1] == final["description"]


# ---------------------------------------------------------------- validation


def _fields(r: httpx.Response) -> list[str]:
    assert r.status_code == 422, r.text
    assert r.json()["detail"] and all(e["problem"] for e in r.json()["errors"])
    return [e["field"] for e in r.json()["errors"]]


def test_validation_names_the_field(api):
    post = lambda path, **over: api.call("POST", f"/{path}", "alpha", json=sample(path, **over))  # noqa: E731
    assert _fields(post("measures", effective="2024-05-01", expiry="2024-04-01")) == ["body.expiry"]
    assert _fields(post("measures", announced="2024-05-01", effective="2024-01-01")) == [
        "body.effective"
    ]
    assert _fields(post("measures", sources=[])) == ["body.sources"]
    assert _fields(post("stockpile-lots", unit="bushel")) == ["body.unit"]
    assert _fields(post("stockpile-lots", unit="USD/kg")) == ["body.unit"]
    assert _fields(post("price-series", unit="furlong")) == ["body.unit"]
    assert _fields(post("price-series", form="gaas_wafer")) == ["body.form"]
    assert _fields(post("facilities", country="XYZ")) == ["body.country"]
    assert _fields(post("facilities", country="Germany")) == ["body.country"]
    assert _fields(post("facilities", minerals=["unobtainium"])) == ["body.minerals"]
    assert _fields(post("facilities", name="bad\x00name")) == ["body.name"]
    assert _fields(post("offtakes", floor_price=500, ceiling_price=400)) == ["body.ceiling_price"]
    assert _fields(post("offtakes", end="2020-01-01")) == ["body.end"]
    assert _fields(post("offtakes", price_unit=None)) == ["body.price_unit"]
    assert _fields(post("offtakes", project_id=MISSING)) == ["body.project_id"]
    assert _fields(post("offtakes", project_id=2**40)) == ["body.project_id"]
    assert _fields(post("stockpile-lots", quantity=-1, bogus=1)) == ["body.quantity", "body.bogus"]
    raw = api.call(
        "POST",
        "/facilities",
        "alpha",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert raw.status_code == 422 and raw.json()["errors"][0]["field"].startswith("body")
    surrogate = json.dumps(sample("facilities", sources=[{"document": "x\ud800"}])).encode()
    json_type = {"Content-Type": "application/json"}
    r = api.call("POST", "/facilities", "alpha", content=surrogate, headers=json_type)
    assert _fields(r) == ["body.sources.0.document"]  # bounded text is checked as Unicode

    measure = api.create("measures")
    url, tag = f"/measures/{measure.json()['id']}", measure.headers["etag"]
    merged = api.call(
        "PATCH", url, "alpha", json={"expiry": "2023-01-01"}, headers={"If-Match": tag}
    )
    assert _fields(merged) == ["body.expiry"]
    assert _fields(
        api.call("PATCH", url, "alpha", json={"key": "other-key"}, headers={"If-Match": tag})
    ) == ["body.key"]
    assert _fields(
        api.call("PATCH", url, "alpha", json={"title": None}, headers={"If-Match": tag})
    ) == ["body.title"]
    assert api.call("GET", url, "alpha").json()["version"] == 1  # failed patches changed nothing

    assert _fields(api.call("GET", "/measures", params={"sort": "colour"})) == ["query.sort"]
    assert _fields(api.call("GET", "/measures", params={"limit": 501})) == ["query.limit"]
    assert _fields(api.call("GET", "/facilities", params={"country": "Atlantis"})) == [
        "query.country"
    ]
    assert _fields(api.call("GET", "/measures", params={"mineral": "gallum"})) == ["query.mineral"]
    assert _fields(api.call("GET", "/facilities", params={"q": "a\x00b"})) == ["query.q"]
    assert _fields(api.call("GET", "/facilities/abc")) == ["path.id"]
    assert _fields(api.call("GET", f"/facilities/{2**40}")) == ["path.id"]


def test_offtake_project_must_be_visible(api):
    engine = make_engine(api.url)
    with transaction(engine) as s:
        common = dict(
            mineral="tungsten",
            stage="refining",
            country="AUS",
            status="announced",
            section_sharing={},
        )
        hidden = Project(
            key=unique("proj"),
            name="Hidden",
            sharing="owner",
            owner_org_id=api.org_ids["Gamma"],
            **common,
        )
        shown = Project(key=unique("proj"), name="Shown", sharing="public", **common)
        s.add_all([hidden, shown])
        s.flush()
        hidden_id, shown_id = hidden.id, shown.id
    engine.dispose()
    r = api.call("POST", "/offtakes", "alpha", json=sample("offtakes", project_id=hidden_id))
    assert _fields(r) == ["body.project_id"]
    assert r.json()["errors"][0]["problem"] == f"no project {hidden_id}"
    ok = api.create("offtakes", project_id=shown_id)
    listed = api.call("GET", "/offtakes", params={"project_id": shown_id}).json()
    assert ok.json()["id"] in [d["id"] for d in listed["data"]]


# ---------------------------------------------------------------- auth and bundled data


def test_roles_and_bundled_records(api):
    body = sample("facilities")
    assert api.call("POST", "/facilities", None, json=body).status_code == 401
    assert api.call("POST", "/facilities", "alpha_viewer", json=body).status_code == 403
    bad = api.call("POST", "/facilities", None, json=body, headers=bearer("cm_nope_nope"))
    assert bad.status_code == 401 and bad.json()["detail"]
    assert api.call("POST", "/facilities", "alpha_admin", json=body).status_code == 201
    assert api.call("POST", "/facilities", "beta", json=body).status_code == 201  # per org
    dup = api.call("POST", "/facilities", "alpha", json=body)
    assert dup.status_code == 409 and "already taken" in dup.json()["detail"]

    created = api.create("facilities")
    url, tag = f"/facilities/{created.json()['id']}", created.headers["etag"]
    assert (
        api.call(
            "PATCH", url, "alpha_viewer", json={"name": "v"}, headers={"If-Match": tag}
        ).status_code
        == 403
    )
    assert (
        api.call("PATCH", url, None, json={"name": "v"}, headers={"If-Match": tag}).status_code
        == 401
    )
    assert api.call("DELETE", url, "gamma", headers={"If-Match": tag}).status_code == 403

    engine = make_engine(api.url)
    with transaction(engine) as s:
        record = PriceSeriesCreate.model_validate(sample("price-series"))
        values = store.column_values(PriceSeries, record)
        row = store.create(
            session=s, model=PriceSeries, values=values, actor="loader", owner_org_id=None
        )
        store.add(
            session=s,
            model=PriceObservation,
            values={
                "series_id": row.id,
                "date": dt.date(2024, 1, 1),
                "value": 1.0,
                "unit": row.unit,
            },
        )
        bundled_id = row.id
    engine.dispose()
    url = f"/price-series/{bundled_id}"
    got = api.call("GET", url)
    assert got.status_code == 200 and got.json()["owner_org_id"] is None
    assert got.json()["editable"] is False
    tag = got.headers["etag"]
    for method, target, kw in (
        ("PATCH", url, {"json": {"market": "x"}}),
        ("DELETE", url, {}),
        ("POST", f"{url}/observations", {"json": {"date": "2024-02-01", "value": 2}}),
    ):
        r = api.call(method, target, "alpha_admin", headers={"If-Match": tag}, **kw)
        assert r.status_code == 403 and "read-only" in r.json()["detail"], (method, target)
    assert api.call("GET", url).headers["etag"] == tag


# ---------------------------------------------------------------- lists and the spec


def test_pagination_sort_and_count(api):
    location = unique("Vault")
    for qty in (5, 1, 4, 2, 3):
        api.create("stockpile-lots", quantity=qty, location=location, expires=None)
    params = {"q": location, "sort": "-quantity", "limit": 2, "offset": 1}
    page = api.call("GET", "/stockpile-lots", "alpha", params=params).json()
    assert page["count"] == 5 and page["limit"] == 2 and page["offset"] == 1
    assert [d["quantity"] for d in page["data"]] == [4.0, 3.0]
    last = api.call("GET", "/stockpile-lots", "alpha", params={**params, "offset": 4}).json()
    assert [d["quantity"] for d in last["data"]] == [1.0] and last["count"] == 5
    beyond = api.call("GET", "/stockpile-lots", "alpha", params={**params, "offset": 99}).json()
    assert beyond == {"data": [], "count": 5, "limit": 2, "offset": 99}


def test_openapi_is_typed(api):
    spec = live_http.get(f"{api.base}/openapi.json").json()
    schemas = spec["components"]["schemas"]
    for name in (
        "FacilityCreate",
        "FacilityUpdate",
        "FacilityPublic",
        "MeasureCreate",
        "PriceSeriesPublic",
        "ObservationCreate",
        "StockpileLotUpdate",
        "OfftakePublic",
        "ErrorBody",
    ):
        assert name in schemas, name
    for path in PATHS:
        ops = spec["paths"][f"/api/v1/{path}/{{id}}"]
        assert {"get", "patch", "delete"} <= set(ops)
        assert any(p["name"] == "If-Match" for p in ops["patch"]["parameters"])
        body = spec["paths"][f"/api/v1/{path}"]["post"]["requestBody"]
        assert body["content"]["application/json"]["schema"]["$ref"].endswith("Create")
    ids = [op["operationId"] for item in spec["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))
