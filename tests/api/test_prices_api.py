"""/api/v1/prices over real HTTP on SQLite and PostgreSQL: the import (CSV, Excel,
multipart) by editors only, reads in a chosen currency and unit, two markets compared,
the event study, the FX table; hidden series are 404 like missing ones, and bad input
is a 4xx naming what was wrong."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import Workbook

import live_http
from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.ingest.prices_fx import FX_FILE, load_fx
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction

CSV = (
    "series,market,mineral,form,currency,unit,date,value,source,sharing\n"
    "own-rot,Rotterdam,gallium,,USD,kg,2024-10-15,600,Quotes,{sharing}\n"
    "own-cn,China domestic,gallium,,CNY,kg,2024-10-15,2126.43,Quotes,{sharing}\n"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    engine = make_engine(api_db_url)
    with transaction(engine) as s:
        sync_catalogue(s)
        ids = ensure_datasets(s)
        load_fx(s, FX_FILE, dataset_id=ids["fed-fx-cny-usd"])
        load_curated(s)
    engine.dispose()
    tokens = make_orgs(api_db_url, {"Owner": (["MSP"], "editor"), "Partner": (["MSP"], "editor"),
                                    "Reader": ([], "viewer")})  # fmt: skip
    with live(api_db_url) as base:
        clients = {
            who: live_http.client(base_url=f"{base}/api/v1/prices", timeout=60,
                              headers={"Authorization": f"Bearer {token}"} if token else {})
            for who, token in (("owner", tokens["Owner"]), ("partner", tokens["Partner"]),
                               ("reader", tokens["Reader"]), ("anon", None))
        }  # fmt: skip
        yield clients
        for c in clients.values():
            c.close()


def test_import_over_http_then_read_compare_and_hide(api):
    owner, partner = api["owner"], api["partner"]
    body = CSV.format(sharing="")
    assert api["reader"].post("/import", content=body,
                              headers={"Content-Type": "text/csv"}).status_code == 403
    assert api["anon"].post("/import", content=body,
                            headers={"Content-Type": "text/csv"}).status_code in (401, 403)
    response = owner.post("/import", content=body, headers={"Content-Type": "text/csv"})
    assert response.status_code == 200, response.text
    assert sorted(response.json()["series_created"]) == ["own-cn", "own-rot"]
    shown = owner.get("/series/own-cn", params={"currency": "USD"}).json()
    # 2126.43 CNY/kg at October 2024's 7.0881 CNY/USD = 300 USD/kg
    assert shown["levels"][0]["value"] == pytest.approx(300, abs=1e-3)
    assert shown["sharing"] == "owner"  # no level stated: owner-only
    pair = owner.get("/compare", params={"a": "own-rot", "b": "own-cn"}).json()
    assert pair["rows"][0]["ratio"] == pytest.approx(2, abs=1e-5)
    # a partner sees none of it, with the answer a missing series gets
    hidden = partner.get("/series/own-cn")
    missing = partner.get("/series/no-such-series")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == "no such price series 'own-cn'"
    assert partner.get("/compare", params={"a": "own-rot", "b": "own-cn"}).status_code == 404
    assert partner.get("/events", params={"series": "own-rot"}).status_code == 404
    assert "own-rot" not in {s["key"] for s in partner.get("/series").json()}


def test_excel_and_multipart_uploads(api):
    book = Workbook()
    book.active.append(["series", "market", "mineral", "form", "currency", "unit", "date",
                        "value", "source"])  # fmt: skip
    book.active.append(["xl-rot", "Rotterdam", "gallium", None, "USD", "kg",
                        dt.date(2024, 10, 15), 610, "Quotes"])  # fmt: skip
    raw = io.BytesIO()
    book.save(raw)
    response = api["owner"].post("/import", content=raw.getvalue(),
                                 headers={"Content-Type": XLSX})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.json()["series_created"] == ["xl-rot"]
    files = {"file": ("more.csv", CSV.format(sharing="partners").replace("own-", "mp-"),
                      "text/csv")}  # fmt: skip
    response = api["owner"].post("/import", files=files, params={"dry_run": "true"})
    assert response.status_code == 200 and response.json()["dry_run"] is True
    assert api["owner"].get("/series/mp-rot").status_code == 404  # a dry run writes nothing


def test_bad_input_is_a_4xx_naming_the_problem(api):
    owner = api["owner"]
    bad = owner.post("/import", content="series,market\nx,y\n",
                     headers={"Content-Type": "text/csv"})  # fmt: skip
    assert bad.status_code == 422
    missing = {p["column"] for p in bad.json()["problems"]}
    assert {"mineral", "currency", "value", "source"} <= missing
    cell = owner.post("/import", content=CSV.format(sharing="").replace("600", "six hundred"),
                      headers={"Content-Type": "text/csv"})  # fmt: skip
    (problem,) = cell.json()["problems"]
    assert (problem["row"], problem["column"], problem["value"]) == (2, "value", "six hundred")
    unit = owner.get("/series/own-rot", params={"currency": "CNY", "unit": "lb"})
    assert unit.status_code == 422 and unit.json()["errors"][0]["field"] == "query.unit"
    rate = owner.get("/series/w-rotterdam-apt", params={"currency": "CNY", "unit": "kg"})
    assert rate.status_code == 422 and "no USD/CNY exchange rate for 2025" in rate.json()["detail"]
    assert owner.get("/events", params={"series": "own-rot", "window": 0}).status_code == 422
    junk = owner.post("/import", content=b"PK\x03\x04" + bytes(range(256)) * 4,
                      headers={"Content-Type": XLSX})  # fmt: skip
    assert junk.status_code == 422 and junk.json()["problems"][0]["column"] == "(file)"
    assert "a readable .xlsx workbook" in junk.json()["problems"][0]["expected"]
    ta2o5 = owner.get("/series/usgs-tantalum-tantalite", params={"unit": "t"})
    assert ta2o5.status_code in (404, 422)  # not loaded here, or not convertible: never a 500
    assert owner.get("/compare", params={"a": "own-rot"}).status_code == 422


def test_events_and_fx_are_json_ready(api):
    study = api["anon"].get("/events", params={"series": "ga-rotterdam-low-purity",
                                               "window": [30]}).json()  # fmt: skip
    assert study["windows"] == [30]
    assert "cn-2023-ga-ge-licensing" in {m["key"] for m in study["measures"]}
    fx = api["anon"].get("/fx", params={"base": "USD"}).json()["data"]
    assert len(fx) == 16 and fx[0]["sources"][0]["url"].startswith("https://")
    monitor = api["owner"].get("/monitor", params={"a": "own-rot", "b": "own-cn"}).json()
    assert monitor["unit"] == "USD/kg" and monitor["rows"][0]["spread"] == pytest.approx(300,
                                                                                         abs=1e-3)
    assert {m["key"] for m in monitor["measures"]} >= {"cn-2023-ga-ge-licensing"}
