"""/api/v1/offtake over real HTTP on SQLite and PostgreSQL: the worked example as YAML, a
JSON body, 422 naming the field, and an organisation's private project and agreement that
never change an outsider's numbers nor appear in the answer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

import critmin
import live_http
from critmin.store.db import make_engine, transaction
from critmin.store.tables import OfftakeAgreement, Organisation, Project

EXAMPLES = Path(critmin.__file__).parent / "data" / "reference" / "offtake"
SPEC = {
    "mineral": "gallium", "start_year": 2027, "years": 3, "draws": 200,
    "price_model": {"kind": "lognormal", "start": 600, "mu": 0, "sigma": 0.4},
    "floor": {"kind": "fixed", "value": 500},
    "projects": [{"key": "pub-ga", "unit_cost": 400}],
    "buyers": [{"name": "Consortium buyer", "commitments": {"pub-ga": 10}}],
    "agreements": "from_store",
}


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    tokens = make_orgs(api_db_url, {"Owner": (["MSP"], "editor"),
                                    "Outsider": ([], "viewer")})  # fmt: skip
    engine = make_engine(api_db_url)
    with transaction(engine) as s:
        owner = s.scalars(select(Organisation).where(Organisation.name == "Owner")).one()
        pub = Project(key="pub-ga", name="Public gallium", mineral="gallium", stage="extraction",
                      country="CAN", status="construction", capacity_tpa=30.0, start_year=2027,
                      sharing="public", section_sharing={})
        s.add_all([pub, Project(key="owner-secret", name="Owner secret plant",
                                mineral="gallium", stage="extraction", country="USA",
                                status="financed", capacity_tpa=50.0, sharing="owner",
                                owner_org_id=owner.id, section_sharing={})])
        s.flush()
        s.add(OfftakeAgreement(project_id=pub.id, buyer="Owner secret buyer", mineral="gallium",
                               volume_tpa=8.0, floor_price=900.0, price_unit="USD/kg",
                               sharing="owner", owner_org_id=owner.id))
    engine.dispose()
    with live(api_db_url) as base:
        clients = {who: live_http.client(base_url=f"{base}/api/v1", timeout=60,
                                     headers={"Authorization": f"Bearer {tok}"} if tok else {})
                   for who, tok in (("owner", tokens["Owner"]),
                                    ("outsider", tokens["Outsider"]), ("anon", None))}
        yield clients
        for c in clients.values():
            c.close()


def test_worked_example_as_yaml(api):
    r = api["anon"].post("/offtake/simulate", params={"seed": 7},
                         content=(EXAMPLES / "gallium_consortium.yaml").read_bytes(),
                         headers={"Content-Type": "application/yaml"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert len(body["buyers"]) == 3 and body["seed"] == 7
    prod = body["producers"][0]
    assert prod["revenue_usd"]["mean"] >= prod["revenue_no_floor_usd"]["mean"]
    r2 = api["anon"].post("/offtake/retrofit", params={"seed": 7},
                          content=(EXAMPLES / "retrofits.yaml").read_bytes())
    assert r2.status_code == 200, r2.text
    assert [c["rank"] for c in r2.json()["candidates"]] == [1, 2]


def test_private_records_never_leak(api):
    def run(who):
        r = api[who].post("/offtake/simulate", params={"seed": 1}, content=json.dumps(SPEC),
                          headers={"Content-Type": "application/json"})
        assert r.status_code == 200, r.text
        return r.json()

    outsider, anon, owner = run("outsider"), run("anon"), run("owner")
    assert outsider["buyers"] == anon["buyers"] and outsider["producers"] == anon["producers"]
    assert "Owner" not in json.dumps(outsider)
    assert [b["name"] for b in owner["buyers"]] == ["Consortium buyer", "Owner secret buyer"]
    hidden = dict(SPEC, projects=[{"key": "owner-secret", "unit_cost": 1}],
                  buyers=[{"name": "B", "commitments": {"owner-secret": 1}}])
    missing = dict(SPEC, projects=[{"key": "nothing-here", "unit_cost": 1}],
                   buyers=[{"name": "B", "commitments": {"nothing-here": 1}}])
    a = api["outsider"].post("/offtake/simulate", content=json.dumps(hidden))
    b = api["outsider"].post("/offtake/simulate", content=json.dumps(missing))
    assert a.status_code == b.status_code == 422
    assert (a.json()["errors"][0]["problem"].replace("owner-secret", "K")
            == b.json()["errors"][0]["problem"].replace("nothing-here", "K"))
    assert api["owner"].post("/offtake/simulate", content=json.dumps(hidden)).status_code == 200


def test_bad_spec_is_422_naming_the_field(api):
    bad = dict(SPEC, years=0)
    r = api["anon"].post("/offtake/simulate", content=json.dumps(bad))
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "body.years"
    r = api["anon"].post("/offtake/retrofit", content="name: [unclosed")
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "body.body"
    r = api["anon"].post("/offtake/simulate", content=b"\xff\xfe")
    assert r.status_code == 400
