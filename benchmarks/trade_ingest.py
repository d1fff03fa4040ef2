"""Trade ingest benchmark: our import path against ``pandas.read_csv`` + ``to_sql``.

A seeded synthetic file in CEPII BACI's layout (``t,i,j,k,v,q``; invented numbers, real
CEPII country codes from the bundled table) is ingested into SQLite and PostgreSQL:

* **ours**: ``critmin.services.trade.import_file`` (chunked typed read, vectorised checks
  and country mapping, flows stored as columnar blocks per HS code and chunk, written by
  ``executemany`` or, on PostgreSQL for many small blocks, binary ``COPY``; one
  transaction);
* **baseline**: ``pandas.read_csv`` of the whole file, then ``DataFrame.to_sql`` with
  the chunk size and method pandas' documentation suggests for each backend (SQLite:
  the default executemany or ``method="multi"``; PostgreSQL: the ``COPY`` callable of
  pandas' documentation or ``"multi"``); ``--sweep`` measures several and the best is
  reported.

Each run is a fresh subprocess, so its peak memory (``VmHWM``) is its own. Prints
rows/s, peak RSS and the throughput ratio (ours / baseline). ``--rows`` sets the size,
``--hs-codes`` how many distinct HS codes the file has (block size follows).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
HS_CODES = np.array([250410, 250490, 252922, 260200, 260400, 260600, 260800, 260900,
                     261000, 261100, 261400, 261710, 280480, 282200, 282520, 283691,
                     711011, 810110, 810310, 811230, 10111, 20110])  # fmt: skip
BASELINES = {
    "sqlite": [("executemany", None, 10_000)],
    "postgres": [("copy", "copy", 10_000)],
}
SWEEP = {
    "sqlite": [("executemany", None, 10_000), ("executemany", None, 50_000),
               ("executemany", None, 200_000), ("multi", "multi", 1_000),
               ("multi", "multi", 5_000)],
    "postgres": [("copy", "copy", 10_000), ("copy", "copy", 100_000),
                 ("copy", "copy", 500_000), ("multi", "multi", 1_000),
                 ("multi", "multi", 5_000), ("executemany", None, 50_000)],
}  # fmt: skip


def synthetic_baci(path: Path, rows: int, seed: int = 7, chunk: int = 1_000_000,
                   hs_codes: int = 0) -> Path:  # fmt: skip
    """Write ``rows`` invented flows in BACI's layout (about 10 % without a quantity);
    HS codes from :data:`HS_CODES`, or ``hs_codes`` distinct invented six-digit codes
    (BACI has about 5,000 a year)."""
    from critmin.ingest.countries import read_baci_country_codes

    codes = read_baci_country_codes()["baci_code"].to_numpy()
    rng = np.random.default_rng(seed)
    products = (np.sort(rng.choice(np.arange(10_100, 970_000), hs_codes, replace=False))
                if hs_codes else HS_CODES)  # fmt: skip
    with path.open("w", newline="") as out:
        out.write("t,i,j,k,v,q\n")
        for start in range(0, rows, chunk):
            n = min(chunk, rows - start)
            q = np.round(rng.lognormal(3, 2, n), 3).astype(str)
            q[rng.random(n) < 0.1] = "NA"
            frame = pd.DataFrame({
                "t": rng.integers(1995, 2025, n), "i": rng.choice(codes, n),
                "j": rng.choice(codes, n), "k": rng.choice(products, n),
                "v": np.round(rng.lognormal(4, 2, n), 3), "q": q,
            })  # fmt: skip
            frame.to_csv(out, header=False, index=False)
    return path


def psql_insert_copy(table: Any, conn: Any, keys: list[str], data_iter: Any) -> int:
    """The ``method`` callable of pandas' ``to_sql`` documentation (COPY via psycopg 3)."""
    dbapi_conn = conn.connection
    with dbapi_conn.cursor() as cur:
        buffer = io.StringIO()
        csv.writer(buffer).writerows(data_iter)
        buffer.seek(0)
        columns = ", ".join(f'"{k}"' for k in keys)
        name = f"{table.schema}.{table.name}" if table.schema else table.name
        with cur.copy(f"COPY {name} ({columns}) FROM STDIN WITH CSV") as copy:
            copy.write(buffer.read())
    return 0


