"""Saved scenario runs: the spec, the results and the data versions a run used.

A run is a shared record like any other: owned by an organisation (or, saved from the
CLI by the local operator, reference data without one) and shared ``public``,
``partners`` or ``owner`` only.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from critmin.store.base import Base, Shared, Timestamped


class ScenarioRun(Base, Timestamped, Shared):
    """One saved ``ban``, ``sweep`` or ``spec`` run."""

    __tablename__ = "scenario_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)  # ban | sweep | spec
    spec: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    results: Mapped[Any] = mapped_column(JSON, nullable=False)
    data_versions: Mapped[list[Any]] = mapped_column(JSON, default=list)
    actor: Mapped[str | None] = mapped_column(String(200))
