"""Benchmark of the price-change alert condition on synthetic series (invented numbers).

Not a test; run it:

    .venv/bin/python benchmarks/monitor_bench.py [--series 1000] [--days 1000]

Generates ``--series`` daily random-walk series of ``--days`` observations each (a
clearly synthetic generator, seeded), then times
:func:`critmin.analytics.monitor.level_moves` ("up more than 40% within 30 days") over
all of them at once, and prints observations per second and the events found.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from critmin.analytics.monitor import level_moves


def synthetic_levels(series: int, days: int, seed: int = 7) -> pd.DataFrame:
    """Random-walk daily levels (5% daily volatility), one row per series and day."""
    rng = np.random.default_rng(seed)
    steps = rng.normal(0.0, 0.05, size=(series, days))
    values = 100.0 * np.exp(np.cumsum(steps, axis=1))
    dates = pd.date_range("2020-01-01", periods=days, freq="D")
    return pd.DataFrame({
        "series": np.repeat(np.arange(series), days), "first": np.tile(dates, series),
        "last": np.tile(dates, series), "value": values.ravel(), "qualifier": "exact",
    })  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--series", type=int, default=1000)
    parser.add_argument("--days", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    frame = synthetic_levels(args.series, args.days)
    best = float("inf")
    for _ in range(args.repeat):
        start = time.perf_counter()
        moves = level_moves(frame, 40.0, 30)
        best = min(best, time.perf_counter() - start)
    print(f"{len(frame):,} observations in {args.series:,} series: {best:.2f} s "
          f"({len(frame) / best:,.0f} observations/s), {len(moves):,} episodes found")


if __name__ == "__main__":
    main()
