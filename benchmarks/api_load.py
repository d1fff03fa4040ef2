"""Load benchmark: the project list endpoint over real HTTP, on SQLite, PostgreSQL and datasette.

Not a test; run it:

    .venv/bin/python benchmarks/api_load.py [--clients 16] [--seconds 10] [--warmup 2]
        [--backends sqlite,postgres,datasette] [--path '/api/v1/projects?limit=50']
        [--rows 50] [--http auto|h11|httptools] [--loop auto|asyncio|uvloop]

Setup (2-core machine, everything on loopback 127.0.0.1):

* the **server** is a subprocess equivalent to ``critmin serve --no-init``: one uvicorn
  worker running ``create_app(url)`` (log level ``warning``, so no per-request access log),
  pinned to CPU 0 with ``taskset`` (``os.sched_setaffinity`` when taskset is missing);
  the rate limit is off (``CRITMIN_RATE_LIMIT_PER_MINUTE=0``), as one client IP sends everything;
* the **load generator** is another subprocess pinned to CPU 1: ``--clients`` asyncio
  tasks, each with its own keep-alive HTTP/1.1 connection, looping GET requests for
  ``--warmup`` + ``--seconds`` seconds (warm-up not counted) and at most
  ``--max-requests`` requests in all. The client is a minimal asyncio-streams HTTP/1.1
  client (``--client raw``, default): ``httpx.AsyncClient`` (``--client httpx``) spends
  about 1 ms of CPU per request and saturates the client core near 800 req/s, so it
  would measure itself rather than the server;
* the **datasette** target is ``datasette serve FILE --port P`` (its own uvicorn, one
  process, default settings) on the same SQLite file, pinned to CPU 0 the same way,
  queried at ``/DB/projects.json?_size=50&_shape=objects&_sort=name`` restricted to the rows and
  columns the critmin list returns (public, not deleted; ``_col`` = the summary fields),
  so both answer with the JSON of the same rows. Before the load, the row ids from
  both are compared;
* PostgreSQL is the server at ``CRITMIN_BENCH_PG`` / ``CRITMIN_TEST_PG`` (default
  ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``); the run creates a fresh
  database ``critmin_bench_<hex>`` and drops it afterwards. Its backend processes are
  not pinned (they are not ours), so they share the CPUs with server and clients.

Data: the databases are made by ``init_database(include_trade=False)`` when the
reference loader exists, else migrated and filled with the curated projects. The
curated file has fewer than 50 projects, so by default copies of curated records
(keys ``<key>-bench<n>``, children included) pad the table to ``--rows`` public
projects, so that ``limit=50`` returns 50 rows whether or not pagination exists
(``--rows 0``: no padding). The temp SQLite file is deleted afterwards.

Printed per target: requests/s, p50 and p99 latency (ms, measured by the client from
send to full body) of the median of ``--repeat`` runs, errors (non-200 or transport
failures, summed over all runs), server and client CPU (%
of one core: a client near 100% means the client, not the server, is the limit), server
CPU ms per request (steadier than req/s when other work shares the machine), the
ratio critmin/datasette, and the targets: >= 500 req/s, p99 < 100 ms, 0 errors, and
not slower than datasette (req/s >= and p99 <= datasette's).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

SCRIPT = Path(__file__).resolve()
PYTHON = sys.executable
DATASETTE = Path(sys.executable).parent / "datasette"
TARGET_RPS = 500.0
TARGET_P99_MS = 100.0
# The fields of services.projects.summary(); datasette is asked for the same columns.
SUMMARY_COLUMNS = (
    "key", "name", "mineral", "form", "stage", "status", "country", "operator",
    "capacity_tpa", "start_year", "sharing", "sources",
)  # fmt: skip
PG_ADMIN_URL = os.environ.get(
    "CRITMIN_BENCH_PG",
    os.environ.get("CRITMIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"),
)


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
    """User + system CPU seconds of a process (Linux /proc), None if unreadable."""
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


# --------------------------------------------------------------------------- databases


def fill_database(url: str, rows: int) -> str:
    """Migrate and fill ``url``; pad to ``rows`` public projects. Returns how it was filled."""
    from critmin.services.bootstrap import curated_path
    from critmin.store.db import make_engine, transaction

    if importlib.util.find_spec("critmin.ingest.reference") is not None:
        from critmin.services.bootstrap import init_database

        init_database(url, include_trade=False)
        how = "init_database(include_trade=False)"
    else:
        from critmin.services.projects import import_file
        from critmin.store.migrate import upgrade

        upgrade(url)
        with transaction(make_engine(url)) as session:
            import_file(session=session, path=curated_path("projects.yaml"), actor="bench")
        how = "migrate + curated projects.yaml (no critmin.ingest.reference yet)"
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


def critmin_server(url: str, port: int, cpu: int | None, args: argparse.Namespace) -> Server:
    env = dict(os.environ, CRITMIN_RATE_LIMIT_PER_MINUTE="0")
    cmd = [PYTHON, str(SCRIPT), "_serve", url, str(port), args.http, args.loop]
    return Server(cmd, cpu, f"http://127.0.0.1:{port}/api/v1/health", env)


def datasette_server(path: Path, port: int, cpu: int | None) -> Server:
    cmd = [str(DATASETTE), "serve", str(path), "--host", "127.0.0.1", "--port", str(port)]
    return Server(cmd, cpu, f"http://127.0.0.1:{port}/-/versions.json", dict(os.environ))


def serve_main(url: str, port: int, http: str, loop: str) -> None:
    """The server subprocess: what ``critmin serve --no-init`` runs, minus the access log."""
    import uvicorn

    from critmin.api.app import create_app

    uvicorn.run(
        create_app(url), host="127.0.0.1", port=port, log_level="warning", http=http, loop=loop
    )


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
    out: dict[str, Any] = {"latencies": [], "errors": 0, "error_samples": [], "last_end": 0.0}
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
    return {
        "requests": len(lat),
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


def probe(url: str) -> tuple[list[Any], int]:
    """One GET: the row ids and the body size (checks the target answers 200 with rows)."""
    import httpx

    response = httpx.get(url, timeout=30)
    response.raise_for_status()
    body = response.json()
    rows = body.get("data", body.get("rows", [])) if isinstance(body, dict) else body
    ids = [r["id"] for r in rows if isinstance(r, dict) and "id" in r]
    return ids, len(response.content)


def datasette_path(db_name: str) -> str:
    cols = "".join(f"&_col={c}" for c in SUMMARY_COLUMNS)
    return (
        f"/{db_name}/projects.json?_size=50&_shape=objects&_sort=name"
        f"&sharing=public&deleted_at__isnull=1{cols}"
    )


def bench_target(
    label: str, server: Server, url: str, cpus: tuple[int | None, int | None], args
) -> dict[str, Any]:
    """``--repeat`` load runs against one server; the run with the median req/s is kept."""
    try:
        server.wait_ready()
        ids, size = probe(url)
        print(f"  {label}: GET {url}", flush=True)
        print(f"    -> {len(ids)} rows, {size} bytes", flush=True)
        runs = []
        for n in range(args.repeat):
            load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
            run = run_load(url, server, cpus[1], args)
            run["loadavg"] = load
            runs.append(run)
            print(
                f"    run {n + 1}/{args.repeat}: {run['rps']:.0f} req/s, p99 "
                f"{run['p99_ms']:.1f} ms, {run['errors']} errors (load average before "
                f"{load:.2f})",
                flush=True,
            )
        result = sorted(runs, key=lambda r: r["rps"])[(len(runs) - 1) // 2]
        result.update(label=label, url=url, ids=ids, bytes=size)
        result["errors"] = sum(r["errors"] for r in runs)  # errors count over every run
        result["error_samples"] = [e for r in runs for e in r["error_samples"]][:5]
        result["runs_rps"] = [round(r["rps"]) for r in runs]
        return result
    finally:
        server.stop()


def cpu_ms_per_request(r: dict[str, Any]) -> float | None:
    """Server CPU per request (ms): less sensitive than req/s to other load on the machine."""
    if r["server_cpu_pct"] is None or not r["rps"]:
        return None
    return 10 * r["server_cpu_pct"] / r["rps"]


def fmt(x: float | None, spec: str = ".1f") -> str:
    return "-" if x is None or x != x else format(x, spec)


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> bool:
    print()
    head = (
        f"{'target':<18}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}"
        f"{'errors':>8}{'requests':>10}{'srv CPU%':>10}{'cli CPU%':>10}{'srv ms/req':>12}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        print(
            f"{r['label']:<18}{fmt(r['rps'], '.0f'):>9}{fmt(r['p50_ms']):>9}"
            f"{fmt(r['p99_ms']):>9}{fmt(r['max_ms']):>9}{r['errors']:>8}{r['requests']:>10}"
            f"{fmt(r['server_cpu_pct'], '.0f'):>10}{fmt(r['client_cpu_pct'], '.0f'):>10}"
            f"{fmt(cpu_ms_per_request(r), '.2f'):>12}"
        )
        for sample in r["error_samples"]:
            print(f"    error: {sample}")
    ds = next((r for r in results if r["label"] == "datasette"), None)
    ok_all = True
    print()
    for r in results:
        if r["label"] == "datasette":
            continue
        checks = [
            (f"req/s {r['rps']:.0f} >= {TARGET_RPS:.0f}", r["rps"] >= TARGET_RPS),
            (f"p99 {r['p99_ms']:.1f} ms < {TARGET_P99_MS:.0f} ms", r["p99_ms"] < TARGET_P99_MS),
            (f"errors {r['errors']} == 0", r["errors"] == 0),
        ]
        if ds is not None:
            rps_ratio, p99_ratio = r["rps"] / ds["rps"], r["p99_ms"] / ds["p99_ms"]
            print(
                f"{r['label']} / datasette: req/s x{rps_ratio:.2f}, p99 x{p99_ratio:.2f} "
                f"(same rows: {'yes' if sorted(r['ids']) == sorted(ds['ids']) else 'NO'})"
            )
            checks.append(
                (
                    f"not slower than datasette (req/s x{rps_ratio:.2f} >= 1, "
                    f"p99 x{p99_ratio:.2f} <= 1)",
                    rps_ratio >= 1 and p99_ratio <= 1,
                )
            )
        for text, ok in checks:
            ok_all &= ok
            print(f"  [{'MET' if ok else 'NOT MET'}] {r['label']}: {text}")
        if ds is None:
            print(f"  [n/a] {r['label']}: datasette comparison (datasette not in --backends)")
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2))
    return ok_all


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--clients", type=int, default=16, help="concurrent keep-alive clients")
    p.add_argument("--seconds", type=float, default=10.0, help="measured seconds per target")
    p.add_argument("--warmup", type=float, default=2.0, help="unmeasured seconds before")
    p.add_argument("--backends", default="sqlite,postgres,datasette")
    p.add_argument("--path", default="/api/v1/projects?limit=50", help="critmin path to load")
    p.add_argument("--datasette-path", default=None, help="default: same rows and columns")
    p.add_argument("--rows", type=int, default=50, help="pad to this many public projects")
    p.add_argument("--http", default="auto", choices=["auto", "h11", "httptools"])
    p.add_argument("--loop", default="auto", choices=["auto", "asyncio", "uvloop"])
    p.add_argument(
        "--repeat", type=int, default=1, help="load runs per target; the median is reported"
    )
    p.add_argument("--max-requests", type=int, default=2_000_000, help="cap per run")
    p.add_argument(
        "--client",
        default="raw",
        choices=["raw", "httpx"],
        help="load client: a minimal asyncio HTTP/1.1 client (default) or httpx.AsyncClient",
    )
    p.add_argument("--json-out", default=None, help="also write the results as JSON")
    args = p.parse_args(argv)
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    unknown = set(backends) - {"sqlite", "postgres", "datasette"}
    if unknown:
        p.error(f"unknown backends: {', '.join(sorted(unknown))}")

    server_cpu, client_cpu, pin_text = cpu_plan()
    cpus = (server_cpu, client_cpu)
    import uvicorn

    print("critmin API load benchmark")
    print(f"  CPUs: {os.cpu_count()}; {pin_text}")
    have = {m: importlib.util.find_spec(m) is not None for m in ("httptools", "uvloop")}
    http = args.http if args.http != "auto" else ("httptools" if have["httptools"] else "h11")
    loop = args.loop if args.loop != "auto" else ("uvloop" if have["uvloop"] else "asyncio")
    print(
        f"  server: 1 uvicorn {uvicorn.__version__} worker, http={args.http} ({http}), "
        f"loop={args.loop} ({loop}), no access log; datasette: `datasette serve FILE` "
        "(its defaults; uvicorn auto picks the same http/loop)"
    )
    print(
        f"  load: {args.clients} keep-alive {args.client} HTTP/1.1 clients (asyncio, 1 process), "
        f"{args.warmup:g}s warm-up + {args.seconds:g}s measured, x{args.repeat} per target "
        "(median run reported)"
    )
    results: list[dict[str, Any]] = []
    workdir = Path(tempfile.mkdtemp(prefix="critmin-bench-"))
    db_file = workdir / "critmin.db"
    pg_name = None
    try:
        if {"sqlite", "datasette"} & set(backends):
            how = fill_database(f"sqlite:///{db_file}", args.rows)
            print(f"  SQLite {db_file}: {how}")
        for backend in backends:
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            if backend == "sqlite":
                server = critmin_server(f"sqlite:///{db_file}", port, server_cpu, args)
                results.append(bench_target("critmin-sqlite", server, base + args.path, cpus, args))
            elif backend == "postgres":
                pg_name, pg_url = create_pg_database()
                how = fill_database(pg_url, args.rows)
                print(f"  PostgreSQL database {pg_name}: {how}")
                server = critmin_server(pg_url, port, server_cpu, args)
                try:
                    results.append(
                        bench_target("critmin-postgres", server, base + args.path, cpus, args)
                    )
                finally:
                    drop_pg_database(pg_name)
                    print(f"  dropped PostgreSQL database {pg_name}")
                    pg_name = None
            else:
                server = datasette_server(db_file, port, server_cpu)
                path = args.datasette_path or datasette_path(db_file.stem)
                results.append(bench_target("datasette", server, base + path, cpus, args))
    finally:
        if pg_name:
            drop_pg_database(pg_name)
        shutil.rmtree(workdir, ignore_errors=True)
    ok = report(results, args)
    print(f"\nall targets met: {'yes' if ok else 'NO'}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "_serve":
        serve_main(sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5])
    elif len(sys.argv) > 1 and sys.argv[1] == "_load":
        load_main(sys.argv[2:])
    else:
        sys.exit(main(sys.argv[1:]))
