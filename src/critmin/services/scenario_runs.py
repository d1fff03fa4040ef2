"""Saved scenario runs: store a ``ban``, ``sweep`` or ``spec`` run with its spec, its
results and the data versions it used; list and reload them through the caller's view.

Saving needs an organisation (its run, ``owner`` only unless asked otherwise) or the
trusted local operator (reference data, public). A run the caller may not see is
:class:`~critmin.services.entities.NotFound`, exactly like a missing one.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from critmin.services.access import can_see, check_caller, visible_clause
from critmin.services.auth import Caller
from critmin.services.entities import NotFound
from critmin.services.tracker import Forbidden
from critmin.store.scenario_tables import ScenarioRun
from critmin.store.tables import Dataset

KINDS = ("ban", "sweep", "spec")
SHARING = ("public", "partners", "owner")
ECONOMY_DATASETS = ("bea-io-2017",)


def _minerals(results: Any) -> list[str]:
    """The minerals a run's results cover (ban: a dict; sweep: a list; spec: named lists)."""
    items = results if isinstance(results, list) else [results]
    flat = [r for item in items if isinstance(item, dict)
            for r in (item["results"] if isinstance(item.get("results"), list) else [item])]
    return sorted({str(r["mineral"]) for r in flat if isinstance(r, dict) and "mineral" in r})


def _file_version(path: Any) -> dict[str, Any]:
    from critmin.ingest.datasets import REFERENCE_DIR

    return {"file": path.relative_to(REFERENCE_DIR.parent).as_posix(),
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}  # fmt: skip


def data_versions(session: Session, minerals: list[str]) -> list[dict[str, Any]]:
    """What a run of ``minerals`` read: each dataset (code, title, version, retrieved date)
    from the datasets table, then the defaults and end-use files with their SHA-256."""
    from critmin.ingest.datasets import REFERENCE_DIR, usgs_code
    from critmin.ingest.scenario_defaults import DEFAULTS_DIR

    codes = [*ECONOMY_DATASETS, *(usgs_code(m) for m in minerals)]
    rows = session.scalars(select(Dataset).where(Dataset.code.in_(codes))).all()
    found = {r.code: r for r in rows}
    out: list[dict[str, Any]] = [
        {"dataset": c, "title": found[c].title, "version": found[c].version,
         "retrieved": found[c].retrieved.isoformat() if found[c].retrieved else None}
        if c in found else {"dataset": c, "title": None, "version": None, "retrieved": None,
                            "note": "not in this database's datasets table"}
        for c in codes]  # fmt: skip
    files = [DEFAULTS_DIR / f"{m}.yaml" for m in minerals] + [REFERENCE_DIR / "end_uses.yaml"]
    return out + [_file_version(p) for p in files if p.is_file()]


def _view(run: ScenarioRun, full: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "id": run.id, "kind": run.kind, "minerals": _minerals(run.results),
        "created_at": run.created_at.isoformat() if run.created_at else None,
        "sharing": run.sharing, "owner_org_id": run.owner_org_id, "saved_by": run.actor,
        "spec": run.spec,
    }  # fmt: skip
    if full:
        out |= {"data_versions": run.data_versions, "results": run.results}
    return out


def save(*, session: Session, caller: Caller, kind: str, spec: dict[str, Any], results: Any,
         sharing: str | None = None) -> dict[str, Any]:
    """Store a run owned by the caller's organisation (the local operator: reference data,
    public). Forbidden for anonymous callers; ValueError for an unknown kind or sharing."""
    check_caller(caller)
    if kind not in KINDS:
        raise ValueError(f"kind: expected one of {', '.join(KINDS)}, got {kind!r}")
    if not caller.local and caller.org_id is None:
        raise Forbidden("saving a run needs an authenticated organisation")
    level = sharing or ("public" if caller.local else "owner")
    if level not in SHARING:
        raise ValueError(f"sharing: expected one of {', '.join(SHARING)}, got {level!r}")
    run = ScenarioRun(kind=kind, spec=spec, results=results,
                      data_versions=data_versions(session, _minerals(results)),
                      owner_org_id=None if caller.local else caller.org_id, sharing=level,
                      section_sharing={}, actor=caller.label)  # fmt: skip
    session.add(run)
    session.flush()
    return _view(run)


def list_runs(*, session: Session, caller: Caller, kind: str | None = None,
              limit: int = 100) -> list[dict[str, Any]]:
    """The runs the caller may see, newest first, without their results."""
    query = select(ScenarioRun).where(visible_clause(ScenarioRun, caller),
                                      ScenarioRun.deleted_at.is_(None))
    if kind is not None:
        query = query.where(ScenarioRun.kind == kind)
    rows = session.scalars(query.order_by(ScenarioRun.id.desc()).limit(limit)).all()
    return [_view(r, full=False) for r in rows]


def get_run(*, session: Session, caller: Caller, run_id: int) -> dict[str, Any]:
    """One run with its spec, results and data versions; NotFound if missing or hidden."""
    check_caller(caller)
    run = session.get(ScenarioRun, run_id)
    if run is None or not can_see(run, caller):
        raise NotFound(f"no scenario run {run_id}")
    return _view(run)
