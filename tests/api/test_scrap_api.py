"""The scrap exchange over real HTTP on SQLite and PostgreSQL: editors list lots, bodies
are strict (422 naming the field), matches carry their legality under the bundled export
controls, a stale version is a 409, two concurrent acceptances of one lot give exactly one
200, and a hostile partner gets the same 404 for a private lot as for a missing one."""

from __future__ import annotations

import threading

import pytest

import live_http
from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction

BAN = "cn-2024-12-us-ban-ga-ge-sb-superhard"
BASE = "/api/v1/scrap"


def offer(**over):
    return {"side": "offer", "mineral": "gallium", "scrap_types": ["gaas_wafer_kerf"],
            "grade_pct": 40.0, "quantity_t": 10.0, "country": "DEU", "lat": 51.05,
            "lon": 13.74, "available_from": "2025-01-01", "available_to": "2025-12-31",
            "standards": ["iso_14001"], "sharing": "public", **over}  # fmt: skip


def request(**over):
    return {"side": "request", "mineral": "gallium", "scrap_types": ["gaas_wafer_kerf"],
            "grade_min_pct": 30.0, "grade_max_pct": 50.0, "quantity_t": 10.0,
            "country": "USA", "available_from": "2025-02-01", "sharing": "public",
            "required_standards": ["iso_14001"], **over}  # fmt: skip


@pytest.fixture(scope="module")
def server(api_db_url, live, make_orgs):
    engine = make_engine(api_db_url)
    with transaction(engine) as s:
        sync_catalogue(s)
        ensure_datasets(s)
        load_curated(s)
    engine.dispose()
    tokens = make_orgs(api_db_url, {"DE": (["MSP"], "editor"), "CN": ([], "editor"),
                                    "US": (["MSP"], "editor"), "Hostile": (["MSP"], "editor"),
                                    "Viewer": (["MSP"], "viewer")})  # fmt: skip
    with live(api_db_url) as base:
        yield base, {k: {"Authorization": f"Bearer {v}"} for k, v in tokens.items()}


def _post(base, path, body, who):
    return live_http.post(f"{base}{BASE}{path}", json=body, headers=who, timeout=60)


def test_listings_matches_decisions_and_conflicts(server):
    base, auth = server
    de = _post(base, "/listings", offer(), auth["DE"])
    assert de.status_code == 201, de.text
    assert de.json()["version"] == 1 and de.json()["owner"] == "DE"
    cn = _post(base, "/listings", offer(country="CHN", lat=None, lon=None), auth["CN"]).json()
    req = _post(base, "/listings", request(), auth["US"]).json()
    low = _post(base, "/listings", offer(grade_pct=20.0), auth["DE"]).json()
    got = live_http.get(
        f"{base}{BASE}/matches",
        params={"mineral": "gallium", "as_of": "2025-03-01", "include_rejected": "true"},
    ).json()
    pairs = {(m["offer"]["id"], m["request"]["id"]): m for m in got["matches"]}
    legal, banned = pairs[(de.json()["id"], req["id"])], pairs[(cn["id"], req["id"])]
    assert legal["legal"]["verdict"] == "allowed" and legal["quantity_t"] == 10.0
    assert legal["status"] == "proposed" and legal["score"] > 0 and legal["reasons"]
    assert banned["legal"]["verdict"] == "prohibited" and banned["status"] == "not_proposed"
    assert [m["key"] for m in banned["legal"]["measures"] if m["decides"]] == [BAN]
    (rej,) = [r for r in got["rejected"] if r["offer"]["id"] == low["id"]]
    assert rej["reasons"][0].startswith("Grade mismatch")
    decision = {"offer_id": de.json()["id"], "request_id": req["id"], "offer_version": 1,
                "request_version": 1, "as_of": "2025-03-01"}  # fmt: skip
    # stale version: 409 naming it; wrong party: 403; prohibited pair: 409
    stale = _post(base, "/matches/accept", {**decision, "offer_version": 7}, auth["US"])
    assert stale.status_code == 409 and "no longer at version 7" in stale.json()["detail"]
    assert _post(base, "/matches/accept", decision, auth["Hostile"]).status_code == 403
    prohibited = _post(base, "/matches/accept", {**decision, "offer_id": cn["id"]}, auth["US"])
    assert prohibited.status_code == 409 and "prohibited" in prohibited.json()["detail"]
    # two concurrent acceptances of the same lot at version 1: exactly one wins
    other = _post(base, "/listings", request(country="CAN"), auth["Hostile"]).json()
    barrier, results = threading.Barrier(2), {}

    def take(who, request_id):
        with live_http.client(timeout=60) as client:
            barrier.wait()
            results[who] = client.post(
                f"{base}{BASE}/matches/accept",
                headers=auth[who],
                json={**decision, "request_id": request_id},
            )

    threads = [threading.Thread(target=take, args=("US", req["id"])),
               threading.Thread(target=take, args=("Hostile", other["id"]))]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    codes = sorted(r.status_code for r in results.values())
    assert codes == [200, 409], {k: r.text for k, r in results.items()}
    (loser,) = [r for r in results.values() if r.status_code == 409]
    assert "no longer at version 1" in loser.json()["detail"]
    hist = live_http.get(f"{base}{BASE}/history", params={"listing_id": de.json()["id"]},
                     headers=auth["DE"]).json()  # fmt: skip
    assert [h["action"] for h in hist] == ["accept"]
    now = live_http.get(f"{base}{BASE}/listings/{de.json()['id']}").json()
    assert now["version"] == 2 and now["free_t"] == 0 and now["status"] == "matched"


