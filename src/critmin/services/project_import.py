"""Importing exchange-format files: validate and stage first, then one short write.

1. **Validate and stage.** The file streams by in batches of :data:`BATCH` rows: each
   row is validated, looked up among the importing organisation's records, merged
   with the stored record and written to a private staging file (SQLite, in a
   temporary folder). Nothing is written to the database, so no write lock is held
   and other writers carry on. Memory stays flat whatever the size of the file: rows,
   keys seen and the plan live in the staging file; at most
   :data:`~critmin.ingest.errors.MAX_PROBLEMS` problems are kept (the rest counted).
2. **Write.** If the file has no problem, the plan is written in the caller's
   transaction with a few bulk statements per :data:`BATCH` records (projects,
   capacity points, events, one change-log entry per created or updated record).
   A record changed by someone else since it was read, or a key taken meanwhile,
   raises :class:`ImportRaced` and nothing is written.

Merging never widens sharing and never drops what the file does not mention:

* a field the file does not state (a CSV column absent from the header, a key absent
  from a JSON/YAML item) keeps its stored value; an empty cell or explicit null clears;
* a stated ``sharing`` may narrow an existing record's level, never widen it (the
  report lists the records that kept their narrower level); section sharing is never
  changed by an import;
* a new record whose file states no level is ``owner``-only (:data:`NEW_RECORD_SHARING`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from critmin.domain.projects import ProjectRecord
from critmin.ingest.errors import IngestError, Problem, ProblemLog
from critmin.ingest.exchange import MERGE_FIELDS, Parsed, duplicate_key, problems_from_validation
from critmin.store import project_bulk as bulk
from critmin.store.history import diff

BATCH = 1_000
"""Rows validated, looked up and written together."""
NEW_RECORD_SHARING = "owner"
"""The level of a new record whose file states none: secure by default."""
LEVEL_RANK = {"public": 0, "partners": 1, "owner": 2}
MAX_REPORT_KEYS = 10_000
"""The report names at most this many keys per outcome (its counts are exact)."""


class ImportRaced(RuntimeError):
    """A record changed, or a key was taken, between validation and writing."""


@dataclass
class ImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    dry_run: bool
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    kept_sharing: list[dict[str, str]] = field(default_factory=list)
    """Records that kept a narrower level than the file states: key, sharing, stated."""
    owner_only_by_default: int = 0
    """New records whose file stated no sharing level, so made owner-only."""

    def count(self, action: str) -> int:
        return self.counts.get(action, len(getattr(self, action)))

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "dry_run": self.dry_run,
            "created": self.count("created"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "kept_sharing": list(self.kept_sharing),
            "owner_only_by_default": self.owner_only_by_default,
        }


@dataclass
class _Plan:
    action: str  # created | updated | unchanged
    key: str
    row: int | None
    payload: str | None = None
    """The planned write as JSON: columns, points, events, changes."""
    project_id: int | None = None
    version: int | None = None


class Staging:
    """A private SQLite file: the keys seen so far and the planned writes, in file order."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="critmin-import-")
        self.db = sqlite3.connect(Path(self._dir.name) / "staging.db", isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-4000"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.execute("CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID")
        self.db.execute(
            "CREATE TABLE plan (seq INTEGER PRIMARY KEY, action TEXT, key TEXT, row INTEGER,"
            " project_id INTEGER, version INTEGER, payload TEXT)"
        )

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc: object) -> None:
        self.db.close()
        self._dir.cleanup()

    def first_rows(self, keys: list[str]) -> dict[str, int | None]:
        """The row each of ``keys`` was first seen on, for those already seen."""
        if not keys:
            return {}
        marks = ",".join("?" * len(keys))
        return dict(self.db.execute(f"SELECT key, row FROM seen WHERE key IN ({marks})", keys))

    def add(self, seen: dict[str, int | None], plans: list[_Plan]) -> None:
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO seen VALUES (?, ?)", seen.items())
        self.db.executemany(
            "INSERT INTO plan (action, key, row, project_id, version, payload)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [(p.action, p.key, p.row, p.project_id, p.version, p.payload) for p in plans],
        )
        self.db.execute("COMMIT")

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT action, count(*) FROM plan GROUP BY action"))

    def keys(self, action: str, limit: int) -> list[str]:
        sql = "SELECT key FROM plan WHERE action = ? ORDER BY seq LIMIT ?"
        return [k for (k,) in self.db.execute(sql, (action, limit))]

    def batches(self, action: str) -> Iterator[list[tuple[str, int | None, int | None, Any]]]:
        """The planned ``action`` writes, BATCH at a time: (key, project_id, version, payload)."""
        cursor = self.db.execute(
            "SELECT key, project_id, version, payload FROM plan WHERE action = ? ORDER BY seq",
            (action,),
        )
        while rows := cursor.fetchmany(BATCH):
            yield [(k, pid, v, json.loads(p)) for k, pid, v, p in rows]


