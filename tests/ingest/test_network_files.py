"""Supply-network files: node and edge tables (CSV and Parquet), bills of materials, and
writing a network back; every bad cell named by file, row, column, value, expected."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from critmin.analytics.network import END, INTERMEDIATE, SOURCE, Network
from critmin.ingest.errors import IngestError
from critmin.ingest.network import (
    read_bom,
    read_network,
    read_network_meta,
    read_nodes_edges,
    write_network,
)

SAMPLES = Path(__file__).parent / "samples"
TOY = SAMPLES / "network_toy"


def _problems(exc: pytest.ExceptionInfo[IngestError]) -> set[tuple]:
    return {(Path(p.file).name, p.row, p.column, p.value) for p in exc.value.problems}


def _edge(net, supplier: str, customer: str) -> np.ndarray:
    s, c = net.index_of(supplier), net.index_of(customer)
    return np.flatnonzero((net.supplier == s) & (net.customer == c))


def test_toy_network_reads_with_codes_kinds_and_unknown_shares():
    net = read_network(TOY)
    assert net.n_nodes == 8 and net.n_edges == 8
    assert net.ids.tolist()[:3] == ["mine-a", "mine-b", "refiner-a"]
    assert net.country[net.index_of("mine-b")] == "AUS"  # any case, stored in capitals
    assert net.country[net.index_of("led-a")] == ""  # empty = unknown
    assert net.kind[net.index_of("mine-a")] == SOURCE
    assert net.kind[net.index_of("wafer-a")] == INTERMEDIATE
    assert net.kind[net.index_of("radar-a")] == END
    # mineral names and symbols resolve to codes; empty is none
    assert net.mineral[net.index_of("mine-b")] == "gallium"
    assert net.mineral[net.index_of("wafer-a")] == ""
    assert np.isnan(net.share[_edge(net, "mine-a", "refiner-b")]).all()
    assert net.share[_edge(net, "mine-b", "refiner-b")].tolist() == [0.6]
    assert net.product[_edge(net, "wafer-a", "chip-a")].tolist() == ["GaAs wafer"]
    # a file of the pair points at the same network
    assert read_network(TOY / "edges.csv").ids.tolist() == net.ids.tolist()


def test_every_bad_cell_is_named():
    with pytest.raises(IngestError) as exc:
        read_network(SAMPLES / "network_bad")
    got = _problems(exc)
    assert ("nodes.csv", 3, "country", "China") in got
    assert ("nodes.csv", 4, "country", "XXX") in got
    assert ("nodes.csv", 4, "kind", "refinery") in got
    assert ("nodes.csv", 5, "id", "mine-a") in got  # duplicate of row 2
    assert ("nodes.csv", 6, "id", "") in got
    assert ("edges.csv", 2, "share", "abc") in got
    assert ("edges.csv", 3, "share", "-0.2") in got
    assert ("edges.csv", 4, "supplier", "mine-z") in got
    assert ("edges.csv", 5, "share", "1.5") in got
    assert ("edges.csv", 6, "share", "40") in got
    assert ("edges.csv", 7, "customer", "ghost") in got
    # chip-a's known shares add up to 0.5 + 0.7 + 0.6 (rows 4, 8, 9 are good numbers)
    sums = [p for p in exc.value.problems if p.expected.startswith("known shares")]
    assert [(p.row, p.value) for p in sums] == [(4, 1.8)]
    dup = next(p for p in exc.value.problems if p.row == 5 and p.column == "id")
    assert dup.expected == "a unique node id (already at row 2)"
    assert "a share of 40 % is 0.4" in next(p for p in exc.value.problems if p.row == 6
                                            and p.column == "share").expected
    # "END" is a kind in any case; nothing else on row 7 is wrong
    assert not [p for p in exc.value.problems if Path(p.file).name == "nodes.csv"
                and p.row == 7]
    assert "nothing was imported" in str(exc.value)


def test_missing_and_unknown_columns(tmp_path):
    (tmp_path / "nodes.csv").write_text("id,kind,colour\na,source,red\n")
    (tmp_path / "edges.csv").write_text("supplier,customer\n")
    with pytest.raises(IngestError) as exc:
        read_network(tmp_path)
    assert _problems(exc) == {("nodes.csv", 1, "country", None), ("nodes.csv", 1, "colour",
                                                                  "colour")}
    (tmp_path / "nodes.csv").write_text("")
    with pytest.raises(IngestError) as exc:
        read_network(tmp_path)
    assert "the file is empty" in exc.value.problems[0].expected


def test_an_edge_table_without_shares_is_all_unknown(tmp_path):
    (tmp_path / "nodes.csv").write_text("id,country,kind\na,,source\nb,FRA,end\n")
    (tmp_path / "edges.csv").write_text("supplier,customer\na,b\n")
    net = read_network(tmp_path)
    assert np.isnan(net.share).all() and net.mineral is None and net.product is None


def test_parquet_pair_reads_like_csv_and_numeric_ids_are_text(tmp_path):
    net = read_network(TOY)
    write_network(net, tmp_path, fmt="parquet")
    back = read_network(tmp_path / "nodes.parquet")
    assert back.ids.tolist() == net.ids.tolist()
    assert back.country.tolist() == net.country.tolist()
    np.testing.assert_array_equal(back.share, net.share)
    assert back.product.tolist() == net.product.tolist()
    pd.DataFrame({"id": [1, 2], "country": ["CHN", None], "kind": ["source", "end"]}).to_parquet(
        tmp_path / "n.parquet")
    pd.DataFrame({"supplier": [1, 1], "customer": [2, 3], "share": [0.5, 1.2]}).to_parquet(
        tmp_path / "e.parquet")
    with pytest.raises(IngestError) as exc:
        read_nodes_edges(tmp_path / "n.parquet", tmp_path / "e.parquet", "n.parquet",
                         "e.parquet")
    # Parquet records are numbered from 1
    assert _problems(exc) == {("e.parquet", 2, "customer", "3"), ("e.parquet", 2, "share",
                                                                  "1.2")}


def test_write_then_read_round_trips_with_empty_unknown_shares(tmp_path):
    net = read_network(TOY)
    write_network(net, tmp_path / "out", meta={"synthetic": True, "seed": 3})
    text = (tmp_path / "out" / "edges.csv").read_text().splitlines()
    assert text[0] == "supplier,customer,share,product"
    assert text[3] == "mine-a,refiner-b,,crude gallium"
    back, meta = read_network_meta(tmp_path / "out")
    assert meta == {"seed": 3, "synthetic": True}
    assert back.ids.tolist() == net.ids.tolist() and back.kind.tolist() == net.kind.tolist()
    np.testing.assert_array_equal(back.share, net.share)


def test_bill_of_materials_shares_and_kinds():
    net = read_bom(SAMPLES / "bom_toy" / "bom.csv")
    kinds = dict(zip(net.ids.tolist(), net.kind.tolist(), strict=True))
    assert kinds == {"car": END, "battery": INTERMEDIATE, "motor": INTERMEDIATE,
                     "magnet": INTERMEDIATE, "body": SOURCE, "cell": SOURCE,
                     "ndpr oxide": SOURCE, "copper wire": SOURCE}
    assert (net.country == "").all()

    def share(child: str, parent: str) -> float:
        return float(net.share[_edge(net, child, parent)][0])

    assert share("motor", "car") == 0.5 and share("battery", "car") == 0.25
    assert share("magnet", "motor") == pytest.approx(4 / 7)
    assert share("copper wire", "motor") == pytest.approx(3 / 7)
    assert share("cell", "battery") == 1.0


def test_bill_of_materials_folder_takes_countries_from_its_nodes_file(tmp_path):
    net = read_network(SAMPLES / "bom_toy")
    assert net.country[net.index_of("magnet")] == "CHN"
    assert net.country[net.index_of("motor")] == ""
    assert net.mineral[net.index_of("ndpr oxide")] == "Neodymium"  # kept as written
    shutil.copy(SAMPLES / "bom_toy" / "bom.csv", tmp_path / "bom.csv")
    (tmp_path / "nodes.csv").write_text("id,country\nwheel,FRA\ncar,Germany\n")
    (tmp_path / "bad.csv").write_text("parent,child,quantity\ncar,wheel,0\ncar,,x\n")
    with pytest.raises(IngestError) as exc:
        read_network(tmp_path)
    assert _problems(exc) == {("nodes.csv", 2, "id", "wheel"),
                              ("nodes.csv", 3, "country", "Germany")}
    with pytest.raises(IngestError) as exc:
        read_bom(tmp_path / "bad.csv")
    assert _problems(exc) == {("bad.csv", 2, "quantity", "0"), ("bad.csv", 3, "child", ""),
                              ("bad.csv", 3, "quantity", "x")}


def test_missing_path_and_unreadable_file(tmp_path):
    with pytest.raises(IngestError) as exc:
        read_network(tmp_path / "nope")
    assert exc.value.problems[0].expected == "a network folder or file that exists"
    (tmp_path / "nodes.csv").write_bytes(b"id,country,kind\n\xff\xfe,CHN,source\n")
    (tmp_path / "edges.csv").write_text("supplier,customer\n")
    with pytest.raises(IngestError) as exc:
        read_network(tmp_path)
    assert "UTF-8" in exc.value.problems[0].expected


def test_many_bad_rows_list_fifty_and_count_the_rest(tmp_path):
    n = 500
    (tmp_path / "nodes.csv").write_text("id,country,kind\n" + "".join(
        f"n{i},CHN,mine\n" for i in range(n)))
    (tmp_path / "edges.csv").write_text("supplier,customer\n")
    with pytest.raises(IngestError) as exc:
        read_network(tmp_path)
    assert len(exc.value.problems) == 51
    assert exc.value.problems[-1].value == n - 50


def test_a_million_edges_load_in_seconds(tmp_path):
    rng = np.random.default_rng(0)
    n, m = 200_000, 1_000_000
    ids = np.char.add("n", np.arange(n).astype(str))
    countries = np.array(["CHN", "AUS", "USA", "", "DEU"])[rng.integers(0, 5, n)]
    share = np.where(rng.random(m) < 0.3, np.nan, rng.random(m) * 0.01)
    net = Network(ids=ids, country=countries, kind=rng.integers(0, 3, n).astype(np.int8),
                  supplier=rng.integers(0, n, m), customer=rng.integers(0, n, m), share=share)
    write_network(net, tmp_path)
    started = time.perf_counter()
    back = read_network(tmp_path)
    took = time.perf_counter() - started
    assert back.n_edges == m and back.n_nodes == n
    np.testing.assert_allclose(back.share, net.share, rtol=1e-12)
    assert took < 15, f"reading took {took:.1f} s"


def test_bill_of_materials_in_parquet_and_a_byte_order_mark(tmp_path):
    frame = pd.read_csv(SAMPLES / "bom_toy" / "bom.csv")
    frame.to_parquet(tmp_path / "bom.parquet")
    net = read_network(tmp_path / "bom.parquet")
    csv_net = read_bom(SAMPLES / "bom_toy" / "bom.csv")
    assert net.ids.tolist() == csv_net.ids.tolist()
    np.testing.assert_allclose(net.share, csv_net.share)
    (tmp_path / "nodes.csv").write_bytes(b"\xef\xbb\xbfid,country,kind\na,CHN,source\n")
    (tmp_path / "edges.csv").write_text("supplier,customer,share\n")
    assert read_nodes_edges(tmp_path / "nodes.csv", tmp_path / "edges.csv").ids.tolist() == ["a"]
    (tmp_path / "edges.csv").write_text("supplier,supplier,customer\n")
    with pytest.raises(IngestError) as exc:
        read_nodes_edges(tmp_path / "nodes.csv", tmp_path / "edges.csv")
    assert "repeated column names" in exc.value.problems[0].expected
