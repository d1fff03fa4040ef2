"""/api/v1/monitor over real HTTP on SQLite and PostgreSQL: rules under the sharing
rules, alerts set off by an import, a run for authenticated organisations, webhooks,
and bad input answered with a 4xx naming the field. A hostile partner sees no alert of
another organisation's private series, not even its count."""

from __future__ import annotations

import json

import pytest

import live_http
from critmin.ingest.datasets import ensure_datasets
from critmin.ingest.prices_fx import FX_FILE, load_fx
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction

SRC = "Synthetic test series"
CSV = (
    "series,market,mineral,form,currency,unit,date,value,source,sharing\n"
    f"{{p}}-jump,Rotterdam,gallium,,USD,kg,2024-01-01,100,{SRC},{{sharing}}\n"
    f"{{p}}-jump,Rotterdam,gallium,,USD,kg,2024-01-25,145,{SRC},{{sharing}}\n"
)
TEXT = {"Content-Type": "text/csv"}


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    engine = make_engine(api_db_url)
    with transaction(engine) as s:
        sync_catalogue(s)
        ids = ensure_datasets(s)
        load_fx(s, FX_FILE, dataset_id=ids["fed-fx-cny-usd"])
    engine.dispose()
    tokens = make_orgs(api_db_url, {"Alpha": (["MSP"], "editor"), "Beta": (["MSP"], "editor"),
                                    "Gamma": ([], "editor"), "Reader": ([], "viewer")})
    with live(api_db_url) as base:
        clients = {
            who: live_http.client(base_url=f"{base}/api/v1", timeout=60,
                              headers={"Authorization": f"Bearer {token}"} if token else {})
            for who, token in (("alpha", tokens["Alpha"]), ("beta", tokens["Beta"]),
                               ("gamma", tokens["Gamma"]), ("reader", tokens["Reader"]),
                               ("anon", None))
        }  # fmt: skip
        yield clients
        for c in clients.values():
            c.close()


def test_rules_alerts_and_a_hostile_partner(api):
    alpha, beta, gamma = api["alpha"], api["beta"], api["gamma"]
    public = gamma.post("/prices/import", content=CSV.format(p="pub", sharing="public"),
                        headers=TEXT)  # fmt: skip
    assert public.status_code == 200, public.text
    assert [a["series"] for a in public.json()["alerts"]] == ["pub-jump"]
    secret = alpha.post("/prices/import", content=CSV.format(p="secret", sharing="owner"),
                        headers=TEXT)  # fmt: skip
    assert [a["series"] for a in secret.json()["alerts"]] == ["secret-jump"]
    made = alpha.post("/monitor/rules", json={
        "key": "alpha-watch", "kind": "price_change", "sharing": "partners",
        "params": {"series": "secret-jump", "threshold_pct": 10}})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["params"] == {"series": "secret-jump", "threshold_pct": 10.0,
                                     "window_days": 30, "direction": "up"}  # fmt: skip
    assert alpha.post("/monitor/rules", json={"key": "alpha-watch", "kind": "measure_expiry"}
                      ).status_code == 409  # fmt: skip
    ran = alpha.post("/monitor/run")
    assert ran.status_code == 200 and [(e["rule"], e["date"]) for e in ran.json()["data"]] == [
        ("alpha-watch", "2024-01-25")]  # fmt: skip
    assert alpha.post("/monitor/run").json()["data"] == []  # once
    mine = alpha.get("/monitor/alerts", params={"mineral": "Gallium"}).json()["data"]
    assert {e["series"] for e in mine} == {"secret-jump", "pub-jump"}
    assert all(e["mineral_label"] == "Gallium" for e in mine)
    for outsider in (beta, gamma, api["reader"], api["anon"]):
        seen = outsider.get("/monitor/alerts").json()["data"]
        assert [e["series"] for e in seen] == ["pub-jump"]
        assert "secret" not in json.dumps(seen) and "alpha-watch" not in json.dumps(seen)
        if outsider is not api["anon"]:
            assert "secret" not in json.dumps(outsider.post("/monitor/run").json())
    shared = beta.get("/monitor/rules/alpha-watch")
    assert shared.status_code == 200 and shared.json()["params"]["series"] is None
    assert beta.delete("/monitor/rules/alpha-watch").status_code == 403
    assert beta.patch("/monitor/rules/alpha-watch", json={"enabled": False}).status_code == 403
    bad = alpha.patch("/monitor/rules/alpha-watch", json={"params": {"window_days": 0}})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == \
        "body.params.window_days"  # fmt: skip
    changed = alpha.patch("/monitor/rules/alpha-watch",
                          json={"params": {"series": "secret-jump", "threshold_pct": 50}})
    assert changed.status_code == 200 and changed.json()["params"]["threshold_pct"] == 50
    assert alpha.patch("/monitor/rules/default-price-up-40pct-30d",
                       json={"enabled": False}).status_code == 403  # fmt: skip
    hidden, missing = gamma.get("/monitor/rules/alpha-watch"), gamma.get("/monitor/rules/nope")
    assert hidden.status_code == missing.status_code == 404
    assert gamma.delete("/monitor/rules/alpha-watch").status_code == 404
    spy = gamma.post("/monitor/rules", json={"key": "spy", "kind": "price_change",
                                             "params": {"series": "secret-jump"}})
    assert spy.status_code == 422 and spy.json()["errors"][0]["field"] == "body.params.series"
    assert alpha.delete("/monitor/rules/alpha-watch").status_code == 204
    assert alpha.get("/monitor/rules/alpha-watch").status_code == 404


def test_auth_and_bad_input_are_4xx(api):
    alpha, reader, anon = api["alpha"], api["reader"], api["anon"]
    assert anon.post("/monitor/run").status_code == 401
    assert reader.post("/monitor/run").status_code == 200
    assert reader.post("/monitor/rules", json={"key": "r", "kind": "measure_expiry"}
                       ).status_code == 403  # fmt: skip
    bad = alpha.post("/monitor/rules", json={"key": "b", "kind": "price_change",
                                             "params": {"threshold_pct": "lots"}})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "body.params.threshold_pct"
    for body in ({"key": "B A D", "kind": "ratio"}, {"key": "b", "kind": "sunspots"},
                 {"key": "b", "kind": "ratio", "colour": 1}):
        assert alpha.post("/monitor/rules", json=body).status_code == 422, body
    huge = alpha.post("/monitor/rules", headers={"Content-Type": "application/json"},
                      content='{"key": "b", "kind": "price_change", "params": '
                              '{"threshold_pct": 1e400, "window_days": 1e400}}')  # fmt: skip
    assert huge.status_code == 422, huge.text
    assert alpha.post("/monitor/run", params={"as_of": "2500-01-01"}).status_code == 422
    assert alpha.post("/monitor/run", params={"as_of": "soon"}).status_code == 422
    assert alpha.get("/monitor/alerts", params={"limit": 0}).status_code == 422
    unknown = alpha.get("/monitor/alerts", params={"mineral": "kryptonite"})
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "query.mineral"
    assert alpha.put("/monitor/webhook", json={"url": "ftp://x"}).status_code == 422
    assert alpha.put("/monitor/webhook", json={"url": "http://127.0.0.1:9/h"}).status_code == 200
    assert alpha.get("/monitor/deliveries").status_code == 200
    assert alpha.delete("/monitor/webhook").status_code == 204
    paths = alpha.get("/openapi.json").json()["paths"]
    assert {"/api/v1/monitor/rules", "/api/v1/monitor/alerts", "/api/v1/monitor/run",
            "/api/v1/monitor/rules/{ref}", "/api/v1/monitor/webhook"} <= set(paths)
