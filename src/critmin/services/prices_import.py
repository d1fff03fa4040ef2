"""Importing price observations from the CSV/Excel layout: all or nothing.

1. **Validate.** The file streams by row by row: each row is checked on its own
   (:func:`critmin.ingest.prices.parse_row`), then against the rows before it: rows of
   one series agree on what they say about it (market, mineral, form, purity, unit,
   frequency, description, sharing), and an observation (series, date and its
   precision, kind, window, other series) appears once. A ratio's ``relative_to`` names
   a series of the file or one the importer may see. Validated rows are kept as compact
   records; at most :data:`~critmin.ingest.errors.MAX_PROBLEMS` problems are listed.
2. **Write**, only if there is no problem, in the caller's transaction: each series is
   created (owned by the importing organisation, or reference data without one) or
   updated, and its observations added, updated or left alone; one change-log entry per
   series that changed, whose version then moves on.

Sharing is never widened: a new series takes the level the file states (``owner`` when
it states none and an organisation imports; reference data is public); an existing
series keeps a stricter level than the file states (the report lists it). The stored
series' mineral and unit cannot change through an import (levels are in that unit).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import IO, Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from critmin.ingest.errors import IngestError, Problem, ProblemLog
from critmin.ingest.prices import PriceRow, SeriesFields, iter_price_rows
from critmin.services.access import LEVEL_RANK
from critmin.services.tracker import Conflict
from critmin.store import entities as store
from critmin.store.tables import PriceObservation, PriceSeries

NEW_SERIES_SHARING = "owner"
"""A new series of an organisation whose file states no level: owner-only."""
OBS_COLUMNS = ("qualifier", "value", "unit", "reference", "note", "sources")
"""What an import may change on an observation it finds again (same identity)."""
SERIES_UPDATABLE = ("market", "form", "purity", "frequency", "description")


@dataclass
class PriceImportReport:
    """What an import did (or, with ``dry_run``, would do)."""

    file: str
    dry_run: bool
    series_created: list[str] = field(default_factory=list)
    series_updated: list[str] = field(default_factory=list)
    series_unchanged: list[str] = field(default_factory=list)
    observations: dict[str, int] = field(
        default_factory=lambda: {"added": 0, "updated": 0, "unchanged": 0}
    )
    kept_sharing: list[dict[str, str]] = field(default_factory=list)
    """Series that kept a stricter level than the file states: key, sharing, stated."""
    alerts: list[dict[str, Any]] = field(default_factory=list)
    """New alert events the import set off that the importer may see (see monitor)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Series:
    key: str
    fields: SeriesFields
    row: int
    rows: dict[tuple[Any, ...], PriceRow] = field(default_factory=dict)


_FIELD_NAMES = ("market", "mineral", "form", "purity", "unit", "frequency", "description",
                "sharing")  # fmt: skip


def _agree(series: _Series, item: PriceRow, file: str, log: ProblemLog) -> None:
    """Rows of one series must say the same about it (empty cells say nothing)."""
    first, now = series.fields, item.fields
    merged = {}
    for name in _FIELD_NAMES:
        a, b = getattr(first, name), getattr(now, name)
        column = "currency" if name == "unit" else name
        if a is not None and b is not None and a != b:
            expected = f"{a!r}, as row {series.row} says for series {series.key!r}"
            log.add(Problem(file, item.row, column, b, expected))
        merged[name] = a if a is not None else b
    series.fields = SeriesFields(**merged)


