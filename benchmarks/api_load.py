"""Load benchmark: critmin's read endpoints over real HTTP, side by side with datasette.

Not a test; run it (``--help`` lists every option):

    .venv/bin/python benchmarks/api_load.py [--clients 16] [--seconds 10] [--warmup 2]
        [--repeat 3] [--targets datasette,list,list-uncached,detail,detail-uncached,
        stats,stats-uncached] [--backends sqlite[,postgres]] [--datasette-threads 3]

What is measured (every target in one run, on the same machine; all servers start
first, then ``--repeat`` rounds load each target in turn, so that a change in other
load on the machine touches every target alike; each measure's median is reported):

* ``datasette`` — the baseline: datasette serving the **same 50 rows and columns** from
  the **same SQLite file** as a canned query (``SELECT`` of the list's columns, public and
  not deleted, ``ORDER BY lower(name), name, id LIMIT 50``), read as
  ``/critmin/project_list.json?_shape=array&_json=sources`` (``_json`` decodes the JSON
  ``sources`` column as critmin does, so both bodies hold the same values). Configured as
  its documentation recommends for a read-only publication: opened immutable (``-i``: no locking, no
  change checks), ``suggest_facets off``, ``allow_facet off``, ``allow_download off``,
  ``default_allow_sql off``, ``num_sql_threads`` = ``--datasette-threads`` (default 3,
  datasette's own; on one core 0, queries on the event loop, served fewer requests per
  second with a higher p99, and 1 about the same, at similar CPU per request), no access
  log; run through datasette's Python API (``Datasette([...]).app()``) by
  ``uvicorn.run`` with the same uvicorn settings as critmin, because ``datasette serve``
  always logs every request.
* ``list`` / ``list-uncached`` — ``GET /api/v1/projects?limit=50`` (the same 50 rows and
  columns plus ``count``, the total before paging, which costs critmin one more query).
  ``list`` is a server with the response cache on (the default; a repeated list is
  served from memory after one indexed check of the change log); ``-uncached`` targets
  run a server with ``CRITMIN_RESPONSE_CACHE=off``, so every request authenticates,
  queries and renders.
* ``detail`` / ``detail-uncached`` — ``GET /api/v1/projects/{id}`` of the first listed
  project (every field, its capacity points and dated history).
* ``stats`` / ``stats-uncached`` — ``GET /api/v1/stats/share?mineral=gallium``.

Setup, identical for both servers: one process, one uvicorn worker (``http`` and
``loop`` from ``--http``/``--loop``; ``auto`` picks httptools and uvloop when
installed), ``log_level=warning`` and ``access_log=False``, pinned to the first
allowed CPU with ``taskset`` (``os.sched_setaffinity`` where taskset is missing). The
load generator is one process pinned to the second CPU: ``--clients`` asyncio tasks,
each with its own keep-alive HTTP/1.1 connection, looping GETs for ``--warmup`` +
``--seconds`` seconds (warm-up not counted). Its client is a minimal asyncio-streams
HTTP/1.1 client (``--client raw``); ``httpx`` (``--client httpx``) costs about 1 ms of
client CPU per request and would measure itself. critmin's rate limit is off
(``CRITMIN_RATE_LIMIT_PER_MINUTE=0``: one client address sends everything).

Data: ``init_database(include_trade=False)`` (the bundled reference data and curated
projects), padded with public copies of curated projects (keys ``<key>-bench<n>``,
children included) to ``--rows`` public projects; the WAL is checkpointed so that
datasette's immutable open sees every row. Before the load, each list target's row
ids are compared with datasette's. PostgreSQL (``--backends sqlite,postgres``) is the
server at ``CRITMIN_BENCH_PG`` / ``CRITMIN_TEST_PG`` in a fresh database dropped
afterwards; its backend processes are not pinned.

Printed per target (medians over the rounds; errors summed, max the largest):
requests/s, p50/p99/max latency (ms, measured by the client from send to full body),
errors (non-200 or transport failures), response bytes, and the server process's CPU
time (all threads) over the measured window divided by the requests it served (ms of
CPU per request: steadier than req/s when other work shares the machine); for
PostgreSQL targets also "DB ms/req", the CPU time of the database's backend processes
over the whole load run (warm-up included) per request answered in it.
Then the ratios to datasette and the targets: critmin's *uncached* list at >= 1.0x
datasette's requests per second and <= its CPU per request; every critmin target's p99
< 100 ms; no errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import inspect
import json
import os
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCRIPT = Path(__file__).resolve()
PYTHON = sys.executable
TARGET_P99_MS = 100.0
DATASETTE_DB = "critmin"  # the database name datasette derives from the file name
# The columns of a project list row (services.projects.summary), in its order.
LIST_COLUMNS = (
    "id", "key", "name", "name_original", "mineral", "form", "stage", "status", "country",
    "operator", "capacity_tpa", "start_year", "sharing", "sources",
)  # fmt: skip
CANNED_SQL = (
    f"select {', '.join(LIST_COLUMNS)} from projects "
    "where sharing = 'public' and deleted_at is null order by lower(name), name, id limit 50"
)
DATASETTE_LIST = f"/{DATASETTE_DB}/project_list.json?_shape=array&_json=sources"
PG_ADMIN_URL = os.environ.get(
    "CRITMIN_BENCH_PG",
    os.environ.get("CRITMIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)
ALL_TARGETS = (
    "datasette", "list", "list-uncached", "detail", "detail-uncached", "stats", "stats-uncached",
)  # fmt: skip


# --------------------------------------------------------------------------- helpers


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_plan() -> tuple[int | None, int | None, str]:
    """CPUs for server and clients, and how pinning is done."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return None, None, "no pinning (no CPU affinity on this platform)"
    if len(cpus) < 2:
        return None, None, f"no pinning (only {len(cpus)} CPU available)"
    how = "taskset" if shutil.which("taskset") else "os.sched_setaffinity"
    return cpus[0], cpus[1], f"server on CPU {cpus[0]}, clients on CPU {cpus[1]} ({how})"


