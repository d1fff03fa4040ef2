"""Benchmark: scrap matching, and the legality of its pairs checked once per period
between the measures' change days vs once per distinct shipment date.

The listings are SYNTHETIC (random tungsten offers and requests in 15 countries, windows
starting over 2025-2026, coordinates at random per country; not real lots); the measures
are the bundled, cited ones, loaded into a temporary SQLite database. The matcher checks
each compatible pair's export legality on the first day both lots are available. The
named baseline ``per_date`` sends every distinct (item, origin, destination, date) to the
export-control engine (:func:`critmin.services.controls.check_many`), which is how the
matcher did it before; ``per_period`` is what :func:`critmin.services.scrap_match._legal`
does now: each date is replaced by the first day of its period between the change days
(:func:`critmin.analytics.rules.change_days`), so far fewer shipments are checked. Both
must give every pair the same verdict and measures. Not a test; run it:

    .venv/bin/python benchmarks/scrap_bench.py [--listings 300] [--seed 1]
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from critmin.domain.scrap import SCRAP_FORMS, scrap_types_for
from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.services import auth, controls, scrap, scrap_match
from critmin.services.auth import LOCAL
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade
from critmin.store.tables import Organisation, ScrapLot

COUNTRIES = ["CHN", "USA", "DEU", "JPN", "KOR", "VNM", "GBR", "FRA", "CAN", "AUT", "SWE",
             "BEL", "NLD", "ITA", "ESP"]  # fmt: skip
AS_OF = dt.date(2025, 1, 1)


def synthetic_listings(n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` offers and ``n`` requests of tungsten scrap (synthetic)."""
    rng = np.random.default_rng(seed)
    spot = {c: (float(rng.uniform(-40, 60)), float(rng.uniform(-120, 140))) for c in COUNTRIES}
    types = scrap_types_for("tungsten")

    def place() -> dict[str, Any]:
        c = str(rng.choice(COUNTRIES))
        start = AS_OF + dt.timedelta(days=int(rng.integers(0, 700)))
        return {"country": c, "lat": spot[c][0], "lon": spot[c][1],
                "available_from": start.isoformat(), "sharing": "public",
                "mineral": "tungsten", "quantity_t": float(rng.uniform(1, 50))}  # fmt: skip

    offers = [{**place(), "side": "offer", "scrap_types": [str(rng.choice(types))],
               "grade_pct": float(rng.uniform(40, 95)), "price_usd_per_t": 20000.0}
              for _ in range(n)]  # fmt: skip
    requests = [{**place(), "side": "request", "scrap_types": types, "grade_min_pct": 30.0,
                 "grade_max_pct": 99.0} for _ in range(n)]  # fmt: skip
    return offers + requests


def per_date(session: Any, pairs: list[tuple[ScrapLot, ScrapLot, dt.date]]) -> list[dict]:
    """Baseline: every distinct (item, origin, destination, date) checked as it is."""
    keys = [(SCRAP_FORMS[o.mineral], o.country, r.country, d) for o, r, d in pairs]
    cross = list(dict.fromkeys(k for k in keys if k[1] != k[2]))
    found = controls.check_many(session=session, caller=LOCAL, shipments=[
        {"item": i, "origin": a, "destination": b, "date": d} for i, a, b, d in cross])  # fmt: skip
    verdicts = dict(zip(cross, found, strict=True))
    return [verdicts[k] if k[1] != k[2] else {"verdict": "allowed", "measures": []}
            for k in keys]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=300, help="Offers (and requests).")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        upgrade(url, "head")
        engine = make_engine(url)
        with transaction(engine) as s:
            sync_catalogue(s)
            ensure_datasets(s)
            load_curated(s)
            auth.create_org(session=s, name="Synthetic recycler", groups=[])
        with transaction(engine) as s:
            owner = s.scalars(select(Organisation.id)).first()
            for data in synthetic_listings(args.listings, args.seed):
                scrap.add(session=s, caller=LOCAL, data=data, owner_org_id=owner)
        with transaction(engine) as s:
            offers = scrap.visible_rows(session=s, caller=LOCAL, mineral="tungsten",
                                        side="offer")  # fmt: skip
            requests = scrap.visible_rows(session=s, caller=LOCAL, mineral="tungsten",
                                          side="request")  # fmt: skip
            start = time.perf_counter()
            out = scrap_match.matches(session=s, caller=LOCAL, mineral="tungsten", as_of=AS_OF)
            whole = time.perf_counter() - start
            by_id = {x.id: x for x in offers + requests}
            pairs = [(by_id[x["offer"]["id"]], by_id[x["request"]["id"]],
                      dt.date.fromisoformat(x["window"]["from"]))
                     for x in out["matches"]]  # fmt: skip
            start = time.perf_counter()
            new = scrap_match._legal(s, LOCAL, pairs)
            fast = time.perf_counter() - start
            start = time.perf_counter()
            old = per_date(s, pairs)
            slow = time.perf_counter() - start
            changes = controls.change_days(session=s, caller=LOCAL)
        engine.dispose()
    def keys(g: dict) -> list[str]:
        return [m["key"] for m in g["measures"]]

    same = all(a["verdict"] == b["verdict"] and keys(a) == keys(b)
               for a, b in zip(new, old, strict=True))  # fmt: skip
    assert same, "per-period and per-date legality differ"
    dates = len({d for _o, _r, d in pairs})
    counts: dict[str, int] = {}
    for g in new:
        counts[g["verdict"]] = counts.get(g["verdict"], 0) + 1
    print(f"listings: {len(offers)} offers x {len(requests)} requests (synthetic); "
          f"{len(pairs):,} pairs on {dates} distinct dates; {len(changes)} change days "
          f"(bundled measures); verdicts {counts}")  # fmt: skip
    print(f"whole match call: {whole:.2f} s")
    print(f"legality per period: {fast:.2f} s; per date (baseline): {slow:.2f} s "
          f"({slow / fast:.1f}x); same verdicts and measures for every pair")


if __name__ == "__main__":
    main()
