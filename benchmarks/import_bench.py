"""Benchmark: bulk project import (``critmin import projects``) vs a plain executemany.

The rows are SYNTHETIC (made-up projects: keys ``synthetic-N``, names ``Synthetic
project N``, one synthetic source each), written to a temporary exchange-format CSV:
every row has a capacity, a ramp-up point, two partners, a funding figure, one history
entry, one source and notes. Not a test; run it:

    .venv/bin/python benchmarks/import_bench.py [--rows 20000] [--backends sqlite,postgres]

Each measurement runs in its own fresh Python process, on a fresh migrated database:

* **critmin**: ``critmin import projects FILE`` in-process through its service
  (:func:`critmin.services.projects.import_file` in one transaction, as the command
  does): stream, validate, stage, then one write phase;
* **baseline** ``executemany``: the same CSV read with the ``csv`` module and inserted
  with the driver's plain ``cursor.executemany`` into the same tables (projects, their
  capacity points and events, one change-log row each), in one transaction, with no
  validation, merging or sharing rules.

Printed per target: wall seconds, rows per second, CPU seconds of the process (user +
system; steadier than wall time on a shared machine; the database server's own CPU is
not counted), the seconds the write transaction lasted (critmin: first write to commit,
the time other writers may wait) and the peak resident memory of the process
(``ru_maxrss``) above its size before the import; then the ratios critmin/baseline.
PostgreSQL is the server at ``CRITMIN_BENCH_PG`` / ``CRITMIN_TEST_PG`` (default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``);
each run makes a fresh database and drops it afterwards.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

COLUMNS = (
    "key", "name", "mineral", "form", "stage", "feed", "feed_note", "operator", "partners",
    "country", "site", "status", "capacity_tpa", "capacity_by_year", "start_year", "end_year",
    "financing_needed_usd", "financing_committed_usd", "capex_amount", "capex_currency",
    "funding_sources", "milestones", "offtakers", "sharing", "notes", "history", "sources",
)  # fmt: skip
PG_ADMIN = os.environ.get(
    "CRITMIN_BENCH_PG",
    os.environ.get("CRITMIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)
STATUSES = ("announced", "feasibility", "permitting", "financed", "construction")
COUNTRIES = ("CAN", "AUS", "JPN", "DEU", "USA", "KAZ", "GRC", "FRA")


def write_synthetic_csv(path: Path, n: int) -> None:
    """``n`` synthetic exchange-format rows (invented projects, not real data)."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(COLUMNS)
        for i in range(n):
            row = dict.fromkeys(COLUMNS, "") | {
                "key": f"synthetic-{i}", "name": f"Synthetic project {i}",
                "mineral": "gallium" if i % 3 else "tungsten", "stage": "refining",
                "operator": f"Synthetic operator {i % 97}", "partners": "Synthetic A|Synthetic B",
                "country": COUNTRIES[i % len(COUNTRIES)], "status": STATUSES[i % len(STATUSES)],
                "capacity_tpa": str(5 + i % 95), "capacity_by_year": f"{2027 + i % 5}:{i % 40}",
                "start_year": str(2027 + i % 6), "financing_needed_usd": str(1_000_000 + i),
                "history": json.dumps([{"date": "2025-06-01", "status": "announced",
                                        "note": "synthetic"}]),
                "sources": json.dumps([{"document": "synthetic", "title": "Synthetic data",
                                        "locator": f"row {i}"}]),
                "sharing": "public", "notes": f"Synthetic benchmark row {i}.",
            }  # fmt: skip
            writer.writerow([row[c] for c in COLUMNS])


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ---------------------------------------------------------------- children


def child_critmin(url: str, path: Path) -> dict[str, float]:
    from sqlalchemy import event

    from critmin.services.projects import import_file
    from critmin.store.db import make_engine, transaction

    engine = make_engine(url)
    marks: dict[str, float] = {}

    def on_write(conn, cursor, statement, *args):
        if "write" not in marks and statement.lstrip()[:6].upper() in ("INSERT", "UPDATE"):
            marks["write"] = time.perf_counter()

    event.listen(engine, "before_cursor_execute", on_write)
    before, cpu = _rss_mb(), _cpu()
    started = time.perf_counter()
    with transaction(engine) as session:
        report = import_file(session=session, path=path, actor="benchmark")
    ended = time.perf_counter()
    engine.dispose()
    return {
        "seconds": ended - started,
        "write_seconds": ended - marks.get("write", ended),
        "rows": report.count("created"),
        "cpu_seconds": _cpu() - cpu,
        "peak_mb": _rss_mb() - before,
    }


def _number(text: str, cast: type) -> object:
    return cast(text) if text else None