def pinned(cmd: list[str], cpu: int | None) -> tuple[list[str], Callable[[], None] | None]:
    if cpu is None:
        return cmd, None
    if shutil.which("taskset"):
        return ["taskset", "-c", str(cpu), *cmd], None
    return cmd, lambda: os.sched_setaffinity(0, {cpu})


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process, all its threads (Linux /proc), else None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def _installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def http_choices(args: argparse.Namespace) -> tuple[str, str]:
    """The uvicorn ``http`` and ``loop`` implementations both servers use."""
    have = {m: _installed(m) for m in ("httptools", "uvloop")}
    http = args.http if args.http != "auto" else ("httptools" if have["httptools"] else "h11")
    loop = args.loop if args.loop != "auto" else ("uvloop" if have["uvloop"] else "asyncio")
    return http, loop


# --------------------------------------------------------------------------- databases


def fill_database(url: str, rows: int) -> str:
    """Migrate and fill ``url``; pad to ``rows`` public projects. Returns how it was filled."""
    from critmin.services.bootstrap import init_database

    init_database(url, include_trade=False)
    how = "init_database(include_trade=False)"
    if rows:
        how += f" + padding to {rows} public projects"
        _pad(url, rows)
    return how


def _pad(url: str, rows: int) -> None:
    from sqlalchemy import func, select

    from critmin.ingest import exchange
    from critmin.services.bootstrap import curated_path
    from critmin.services.projects import import_records
    from critmin.store.db import make_engine, transaction
    from critmin.store.tables import Project

    curated = exchange.read_file(curated_path("projects.yaml"))
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            have = session.scalar(
                select(func.count())
                .select_from(Project)
                .where(Project.sharing == "public", Project.deleted_at.is_(None))
            )
            copies = [
                curated[n % len(curated)].model_copy(
                    update={
                        "key": f"{curated[n % len(curated)].key[:100]}-bench{n}",
                        "name": f"{curated[n % len(curated)].name} (bench copy {n})",
                        "sharing": "public",
                    }
                )
                for n in range(max(0, rows - (have or 0)))
            ]
            import_records(session=session, records=copies, actor="bench", source="bench-copies")
    finally:
        engine.dispose()


