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
import gc
import itertools
import json
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
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
from critmin.store.projects import SECTION_FIELDS

BATCH = 1_000
"""Rows validated, looked up and written together."""
NEW_RECORD_SHARING = "owner"
"""The level of a new record whose file states none: secure by default."""
REFERENCE_SHARING = "public"
"""Records without an owning organisation are reference data: public (see
:mod:`critmin.services.access`); a stricter level would hide them from everyone."""
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
    values: tuple[Any, ...] = ()
    """The projects columns (bulk.RECORD_COLUMNS, JSON encoded), ready for the driver."""
    changes: str = ""
    """The change-log entry's changes, as JSON."""
    points: list[tuple[int, float]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    redo_children: bool = False
    project_id: int | None = None
    version: int | None = None


_VALUE_COLUMNS = ", ".join(f"v{i}" for i in range(len(bulk.RECORD_COLUMNS)))


class Staging:
    """A private SQLite file: the keys seen so far and the planned writes, in file order."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="critmin-import-")
        self.db = sqlite3.connect(Path(self._dir.name) / "staging.db", isolation_level=None)
        for pragma in ("journal_mode=OFF", "synchronous=OFF", "cache_size=-4000"):
            self.db.execute(f"PRAGMA {pragma}")
        self.db.executescript(
            f"""
            CREATE TABLE seen (key TEXT PRIMARY KEY, row INTEGER) WITHOUT ROWID;
            CREATE TABLE plan (seq INTEGER PRIMARY KEY, action TEXT, key TEXT, row INTEGER,
                project_id INTEGER, version INTEGER, redo INTEGER, changes TEXT,
                {_VALUE_COLUMNS});
            CREATE INDEX plan_action ON plan (action, seq);
            CREATE TABLE points (seq INTEGER, year INTEGER, capacity_tpa REAL);
            CREATE TABLE events (seq INTEGER, date TEXT, status TEXT, capacity_tpa REAL,
                note TEXT);
            CREATE INDEX points_seq ON points (seq);
            CREATE INDEX events_seq ON events (seq);
            """
        )
        self.next_seq = 1

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
        rows, points, events = [], [], []
        for plan in plans:
            seq, self.next_seq = self.next_seq, self.next_seq + 1
            values = plan.values or (None,) * len(bulk.RECORD_COLUMNS)
            rows.append((seq, plan.action, plan.key, plan.row, plan.project_id, plan.version,
                         plan.redo_children, plan.changes, *values))  # fmt: skip
            points += [(seq, *p) for p in plan.points]
            events += [(seq, *e) for e in plan.events]
        marks = ",".join("?" * (8 + len(bulk.RECORD_COLUMNS)))
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO seen VALUES (?, ?)", seen.items())
        self.db.executemany(f"INSERT INTO plan VALUES ({marks})", rows)
        self.db.executemany("INSERT INTO points VALUES (?, ?, ?)", points)
        self.db.executemany("INSERT INTO events VALUES (?, ?, ?, ?, ?)", events)
        self.db.execute("COMMIT")

    def counts(self) -> dict[str, int]:
        return dict(self.db.execute("SELECT action, count(*) FROM plan GROUP BY action"))

    def keys(self, action: str, limit: int) -> list[str]:
        sql = "SELECT key FROM plan WHERE action = ? ORDER BY seq LIMIT ?"
        return [k for (k,) in self.db.execute(sql, (action, limit))]

    def batches(self, action: str) -> Iterator[list[tuple[Any, ...]]]:
        """The planned ``action`` writes, BATCH at a time, in file order: (seq, key,
        project_id, version, redo, changes, *values)."""
        cursor = self.db.cursor()
        cursor.execute(
            "SELECT seq, key, project_id, version, redo, changes, "
            f"{_VALUE_COLUMNS} FROM plan WHERE action = ? ORDER BY seq",
            (action,),
        )
        while rows := cursor.fetchmany(BATCH):
            yield rows

    def children(
        self, first: int, last: int
    ) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        """The capacity points and events planned for plan rows ``first``..``last``."""
        span = (first, last)
        points = self.db.execute("SELECT * FROM points WHERE seq BETWEEN ? AND ?", span).fetchall()
        events = self.db.execute("SELECT * FROM events WHERE seq BETWEEN ? AND ?", span).fetchall()
        return points, events


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


_ENCODER = json.JSONEncoder(ensure_ascii=False)


def _encode(value: Any) -> str:
    """``value`` as JSON text (one shared encoder: json.dumps builds one per call)."""
    return _ENCODER.encode(value) if value != [] else "[]"


def _values(data: dict[str, Any]) -> tuple[Any, ...]:
    """The projects-table values of an exchange record, JSON encoded, for the driver."""
    columns = _columns(data)
    return tuple(
        _encode(columns[c]) if c in bulk.JSON_COLUMNS else columns[c] for c in bulk.RECORD_COLUMNS
    )


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
        if self.owner_org_id is None:
            if not self._reference_level(item, log):
                return None
            data["sharing"] = REFERENCE_SHARING
        elif "sharing" not in item.given:
            data["sharing"] = NEW_RECORD_SHARING
            self.defaulted += 1
        changes = {k: [None, v] for k, v in data.items() if v not in (None, [], {})}
        return self._plan("created", item, data, changes, log)

    def update(self, item: Parsed, old: bulk.Existing, log: ProblemLog) -> _Plan | None:
        assert item.record is not None
        new = item.record.model_dump(mode="json")
        if self.owner_org_id is None and not self._reference_level(item, log):
            return None
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

    def _reference_level(self, item: Parsed, log: ProblemLog) -> bool:
        """Whether the level a file states suits reference data (public, or not stated)."""
        assert item.record is not None
        if "sharing" not in item.given or item.record.sharing == REFERENCE_SHARING:
            return True
        log.add(Problem(
            self.file, item.row, "sharing", item.record.sharing,
            "public: records imported without an owning organisation are public reference "
            "data (import them as an organisation to keep them partners- or owner-only)",
        ))  # fmt: skip
        return False

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
        text = _encode(changes)
        why = _unstorable(changes, text)
        if why is not None:
            log.add(Problem(self.file, item.row, "(row)", None, why))
            return None
        return _Plan(
            action,
            data["key"],
            item.row,
            values=_values(data),
            changes=text,
            points=[(p["year"], p["capacity_tpa"]) for p in data["capacity_by_year"]],
            events=[
                (e["date"], e["status"], e["capacity_tpa"], e["note"]) for e in data["history"]
            ],  # fmt: skip
            redo_children=bool({"capacity_by_year", "history"} & changes.keys()),
        )


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
    plans = []
    for item in fresh:
        assert item.record is not None
        key = item.record.key
        old = existing.get(key)
        if old is not None and old.deleted:
            expected = "the key of a deleted project: restore it before importing over it"
            log.add(Problem(planner.file, item.row, "key", key, expected))
        elif plan := planner.update(item, old, log) if old else planner.create(item, log):
            plans.append(plan)
    stage.add(seen, [] if len(log) else plans)


def _shared_change(changes: str) -> bool:
    """Whether a change-log entry (JSON) changes a field every viewer sees (not only sections)."""
    return bool(set(json.loads(changes)) - SECTION_FIELDS)


def _write(session: Session, stage: Staging, *, owner_org_id: int | None, actor: str,
           source: str) -> None:  # fmt: skip
    """The write phase: every planned update and create, in the caller's transaction."""
    writer = bulk.Writer(session.connection(), dt.datetime.now(dt.UTC))
    meta = {"actor": actor[:200], "source": source[:300]}
    try:
        for batch in stage.batches("updated"):
            pids = {seq: pid for seq, _, pid, *_ in batch}
            matched = writer.update_projects(
                [(*values, _shared_change(changes), pid, version)
                 for _, _, pid, version, _, changes, *values in batch]
            )  # fmt: skip
            if matched != len(batch):
                raise ImportRaced("a project in the file was changed by someone else meanwhile")
            redo = {seq for seq, _, _, _, redo, *_ in batch if redo}
            writer.delete_children([pids[seq] for seq in redo])
            points, events = stage.children(batch[0][0], batch[-1][0])
            writer.insert_children(
                [(pids[seq], *p) for seq, *p in points if seq in redo],
                [(pids[seq], *e) for seq, *e in events if seq in redo],
            )
            writer.insert_changes([(pid, key, changes) for _, key, pid, _, _, changes, *_ in batch],
                                  action="update", **meta)  # fmt: skip
        for batch in stage.batches("created"):
            ids = writer.insert_projects([row[6:] for row in batch], owner_org_id)
            pids = {seq: ids[key] for seq, key, *_ in batch}
            points, events = stage.children(batch[0][0], batch[-1][0])
            writer.insert_children(
                [(pids[seq], *p) for seq, *p in points if seq in pids],
                [(pids[seq], *e) for seq, *e in events if seq in pids],
            )
            writer.insert_changes([(pids[seq], key, ch) for seq, key, _, _, _, ch, *_ in batch],
                                  action="create", **meta)  # fmt: skip
    except IntegrityError:
        raise ImportRaced("a key in the file was taken by someone else meanwhile") from None


@contextmanager
def _long_lived_objects_frozen() -> Iterator[None]:
    """Keep the collector off the objects that exist before the import.

    An import allocates millions of short-lived objects; each full collection would
    otherwise walk every long-lived object of the process (ORM, schemas, country
    tables) again, which made garbage collection a third of an import's time.
    """
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


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
    with _long_lived_objects_frozen(), Staging() as stage:
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