def test_bodies_are_strict_and_writes_need_an_editor(server):
    base, auth = server
    bad = _post(base, "/listings", offer(grade_pct=140), auth["DE"])
    assert bad.status_code == 422 and "grade_pct" in bad.text
    wrong = _post(base, "/listings", offer(scrap_types=["heavy_alloy"]), auth["DE"])
    assert wrong.status_code == 422 and "heavy_alloy" in wrong.text
    extra = _post(base, "/listings", offer(colour="blue"), auth["DE"])
    assert extra.status_code == 422 and "colour" in extra.text
    as_number = _post(base, "/listings", offer(available_from=0), auth["DE"])
    assert as_number.status_code == 422
    assert _post(base, "/listings", offer(), {}).status_code == 401
    assert _post(base, "/listings", offer(), auth["Viewer"]).status_code == 403
    nomin = live_http.get(f"{base}{BASE}/matches", params={"mineral": "unobtainium"})
    assert nomin.status_code == 422 and "unobtainium" in nomin.text
    mine = _post(base, "/listings", offer(reference="patch me"), auth["DE"]).json()
    url = f"{base}{BASE}/listings/{mine['id']}"
    ok = live_http.patch(url, json={"version": 1, "quantity_t": 8.0}, headers=auth["DE"])
    assert ok.status_code == 200 and ok.json()["quantity_t"] == 8.0 and ok.json()["version"] == 2
    again = live_http.patch(url, json={"version": 1, "quantity_t": 9.0}, headers=auth["DE"])
    assert again.status_code == 409
    side = live_http.patch(url, json={"version": 2, "side": "request"}, headers=auth["DE"])
    assert side.status_code == 422
    gone = live_http.delete(url, params={"version": 2}, headers=auth["DE"])
    assert gone.status_code == 204 and live_http.get(url).status_code == 404


def test_hostile_partner_gets_nothing_of_a_private_lot(server):
    base, auth = server
    secret = _post(base, "/listings", offer(sharing="owner", quantity_t=3.5,
                                            reference="secret"), auth["DE"]).json()  # fmt: skip
    hostile = auth["Hostile"]
    hidden = live_http.get(f"{base}{BASE}/listings/{secret['id']}", headers=hostile)
    missing = live_http.get(f"{base}{BASE}/listings/2000000", headers=hostile)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(str(secret["id"]), "N") == missing.json()[
        "detail"].replace("2000000", "N")  # fmt: skip
    listed = live_http.get(f"{base}{BASE}/listings", headers=hostile).json()
    assert secret["id"] not in [x["id"] for x in listed["listings"]]
    assert "secret" not in live_http.get(f"{base}{BASE}/listings", headers=hostile).text
    got = live_http.get(
        f"{base}{BASE}/matches",
        headers=hostile,
        params={"mineral": "gallium", "include_rejected": "true"},
    ).text
    assert "secret" not in got and "3.5" not in got
    body = {"offer_id": secret["id"], "request_id": 1, "offer_version": 1, "request_version": 1}
    assert _post(base, "/matches/decline", body, hostile).status_code == 404
    patch = live_http.patch(f"{base}{BASE}/listings/{secret['id']}", headers=hostile,
                        json={"version": 1, "quantity_t": 1.0})  # fmt: skip
    assert patch.status_code == 404
    assert live_http.get(f"{base}{BASE}/listings/{secret['id']}", headers=auth["DE"]).json()[
        "quantity_t"] == 3.5  # fmt: skip