def _collect(items: Iterable[tuple[PriceRow | None, list[Problem]]], file: str,
             log: ProblemLog) -> dict[str, _Series]:  # fmt: skip
    """Every series of the file with its observations (validated, unique)."""
    found: dict[str, _Series] = {}
    try:
        for item, problems in items:
            log.extend(problems)
            if item is None:
                continue
            series = found.get(item.series)
            if series is None:
                series = found[item.series] = _Series(item.series, item.fields, item.row)
            else:
                _agree(series, item, file, log)
            earlier = series.rows.get(item.identity)
            if earlier is not None:
                expected = (f"one observation per series, date, kind and window (row "
                            f"{earlier.row} has the same)")  # fmt: skip
                log.add(Problem(file, item.row, "date", item.date.isoformat(), expected))
                continue
            series.rows[item.identity] = item
    except IngestError as exc:
        log.extend(exc.problems)
    return found


def _existing(session: Session, owner_org_id: int | None, keys: list[str]) -> dict[str, Any]:
    if not keys:
        return {}
    stmt = select(PriceSeries).where(
        PriceSeries.key.in_(keys), store.key_scope(PriceSeries, owner_org_id)
    )
    return {s.key: s for s in session.scalars(stmt)}


def _check(session: Session, found: dict[str, _Series], stored: dict[str, Any],
           owner_org_id: int | None, visible: Any, file: str, log: ProblemLog) -> None:  # fmt: skip
    """Problems with the stored series and the series ratios name."""
    for key, series in found.items():
        row = stored.get(key)
        f = series.fields
        if owner_org_id is None and f.sharing not in (None, "public"):
            log.add(Problem(file, series.row, "sharing", f.sharing,
                            "public: series imported without an owning organisation are public "
                            "reference data (import with --org to keep them private)"))  # fmt: skip
        if row is None:
            continue
        if row.deleted_at is not None:
            log.add(Problem(file, series.row, "series", key,
                            "the key of a deleted series: restore it before importing into it"))
        for name, column in (("mineral", "mineral"), ("unit", "currency")):
            if getattr(row, name) != getattr(f, name):
                log.add(Problem(file, series.row, column, getattr(f, name),
                                f"{getattr(row, name)!r}: the stored series' {name} "
                                "(an import does not change it)"))  # fmt: skip
    wanted = {i.relative_to for s in found.values() for i in s.rows.values() if i.relative_to}
    unknown = sorted(wanted - set(found))
    if unknown:
        stmt = select(PriceSeries.key).where(PriceSeries.key.in_(unknown),
                                             PriceSeries.deleted_at.is_(None), visible)
        known = set(session.scalars(stmt))
        for s in found.values():
            for i in s.rows.values():
                if i.relative_to in set(unknown) - known:
                    log.add(Problem(file, i.row, "relative_to", i.relative_to,
                                    "the key of a series in this file or one you may see"))


def _obs_values(item: PriceRow) -> dict[str, Any]:
    return {"date": item.date, "date_precision": item.date_precision, "kind": item.kind,
            "qualifier": item.qualifier, "value": item.value, "unit": item.unit,
            "window": item.window, "relative_to": item.relative_to,
            "reference": item.reference, "note": item.note,
            "sources": [dict(s) for s in item.sources]}  # fmt: skip


def _identity(obs: Any) -> tuple[Any, ...]:
    return (obs.date, obs.date_precision, obs.kind, obs.window, obs.relative_to)


