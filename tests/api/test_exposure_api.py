"""Supply networks over real HTTP on SQLite and PostgreSQL: uploads (CSV and Parquet,
atomic, 422 with problems), the questions on a stored network, and a hostile partner:
a private network never appears, its name is free for others, asking for it is a 404
identical to a missing one, and no number derived from it comes back."""

from __future__ import annotations

import io
import re
from pathlib import Path

import httpx
import pytest

import live_http
from critmin.ingest.network import read_network, write_network

SAMPLES = Path(__file__).parents[1] / "ingest" / "samples"
TOY = SAMPLES / "network_toy"


def _files(folder: Path = TOY, ext: str = "csv") -> dict:
    return {k: (f"{k}.{ext}", (folder / f"{k}.{ext}").read_bytes()) for k in ("nodes", "edges")}


@pytest.fixture(scope="module")
def api(api_db_url, live, make_orgs):
    tokens = make_orgs(api_db_url, {"Owner": (["MSP"], "editor"),
                                    "Partner": (["MSP"], "editor"),
                                    "Outsider": ([], "editor"), "Reader": ([], "viewer")})
    with live(api_db_url) as base:
        clients = {
            who: live_http.client(base_url=f"{base}/api/v1/exposure", timeout=60,
                              headers={"Authorization": f"Bearer {token}"} if token else {})
            for who, token in (("owner", tokens["Owner"]), ("partner", tokens["Partner"]),
                               ("outsider", tokens["Outsider"]), ("reader", tokens["Reader"]),
                               ("anon", None))
        }  # fmt: skip
        yield clients
        for c in clients.values():
            c.close()


def _ids(client: httpx.Client) -> list[int]:
    return [n["id"] for n in client.get("/networks").json()["data"]]


