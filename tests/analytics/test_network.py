"""The supply-network container: edges by id become node numbers; bad input is named."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.analytics.network import END, SOURCE, from_arrays


def test_edges_by_id_become_node_numbers():
    net = from_arrays(["mine", "fab", "radar"], ["CHN", "USA", "USA"],
                      ["source", "intermediate", "end"], ["mine", "fab"], ["fab", "radar"],
                      [np.nan, 0.5])  # fmt: skip
    assert net.supplier.tolist() == [0, 1] and net.customer.tolist() == [1, 2]
    assert net.kind.tolist() == [SOURCE, 1, END]
    assert net.adjacency().toarray().tolist() == [[0, 1, 0], [0, 0, 1], [0, 0, 0]]
    assert net.index_of("radar") == 2


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"customer": ["fab", "ghost"]}, "edge 2: customer 'ghost' is not a node"),
    ({"ids": ["mine", "mine", "radar"]}, "node id 'mine' appears more than once"),
    ({"kind": ["source", "smelter", "end"]}, "kind 'smelter'"),
])  # fmt: skip
def test_bad_networks_are_named(kwargs, message):
    args = {"ids": ["mine", "fab", "radar"], "country": ["CHN", "USA", "USA"],
            "kind": ["source", "intermediate", "end"], "supplier": ["mine", "fab"],
            "customer": ["fab", "radar"], "share": [np.nan, 0.5], **kwargs}
    with pytest.raises(ValueError, match=message):
        from_arrays(args["ids"], args["country"], args["kind"], args["supplier"],
                    args["customer"], args["share"])
