"""The exposure engine on hand-worked networks: a chain, a diamond, a cycle with
leakage, a closed cycle, parallel edges, an isolated node, and many target columns."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.analytics.exposure import (
    any_tier,
    chokepoints,
    country_exposure,
    input_shares,
    paths,
    targets_for,
    weighted,
    what_if,
)
from critmin.analytics.network import from_arrays

NAN = np.nan


def net_of(kinds: str, edges: list[tuple[str, str, float]], countries: str | None = None):
    """Nodes named a, b, c, ... with kinds from a string like 'sie' (s/i/e)."""
    ids = [chr(ord("a") + i) for i in range(len(kinds))]
    kind = [{"s": "source", "i": "intermediate", "e": "end"}[k] for k in kinds]
    country = list(countries) if countries else ["CHN"] * len(ids)
    return from_arrays(ids, country, kind, [e[0] for e in edges], [e[1] for e in edges],
                       [e[2] for e in edges])


def test_chain_and_input_share_rule():
    net = net_of("sie", [("a", "b", NAN), ("b", "c", NAN)])
    t = targets_for(net, node_ids=["a"])
    assert any_tier(net, t).tolist() == [True, True, True]
    assert weighted(net, t).tolist() == [1.0, 1.0, 1.0]
    # known 0.3 kept, two unknowns split 0.7; row sums to 1
    net = net_of("sssi", [("a", "d", 0.3), ("b", "d", NAN), ("c", "d", NAN)])
    assert input_shares(net).toarray()[3].tolist() == pytest.approx([0.3, 0.35, 0.35, 0.0])
    # known shares over-full: unknown gets 0, then normalised
    net = net_of("sssi", [("a", "d", 0.9), ("b", "d", 0.6), ("c", "d", NAN)])
    assert input_shares(net).toarray()[3].tolist() == pytest.approx([0.6, 0.4, 0.0, 0.0])


def test_diamond_weights_by_share():
    # a feeds b and c; d takes 0.25 of its input from b and 0.75 from c
    net = net_of("siie", [("a", "b", NAN), ("a", "c", NAN), ("b", "d", 0.25), ("c", "d", 0.75)],
                 countries=["CHN", "JPN", "KOR", "USA"])
    t = targets_for(net, countries=["JPN"])
    assert any_tier(net, t).tolist() == [False, True, False, True]
    assert weighted(net, t).tolist() == pytest.approx([0, 1, 0, 0.25])
    res = country_exposure(net, t)
    assert res["end_products"] == 1 and res["exposed"] == 1 and res["share"] == 1.0
    assert res["weighted_mean"] == pytest.approx(0.25)
    assert res["per_node"]["ids"].tolist() == ["d"]


def test_cycle_with_leakage_is_the_least_solution():
    # b and c supply each other; b takes half its input from a (target), c half from b
    # and half from d (not a target): w_b = 0.5 + 0.5 w_c, w_c = 0.5 w_b -> w_b = 2/3.
    net = net_of("siiie", [("a", "b", 0.5), ("c", "b", 0.5), ("b", "c", 0.5), ("d", "c", 0.5),
                           ("c", "e", NAN)])
    t = targets_for(net, node_ids=["a"])
    w = weighted(net, t)
    assert w == pytest.approx([1, 2 / 3, 1 / 3, 0, 1 / 3])
    assert any_tier(net, t).tolist() == [True, True, True, False, True]


def test_closed_cycle_gets_zero_and_breaks_nothing():
    # b <-> c supply only each other (spectral radius 1): least solution 0; a target
    # inside the cycle makes the whole cycle 1.
    net = net_of("siie", [("b", "c", NAN), ("c", "b", NAN), ("c", "d", NAN), ("a", "d", NAN)])
    t = targets_for(net, node_ids=["a"])
    assert weighted(net, t) == pytest.approx([1, 0, 0, 0.5])
    t = targets_for(net, node_ids=["b"])
    assert weighted(net, t) == pytest.approx([0, 1, 1, 0.5])
    assert any_tier(net, t).tolist() == [False, True, True, True]


def test_parallel_edges_add_up_and_self_loops_are_dropped():
    net = net_of("sie", [("a", "c", 0.2), ("a", "c", 0.2), ("b", "c", 0.6), ("c", "c", 0.5)])
    assert input_shares(net).toarray()[2].tolist() == pytest.approx([0.4, 0.6, 0])
    assert weighted(net, targets_for(net, node_ids=["a"])) == pytest.approx([1, 0, 0.4])


def test_isolated_node_and_many_columns_at_once():
    net = net_of("siiee", [("a", "b", NAN), ("b", "d", NAN), ("c", "d", NAN)],
                 countries=["AUS", "CHN", "CHN", "USA", "DEU"])
    cols = np.stack([targets_for(net, countries=[c]) for c in ["AUS", "CHN", "USA", "DEU"]]
                    + [np.zeros(5, bool)] * 70, axis=1)
    reach = any_tier(net, cols)
    assert reach.shape == (5, 74)
    assert reach[:, 0].tolist() == [True, True, False, True, False]
    assert reach[:, 3].tolist() == [False, False, False, False, True]  # isolated e: itself
    assert not reach[:, 4:].any()
    w = weighted(net, cols)
    assert w[:, 0] == pytest.approx([1, 1, 0, 0.5, 0])
    assert w[:, 1] == pytest.approx([0, 1, 1, 1, 0])


def test_what_if_removes_nodes_and_edges():
    net = net_of("ssiie", [("a", "c", NAN), ("b", "d", NAN), ("c", "e", 0.7), ("d", "e", 0.3)])
    res = what_if(net, remove_nodes=[2])
    assert res["cut"].tolist() == [False] and res["supply_lost"] == pytest.approx([0.7])
    res = what_if(net, remove_edges=[2, 3])
    assert res["cut"].tolist() == [True] and res["supply_lost"] == pytest.approx([1.0])
    assert res["end_products_cut"] == 1 and res["mean_supply_lost"] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="remove_nodes"):
        what_if(net, remove_nodes=[9])


def test_paths_keeps_nodes_between_targets_and_the_end_product():
    net = net_of("ssiie", [("a", "c", NAN), ("b", "d", NAN), ("c", "e", NAN), ("d", "e", NAN)])
    res = paths(net, 4, targets_for(net, node_ids=["a"]))
    assert res["ids"].tolist() == ["a", "c", "e"] and res["truncated"] is False
    pairs = zip(res["supplier"].tolist(), res["customer"].tolist(), strict=True)
    assert sorted(pairs) == [(0, 2), (2, 4)]
    assert res["hops"].tolist() == [2, 1, 0]
    res = paths(net, 4, targets_for(net, node_ids=["a"]), max_nodes=2)
    assert res["ids"].tolist() == ["c", "e"] and res["truncated"] is True


def test_bad_targets_are_named():
    net = net_of("si", [("a", "b", NAN)])
    with pytest.raises(ValueError, match="'zz' is not a node"):
        targets_for(net, node_ids=["zz"])
    with pytest.raises(ValueError, match="shape"):
        any_tier(net, np.zeros(3, bool))


def test_chokepoints_hand_worked():
    # a (source) -> b -> {c, d} -> e (end); b and the edge a->b cut e; c, d do not.
    net = net_of("siiie", [("a", "b", NAN), ("b", "c", 0.4), ("b", "d", 0.6), ("c", "e", 0.5),
                           ("d", "e", 0.5)], countries=["AUS", "CHN", "JPN", "KOR", "USA"])
    got = chokepoints(net, top=10)
    assert [(c["kind"], c["id"], c["end_products_cut"]) for c in got] == [
        ("node", "a", 1), ("edge", "a->b", 1), ("node", "b", 1)]  # ties ranked by id
    assert all(c["weighted_supply_lost"] == pytest.approx(1.0) for c in got)
    assert got[1]["country"] == "AUS" and got[1]["index"] == 0
    assert [c["kind"] for c in chokepoints(net, top=10, edges=False)] == ["node", "node"]


def test_chokepoints_parallel_edges_and_cycles():
    # two parallel edges a->b never cut; b <-> c is a cycle entered at b only, so b
    # dominates c and d; c->d is d's only way in.
    net = net_of("siie", [("a", "b", NAN), ("a", "b", NAN), ("b", "c", NAN), ("c", "b", NAN),
                          ("c", "d", NAN)])
    got = {(c["kind"], c["id"]): c["end_products_cut"] for c in chokepoints(net, top=10)}
    assert got == {("node", "a"): 1, ("node", "b"): 1, ("node", "c"): 1, ("edge", "b->c"): 1,
                   ("edge", "c->d"): 1}
    # an end product with no source upstream is cut by nothing
    net = net_of("iie", [("a", "b", NAN), ("b", "a", NAN), ("b", "c", NAN)])
    assert chokepoints(net) == []
