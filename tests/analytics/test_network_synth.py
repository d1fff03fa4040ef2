"""The synthetic network generator: sizes, determinism, labels and the promised shape."""

from __future__ import annotations

import numpy as np
import pytest

from critmin.analytics.exposure import structure
from critmin.analytics.network import END, SOURCE
from critmin.analytics.network_synth import PROCESS_MIX, SOURCE_MIX, generate


def test_sizes_labels_and_determinism():
    a = generate(5000, 25000, seed=3)
    b = generate(5000, 25000, seed=3)
    c = generate(5000, 25000, seed=4)
    assert a.n_nodes == 5000 and a.n_edges == 25000
    assert all(i.startswith("SYN-") for i in a.ids)  # always labelled synthetic
    assert np.array_equal(a.supplier, b.supplier) and np.array_equal(a.ids, b.ids)
    assert np.array_equal(a.share, b.share, equal_nan=True)
    assert not np.array_equal(a.supplier, c.supplier)


def test_shape_tiers_degrees_cycles_countries_and_missing_shares():
    net = generate(20000, 100000, seed=1)
    kind = net.kind
    assert (kind == SOURCE).mean() == pytest.approx(0.05, abs=0.01)
    assert (kind == END).mean() == pytest.approx(0.10, abs=0.01)
    has_supplier = np.zeros(net.n_nodes, bool)
    has_supplier[net.customer] = True
    assert has_supplier[kind != SOURCE].all()
    assert not np.isin(net.supplier, np.flatnonzero(kind == END)).any()
    out_deg = np.bincount(net.supplier, minlength=net.n_nodes)
    assert out_deg.max() > 50 * max(1.0, np.median(out_deg))  # heavy tail: hubs
    p = structure(net)
    assert p.cyclic.any()  # some cycles
    assert np.bincount(p.comp).max() < net.n_nodes // 10  # but no giant one
    assert np.isnan(net.share).mean() == pytest.approx(0.3, abs=0.02)
    assert set(net.country[kind == SOURCE]) <= set(SOURCE_MIX)
    assert set(net.country[kind == 1]) <= set(PROCESS_MIX)
    top = max(PROCESS_MIX, key=PROCESS_MIX.get)
    values, counts = np.unique(net.country[kind == 1], return_counts=True)
    assert values[np.argmax(counts)] == top
    assert set(net.mineral[kind == SOURCE]) - {""} and not set(net.mineral[kind != SOURCE]) - {""}


def test_bad_sizes_are_named():
    with pytest.raises(ValueError, match="n_edges must be >= "):
        generate(100, 10)
    with pytest.raises(ValueError, match="tiers"):
        generate(3, 10, tiers=6)
