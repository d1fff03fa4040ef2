"""Helpers shared by the test packages: throw-away PostgreSQL databases and live servers."""

from __future__ import annotations

import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI
from sqlalchemy import create_engine, text


@contextmanager
def temporary_pg_database(admin_url: str, prefix: str = "critmin_test") -> Iterator[str]:
    """Create an empty database on the server of ``admin_url``; drop it afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def serve_app(app: FastAPI) -> Iterator[str]:
    """Serve ``app`` with uvicorn in a thread on a free loopback port; yields the base URL."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 20
    while not server.started:
        assert time.time() < deadline and thread.is_alive(), "server did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.engine.dispose()


def load_usgs_chapters(session, *slugs: str) -> None:
    """Load bundled USGS MCS 2026 chapters with the real loader (datasets registered first)."""
    import shutil
    import tempfile
    from pathlib import Path

    from critmin.ingest.datasets import ensure_datasets
    from critmin.ingest.usgs import USGS_DIR, load_usgs

    ensure_datasets(session)
    with tempfile.TemporaryDirectory() as tmp:
        for slug in slugs:
            shutil.copy(USGS_DIR / f"{slug}.json", Path(tmp) / f"{slug}.json")
        load_usgs(session, directory=Path(tmp))