def peak_rss_mb() -> float:
    """This process's peak resident memory in MB: ``VmHWM`` (Linux; reset by ``exec``,
    unlike ``ru_maxrss``, which a child inherits from its parent), else ``ru_maxrss``."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _fresh_pg(name: str) -> str:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return PG_ADMIN.rsplit("/", 1)[0] + f"/{name}"


def _drop_pg(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def run_one(kind: str, backend: str, file: Path, workdir: Path, method: str | None,
            chunksize: int) -> dict[str, Any]:  # fmt: skip
    """One measured run in this process (called in a fresh subprocess)."""
    from sqlalchemy import create_engine

    from critmin.store.db import make_engine, transaction
    from critmin.store.migrate import upgrade

    name = f"bench_trade_{kind}"
    url = _fresh_pg(name) if backend == "postgres" else f"sqlite:///{workdir / (name + '.db')}"
    if backend == "sqlite":
        (workdir / f"{name}.db").unlink(missing_ok=True)
    rss_before = peak_rss_mb()
    try:
        if kind == "ours":
            from critmin.services import trade
            from critmin.services.auth import LOCAL

            upgrade(url)
            engine = make_engine(url)
            started = time.perf_counter()
            with transaction(engine) as session:
                summary = trade.import_file(session=session, caller=LOCAL, source=file,
                                            file=str(file), layout="baci")  # fmt: skip
            seconds = time.perf_counter() - started
            rows = summary["rows"]
        else:
            engine = create_engine(url)
            started = time.perf_counter()
            frame = pd.read_csv(file)
            how = psql_insert_copy if method == "copy" else method
            frame.to_sql("baci_baseline", engine, if_exists="replace", index=False,
                         chunksize=chunksize, method=how)  # fmt: skip
            seconds = time.perf_counter() - started
            rows = len(frame)
        engine.dispose()
    finally:
        if backend == "postgres":
            _drop_pg(name)
    peak = peak_rss_mb()
    return {"kind": kind, "backend": backend, "method": method, "chunksize": chunksize,
            "rows": rows, "seconds": round(seconds, 2), "rows_per_s": round(rows / seconds),
            "peak_rss_mb": round(peak), "start_rss_mb": round(rss_before)}


def measure(kind: str, backend: str, file: Path, workdir: Path, method: str | None = None,
            chunksize: int = 0) -> dict[str, Any]:  # fmt: skip
    """Run :func:`run_one` in a fresh subprocess and return its figures."""
    args = [sys.executable, __file__, "--child", kind, backend, str(file), str(workdir),
            str(method), str(chunksize)]  # fmt: skip
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{kind} on {backend} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _line(r: dict[str, Any]) -> str:
    how = "critmin import" if r["kind"] == "ours" else f"to_sql {r['method_label']}, " \
          f"chunksize={r['chunksize']}"  # fmt: skip
    return (f"  {r['backend']:<8} {r['kind']:<8} {how:<40} {r['rows']:>9,} rows "
            f"{r['seconds']:>8.2f} s {r['rows_per_s']:>10,} rows/s  peak RSS "
            f"{r['peak_rss_mb']:>6,} MB")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--hs-codes", type=int, default=0,
                        help="Distinct invented HS codes (default: the 22 of HS_CODES).")
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--sweep", action="store_true", help="Try several baseline settings.")
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--json-out", type=Path, default=None)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(dir=args.workdir) as tmp:
        workdir = Path(tmp)
        file = synthetic_baci(workdir / "baci-synthetic.csv", args.rows, args.seed,
                              hs_codes=args.hs_codes)  # fmt: skip
        products = args.hs_codes or len(HS_CODES)
        print(f"synthetic BACI file: {args.rows:,} rows, seed {args.seed}, {products:,} HS "
              f"codes, {file.stat().st_size / 1e6:,.0f} MB")  # fmt: skip
        results = []
        for backend in args.backends.split(","):
            ours = measure("ours", backend, file, workdir)
            ours["method_label"] = ""
            base = []
            for label, method, chunksize in (SWEEP if args.sweep else BASELINES)[backend]:
                r = measure("baseline", backend, file, workdir, method, chunksize)
                r["method_label"] = label
                base.append(r)
            best = max(base, key=lambda r: r["rows_per_s"])
            print(f"{backend}:")
            for r in [ours, *base]:
                print(_line(r))
            ratio = ours["rows_per_s"] / best["rows_per_s"]
            print(f"  {backend}: ours / best baseline ({best['method_label']}, chunksize="
                  f"{best['chunksize']}) = {ratio:.2f}x throughput; peak RSS "
                  f"{ours['peak_rss_mb']} MB vs {best['peak_rss_mb']} MB")  # fmt: skip
            results += [ours, *base]
    if args.json_out:
        args.json_out.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, backend, file, workdir, method, chunksize = sys.argv[2:8]
        result = run_one(kind, backend, Path(file), Path(workdir),
                         None if method == "None" else method, int(chunksize))  # fmt: skip
        print(json.dumps(result))
        raise SystemExit(0)
    raise SystemExit(main())
