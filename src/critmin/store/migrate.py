"""Run Alembic migrations programmatically (``critmin db upgrade``)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from critmin.store.catalogue import sync_catalogue
from critmin.store.db import is_sqlite, make_engine, normalise_url, transaction

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    """Bring the database at ``url`` up to ``revision`` (creating it if needed).

    At head, the mineral catalogue is synchronised with the code's vocabulary too.
    """
    engine = make_engine(url)
    try:
        _run(engine, url, lambda cfg: command.upgrade(cfg, revision))
        if revision == "head":
            with transaction(engine) as session:
                sync_catalogue(session)
    finally:
        engine.dispose()


def downgrade(url: str, revision: str) -> None:
    """Take the database at ``url`` back to ``revision``."""
    engine = make_engine(url)
    try:
        _run(engine, url, lambda cfg: command.downgrade(cfg, revision))
    finally:
        engine.dispose()


def _run(engine, url: str, step) -> None:
    """Run an Alembic ``step`` in one transaction.

    On SQLite, foreign-key enforcement is off meanwhile (it can only be switched outside
    a transaction): batch mode rebuilds a table by copying it and dropping the original,
    and with enforcement on that drop would cascade to the rows that reference it. The
    foreign keys are checked before the transaction commits.
    """
    sqlite = is_sqlite(url)
    with engine.connect() as conn:
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
        try:
            with conn.begin():
                cfg = alembic_config(url)
                cfg.attributes["connection"] = conn
                step(cfg)
                if sqlite:
                    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").first()
                    if broken is not None:
                        raise RuntimeError(f"migration broke a foreign key: {tuple(broken)}")
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def current_revision(url: str) -> str | None:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            if not inspect(conn).has_table("alembic_version"):
                return None
            row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
            return row[0] if row else None
    finally:
        engine.dispose()