def checkpoint(path: Path) -> None:
    """Fold the WAL into the main file, so an immutable reader sees every committed row."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def create_pg_database() -> tuple[str, str]:
    from sqlalchemy import create_engine, text

    name = f"critmin_bench_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name, f"{PG_ADMIN_URL.rsplit('/', 1)[0]}/{name}"


def drop_pg_database(name: str) -> None:
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE datname = :n AND pid <> pg_backend_pid()"
            ),
            {"n": name},
        )
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
    admin.dispose()


# --------------------------------------------------------------------------- servers


class Server:
    """A server subprocess pinned to the server CPU; stopped on exit."""

    def __init__(self, cmd: list[str], cpu: int | None, health_url: str, env: dict[str, str]):
        cmd, preexec = pinned(cmd, cpu)
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            cmd, stdout=self.log, stderr=subprocess.STDOUT, env=env, preexec_fn=preexec
        )
        self.health_url = health_url

    def wait_ready(self, timeout: float = 60.0) -> None:
        import httpx

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}:\n{self.output()}")
            try:
                if httpx.get(self.health_url, timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout:.0f}s:\n{self.output()}")

    def output(self) -> str:
        self.log.seek(0)
        return self.log.read().decode("utf-8", "replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.log.close()


def critmin_server(url: str, port: int, cpu: int | None, cache: bool, args) -> Server:
    env = dict(
        os.environ,
        CRITMIN_RATE_LIMIT_PER_MINUTE="0",
        CRITMIN_RESPONSE_CACHE="on" if cache else "off",
    )
    http, loop = http_choices(args)
    cmd = [PYTHON, str(SCRIPT), "_serve", url, str(port), http, loop]
    return Server(cmd, cpu, f"http://127.0.0.1:{port}/api/v1/health", env)


def datasette_server(path: Path, port: int, cpu: int | None, args) -> Server:
    http, loop = http_choices(args)
    cmd = [
        PYTHON, str(SCRIPT), "_datasette", str(path), str(port), http, loop,
        str(args.datasette_threads),
    ]  # fmt: skip
    return Server(cmd, cpu, f"http://127.0.0.1:{port}/-/versions.json", dict(os.environ))


def serve_main(url: str, port: int, http: str, loop: str) -> None:
    """The critmin server subprocess: ``critmin serve --no-init`` (with its garbage-collector
    settings, :mod:`critmin.api.runtime`) without the access log."""
    import uvicorn

    from critmin.api.app import create_app
    from critmin.api.runtime import prepare_for_serving

    app = create_app(url)
    prepare_for_serving()  # as `critmin serve` does
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
        http=http, loop=loop, workers=1,
    )  # fmt: skip


def datasette_settings(threads: int) -> dict[str, Any]:
    """datasette's settings for a fast read-only JSON endpoint (see the module docstring)."""
    return {
        "suggest_facets": False,
        "allow_facet": False,
        "allow_download": False,
        "default_allow_sql": False,
        "num_sql_threads": threads,
    }


def datasette_main(path: str, port: int, http: str, loop: str, threads: int) -> None:
    """The datasette server subprocess: ``datasette serve -i FILE`` minus the access log."""
    import uvicorn
    from datasette.app import Datasette

    queries = {"databases": {DATASETTE_DB: {"queries": {"project_list": {"sql": CANNED_SQL}}}}}
    # canned queries live in metadata up to datasette 0.65, in its configuration from 1.0
    where = "config" if "config" in inspect.signature(Datasette).parameters else "metadata"
    ds = Datasette(immutables=[path], settings=datasette_settings(threads), **{where: queries})
    uvicorn.run(
        ds.app(), host="127.0.0.1", port=port, log_level="warning", access_log=False,
        http=http, loop=loop, workers=1, lifespan="on",
    )  # fmt: skip


# --------------------------------------------------------------------------- load generator


class RawHttpClient:
    """A minimal HTTP/1.1 keep-alive GET client on asyncio streams (one connection).

    httpx costs about 1 ms of client CPU per request, which caps one client core near
    800 req/s, below what the servers can do; this client costs a fraction of that.
    Handles Content-Length and chunked bodies and reconnects on ``Connection: close``.
    """

    def __init__(self, url: str, timeout: float):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        self.request = (
            f"GET {target} HTTP/1.1\r\nHost: {parts.netloc}\r\n"
            "Accept: application/json\r\nUser-Agent: critmin-bench\r\n\r\n"
        ).encode()
        self.timeout = timeout
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self) -> tuple[int, bytes]:
        async with asyncio.timeout(self.timeout):
            if self.writer is None:
                self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
            assert self.reader is not None
            self.writer.write(self.request)
            head = await self.reader.readuntil(b"\r\n\r\n")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ", 2)[1])
            headers = {}
            for line in lines[1:]:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if "content-length" in headers:
                body = await self.reader.readexactly(int(headers["content-length"]))
            elif headers.get("transfer-encoding", "").lower() == "chunked":
                chunks = []
                while size := int((await self.reader.readuntil(b"\r\n")).split(b";")[0], 16):
                    chunks.append(await self.reader.readexactly(size + 2))
                await self.reader.readuntil(b"\r\n")
                body = b"".join(c[:-2] for c in chunks)
            else:
                body = await self.reader.read()
                headers["connection"] = "close"
            if headers.get("connection", "").lower() == "close":
                await self.close()
            return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


