"""The exposure questions on the sample network, against answers worked by hand.

The toy network (tests/ingest/samples/network_toy): mine-a (CHN) and mine-b (AUS) feed
refiner-a (CHN, all from mine-a) and refiner-b (JPN: 0.6 from mine-b, the unknown share
of mine-a gets the remaining 0.4); wafer-a (USA) takes half from each refiner and feeds
the end products chip-a and radar-a; refiner-b alone feeds the end product led-a.

Input traced to China: refiner-b 0.4, wafer-a 0.5 + 0.5 * 0.4 = 0.7, so chip-a 0.7,
radar-a 0.7, led-a 0.4 (mean 0.6).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from critmin.services import exposure as service
from critmin.services.tracker import InvalidRecord

TOY = Path(__file__).parents[1] / "ingest" / "samples" / "network_toy"


@pytest.fixture(scope="module")
def toy():
    return service.load(network=TOY)


def test_exposure_to_a_country(toy):
    got = service.country(toy, countries=["china"], per_node=True)
    assert got["end_products"] == 3 and got["exposed"] == 3 and got["share"] == 1.0
    assert got["weighted_mean"] == pytest.approx(0.6)
    assert got["targets"]["countries"] == [{"code": "CHN", "label": "China"}]
    assert got["targets"]["target_nodes"] == 2
    weighted = {r["id"]: r["weighted"] for r in got["per_node"]}
    assert weighted == pytest.approx({"chip-a": 0.7, "radar-a": 0.7, "led-a": 0.4})
    assert got["synthetic"] is False and "note" not in got
    aus = service.country(toy, countries=["AUS"])
    assert aus["weighted_mean"] == pytest.approx((0.3 + 0.3 + 0.6) / 3)


def test_exposure_to_a_supplier_set_and_a_mineral(toy):
    got = service.country(toy, suppliers=["refiner-a"], per_node=True)
    assert got["exposed"] == 2 and got["share"] == pytest.approx(2 / 3)
    assert {r["id"]: r["exposed"] for r in got["per_node"]} == {
        "chip-a": True, "radar-a": True, "led-a": False}
    assert got["weighted_mean"] == pytest.approx(1 / 3)
    # every gallium node is a target: each end product's whole input traces back to one
    ga = service.country(toy, minerals=["Ga"])
    assert ga["targets"]["minerals"] == ["gallium"]
    assert ga["exposed"] == 3 and ga["weighted_mean"] == pytest.approx(1.0)


def test_bad_targets_are_named(toy):
    with pytest.raises(InvalidRecord) as exc:
        service.country(toy, suppliers=["refiner-z"])
    assert exc.value.errors[0]["field"] == "supplier" and "refiner-z" in str(exc.value)
    with pytest.raises(InvalidRecord) as exc:
        service.country(toy, countries=["Atlantis"])
    assert exc.value.errors[0]["field"] == "country"
    with pytest.raises(InvalidRecord):
        service.country(toy)


def test_chokepoints_ranked(toy):
    got = service.chokepoints(toy, top=10)
    ranked = [(r["kind"], r["id"], r["end_products_cut"], round(r["weighted_supply_lost"], 9))
              for r in got["chokepoints"]]
    assert ranked == [
        ("node", "wafer-a", 2, 2.0),
        ("node", "refiner-b", 1, 2.0),
        ("edge", "refiner-b->led-a", 1, 1.0),
        ("edge", "wafer-a->chip-a", 1, 1.0),
        ("edge", "wafer-a->radar-a", 1, 1.0),
    ]
    assert got["chokepoints"][0]["country_label"] == "United States"
    assert [r["rank"] for r in got["chokepoints"]] == [1, 2, 3, 4, 5]
    assert [r["id"] for r in service.chokepoints(toy, top=1, edges=False)["chokepoints"]] == [
        "wafer-a"]


def test_what_if(toy):
    china = service.what_if(toy, countries=["CHN"])
    assert china["end_products_cut"] == 0
    assert china["mean_supply_lost"] == pytest.approx(0.6)
    assert china["removed"]["nodes"] == 2
    assert [a["id"] for a in china["affected"]] == ["chip-a", "radar-a", "led-a"]
    wafer = service.what_if(toy, nodes=["wafer-a"])
    assert wafer["end_products_cut"] == 2
    assert wafer["mean_supply_lost"] == pytest.approx(2 / 3)
    assert {a["id"]: a["cut"] for a in wafer["affected"]} == {"chip-a": True, "radar-a": True}
    edge = service.what_if(toy, edges=["refiner-b->led-a"])
    assert edge["end_products_cut"] == 1 and edge["removed"]["edges"] == 1
    assert edge["affected"][0]["id"] == "led-a" and edge["affected"][0]["supply_lost"] == 1.0
    with pytest.raises(InvalidRecord):
        service.what_if(toy, edges=["led-a->refiner-b"])
    with pytest.raises(InvalidRecord):
        service.what_if(toy, edges=["refiner-b"])


def test_paths_to_one_end_product(toy):
    got = service.paths(toy, end="chip-a", countries=["CHN"])
    assert {n["id"] for n in got["nodes"]} == {"mine-a", "refiner-a", "refiner-b", "wafer-a",
                                               "chip-a"}
    assert {(e["supplier"], e["customer"]) for e in got["edges"]} == {
        ("mine-a", "refiner-a"), ("mine-a", "refiner-b"), ("refiner-a", "wafer-a"),
        ("refiner-b", "wafer-a"), ("wafer-a", "chip-a")}
    unknown = next(e for e in got["edges"] if e["customer"] == "refiner-b")
    assert unknown["share"] is None and unknown["input_share"] == pytest.approx(0.4)
    targets = {n["id"] for n in got["nodes"] if n["target"]}
    assert targets == {"mine-a", "refiner-a"} and got["truncated"] is False


def test_dashboard_has_headline_chokepoints_and_one_graph(toy):
    got = service.dashboard(toy, country_code="CHN", top=2)
    assert got["headline"]["exposed"] == 3 and "per_node" not in got["headline"]
    assert [c["id"] for c in got["chokepoints"]] == ["wafer-a", "refiner-b"]
    assert got["paths"]["end"]["id"] == "chip-a"  # 0.7, tied with radar-a: first by id
    assert got["paths_reason"] is None
    kor = service.dashboard(toy, country_code="KOR")  # only an end product is Korean
    assert kor["headline"]["exposed"] == 1 and kor["paths"]["end"]["id"] == "chip-a"
    fra = service.dashboard(toy, country_code="FRA")
    assert fra["paths"] is None and fra["paths_reason"] == "no end product is exposed to France"


def test_a_generated_network_says_it_is_synthetic(tmp_path):
    summary = service.generate(n_nodes=300, n_edges=900, seed=7, folder=tmp_path)
    assert summary["synthetic"] is True
    loaded = service.load(network=tmp_path)
    assert loaded.synthetic
    for result in (service.country(loaded, countries=["CHN"]),
                   service.chokepoints(loaded, top=5),
                   service.dashboard(loaded, country_code="CHN")):
        assert result["synthetic"] is True and result["note"] == service.SYNTHETIC_NOTE
    assert all(r["synthetic"] for r in service.chokepoints(loaded, top=5)["chokepoints"])
    again = service.generate(n_nodes=300, n_edges=900, seed=7, folder=tmp_path / "again")
    assert (tmp_path / "edges.csv").read_bytes() == (tmp_path / "again" / "edges.csv"
                                                     ).read_bytes()
    assert again["edges"] == summary["edges"]
