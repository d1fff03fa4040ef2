"""/api/v1/scenarios over real HTTP: a ban and a sweep agree with the service, need no
account (public bundled data only), are documented in the OpenAPI, and bad input is a
422 naming the field."""

from __future__ import annotations

import pytest

import live_http
from critmin.services import scenario as service
from critmin.store.migrate import upgrade

BODY = {"mineral": "gallium", "country": "CHN", "seed": 7, "draws": 400}


@pytest.fixture(scope="module")
def api(live, tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('scn') / 'critmin.db'}"
    upgrade(url)
    with live(url) as base, live_http.client(base_url=f"{base}/api/v1", timeout=60) as client:
        yield client


def test_ban_matches_the_service_without_an_account(api):
    r = api.post("/scenarios/ban", json={**BODY, "level": 1.0})
    assert r.status_code == 200, r.text
    out = r.json()
    expected = service.ban("gallium", "CHN", 1.0, seed=7, n_draws=400)
    assert out["gdp_loss_usd"] == pytest.approx(expected["gdp_loss_usd"])
    assert out["price_ratio"] == pytest.approx(expected["price_ratio"])
    assert out["by_industry"][0]["code"] == "334413"
    assert any(a["name"] == "dependent_share" for a in out["assumptions"])


def test_sweep_is_monotone(api):
    r = api.post("/scenarios/sweep", json={**BODY, "levels": [0, 0.5, 1]})
    assert r.status_code == 200, r.text
    losses = [x["gdp_loss_usd"]["central"] for x in r.json()]
    assert losses[0] == 0 and losses == sorted(losses) and losses[-1] > 0


@pytest.mark.parametrize(("body", "field"), [
    ({**BODY, "mineral": "tin"}, "body.mineral"),
    ({**BODY, "country": "RUS"}, "body.country"),
    ({**BODY, "region": "FRA"}, "body.region"),
    ({**BODY, "level": 2}, "body.level"),
    ({**BODY, "draws": 0}, "body.draws"),
    ({**BODY, "colour": "red"}, "body.colour"),
    ({**BODY, "seed": False}, "body.seed"),
    ({**BODY, "draws": "400"}, "body.draws"),
])  # fmt: skip
def test_bad_input_is_a_422_naming_the_field(api, body, field):
    r = api.post("/scenarios/ban", json=body)
    assert r.status_code == 422, r.text
    assert field in [e["field"] for e in r.json()["errors"]], r.text


def test_openapi_documents_both_operations(api):
    paths = api.get("/openapi.json").json()["paths"]
    for op in ("/api/v1/scenarios/ban", "/api/v1/scenarios/sweep"):
        assert "post" in paths[op] and "422" in paths[op]["post"]["responses"]


def test_grid_over_http_matches_the_service(api):
    from critmin.services.scenario_grid import grid

    body = {"minerals": ["gallium", "cobalt"], "levels": [0, 1], "draws": 200, "seed": 5}
    r = api.post("/scenarios/grid", json=body)
    assert r.status_code == 200, r.text
    out = r.json()
    expected = grid(["gallium", "cobalt"], levels=[0, 1], n_draws=200, seed=5,
                    scheduler="none")
    got = {(c["mineral"], c["country"]): c for c in out["cases"]}
    want = {(c["mineral"], c["country"]): c for c in expected["cases"]}
    assert got.keys() == want.keys() == {("gallium", "CHN"), ("cobalt", "COD"),
                                         ("cobalt", "IDN")}
    for key in got:
        for a, b in zip(got[key]["results"], want[key]["results"], strict=True):
            assert a["price_ratio"] == pytest.approx(b["price_ratio"])
            assert a["gdp_loss_usd"] == (pytest.approx(b["gdp_loss_usd"])
                                         if b["gdp_loss_usd"] else None)
    assert out["scheduler"] == "in process"


@pytest.mark.parametrize("body", [{"minerals": ["tin"]}, {"draws": 5000}, {"seed": False},
                                  {"levels": [2]}, {"economy": "cge"}])
def test_bad_grid_requests_are_422(api, body):
    r = api.post("/scenarios/grid", json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"]


def test_spec_run_over_http_and_saving_needs_a_token(api):
    spec = {"seed": 2, "draws": 300, "scenarios": [
        {"mineral": "gallium", "country": "CHN", "levels": [1.0], "name": "full ban"},
        {"mineral": "gallium", "country": "CHN", "levels": [1.0], "name": "with stockpile",
         "levers": {"stockpile_release": 20}}]}
    r = api.post("/scenarios/run", json=spec)
    assert r.status_code == 200, r.text
    plain, levered = r.json()
    assert plain["name"] == "full ban"
    expected = service.run_spec({"scenarios": [spec["scenarios"][0]]}, seed=2, n_draws=300)
    assert plain["results"][0]["gdp_loss_usd"] == pytest.approx(
        expected[0]["results"][0]["gdp_loss_usd"])
    # a stockpile release lowers the loss
    assert (levered["results"][0]["gdp_loss_usd"]["central"]
            < plain["results"][0]["gdp_loss_usd"]["central"])
    assert api.post("/scenarios/run?save=true", json=spec).status_code == 401
    bad = api.post("/scenarios/run", json={"scenarios": [
        {"mineral": "gallium", "country": "CHN", "levers": {"magic": 1}}]})
    assert bad.status_code == 422 and "magic" in bad.json()["detail"]
