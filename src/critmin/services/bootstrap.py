"""Create, migrate and fill a database with the bundled reference data."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from critmin.ingest import exchange
from critmin.services.projects import import_records
from critmin.store.db import make_engine, sqlite_path, transaction
from critmin.store.history import record_change
from critmin.store.migrate import upgrade
from critmin.store.tables import Dataset, Project

BUNDLED_ACTOR = "critmin bundled data"


def curated_path(name: str) -> Path:
    """Path of a curated file shipped in ``critmin/data/curated``."""
    return Path(str(resources.files("critmin") / "data" / "curated" / name))


def is_empty(session: Session) -> bool:
    count = session.scalar(select(func.count()).select_from(Dataset)) or 0
    count += session.scalar(select(func.count()).select_from(Project)) or 0
    return count == 0


def load_bundled(session: Session, *, include_trade: bool = True) -> dict[str, int]:
    """Load every bundled dataset and the curated projects, in the caller's transaction."""
    from critmin.ingest.reference import load_reference

    counts = dict(load_reference(session, include_trade=include_trade))
    path = curated_path("projects.yaml")
    records = exchange.read_file(path)
    report = import_records(
        session=session, records=records, actor=BUNDLED_ACTOR, source=f"curated/{path.name}"
    )
    counts["projects"] = len(report.created) + len(report.updated) + len(report.unchanged)
    record_change(
        session=session,
        table="datasets",
        record_id=0,
        record_key="bundled",
        action="load",
        actor=BUNDLED_ACTOR,
        changes={table: [None, n] for table, n in counts.items()},
        source="critmin/data",
    )
    return counts


def init_database(
    url: str, *, load_data: bool = True, include_trade: bool = True
) -> dict[str, Any]:
    """Migrate the database at ``url``; load the bundled data if it is empty.

    Safe to repeat: a database that already holds data is only migrated.
    """
    started = time.perf_counter()
    upgrade(url)
    engine = make_engine(url)
    try:
        with transaction(engine) as session:
            loaded: dict[str, int] = {}
            empty = is_empty(session)
            if empty and load_data:
                loaded = load_bundled(session, include_trade=include_trade)
    finally:
        engine.dispose()
    path = sqlite_path(url)
    return {
        "database": str(path.resolve()) if path else url,
        "was_empty": empty,
        "loaded": loaded,
        "seconds": round(time.perf_counter() - started, 2),
    }