class HttpxClient:
    """The same interface over one keep-alive ``httpx.AsyncClient`` connection."""

    def __init__(self, url: str, timeout: float):
        import httpx

        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        self.url, self.client = url, httpx.AsyncClient(limits=limits, timeout=timeout)

    async def get(self) -> tuple[int, bytes]:
        response = await self.client.get(self.url)
        return response.status_code, response.content

    async def close(self) -> None:
        await self.client.aclose()


async def _client(
    args: argparse.Namespace,
    warm_until: float,
    deadline: float,
    budget: list[int],
    out: dict[str, Any],
) -> None:
    client = (RawHttpClient if args.client == "raw" else HttpxClient)(args.url, 30.0)
    try:
        while budget[0] > 0:
            start = time.perf_counter()
            if start >= deadline:
                break
            budget[0] -= 1
            problem = None
            try:
                status, body = await client.get()
                if status != 200:
                    problem = f"HTTP {status}: {body[:200]!r}"
            except Exception as exc:  # noqa: BLE001 - every failure counts as an error
                problem = f"{type(exc).__name__}: {exc}"
                await client.close()
            end = time.perf_counter()
            out["all"] += 1
            if start < warm_until:
                continue
            out["last_end"] = max(out["last_end"], end)
            if problem:
                out["errors"] += 1
                if len(out["error_samples"]) < 5:
                    out["error_samples"].append(problem)
            else:
                out["latencies"].append(end - start)
    finally:
        await client.close()


