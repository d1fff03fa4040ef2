"""Benchmark: the vectorised shipment check vs checking shipments one at a time.

The shipments are SYNTHETIC (random minerals, dates 2023-2027, destinations, transit
countries and end uses; not real trade); the measures are the bundled, cited ones,
loaded into a temporary SQLite database. The vectorised engine
(:func:`critmin.analytics.rules.check`) takes the whole batch at once; the named
baseline ``one_at_a_time`` calls it once per shipment, as a per-row loop would. Both
must give the same verdicts. Not a test; run it:

    .venv/bin/python benchmarks/controls_bench.py [--shipments 100000] [--loop 2000]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from critmin.analytics import rules
from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.services import controls
from critmin.services.auth import LOCAL
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade


def synthetic_shipments(n: int, seed: int = 1) -> pd.DataFrame:
    """``n`` random shipments from China (synthetic)."""
    rng = np.random.default_rng(seed)
    minerals = rng.choice(["gallium", "germanium", "antimony", "tungsten", "indium"], n)
    return pd.DataFrame({
        "minerals": [[m] for m in minerals], "technology": rng.random(n) < 0.1, "hs": None,
        "origin": "CHN", "destination": rng.choice(["USA", "DEU", "JPN", "KOR"], n),
        "via": rng.choice(np.array([None, "VNM", "MYS"], dtype=object), n),
        "date": pd.Timestamp("2023-01-01") + pd.to_timedelta(rng.integers(0, 1700, n), "D"),
        "end_use": rng.choice(np.array([None, "civil", "military"], dtype=object), n),
    })  # fmt: skip


def one_at_a_time(shipments: pd.DataFrame, measures: pd.DataFrame) -> list[str]:
    """Baseline: the same engine called once per shipment (a per-row loop)."""
    return [str(rules.check(shipments.iloc[[i]].reset_index(drop=True), measures)[0]
                ["verdict"].iloc[0]) for i in range(len(shipments))]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shipments", type=int, default=100_000)
    parser.add_argument("--loop", type=int, default=2_000, help="Shipments for the baseline.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url, "head")
        engine = make_engine(url)
        with transaction(engine) as s:
            sync_catalogue(s)
            ensure_datasets(s)
            load_curated(s)
        with transaction(engine) as s:
            rows, related = controls._visible_rows(s, LOCAL)
            measures = controls._frame(rows, related)
        engine.dispose()
    ships = synthetic_shipments(args.shipments)
    start = time.perf_counter()
    verdicts, links = rules.check(ships, measures)
    fast = time.perf_counter() - start
    sample = ships.iloc[: args.loop].reset_index(drop=True)
    start = time.perf_counter()
    slow_verdicts = one_at_a_time(sample, measures)
    slow = time.perf_counter() - start
    assert slow_verdicts == list(verdicts["verdict"].iloc[: args.loop]), "verdicts differ"
    counts = verdicts["verdict"].value_counts().to_dict()
    print(f"measures: {len(measures)} (bundled); shipments: {len(ships):,} (synthetic)")
    print(f"vectorised: {fast:.2f} s, {len(ships) / fast:,.0f} shipments/s; "
          f"{len(links):,} measure links; verdicts {counts}")  # fmt: skip
    print(f"one at a time: {slow:.2f} s for {args.loop:,}, {args.loop / slow:,.0f} shipments/s "
          f"({(len(ships) / fast) / (args.loop / slow):.0f}x slower); same verdicts")


if __name__ == "__main__":
    main()