def _write_series(session: Session, series: _Series, row: Any, owner_org_id: int | None,
                  actor: str, source: str, report: PriceImportReport) -> None:  # fmt: skip
    """Create or update one series and its observations (in a dry run, only count)."""
    dry = report.dry_run
    f = series.fields
    if dry and row is None:
        report.series_created.append(series.key)
        report.observations["added"] += len(series.rows)
        return
    values = {name: getattr(f, name) for name in ("mineral", "form", "purity", "market", "unit",
                                                   "frequency", "description")}  # fmt: skip
    if row is None:
        stated = f.sharing
        sharing = stated or (NEW_SERIES_SHARING if owner_org_id is not None else "public")
        row = store.add(session=session, model=PriceSeries, values={
            **values, "key": series.key, "sharing": sharing, "owner_org_id": owner_org_id,
            "section_sharing": {}, "version": 1, "sources": []})  # fmt: skip
        changes: dict[str, list[Any]] = {k: [None, v] for k, v in values.items() if v is not None}
        changes["sharing"] = [None, sharing]
        action = "create"
    else:
        changes = {}
        for name in SERIES_UPDATABLE:
            new = values[name]
            if new is not None and getattr(row, name) != new:
                changes[name] = [getattr(row, name), new]
                if not dry:
                    setattr(row, name, new)
        stated = f.sharing
        if stated is not None and stated != row.sharing:
            if LEVEL_RANK[stated] > LEVEL_RANK[row.sharing]:
                changes["sharing"] = [row.sharing, stated]
                if not dry:
                    row.sharing = stated
            else:
                report.kept_sharing.append(
                    {"key": series.key, "sharing": row.sharing, "stated": stated})
        action = "update"
    old = {} if action == "create" else {
        _identity(o): o for o in session.scalars(
            select(PriceObservation).where(PriceObservation.series_id == row.id))
    }  # fmt: skip
    added, updated = [], 0
    for ident, item in series.rows.items():
        new = _obs_values(item)
        obs = old.get(ident)
        if obs is None:
            added.append({**new, "series_id": row.id})
            continue
        diff = {k: [getattr(obs, k), new[k]] for k in OBS_COLUMNS if getattr(obs, k) != new[k]}
        if diff:
            for k, (_, v) in diff.items():
                if not dry:
                    setattr(obs, k, v)
            updated += 1
        else:
            report.observations["unchanged"] += 1
    for start in range(0, 0 if dry else len(added), 1_000):
        session.execute(insert(PriceObservation), added[start:start + 1_000])
    report.observations["added"] += len(added)
    report.observations["updated"] += updated
    if added:
        changes["observations.added"] = [None, len(added)]
    if updated:
        changes["observations.updated"] = [None, updated]
    if action == "update" and not changes:
        report.series_unchanged.append(series.key)
        return
    if dry:
        report.series_updated.append(series.key)
        return
    if action == "update":
        store.touch(row=row, bump_version=True)
    session.flush()
    store.log(session=session, row=row, action=action, actor=actor, changes=changes,
              source=source)  # fmt: skip
    (report.series_created if action == "create" else report.series_updated).append(series.key)


def import_prices(
    *,
    session: Session,
    stream: IO[bytes],
    fmt: str,
    file: str,
    owner_org_id: int | None,
    visible: Any,
    actor: str,
    dry_run: bool = False,
    caller: Any = None,
) -> PriceImportReport:
    """Import a price file for ``owner_org_id`` (None: public reference data).

    ``visible`` is the SQL condition of the series the importer may see (for ratios'
    ``relative_to``). Raises IngestError listing every problem (nothing written),
    Conflict when a key was taken meanwhile. ``dry_run`` validates and reports only.
    After a write the price alert rules are evaluated in the same transaction; the new
    events ``caller`` (default: the local operator) may see are in the report.
    """
    log = ProblemLog()
    found = _collect(iter_price_rows(stream, fmt=fmt, file=file), file, log)
    stored = _existing(session, owner_org_id, sorted(found))
    if not len(log):
        _check(session, found, stored, owner_org_id, visible, file, log)
    log.raise_if_any()
    report = PriceImportReport(file=file, dry_run=dry_run)
    source = f"import {file}"[:300]
    try:
        for key, series in found.items():
            _write_series(session, series, stored.get(key), owner_org_id, actor[:200], source,
                          report)  # fmt: skip
        session.flush()
    except IntegrityError:
        raise Conflict("a series key in the file was taken meanwhile; nothing was imported: "
                       "import the file again") from None  # fmt: skip
    if not dry_run:
        from critmin.services.auth import LOCAL
        from critmin.services.monitor import evaluate_after_import

        report.alerts = evaluate_after_import(session, caller or LOCAL, prices=True)
    return report