# ---------------------------------------------------------------- planning one record


def _stricter(a: str, b: str) -> str:
    return a if LEVEL_RANK.get(a, 2) >= LEVEL_RANK.get(b, 2) else b


def _unstorable(data: dict[str, Any], text: str) -> str | None:
    """Why ``data`` (written as JSON: ``text``) cannot be stored: NUL or a lone surrogate."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "valid Unicode text (no lone surrogate characters)"
    if "\\u0000" in text and _has_nul(data):  # the JSON escape of NUL, or text like it
        return "text without NUL (\\x00) characters"
    return None


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        value = list(value.values())
    return isinstance(value, list) and any(_has_nul(v) for v in value)


def _columns(data: dict[str, Any]) -> dict[str, Any]:
    """The projects-table values of an exchange record (as JSON)."""
    fin = data["financing"]
    values = {name: data.get(name) for name in bulk.RECORD_COLUMNS}
    values |= {
        "financing_needed_usd": fin["needed_usd"],
        "financing_committed_usd": fin["committed_usd"],
        "capex_amount": fin["capex_amount"],
        "capex_currency": fin["capex_currency"],
        "funding_sources": fin["sources"],
    }
    return values


def _payload(data: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    return {
        "columns": _columns(data),
        "points": data["capacity_by_year"],
        "events": data["history"],
        "changes": changes,
    }


class _Planner:
    """Turns validated rows into planned creates and updates for one owner."""

    def __init__(self, *, file: str, owner_org_id: int | None, csv_mode: bool) -> None:
        self.file = file
        self.owner_org_id = owner_org_id
        self.csv_mode = csv_mode
        self.kept_sharing: list[dict[str, str]] = []
        self.defaulted = 0

    def create(self, item: Parsed, log: ProblemLog) -> _Plan | None:
        assert item.record is not None
        data = item.record.model_dump(mode="json")
        if "sharing" not in item.given:
            data["sharing"] = NEW_RECORD_SHARING
            self.defaulted += 1
        changes = {k: [None, v] for k, v in data.items() if v not in (None, [], {})}
        return self._plan("created", item, data, changes, log)

    def update(self, item: Parsed, old: bulk.Existing, log: ProblemLog) -> _Plan | None:
        assert item.record is not None
        new = item.record.model_dump(mode="json")
        if not (item.given | {"sharing"}) >= MERGE_FIELDS:
            new = self._merge(item, old.snapshot, new, log)
            if new is None:
                return None
        stored = old.snapshot["sharing"]
        if "sharing" in item.given:
            stated = item.record.sharing
            new["sharing"] = _stricter(stored, stated)
            if new["sharing"] != stated and len(self.kept_sharing) < MAX_REPORT_KEYS:
                self.kept_sharing.append({"key": old.key, "sharing": stored, "stated": stated})
        else:
            new["sharing"] = stored
        sections = {"section_sharing": old.section_sharing}
        changes = diff(old.snapshot | sections, new | sections)
        if not changes:
            return _Plan("unchanged", old.key, item.row)
        plan = self._plan("updated", item, new, changes, log)
        if plan is not None:
            plan.project_id, plan.version = old.id, old.version
        return plan

    def _merge(
        self, item: Parsed, stored: dict[str, Any], new: dict[str, Any], log: ProblemLog
    ) -> dict[str, Any] | None:
        """The stored record with the fields the file states taken from the file."""
        merged = json.loads(json.dumps(stored))
        for name in item.given:
            head, _, part = name.partition(".")
            if part:
                merged[head][part] = new[head][part]
            elif name in new:
                merged[name] = new[name]
        try:
            return ProjectRecord.model_validate(merged).model_dump(mode="json")
        except ValidationError as exc:
            log.extend(
                problems_from_validation(
                    exc, file=self.file, row=item.row, raw=None, csv_mode=self.csv_mode
                )
            )
            return None

    def _plan(
        self,
        action: str,
        item: Parsed,
        data: dict[str, Any],
        changes: dict[str, Any],
        log: ProblemLog,
    ) -> _Plan | None:
        text = json.dumps(_payload(data, changes), ensure_ascii=False)
        why = _unstorable(data, text)
        if why is not None:
            log.add(Problem(self.file, item.row, "(row)", None, why))
            return None
        return _Plan(action, data["key"], item.row, text)


# ---------------------------------------------------------------- the import


def _stage(
    session: Session,
    stage: Staging,
    batch: list[Parsed],
    planner: _Planner,
    log: ProblemLog,
) -> None:
    """Validate, look up and plan one batch of rows; write the plans to ``stage``."""
    seen: dict[str, int | None] = {}
    earlier = stage.first_rows([i.key for i in batch if i.key])
    fresh: list[Parsed] = []
    for item in batch:
        if item.key:
            first = earlier.get(item.key, seen.get(item.key))
            if item.key in earlier or item.key in seen:
                log.add(duplicate_key(item, first, planner.file))
                continue
            seen[item.key] = item.row
        log.extend(item.problems)
        if item.record is not None:
            fresh.append(item)
    keys = [i.record.key for i in fresh if i.record is not None]
    owner = planner.owner_org_id
    existing = bulk.find_existing(session, owner_org_id=owner, keys=keys)
    taken = bulk.keys_held_by_others(
        session, owner_org_id=owner, keys=[k for k in keys if k not in existing]
    )
    plans = []
    for item in fresh:
        assert item.record is not None
        key = item.record.key
        old = existing.get(key)
        if key in taken:
            expected = "a key not used by another organisation's project or reference data"
            log.add(Problem(planner.file, item.row, "key", key, expected))
        elif old is not None and old.deleted:
            expected = "the key of a deleted project: restore it before importing over it"
            log.add(Problem(planner.file, item.row, "key", key, expected))
        elif (plan := planner.update(item, old, log) if old else planner.create(item, log)):
            plans.append(plan)
    stage.add(seen, [] if len(log) else plans)


def _write(session: Session, stage: Staging, *, owner_org_id: int | None, actor: str,
           source: str) -> None:  # fmt: skip
    """The write phase: every planned update and create, in the caller's transaction."""
    conn = session.connection()
    now = dt.datetime.now(dt.UTC)
    meta = {"actor": actor[:200], "source": source[:300], "changed_at": now}

    def children(pid: int, payload: dict[str, Any]) -> tuple[list[Any], list[Any]]:
        points = [{"project_id": pid, **p} for p in payload["points"]]
        events = [
            {"project_id": pid, **e, "date": dt.date.fromisoformat(e["date"])}
            for e in payload["events"]
        ]
        return points, events

    try:
        for batch in stage.batches("updated"):
            rows = [{**p["columns"], "_id": pid, "_version": v} for _, pid, v, p in batch]
            if bulk.update_projects(conn, rows, now) != len(rows):
                raise ImportRaced("a project in the file was changed by someone else meanwhile")
            redo = [(pid, p) for _, pid, _, p in batch
                    if {"capacity_by_year", "history"} & p["changes"].keys()]  # fmt: skip
            pairs = [children(pid, p) for pid, p in redo]
            bulk.replace_children(
                conn,
                [pid for pid, _ in redo],
                [x for pts, _ in pairs for x in pts],
                [x for _, evs in pairs for x in evs],
            )
            bulk.insert_changes(conn, [
                {"record_id": pid, "record_key": key, "action": "update", "changes": p["changes"],
                 **meta} for key, pid, _, p in batch
            ])  # fmt: skip
        for batch in stage.batches("created"):
            owned = {"owner_org_id": owner_org_id, "section_sharing": {}, "version": 1}
            ids = bulk.insert_projects(conn, [{**p["columns"], **owned} for *_, p in batch])
            pairs = [children(ids[key], p) for key, *_, p in batch]
            bulk.insert_children(
                conn, [x for pts, _ in pairs for x in pts], [x for _, evs in pairs for x in evs]
            )
            bulk.insert_changes(conn, [
                {"record_id": ids[key], "record_key": key, "action": "create",
                 "changes": p["changes"], **meta} for key, *_, p in batch
            ])  # fmt: skip
    except IntegrityError:
        raise ImportRaced("a key in the file was taken by someone else meanwhile") from None


