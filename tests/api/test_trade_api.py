"""/api/v1/trade over real HTTP on SQLite and PostgreSQL: imports by editors only (CSV
body or multipart), flows, mirror gaps, circumvention and the balance; a hidden import
is a 404 like a missing one, and bad input a 4xx naming what was wrong."""

from __future__ import annotations

import pytest

import live_http
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction
from support import load_usgs_chapters

CUSTOMS = (
    "reporter,partner,flow,hs_code,month,value,quantity\n"
    "CHN,USA,export,811292,2024-01,100000,1000\n"
    "USA,CHN,import,811292,2024-01,108000,990\n"
)
BACI = "t,i,j,k,v,q\n" + "".join(
    f"{year},156,{j},261100,{v},1\n"
    for year in range(2015, 2025)
    for j, v in ((458, 10.0 if year < 2022 else 40.0), (842, 100.0 if year < 2022 else 10.0))
) + "".join(
    f"{year},458,842,261100,{5.0 if year < 2022 else 20.0},1\n" for year in range(2015, 2025)
)  # China -> Malaysia and Malaysia -> US quadruple from 2022, China -> US falls
CSV = {"Content-Type": "text/csv"}


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    engine = make_engine(api_db_url)
    with transaction(engine) as s:
        sync_catalogue(s)
        load_usgs_chapters(s, "tungsten")
    engine.dispose()
    tokens = make_orgs(api_db_url, {"Owner": (["MSP"], "editor"), "Partner": (["MSP"], "editor"),
                                    "Reader": ([], "viewer")})  # fmt: skip
    with live(api_db_url) as base:
        clients = {
            who: live_http.client(base_url=f"{base}/api/v1/trade", timeout=60,
                              headers={"Authorization": f"Bearer {token}"} if token else {})
            for who, token in (("owner", tokens["Owner"]), ("partner", tokens["Partner"]),
                               ("reader", tokens["Reader"]), ("anon", None))
        }  # fmt: skip
        yield clients
        for c in clients.values():
            c.close()


def test_import_read_and_hide(api):
    owner, partner = api["owner"], api["partner"]
    params = {"layout": "customs"}
    assert api["reader"].post("/imports", content=CUSTOMS, headers=CSV,
                              params=params).status_code == 403  # fmt: skip
    assert api["anon"].post("/imports", content=CUSTOMS, headers=CSV,
                            params=params).status_code in (401, 403)  # fmt: skip
    made = owner.post("/imports", content=CUSTOMS, headers=CSV, params=params)
    assert made.status_code == 201, made.text
    summary = made.json()
    assert (summary["rows"], summary["years"], summary["reporters"], summary["sharing"]) == (
        2, [2024], ["CHN", "USA"], "owner")
    ref = summary["import_id"]
    gaps = owner.get("/mirror", params={"import_id": ref}).json()
    assert gaps["rows"][0]["gap_kusd"] == pytest.approx(8.0)
    assert gaps["rows"][0]["exporter_label"] == "China"
    hidden = partner.get("/mirror", params={"import_id": ref})
    missing = partner.get("/mirror", params={"import_id": 999_999})
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == f"no such trade import {ref}"
    assert partner.get("/flows", params={"import_id": ref}).status_code == 404
    assert ref not in {i["import_id"] for i in partner.get("/imports").json()["data"]}
    assert ref in {i["import_id"] for i in owner.get("/imports").json()["data"]}


def test_multipart_import_and_circumvention(api):
    owner, partner = api["owner"], api["partner"]
    files = {"file": ("baci.csv", BACI, "text/csv")}
    made = owner.post("/imports", files=files, params={"sharing": "partners"})
    assert made.status_code == 201, made.text
    ref = made.json()["import_id"]
    params = {"import_id": ref, "origin": "CHN", "target": "USA", "hs": ["261100"],
              "start": "2022", "threshold": 2}  # fmt: skip
    found = partner.get("/circumvention", params=params)  # partners may see it
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["flagged"] == ["MYS"] and body["rows"][0]["country_label"] == "Malaysia"
    assert body["direct"] == {"before_kusd": 100.0, "after_kusd": 10.0}
    top = partner.get("/flows", params={"import_id": ref, "year": 2024, "limit": 1}).json()
    assert top["rows"][0]["value_kusd"] == 40.0 and top["units"]["value"] == "thousand USD"


def test_balance_over_http(api):
    got = api["anon"].get("/balance", params={"mineral": "tungsten", "country": "USA",
                                              "year": [2024]})  # fmt: skip
    assert got.status_code == 200, got.text
    (row,) = got.json()["years"]
    assert row["production"]["value"] == 0.0 and row["production"]["unit"] == "t"
    # no trade flows in this database: trade unknown, so is apparent consumption
    assert row["imports"]["value"] is None and row["apparent_consumption"]["value"] is None


def test_bad_input_is_a_4xx_naming_the_problem(api):
    owner = api["owner"]
    bad = owner.post("/imports", content=BACI.replace("2016,156,458", "2016,156,4580"),
                     headers=CSV)  # fmt: skip
    assert bad.status_code == 422
    (problem,) = bad.json()["problems"]
    assert (problem["row"], problem["column"], problem["value"]) == (4, "j", 4580)
    header = owner.post("/imports", content="a,b\n1,2\n", headers=CSV)
    assert header.status_code == 422 and header.json()["problems"][0]["expected"] == "t,i,j,k,v,q"
    checks = [
        ("/imports", {"layout": "comtrade"}),
        ("/mirror", {"import_id": 0}),
        ("/flows", {"exporter": "CHINA"}),
        ("/circumvention", {"origin": "CHN", "target": "USA", "hs": ["261100"], "start": "22"}),
        ("/circumvention", {"origin": "CHN", "target": "USA", "hs": ["261100"],
                            "start": "1990"}),  # fmt: skip
        ("/balance", {"mineral": "unobtainium"}),
        ("/balance", {"mineral": "tungsten", "country": "XXX"}),
    ]
    for path, params in checks:
        method = owner.post if path == "/imports" else owner.get
        kwargs = {"content": BACI, "headers": CSV} if path == "/imports" else {}
        response = method(path, params=params, **kwargs)
        assert response.status_code == 422, (path, params, response.text)
    reason = owner.get("/balance", params={"mineral": "tungsten", "country": "XXX"}).json()
    assert reason["errors"][0]["field"] == "query.country"
