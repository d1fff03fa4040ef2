"""The stockpile endpoints over real HTTP on SQLite and PostgreSQL, with a hostile
partner: another organisation's owner-only lots never change a caller's inventory,
coverage, plan or report; bad input is a 422 naming the problem."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

import live_http
from critmin.store.db import make_engine, transaction
from critmin.store.tables import Organisation, StockpileLot

PLAN = {"mineral": "gallium", "target_t": 5.0, "years": 2, "shelf_life_years": 1.0,
        "exclude_origins": ["CHN"], "seed": 3, "paths": 4}


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    tokens = make_orgs(api_db_url, {"Owner": (["MSP"], "editor"),
                                    "Partner": (["MSP"], "editor")})
    engine = make_engine(api_db_url)
    soon = dt.date.today() + dt.timedelta(days=75)
    with transaction(engine) as s:
        owner = s.scalar(select(Organisation).where(Organisation.name == "Owner"))
        s.add_all([
            StockpileLot(mineral="gallium", quantity=30.0, unit="t", expires=soon,
                         location="secret depot", owner_org_id=owner.id, sharing="owner"),
            StockpileLot(mineral="gallium", quantity=1500.0, unit="kg",
                         acquired=dt.date.today() - dt.timedelta(days=100),
                         shelf_life_days=365, sharing="public", purity_pct=99.99,
                         supplier="Sample refiner", supplier_country="JPN"),
        ])
    engine.dispose()
    with live(api_db_url) as base:
        clients = {who: live_http.client(base_url=f"{base}/api/v1/stockpile", timeout=120,
                                     headers={"Authorization": f"Bearer {tok}"} if tok else {})
                   for who, tok in (("owner", tokens["Owner"]),
                                    ("partner", tokens["Partner"]), ("anon", None))}
        yield clients
        for c in clients.values():
            c.close()


def test_inventory_through_the_callers_view(api):
    own = api["owner"].get("/inventory", params={"mineral": "gallium"}).json()
    assert own["total_t"] == pytest.approx(31.5)
    assert [x["id"] for x in own["expiring_soon"]] and own["expiring_soon"][0]["quantity_t"] == 30
    for who in ("partner", "anon"):
        inv = api[who].get("/inventory", params={"mineral": "gallium"}).json()
        assert inv["total_t"] == pytest.approx(1.5)
        assert "secret depot" not in str(inv) and inv["expiring_soon"] == []
        (lot,) = inv["lots"]
        assert (lot["purity_pct"], lot["supplier"], lot["supplier_country"]) == (
            99.99, "Sample refiner", "JPN")


def test_plan_contract_and_hostile_partner(api):
    got = api["partner"].post("/plan", json=PLAN)
    assert got.status_code == 200, got.text
    plan = got.json()
    for key in ("feasible", "purchases", "rotations", "cost_usd", "coverage_months",
                "why_infeasible"):
        assert key in plan
    assert set(plan["cost_usd"]) >= {"p10", "p50", "p90"}
    assert plan["feasible"] is True
    assert all({"month", "supplier", "quantity_t", "cost_usd"} <= set(p)
               for p in plan["purchases"])
    assert all(p["country"] != "CHN" for p in plan["purchases"])
    assert plan == api["anon"].post("/plan", json=PLAN).json()
    own = api["owner"].post("/plan", json=PLAN).json()
    assert own["initial_inventory_t"] == pytest.approx(31.5)
    assert plan["initial_inventory_t"] == pytest.approx(1.5)


def test_adequacy_json_and_html_hide_private_lots(api):
    q = {"mineral": "gallium", "years": 2, "target_t": 5, "paths": 4, "seed": 1}
    rep = api["partner"].get("/adequacy", params=q).json()
    assert rep == api["anon"].get("/adequacy", params=q).json()
    assert rep["inventory"]["total_t"] == pytest.approx(1.5)
    assert rep["coverage_now_months"] == pytest.approx(1.5 / (19.0 / 12))
    assert rep["requirement"]["demand"]["value_t_per_year"] == pytest.approx(19.0)
    html = api["partner"].get("/adequacy", params={**q, "format": "html"})
    assert html.status_code == 200 and html.headers["content-type"].startswith("text/html")
    assert "Stockpile adequacy assessment" in html.text and "chart-stockpile-data" in html.text
    assert "secret depot" not in html.text
    own = api["owner"].get("/adequacy", params=q).json()
    assert own["inventory"]["total_t"] == pytest.approx(31.5)
    assert any("expire within" in r for r in own["risks"])


@pytest.mark.parametrize(("body", "needle"), [
    ({**PLAN, "mineral": "unobtainium"}, "unobtainium"),
    ({**PLAN, "target_t": -1}, "target_t"),
    ({**PLAN, "exclude_origins": ["CHINA"]}, "exclude_origins"),
    ({**PLAN, "mineral": "../etc"}, "mineral"),
    ({**PLAN, "paths": 1000, "years": 10}, "path-months"),
    ({**PLAN, "years": 30}, "years"),
    ({**PLAN, "seed": True}, "seed"),
])
def test_bad_plans_are_422_with_useful_bodies(api, body, needle):
    got = api["anon"].post("/plan", json=body)
    assert got.status_code == 422
    assert needle in got.text


@pytest.mark.parametrize(("params", "needle"), [
    ({"years": 11}, "years"),
    ({"paths": 1001}, "paths"),
    ({"paths": 1000, "years": 10}, "path-months"),
    ({"shelf_life_years": 0}, "shelf_life_years"),
    ({"target_t": -1}, "target_t"),
    ({"mineral": "unobtainium"}, "unobtainium"),
    ({"format": "pdfx"}, "format"),
])
def test_bad_adequacy_queries_are_422(api, params, needle):
    got = api["anon"].get("/adequacy", params=params)
    assert got.status_code == 422, got.text
    assert needle in got.text


def test_adequacy_at_its_largest_allowed_size_answers(api):
    """The largest run the bounds allow (3,000 path-months) is served, not refused."""
    got = api["anon"].get("/adequacy", params={"paths": 25, "years": 10})
    assert got.status_code == 200, got.text
