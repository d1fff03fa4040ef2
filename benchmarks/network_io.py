"""Supply-network reading benchmark: our checked reader against a plain pandas read.

A SYNTHETIC network (``critmin.analytics.network_synth``, seeded; invented firms) is
written as ``nodes.csv`` + ``edges.csv`` and read back:

* **ours**: ``critmin.ingest.network.read_network`` — pyarrow CSV parsing, every cell
  checked (ids unique, endpoints known, kinds, ISO3 countries, shares in 0..1 and their
  sums per customer), endpoints resolved by hashing;
* **baseline**: ``pandas.read_csv(dtype=str)`` of both files and
  ``critmin.analytics.network.from_arrays`` (the container's own constructor: sorted-id
  lookup of the endpoints), with no cell checks at all.

Then the stored form: the network encoded as the store keeps it (Parquet blobs, edges by
node number) and decoded, against reading the CSV files again. Prints seconds and the
ratios (baseline / ours). ``--nodes`` and ``--edges`` set the size.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def timed(work: Callable[[], Any], repeat: int) -> tuple[float, Any]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - started)
    return best, result


def baseline(folder: Path) -> Any:
    from critmin.analytics.network import from_arrays

    nodes = pd.read_csv(folder / "nodes.csv", dtype=str, keep_default_na=False)
    edges = pd.read_csv(folder / "edges.csv", dtype=str, keep_default_na=False)
    share = pd.to_numeric(edges["share"].where(edges["share"] != ""), errors="coerce")
    return from_arrays(nodes["id"].to_numpy(), nodes["country"].to_numpy(),
                       nodes["kind"].to_numpy(), edges["supplier"].to_numpy(),
                       edges["customer"].to_numpy(), share.to_numpy())  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=200_000)
    parser.add_argument("--edges", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()

    from critmin.ingest.network import read_network
    from critmin.services import exposure_store
    from critmin.services.exposure import generate

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        made = generate(n_nodes=args.nodes, n_edges=args.edges, seed=args.seed, folder=folder)
        size = sum((folder / f).stat().st_size for f in ("nodes.csv", "edges.csv")) / 1e6
        print(f"SYNTHETIC network: {made['nodes']:,} nodes, {made['edges']:,} edges, "
              f"{size:.1f} MB of CSV")
        ours_s, ours = timed(lambda: read_network(folder), args.repeat)
        base_s, base = timed(lambda: baseline(folder), args.repeat)
        assert np.array_equal(ours.supplier, base.supplier)
        assert np.allclose(ours.share, base.share, equal_nan=True)
        print(f"read CSV, every cell checked (ours):      {ours_s:7.2f} s")
        print(f"pandas read_csv + from_arrays, unchecked: {base_s:7.2f} s")
        print(f"ratio baseline / ours:                    {base_s / ours_s:7.2f}x")
        blobs = exposure_store.encode(ours)
        stored = sum(len(b) for b in blobs) / 1e6
        load_s, back = timed(lambda: exposure_store.decode(*blobs), args.repeat)
        assert np.array_equal(back.customer, ours.customer)
        print(f"stored form: {stored:.1f} MB; decoded in {load_s:.2f} s "
              f"({ours_s / load_s:.1f}x faster than reading the CSV)")


if __name__ == "__main__":
    main()
