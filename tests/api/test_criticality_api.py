"""/api/v1/criticality over real HTTP on SQLite and PostgreSQL: the assessment with and
without an inputs document, GeoPolRisk from explicit inputs, the OpenAPI document, bad
input as a 4xx naming what was wrong, and an organisation's private trade import that
never enters anyone's indicators."""

from __future__ import annotations

import httpx
import pytest

import live_http
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction
from critmin.store.tables import GovernanceIndicator, ProductionStat, TradeFlow

# synthetic rows, not real figures: world tungsten 100 t (CHN 80, AUS 20); the US
# imports 30 t from CHN and 10 t from AUS; WGI CHN -1.0 (risk .7), AUS 1.5 (risk .2)
WGI = {"CHN": -1.0, "AUS": 1.5, "USA": 0.5}
# a partner's private customs file: 5,000 t from China into the US
PRIVATE = ("reporter,partner,flow,hs_code,month,value,quantity\n"
           "USA,CHN,import,261100,2024-01,100000,5000\n")  # fmt: skip
INPUTS = "minerals:\n  tungsten:\n    usgs: {economic_vulnerability: 0.5}\n"


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    engine = make_engine(api_db_url)
    with transaction(engine) as s:
        sync_catalogue(s)
        for iso, value in (("CHN", 80.0), ("AUS", 20.0), (None, 100.0)):
            s.add(ProductionStat(mineral="tungsten", measure="production", year=2024,
                                 country=iso, country_label=None if iso else "World total",
                                 value=value, unit="t"))  # fmt: skip
        for exporter, qty in (("CHN", 30.0), ("AUS", 10.0)):
            s.add(TradeFlow(year=2024, hs6="261100", exporter=exporter, importer="USA",
                            exporter_code=1, importer_code=2, value_kusd=1.0, quantity_t=qty))
        for iso, est in WGI.items():
            for ind in ("CC", "GE", "PV", "RL", "RQ", "VA"):
                s.add(GovernanceIndicator(iso3=iso, indicator=ind, year=2024, estimate=est))
    engine.dispose()
    tokens = make_orgs(api_db_url, {"Owner": (["MSP"], "editor"),
                                    "Partner": (["MSP"], "editor")})  # fmt: skip
    with live(api_db_url) as base:
        clients = {
            who: live_http.client(base_url=f"{base}/api/v1", timeout=60,
                              headers={"Authorization": f"Bearer {token}"} if token else {})
            for who, token in (("owner", tokens["Owner"]), ("partner", tokens["Partner"]),
                               ("anon", None))
        }  # fmt: skip
        yield clients
        for c in clients.values():
            c.close()


def _tungsten(response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    return next(r for r in response.json()["data"] if r["mineral"] == "tungsten")


def test_assessment_and_private_imports_never_enter(api):
    before = _tungsten(api["anon"].get("/criticality", params={"region": "USA", "year": 2024}))
    assert before["hhi"] == pytest.approx(0.68)  # .64 + .04
    # import risk (30 * .7 + 10 * .2) / (40 + 0) = .575
    assert before["geopolrisk"] == pytest.approx(0.68 * 0.575)
    assert before["usgs_supply_risk"] is None
    assert before["inputs"]["usgs_supply_risk"]["reason"]
    made = api["owner"].post("/trade/imports", content=PRIVATE, params={"layout": "customs"},
                             headers={"Content-Type": "text/csv"})  # fmt: skip
    assert made.status_code == 201, made.text
    for who in ("anon", "partner", "owner"):
        after = _tungsten(api[who].get("/criticality", params={"region": "USA"}))
        assert after["geopolrisk"] == before["geopolrisk"]
        assert after["import_reliance"] == before["import_reliance"]


def test_assessment_with_inputs_document(api):
    row = _tungsten(api["anon"].post("/criticality", params={"region": "USA"}, content=INPUTS,
                                     headers={"Content-Type": "application/yaml"}))  # fmt: skip
    # DP .64 * .7 + .04 * .2 = .456 ; TE 1 (no US production, no exports) ; EV .5
    assert row["usgs_supply_risk"] == pytest.approx(0.456 * 1.0 * 0.5)
    bad = api["anon"].post("/criticality", content="minerals:\n  tungsten:\n    eu: {si_sr: 2}\n")
    assert bad.status_code == 422
    problem = bad.json()["problems"][0]
    assert (problem["row"], problem["column"], problem["value"]) == ("minerals.tungsten.eu",
                                                                      "si_sr", 2)


def test_geopolrisk_explicit_inputs(api):
    body = {"importer": "USA",
            "production": [{"country": "CHN", "quantity": 80}, {"country": "AUS", "quantity": 15},
                           {"country": "USA", "quantity": 5}],
            "imports": [{"exporter": "CHN", "quantity": 30}, {"exporter": "AUS", "quantity": 10},
                        {"exporter": "JPN", "quantity": 10}],
            "governance": [{"country": "CHN", "score": 0.7}, {"country": "AUS", "score": 0.2},
                           {"country": "JPN", "score": 0.25}]}  # fmt: skip
    r = api["anon"].post("/criticality/geopolrisk", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["hhi"] == pytest.approx(0.665)
    assert out["import_risk"] == pytest.approx(25.5 / 55)
    assert out["score"] == pytest.approx(0.665 * 25.5 / 55)


def test_bad_input_is_4xx(api):
    anon = api["anon"]
    r = anon.get("/criticality", params={"region": "ZZZ"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "query.region"
    assert anon.get("/criticality", params={"year": 1800}).status_code == 422
    bad = {"importer": "USA", "production": [{"country": "CHN", "quantity": 1}],
           "imports": [], "governance": [{"country": "CHN", "score": 1.5}]}
    assert anon.post("/criticality/geopolrisk", json=bad).status_code == 422
    bad["governance"] = [{"country": "XXX", "score": 0.5}]
    r = anon.post("/criticality/geopolrisk", json=bad)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.governance"
    assert anon.post("/criticality", content=b"\xff\xfe").status_code == 400


def test_openapi_documents_the_endpoints(api):
    spec = api["anon"].get("/openapi.json").json()
    assert {"get", "post"} <= set(spec["paths"]["/api/v1/criticality"])
    assert "post" in spec["paths"]["/api/v1/criticality/geopolrisk"]