async def _load(args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {
        "latencies": [], "errors": 0, "error_samples": [], "last_end": 0.0, "all": 0,
    }  # fmt: skip
    begin = time.perf_counter()
    warm_until = begin + args.warmup
    deadline = warm_until + args.seconds
    budget = [args.max_requests]
    tasks = [
        asyncio.create_task(_client(args, warm_until, deadline, budget, out))
        for _ in range(args.clients)
    ]
    # Server CPU over the measured window only.
    await asyncio.sleep(max(0.0, warm_until - time.perf_counter()))
    cpu0, t0, own0 = proc_cpu_seconds(args.server_pid), time.perf_counter(), os.times()
    await asyncio.gather(*tasks)
    cpu1, t1, own1 = proc_cpu_seconds(args.server_pid), time.perf_counter(), os.times()
    window = max(out["last_end"], deadline) - warm_until
    lat = sorted(x * 1000 for x in out["latencies"])
    own = (own1.user + own1.system) - (own0.user + own0.system)
    served = len(lat) + out["errors"]
    return {
        "requests": len(lat),
        "all_requests": out["all"],  # warm-up included
        "errors": out["errors"],
        "error_samples": out["error_samples"],
        "seconds": round(window, 3),
        "rps": len(lat) / window if window > 0 else 0.0,
        "p50_ms": percentile(lat, 50),
        "p99_ms": percentile(lat, 99),
        "max_ms": lat[-1] if lat else float("nan"),
        "server_cpu_pct": (
            100 * (cpu1 - cpu0) / (t1 - t0) if cpu0 is not None and cpu1 is not None else None
        ),
        "server_cpu_ms_per_req": (
            1000 * (cpu1 - cpu0) / served if cpu0 is not None and cpu1 is not None and served
            else None
        ),  # fmt: skip
        "client_cpu_pct": 100 * own / (t1 - t0),
    }


def load_main(argv: list[str]) -> None:
    p = argparse.ArgumentParser(prog="api_load.py _load")
    p.add_argument("url")
    p.add_argument("--clients", type=int, required=True)
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--warmup", type=float, required=True)
    p.add_argument("--max-requests", type=int, required=True)
    p.add_argument("--server-pid", type=int, required=True)
    p.add_argument("--client", choices=["raw", "httpx"], required=True)
    print(json.dumps(asyncio.run(_load(p.parse_args(argv)))))


def run_load(url: str, server: Server, cpu: int | None, args: argparse.Namespace) -> dict:
    cmd = [
        PYTHON, str(SCRIPT), "_load", url, "--clients", str(args.clients),
        "--seconds", str(args.seconds), "--warmup", str(args.warmup),
        "--max-requests", str(args.max_requests), "--server-pid", str(server.proc.pid),
        "--client", args.client,
    ]  # fmt: skip
    cmd, preexec = pinned(cmd, cpu)
    done = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        preexec_fn=preexec,
        timeout=args.warmup + args.seconds + 120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"load generator failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- orchestration


@dataclass(frozen=True)
class Target:
    """One load run: a label, the endpoint kind and whether critmin's cache is on."""

    name: str
    endpoint: str  # list | detail | stats | datasette
    cache: bool


def parse_targets(text: str) -> list[Target]:
    names = [t.strip() for t in text.split(",") if t.strip()]
    unknown = sorted(set(names) - set(ALL_TARGETS))
    if unknown:
        raise ValueError(
            f"unknown targets: {', '.join(unknown)}; choose from {', '.join(ALL_TARGETS)}"
        )
    return [
        Target(n, n.removesuffix("-uncached"), not n.endswith("-uncached"))
        for n in ALL_TARGETS
        if n in names
    ]


def probe(url: str) -> tuple[list[Any], int]:
    """One GET: the row ids (of a list) and the body size; raises unless 200."""
    import httpx

    response = httpx.get(url, timeout=30)
    response.raise_for_status()
    body = response.json()
    rows = body.get("data", body.get("rows", [])) if isinstance(body, dict) else body
    ids = [r["id"] for r in rows if isinstance(r, dict) and "id" in r]
    return ids, len(response.content)


def critmin_paths(base: str) -> dict[str, str]:
    """The critmin URL of each endpoint kind (detail: the first listed project)."""
    ids, _ = probe(f"{base}/api/v1/projects?limit=50")
    return {
        "list": "/api/v1/projects?limit=50",
        "detail": f"/api/v1/projects/{ids[0]}",
        "stats": "/api/v1/stats/share?mineral=gallium",
    }


@dataclass
class Job:
    """One target: its URL on a running server, and its load runs."""

    label: str
    url: str
    server: Server
    pg_name: str | None = None  # PostgreSQL targets: the database whose backends to time
    runs: list[dict[str, Any]] = field(default_factory=list)


def median(values: list[float | None]) -> float | None:
    kept = sorted(v for v in values if v is not None and v == v)
    return statistics.median(kept) if kept else None


def summarise(job: Job, ids: list[Any], size: int) -> dict[str, Any]:
    """The median of each measure over the job's runs; errors and requests summed."""
    runs = job.runs
    out: dict[str, Any] = {
        key: median([r[key] for r in runs])
        for key in ("rps", "p50_ms", "p99_ms", "server_cpu_pct", "server_cpu_ms_per_req",
                    "db_cpu_ms_per_req", "client_cpu_pct")
    }  # fmt: skip
    out.update(
        label=job.label, url=job.url, ids=ids, bytes=size,
        max_ms=max(r["max_ms"] for r in runs),
        errors=sum(r["errors"] for r in runs),
        requests=sum(r["requests"] for r in runs),
        error_samples=[e for r in runs for e in r["error_samples"]][:5],
        runs_rps=[round(r["rps"]) for r in runs],
        runs_cpu_ms=[r["server_cpu_ms_per_req"] for r in runs],
    )  # fmt: skip
    return out


SERVERS: list[Server] = []


def pg_backend_cpu(name: str) -> dict[int, float]:
    """CPU seconds of each PostgreSQL backend connected to database ``name`` (by pid)."""
    from sqlalchemy import create_engine, text

    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            pids = conn.scalars(
                text("SELECT pid FROM pg_stat_activity WHERE datname = :n"), {"n": name}
            ).all()
    finally:
        admin.dispose()
    return {pid: cpu for pid in pids if (cpu := proc_cpu_seconds(pid)) is not None}


def start_critmin(
    db_url: str, backend: str, targets: list[Target], cpus, args, pg_name: str | None = None
) -> list[Job]:
    """A critmin server per cache setting the targets need, and their jobs."""
    jobs = []
    for cache in (True, False):
        chosen = [t for t in targets if t.endpoint != "datasette" and t.cache == cache]
        if not chosen:
            continue
        port = free_port()
        server = critmin_server(db_url, port, cpus[0], cache, args)
        SERVERS.append(server)
        server.wait_ready()
        base = f"http://127.0.0.1:{port}"
        paths = critmin_paths(base)
        for t in chosen:
            label = f"{backend}:{t.name}" if backend != "sqlite" else t.name
            jobs.append(Job(label, base + paths[t.endpoint], server, pg_name))
    return jobs


def start_datasette(db_file: Path, cpus, args) -> Job:
    port = free_port()
    server = datasette_server(db_file, port, cpus[0], args)
    SERVERS.append(server)
    server.wait_ready()
    return Job("datasette", f"http://127.0.0.1:{port}{DATASETTE_LIST}", server)


def run_jobs(jobs: list[Job], cpus, args) -> list[dict[str, Any]]:
    """``--repeat`` rounds, each loading every target once in turn (so a change in the
    machine's other load touches every target alike); then the medians per target."""
    probes = {}
    for job in jobs:
        ids, size = probe(job.url)
        probes[job.label] = (ids, size)
        rows = f", {len(ids)} rows" if ids else ""
        print(f"  {job.label}: GET {job.url} -> {size} bytes{rows}", flush=True)
    for n in range(args.repeat):
        for job in jobs:
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            before = pg_backend_cpu(job.pg_name) if job.pg_name else {}
            run = run_load(job.url, job.server, cpus[1], args)
            run["db_cpu_ms_per_req"] = None
            if job.pg_name and run["all_requests"]:
                after = pg_backend_cpu(job.pg_name)
                spent = sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())
                run["db_cpu_ms_per_req"] = 1000 * spent / run["all_requests"]
            job.runs.append(run)
            print(
                f"    round {n + 1}/{args.repeat} {job.label}: {run['rps']:.0f} req/s, p99 "
                f"{run['p99_ms']:.1f} ms, {fmt(run['server_cpu_ms_per_req'], '.2f')} CPU ms/req, "
                f"{run['errors']} errors (load average before {load:.2f})",
                flush=True,
            )
    return [summarise(job, *probes[job.label]) for job in jobs]