def child_baseline(url: str, path: Path) -> dict[str, float]:
    """A plain DBAPI executemany of the same rows into the same tables."""
    from critmin.store.db import make_engine

    engine = make_engine(url)
    before, cpu = _rss_mb(), _cpu()
    started = time.perf_counter()
    raw = engine.raw_connection()
    mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    cols = [c for c in COLUMNS if c not in ("capacity_by_year", "history")]
    names = cols  # the CSV columns that are projects columns, by the same names
    floats = {"capacity_tpa", "financing_needed_usd", "financing_committed_usd", "capex_amount"}
    ints = {"start_year", "end_year"}
    lists = {"partners", "funding_sources", "milestones", "offtakers", "sources"}
    projects, points, events = [], [], []
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            values = []
            for c in cols:
                text = row[c]
                if c in floats:
                    values.append(_number(text, float))
                elif c in ints:
                    values.append(_number(text, int))
                elif c == "partners":
                    values.append(json.dumps(text.split("|") if text else []))
                elif c in lists:
                    values.append(text or "[]")
                else:
                    values.append(text or None)
            projects.append(values)
            year, _, cap = row["capacity_by_year"].partition(":")
            points.append((row["key"], int(year), float(cap)))
            for e in json.loads(row["history"] or "[]"):
                events.append((row["key"], e["date"], e.get("status"), e.get("note")))
    cur = raw.cursor()
    cur.executemany(
        f"INSERT INTO projects ({', '.join(names)}, section_sharing, version, capacity_unit)"
        f" VALUES ({', '.join([mark] * len(names))}, '{{}}', 1, 't/yr')",
        projects,
    )
    cur.execute("SELECT key, id FROM projects")
    ids = dict(cur.fetchall())
    cur.executemany(
        f"INSERT INTO project_capacity (project_id, year, capacity_tpa) VALUES ({mark}, {mark},"
        f" {mark})",
        [(ids[k], y, c) for k, y, c in points],
    )
    cur.executemany(
        f"INSERT INTO project_events (project_id, date, status, note) VALUES ({mark}, {mark},"
        f" {mark}, {mark})",
        [(ids[k], d, s, n) for k, d, s, n in events],
    )
    cur.executemany(
        "INSERT INTO change_log (table_name, record_id, record_key, action, actor, changed_at,"
        f" changes) VALUES ('projects', {mark}, {mark}, 'create', 'benchmark', CURRENT_TIMESTAMP,"
        f" {mark})",
        [(ids[p[0]], p[0], json.dumps(dict(zip(names, p, strict=True)))) for p in projects],
    )
    raw.commit()
    ended = time.perf_counter()
    raw.close()
    engine.dispose()
    return {
        "seconds": ended - started,
        "write_seconds": ended - started,
        "rows": len(projects),
        "cpu_seconds": _cpu() - cpu,
        "peak_mb": _rss_mb() - before,
    }


# ---------------------------------------------------------------- driver


def _fresh_database(backend: str, folder: Path) -> tuple[str, object]:
    from sqlalchemy import create_engine, text

    from critmin.store.migrate import upgrade

    if backend == "sqlite":
        url = f"sqlite:///{folder / f'bench-{uuid.uuid4().hex[:8]}.db'}"
        upgrade(url)
        return url, None
    name = f"critmin_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{PG_ADMIN.rsplit('/', 1)[0]}/{name}"
    upgrade(url)
    return url, (admin, name)


def _drop(handle: object) -> None:
    if handle is None:
        return
    from sqlalchemy import text

    admin, name = handle  # type: ignore[misc]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def measure(target: str, backend: str, path: Path, folder: Path) -> dict[str, float]:
    url, handle = _fresh_database(backend, folder)
    try:
        out = subprocess.run(
            [sys.executable, __file__, "--child", target, "--url", url, "--file", str(path)],
            check=True, capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(out.stdout.strip().splitlines()[-1])
    finally:
        _drop(handle)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--backends", default="sqlite,postgres")
    parser.add_argument("--child", choices=["critmin", "baseline"], help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--file", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child = child_critmin if args.child == "critmin" else child_baseline
        print(json.dumps(child(args.url, args.file)))
        return
    with tempfile.TemporaryDirectory(prefix="critmin-import-bench-") as tmp:
        folder = Path(tmp)
        path = folder / "synthetic-projects.csv"
        write_synthetic_csv(path, args.rows)
        size = path.stat().st_size / 1e6
        print(f"{args.rows:,} synthetic rows, {size:.1f} MB of CSV")
        print(f"{'backend':10} {'target':10} {'seconds':>8} {'rows/s':>8} {'CPU s':>8} "
              f"{'write s':>8} {'peak MB':>8}")  # fmt: skip
        for backend in args.backends.split(","):
            results = {}
            for target in ("baseline", "critmin"):
                r = results[target] = measure(target, backend, path, folder)
                assert r["rows"] == args.rows, r
                print(f"{backend:10} {target:10} {r['seconds']:8.2f} "
                      f"{args.rows / r['seconds']:8.0f} {r['cpu_seconds']:8.2f} "
                      f"{r['write_seconds']:8.2f} {r['peak_mb']:8.1f}", flush=True)  # fmt: skip
            c, b = results["critmin"], results["baseline"]
            print(f"{backend:10} critmin/baseline: {c['seconds'] / b['seconds']:.1f}x the time, "
                  f"{c['cpu_seconds'] / b['cpu_seconds']:.1f}x the CPU, "
                  f"{c['write_seconds'] / b['write_seconds']:.2f}x the write transaction, "
                  f"{c['peak_mb'] / max(b['peak_mb'], 0.1):.2f}x the peak memory")  # fmt: skip


if __name__ == "__main__":
    main()