def test_upload_and_ask(api):
    owner = api["owner"]
    made = owner.post("/networks", params={"name": "toy", "description": "sample"},
                      files=_files())
    assert made.status_code == 201, made.text
    net = made.json()
    assert (net["nodes"], net["edges"], net["sharing"]) == (8, 8, "owner")
    nid = net["id"]
    assert nid in _ids(owner)
    got = owner.get(f"/networks/{nid}/country", params={"country": "CHN"}).json()
    assert (got["end_products"], got["exposed"]) == (3, 3)
    assert got["weighted_mean"] == pytest.approx(0.6)
    per = owner.get(f"/networks/{nid}/country",
                    params={"supplier": "refiner-a", "per_node": "true"}).json()
    assert {r["id"]: r["exposed"] for r in per["per_node"]} == {
        "chip-a": True, "radar-a": True, "led-a": False}
    ranked = owner.get(f"/networks/{nid}/chokepoints", params={"top": 2}).json()
    assert [c["id"] for c in ranked["chokepoints"]] == ["wafer-a", "refiner-b"]
    what = owner.get(f"/networks/{nid}/whatif",
                     params={"remove_edge": "refiner-b->led-a"}).json()
    assert what["end_products_cut"] == 1
    paths = owner.get(f"/networks/{nid}/paths", params={"end": "chip-a",
                                                         "country": "CHN"}).json()
    assert len(paths["nodes"]) == 5 and len(paths["edges"]) == 5
    board = owner.get(f"/networks/{nid}/dashboard", params={"country": "CHN"}).json()
    assert board["headline"]["weighted_mean"] == pytest.approx(0.6)
    assert board["paths"]["end"]["id"] == "chip-a"
    bad = owner.get(f"/networks/{nid}/country", params={"supplier": "ghost"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.supplier"
    assert owner.get(f"/networks/{nid}/country").status_code == 422
    assert owner.get(f"/networks/{nid}/paths", params={"end": "nope",
                                                        "country": "CHN"}).status_code == 422


def test_parquet_upload_and_bill_of_materials(api, tmp_path):
    write_network(read_network(TOY), tmp_path, fmt="parquet")
    owner = api["owner"]
    made = owner.post("/networks", params={"name": "toy parquet"},
                      files=_files(tmp_path, "parquet"))
    assert made.status_code == 201, made.text
    got = owner.get(f"/networks/{made.json()['id']}/country", params={"country": "CHN"})
    assert got.json()["weighted_mean"] == pytest.approx(0.6)
    bom = owner.post("/networks", params={"name": "car"}, files={
        "bom": ("bom.csv", (SAMPLES / "bom_toy" / "bom.csv").read_bytes()),
        "nodes": ("nodes.csv", (SAMPLES / "bom_toy" / "nodes.csv").read_bytes())})
    assert bom.status_code == 201, bom.text
    assert bom.json()["layout"] == "bill of materials"
    exposed = owner.get(f"/networks/{bom.json()['id']}/country", params={"country": "CHN"})
    # car <- motor (1/2) <- magnet (4/7, Chinese): 2/7 of the car's input
    assert exposed.json()["weighted_mean"] == pytest.approx(2 / 7)


def test_bad_uploads_are_422_and_store_nothing(api):
    owner = api["owner"]
    before = _ids(owner)
    bad = owner.post("/networks", params={"name": "bad"}, files=_files(SAMPLES / "network_bad"))
    assert bad.status_code == 422
    problems = bad.json()["problems"]
    assert {"file": "edges.csv", "row": 7, "column": "customer", "value": "ghost",
            "expected": "a node id listed in nodes.csv"} in problems
    assert _ids(owner) == before
    only = owner.post("/networks", params={"name": "x"}, files={"nodes": _files()["nodes"]})
    assert only.status_code == 422 and only.json()["errors"][0]["field"] == "query.files"
    assert owner.post("/networks", params={"name": "x"}, content=b"a,b").status_code == 422
    assert owner.post("/networks", params={"name": "x", "sharing": "all"},
                      files=_files()).status_code == 422
    assert owner.post("/networks", params={"name": "../x"}, files=_files()).status_code == 422
    clash = owner.post("/networks", params={"name": "toy"}, files=_files())
    assert clash.status_code == 409 and "already exists" in clash.json()["detail"]
    assert api["anon"].post("/networks", params={"name": "y"}, files=_files()).status_code == 401
    assert api["reader"].post("/networks", params={"name": "y"},
                              files=_files()).status_code == 403
    assert _ids(owner) == before


def test_hostile_partner_learns_nothing(api):
    owner, partner = api["owner"], api["partner"]
    secret = owner.post("/networks", params={"name": "secret"}, files=_files())
    assert secret.status_code == 201
    sid = secret.json()["id"]
    mine = partner.post("/networks", params={"name": "secret"}, files=_files())
    assert mine.status_code == 201  # the same name is not a clash, and says nothing
    assert mine.json()["id"] != sid
    missing_id = 2**31 - 1
    for name in ("partner", "outsider", "reader", "anon"):
        who = api[name]
        assert sid not in _ids(who)
        assert "secret" not in [n["name"] for n in who.get("/networks").json()["data"]
                                if n["id"] != mine.json()["id"]]
        for tail in ("", "/country?country=CHN", "/chokepoints", "/whatif?remove_country=CHN",
                     "/paths?end=chip-a&country=CHN", "/dashboard"):
            hidden = who.get(f"/networks/{sid}{tail}")
            missing = who.get(f"/networks/{missing_id}{tail}")
            assert hidden.status_code == missing.status_code == 404
            assert hidden.json() == {"detail": f"no supply network '{sid}'", "errors": []}
            assert missing.json()["detail"] == f"no supply network '{missing_id}'"
            assert set(hidden.headers) >= {"cache-control"} and hidden.headers[
                "cache-control"] == missing.headers["cache-control"]
            assert re.sub(r"\d+", "N", hidden.text) == re.sub(r"\d+", "N", missing.text)
    # shared with partners: the partner sees it; an outsider still gets the 404
    shared = owner.post("/networks", params={"name": "shared", "sharing": "partners"},
                        files=_files())
    pid = shared.json()["id"]
    assert pid in _ids(partner) and pid not in _ids(api["outsider"])
    seen = partner.get(f"/networks/{pid}/country", params={"country": "CHN"}).json()
    assert seen["weighted_mean"] == pytest.approx(0.6)
    assert api["outsider"].get(f"/networks/{pid}/chokepoints").status_code == 404
    # replacing never widens: a public re-upload of a partners-only network stays partners
    again = owner.post("/networks", params={"name": "shared", "sharing": "public",
                                            "replace": "true"}, files=_files())
    assert again.status_code == 201 and again.json()["sharing"] == "partners"
    assert pid not in _ids(api["anon"])


def test_bad_query_values(api):
    owner = api["owner"]
    assert owner.get("/networks/0").status_code == 422
    assert owner.get("/networks/abc/country").status_code == 422
    nid = _ids(owner)[0]
    assert owner.get(f"/networks/{nid}/chokepoints", params={"top": 0}).status_code == 422
    assert owner.get(f"/networks/{nid}/country", params={"country": "Atlantis"}).status_code == 422
    assert owner.get(f"/networks/{nid}/whatif").status_code == 422
    assert owner.get(f"/networks/{nid}/whatif",
                     params={"remove_edge": "a-b"}).status_code == 422
    # a CSV upload as a raw body is refused with a hint, not a 500
    raw = owner.post("/networks", params={"name": "raw"}, content=io.BytesIO(b"x").read(),
                     headers={"content-type": "text/csv"})
    assert raw.status_code == 422 and "multipart" in raw.json()["errors"][0]["problem"]
