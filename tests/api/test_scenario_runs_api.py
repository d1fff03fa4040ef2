"""Saved scenario runs over real HTTP on SQLite and PostgreSQL: ``?save=true`` needs a
token and stores an owner-only run by default; a hostile partner and anonymous callers
get a 404 for it, exactly like a missing run, and never see it listed."""

from __future__ import annotations

import pytest

import live_http
from critmin.ingest.datasets import ensure_datasets
from critmin.store.db import make_engine, transaction

BODY = {"mineral": "gallium", "country": "CHN", "seed": 5, "draws": 200}


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    engine = make_engine(api_db_url)
    with transaction(engine) as s:
        ensure_datasets(s)
    engine.dispose()
    tokens = make_orgs(api_db_url, {"Owner": (["MSP"], "editor"), "Partner": (["MSP"], "editor"),
                                    "Reader": ([], "viewer")})  # fmt: skip
    with live(api_db_url) as base:
        clients = {
            who: live_http.client(base_url=f"{base}/api/v1/scenarios", timeout=60,
                              headers={"Authorization": f"Bearer {token}"} if token else {})
            for who, token in (("owner", tokens["Owner"]), ("partner", tokens["Partner"]),
                               ("reader", tokens["Reader"]), ("anon", None))
        }  # fmt: skip
        yield clients
        for c in clients.values():
            c.close()


def test_save_reload_and_hide_from_a_hostile_partner(api):
    owner, partner, anon = api["owner"], api["partner"], api["anon"]
    plain = anon.post("/ban", json=BODY)
    assert plain.status_code == 200 and "run_id" not in plain.json()
    refused = anon.post("/ban", params={"save": "true"}, json=BODY)
    assert refused.status_code == 401 and "token" in refused.json()["detail"]
    saved = owner.post("/ban", params={"save": "true"}, json=BODY)
    assert saved.status_code == 201, saved.text
    run_id = saved.json()["run_id"]
    assert saved.json()["result"] == plain.json()
    back = owner.get(f"/runs/{run_id}")
    assert back.status_code == 200
    run = back.json()
    assert run["results"] == plain.json() and run["sharing"] == "owner"
    assert run["spec"]["seed"] == 5 and run["kind"] == "ban"
    assert "usgs-mcs2026-gallium" in {v.get("dataset") for v in run["data_versions"]}
    missing = partner.get("/runs/999999")
    for who in (partner, anon, api["reader"]):
        hidden = who.get(f"/runs/{run_id}")
        assert hidden.status_code == 404
        assert hidden.json()["detail"] == f"no scenario run {run_id}"
        assert run_id not in [r["id"] for r in who.get("/runs").json()["data"]]
    assert missing.status_code == 404 and missing.json()["detail"] == "no scenario run 999999"
    # shared with partners: the partner sees it, an outsider still does not
    shared = owner.post("/sweep", params={"save": "true", "sharing": "partners"},
                        json={**BODY, "levels": [0, 1]})  # fmt: skip
    assert shared.status_code == 201
    sid = shared.json()["run_id"]
    assert [r["id"] for r in partner.get("/runs").json()["data"]] == [sid]
    assert partner.get(f"/runs/{sid}").json()["results"] == shared.json()["result"]
    assert api["reader"].get(f"/runs/{sid}").status_code == 404
    mine = owner.get("/runs", params={"kind": "ban"}).json()["data"]
    assert [r["id"] for r in mine] == [run_id] and "results" not in mine[0]


def test_bad_query_values_are_422(api):
    owner = api["owner"]
    bad = owner.post("/ban", params={"save": "true", "sharing": "everyone"}, json=BODY)
    assert bad.status_code == 422 and "sharing" in bad.text
    assert owner.get("/runs", params={"kind": "nope"}).status_code == 422
    assert owner.get("/runs/0").status_code == 422
    assert owner.get("/runs/abc").status_code == 422


def test_a_saved_spec_run_stays_with_its_owner(api):
    owner, partner = api["owner"], api["partner"]
    spec = {"seed": 1, "draws": 100, "scenarios": [
        {"mineral": "gallium", "country": "CHN", "levels": [0.5, 1.0], "name": "halves"}]}
    saved = owner.post("/run", params={"save": "true"}, json=spec)
    assert saved.status_code == 201, saved.text
    run_id = saved.json()["run_id"]
    run = owner.get(f"/runs/{run_id}").json()
    assert run["kind"] == "spec" and run["spec"]["scenarios"][0]["name"] == "halves"
    assert run["results"][0]["results"][1]["level"] == 1.0
    assert partner.get(f"/runs/{run_id}").status_code == 404
    assert run_id not in [r["id"] for r in partner.get("/runs", params={"kind": "spec"})
                          .json()["data"]]