def fmt(x: float | None, spec: str = ".1f") -> str:
    return "-" if x is None or x != x else format(x, spec)


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> bool:
    """Print the table, the ratios to datasette and the targets; True if all are met."""
    print()
    head = (
        f"{'target':<24}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}"
        f"{'bytes':>8}{'srv CPU%':>10}{'CPU ms/req':>12}{'DB ms/req':>11}{'cli CPU%':>10}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r['label']:<24}{fmt(r['rps'], '.0f'):>8}{fmt(r['p50_ms']):>9}"
            f"{fmt(r['p99_ms']):>9}{fmt(r['max_ms']):>9}{r['errors']:>8}{r['bytes']:>8}"
            f"{fmt(r['server_cpu_pct'], '.0f'):>10}{fmt(r['server_cpu_ms_per_req'], '.2f'):>12}"
            f"{fmt(r.get('db_cpu_ms_per_req'), '.2f'):>11}{fmt(r['client_cpu_pct'], '.0f'):>10}"
        )
        for sample in r["error_samples"]:
            print(f"    error: {sample}")
    ds = next((r for r in results if r["label"] == "datasette"), None)
    checks: list[tuple[str, bool]] = []
    print()
    for r in results:
        if r is ds:
            continue
        if ds is not None and r["label"].split(":")[-1].startswith("list"):
            rps = r["rps"] / ds["rps"] if ds["rps"] else float("nan")
            cpu = (
                ds["server_cpu_ms_per_req"] / r["server_cpu_ms_per_req"]
                if ds["server_cpu_ms_per_req"] and r["server_cpu_ms_per_req"]
                else float("nan")
            )
            same = sorted(r["ids"]) == sorted(ds["ids"])
            print(
                f"{r['label']} vs datasette: req/s x{rps:.2f}, CPU per request "
                f"x{1 / cpu:.2f} (datasette's / critmin's = {cpu:.2f}); same rows: "
                f"{'yes' if same else 'NO'}"
            )
            if r["label"].endswith("list-uncached"):
                checks.append((f"{r['label']}: req/s x{rps:.2f} of datasette's >= 1.0", rps >= 1))
                checks.append(
                    (f"{r['label']}: CPU/request x{1 / cpu:.2f} of datasette's <= 1.0", cpu >= 1)
                )
            checks.append((f"{r['label']}: same rows as datasette", same))
        checks.append(
            (f"{r['label']}: p99 {r['p99_ms']:.1f} ms < {TARGET_P99_MS:.0f} ms",
             r["p99_ms"] < TARGET_P99_MS)
        )  # fmt: skip
    checks += [(f"{r['label']}: {r['errors']} errors", r["errors"] == 0) for r in results]
    print()
    for text, ok in checks:
        print(f"  [{'MET' if ok else 'NOT MET'}] {text}")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return all(ok for _, ok in checks)


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=16, help="concurrent keep-alive clients")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per target")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before")
    p.add_argument(
        "--repeat", type=int, default=3,
        help="rounds over every target; each measure's median is reported",
    )  # fmt: skip
    p.add_argument("--targets", default=",".join(ALL_TARGETS), help=f"of {', '.join(ALL_TARGETS)}")
    p.add_argument("--backends", default="sqlite", help="critmin backends: sqlite, postgres")
    p.add_argument("--rows", type=int, default=50, help="pad to this many public projects")
    p.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"])
    p.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"])
    p.add_argument(
        "--datasette-threads", type=int, default=3,
        help="datasette's num_sql_threads (its default 3; 0: queries on the event loop)",
    )  # fmt: skip
    p.add_argument("--max-requests", type=int, default=2_000_000, help="cap per run")
    p.add_argument("--client", default="raw", choices=["raw", "httpx"], help="load client")
    p.add_argument("--json-out", default=None, help="also write the results as JSON")
    args = p.parse_args(argv)
    try:
        targets = parse_targets(args.targets)
    except ValueError as exc:
        p.error(str(exc))
    if any(t.endpoint == "datasette" for t in targets) and not _installed("datasette"):
        p.error("datasette is not installed: pip install -e '.[bench]', or leave it out of "
                "--targets")  # fmt: skip
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    if set(backends) - {"sqlite", "postgres"}:
        p.error(f"unknown backends in {args.backends!r}: choose from sqlite, postgres")

    import uvicorn

    server_cpu, client_cpu, pin_text = cpu_plan()
    cpus = (server_cpu, client_cpu)
    http, loop = http_choices(args)
    print("critmin API load benchmark")
    print(f"  CPUs: {os.cpu_count()}; {pin_text}")
    print(
        f"  servers: 1 process, 1 uvicorn {uvicorn.__version__} worker, http={http}, "
        f"loop={loop}, log_level=warning, access_log=False"
    )
    if any(t.endpoint == "datasette" for t in targets):
        import datasette

        print(
            f"  datasette {datasette.__version__}: immutable open (-i), canned query "
            f"project_list, settings {datasette_settings(args.datasette_threads)}"
        )
    print(
        f"  load: {args.clients} keep-alive {args.client} HTTP/1.1 clients (asyncio, 1 process), "
        f"{args.warmup:g}s warm-up + {args.seconds:g}s measured per target, {args.repeat} "
        "rounds over all targets (medians reported)"
    )
    workdir = Path(tempfile.mkdtemp(prefix="critmin-bench-"))
    db_file = workdir / f"{DATASETTE_DB}.db"
    pg_names: list[str] = []
    try:
        print(f"  SQLite {db_file}: {fill_database(f'sqlite:///{db_file}', args.rows)}")
        checkpoint(db_file)
        jobs = []
        if any(t.endpoint == "datasette" for t in targets):
            jobs.append(start_datasette(db_file, cpus, args))
        for backend in backends:
            if backend == "sqlite":
                jobs += start_critmin(f"sqlite:///{db_file}", "sqlite", targets, cpus, args)
                continue
            pg_name, pg_url = create_pg_database()
            pg_names.append(pg_name)
            print(f"  PostgreSQL database {pg_name}: {fill_database(pg_url, args.rows)}")
            jobs += start_critmin(pg_url, "postgres", targets, cpus, args, pg_name)
        results = run_jobs(jobs, cpus, args)
    finally:
        for server in SERVERS:
            server.stop()
        for name in pg_names:
            drop_pg_database(name)
        shutil.rmtree(workdir, ignore_errors=True)
    ok = report(results, args)
    print(f"\nall targets met: {'yes' if ok else 'NO'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve_main(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif len(sys.argv) > 1 and sys.argv[1] == "_datasette":
        path, port, http, loop, threads = sys.argv[2:7]
        datasette_main(path, int(port), http, loop, int(threads))
    elif len(sys.argv) > 1 and sys.argv[1] == "_load":
        load_main(sys.argv[2:])
    else:
        sys.exit(main(sys.argv[1:]))
