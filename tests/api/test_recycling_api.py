"""The recycling endpoints over real HTTP on SQLite and PostgreSQL: figures with sources,
targets, progress (unknown where no rate is known, computed from a rate the caller gives),
strict query parameters (422 naming the parameter, never a 5xx), the same public answer
for an organisation, an outsider and an anonymous caller, and Chinese labels on request."""

from __future__ import annotations

import pytest

import live_http


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    tokens = make_orgs(api_db_url, {"Owner": (["MSP"], "editor"),
                                    "Outsider": ([], "viewer")})  # fmt: skip
    with live(api_db_url) as base:
        clients = {who: live_http.client(base_url=f"{base}/api/v1/recycling", timeout=60,
                                     headers={"Authorization": f"Bearer {tok}"} if tok else {})
                   for who, tok in (("owner", tokens["Owner"]),
                                    ("outsider", tokens["Outsider"]), ("anon", None))}  # fmt: skip
        yield clients
        for c in clients.values():
            c.close()


def test_rates_with_sources_and_statements(api):
    r = api["anon"].get("/rates", params={"mineral": "aluminum", "statements": "true"})
    assert r.status_code == 200, r.text
    body = r.json()
    old = next(f for f in body["figures"] if f["kind"] == "old_scrap_share_of_apparent_consumption")
    assert (old["value"], old["qualifier"], old["year"]) == (28, "approximate", 2025)
    assert old["source"]["url"].endswith("mcs2026-aluminum.pdf")
    assert old["quote"] in body["statements"][0]["text"]
    assert "EOL-RIR" in body["not_bundled"]
    assert r.headers["cache-control"].startswith("private")


def test_targets_and_progress(api):
    t = api["anon"].get("/targets", params={"mineral": "W"}).json()["targets"]
    assert {x["key"]: (x["target_pct"], x["target_year"], x["status"]) for x in t} == {
        "cn-tungsten-recycling-rate-70-by-2028": (70, 2028, "proposal"),
        "us-tungsten-recovery-rate-60": (60, None, "reported"),
    }
    p = api["anon"].get("/progress", params={"mineral": "tungsten"}).json()["progress"]
    assert [x["state"] for x in p] == ["no_current_rate", "no_current_rate"]
    assert all(x["gap_pp"] is None and x["note"] for x in p)
    given = (
        api["anon"]
        .get(
            "/progress",
            params={
                "target": "cn-tungsten-recycling-rate-70-by-2028",
                "current_pct": "55",
                "current_year": "2026",
                "consumption_t": "20000",
            },
        )
        .json()["progress"]
    )
    # 15 points in 2 years = 7.5 a year; 15% of 20,000 t = 3,000 t/yr
    (g,) = given
    assert (g["gap_pp"], g["needed_pp_per_year"], g["extra_supply_t"]) == (15, 7.5, 3000)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("/rates", {"mineral": "unobtainium"}, "query.mineral"),
        ("/rates", {"country": "Atlantis"}, "query.country"),
        ("/targets", {"mineral": "x" * 41}, "mineral"),
        (
            "/progress",
            {"current_pct": "150", "target": "us-tungsten-recovery-rate-60"},
            "current_pct",
        ),
        ("/progress", {"current_pct": "40", "mineral": "tungsten"}, "query.current_pct"),
        ("/progress", {"target": "nope"}, "query.target"),
        ("/progress", {"consumption_t": "-3"}, "consumption_t"),
        (
            "/progress",
            {"current_pct": "nan", "target": "us-tungsten-recovery-rate-60"},
            "current_pct",
        ),
        ("/rates", {"minerals": "gallium"}, "minerals"),
    ],
)
def test_bad_query_is_a_422_naming_the_parameter(api, path, params, field):
    r = api["anon"].get(path, params=params)
    assert r.status_code == 422, r.text
    assert field in r.text
    assert "Traceback" not in r.text


def test_public_data_is_the_same_for_everyone(api):
    answers = {who: c.get("/rates").json() for who, c in api.items()}
    assert answers["owner"] == answers["outsider"] == answers["anon"]
    assert len(answers["anon"]["figures"]) == 11


def test_chinese_labels_on_request(api):
    r = api["anon"].get(
        "/rates", params={"mineral": "cobalt"}, headers={"Accept-Language": "zh-CN"}
    )
    (f,) = r.json()["figures"]
    assert f["kind_label"] == "废料占消费量的比例" and f["qualifier_label"] == "原文数值"


def test_a_bad_token_is_refused_as_everywhere(api):
    r = api["anon"].get("/rates", headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and "figures" not in r.text