def run_import(
    *,
    session: Session,
    items: Iterable[Parsed],
    file: str,
    owner_org_id: int | None,
    actor: str,
    source: str,
    dry_run: bool = False,
    csv_mode: bool = False,
) -> ImportReport:
    """Import ``items`` for ``owner_org_id`` (None: records without an owner); all or nothing.

    Raises IngestError listing the problems (file, row, column, value, expected) when
    there are any, ImportRaced when the database changed under the import; either way
    nothing is written. ``dry_run`` stages and reports without writing.
    """
    log = ProblemLog()
    planner = _Planner(file=file, owner_org_id=owner_org_id, csv_mode=csv_mode)
    with Staging() as stage:
        stream = iter(items)
        try:
            while batch := list(itertools.islice(stream, BATCH)):
                _stage(session, stage, batch, planner, log)
        except IngestError as exc:
            log.extend(exc.problems)
        log.raise_if_any()
        report = ImportReport(file=file, dry_run=dry_run, counts=stage.counts(),
                              kept_sharing=planner.kept_sharing,
                              owner_only_by_default=planner.defaulted)  # fmt: skip
        for action in ("created", "updated", "unchanged"):
            report.counts.setdefault(action, 0)
            setattr(report, action, stage.keys(action, MAX_REPORT_KEYS))
        if not dry_run:
            _write(session, stage, owner_org_id=owner_org_id, actor=actor, source=source)
    return report
