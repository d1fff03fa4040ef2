"""Bulk imports on SQLite and PostgreSQL: a short write phase, all or nothing, a complete
change log, changes made meanwhile detected, flat memory."""

from __future__ import annotations

import csv
import io
import tracemalloc

import pytest
from sqlalchemy import event, func, select

from critmin.ingest import exchange
from critmin.ingest.errors import IngestError
from critmin.services import auth, tracker
from critmin.services.project_import import BATCH, ImportRaced, run_import
from critmin.store.db import transaction
from critmin.store.tables import ChangeLog, Project, ProjectCapacity, ProjectEvent

COLUMNS = list(exchange.CSV_COLUMNS)


def synthetic_rows(n: int, *, prefix: str = "synthetic", start: int = 0) -> str:
    """``n`` synthetic exchange-format CSV rows (invented projects, not real ones)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for i in range(start, start + n):
        row = {c: "" for c in COLUMNS} | {
            "key": f"{prefix}-{i}", "name": f"Synthetic project {i}", "mineral": "gallium",
            "stage": "refining", "country": "CAN", "status": "announced",
            "capacity_tpa": str(10 + i % 90), "capacity_by_year": f"2030:{i % 50}",
            "partners": "Synthetic A|Synthetic B", "financing_needed_usd": str(1000 * i),
            "history": '[{"date": "2025-01-01", "status": "announced", "note": "synthetic"}]',
            "sources": '[{"document": "synthetic", "title": "Synthetic data"}]',
            "sharing": "partners", "notes": f"synthetic row {i}",
        }  # fmt: skip
        writer.writerow([row[c] for c in COLUMNS])
    return out.getvalue()


def _owner(session) -> auth.Caller:
    auth.create_org(session=session, name="Bulk Org")
    _, token = auth.create_token(session=session, org_name="Bulk Org", role="editor")
    return auth.authenticate(session=session, token=token)


def _count(session, model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return session.scalar(stmt) or 0


def test_write_phase_is_a_few_bulk_statements(engine):
    with transaction(engine) as s:
        owner = _owner(s)
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(engine, "before_cursor_execute", record)
    try:
        with transaction(engine) as s:
            report = tracker.import_text(session=s, caller=owner, text=synthetic_rows(3_000),
                                         fmt="csv", file="bulk.csv")  # fmt: skip
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert report.count("created") == 3_000
    first_write = next(i for i, word in enumerate(statements) if word in ("INSERT", "UPDATE"))
    write_phase = statements[first_write:]
    # per batch of 1,000: projects, their new ids, capacity points, events, change log --
    # never a statement per row
    assert len(write_phase) <= 5 * 3, write_phase
    assert write_phase.count("SELECT") <= 3
    with transaction(engine) as s:
        assert _count(s, Project, owner_org_id=owner.org_id) == 3_000
        assert _count(s, ProjectCapacity) == 3_000 and _count(s, ProjectEvent) == 3_000
        assert _count(s, ChangeLog, action="create", table_name="projects") == 3_000


def test_change_log_has_one_entry_per_created_or_updated_record(engine):
    with transaction(engine) as s:
        owner = _owner(s)
        tracker.import_text(session=s, caller=owner, text=synthetic_rows(1_200), fmt="csv",
                            file="a.csv")  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(synthetic_rows(1_200))))
    for row in rows[:7]:
        row["status"] = "construction"
    for row in rows[7:9]:
        row["capacity_by_year"] = "2031:5|2032:6"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with transaction(engine) as s:
        report = tracker.import_text(session=s, caller=owner, text=out.getvalue(), fmt="csv",
                                     file="b.csv")  # fmt: skip
    assert (report.count("updated"), report.count("unchanged")) == (9, 1_191)
    with transaction(engine) as s:
        assert _count(s, ChangeLog, action="update") == 9
        assert _count(s, ChangeLog, action="create") == 1_200
        row = s.scalars(select(Project).where(Project.key == "synthetic-8")).one()
        assert [(p.year, p.capacity_tpa) for p in row.capacity_points] == [(2031, 5), (2032, 6)]
        assert row.version == 2
        history = tracker.history(session=s, caller=owner, id=row.id)
        assert [h["action"] for h in history] == ["create", "update"]
        assert history[1]["changes"]["capacity_by_year"][1] == [
            {"year": 2031, "capacity_tpa": 5.0}, {"year": 2032, "capacity_tpa": 6.0}]  # fmt: skip
        assert history[1]["source"] == "import b.csv"


def test_a_bad_row_late_in_a_big_file_writes_nothing(engine):
    rows = list(csv.DictReader(io.StringIO(synthetic_rows(2_500))))
    rows[2_400]["capacity_tpa"] = "2e9"  # spreadsheet row 2402, above the physical bound
    rows[2_450]["key"] = rows[3]["key"]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    with transaction(engine) as s:
        owner = _owner(s)
    with pytest.raises(IngestError) as info, transaction(engine) as s:
        tracker.import_text(session=s, caller=owner, text=out.getvalue(), fmt="csv",
                            file="late.csv")  # fmt: skip
    found = [(p.file, p.row, p.column, p.value) for p in info.value.problems]
    assert found == [("late.csv", 2402, "capacity_tpa", "2e9"),
                     ("late.csv", 2452, "key", "synthetic-3")]  # fmt: skip
    assert "less than or equal to 1000000000" in info.value.problems[0].expected
    assert "row 5" in info.value.problems[1].expected
    with transaction(engine) as s:
        assert _count(s, Project) == 0 and _count(s, ChangeLog, table_name="projects") == 0


def _race(engine, owner, pid, text, meanwhile):
    """Import ``text`` (a whole number of batches); after the file is read and checked,
    ``meanwhile`` changes the database."""

    def items():
        yield from exchange.iter_stream(io.BytesIO(text.encode()), fmt="csv", file="race.csv")
        with transaction(engine) as other:
            meanwhile(other)

    with transaction(engine) as s:
        run_import(session=s, items=items(), file="race.csv", owner_org_id=owner.org_id,
                   actor=owner.label, source="import race.csv", csv_mode=True)  # fmt: skip


def test_records_changed_meanwhile_abort_the_whole_import(engine):
    with transaction(engine) as s:
        owner = _owner(s)
        tracker.import_text(session=s, caller=owner, text=synthetic_rows(3), fmt="csv", file="x")
        pid = s.scalar(select(Project.id).where(Project.key == "synthetic-1"))
    rows = list(csv.DictReader(io.StringIO(synthetic_rows(BATCH))))
    for row in rows:
        row["notes"] = "from the file"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)

    def edit(other):
        row = tracker.get_visible(session=other, caller=owner, id=pid)
        tracker.patch(session=other, caller=owner, id=pid, changes={"notes": "theirs"},
                      if_match=row.version)  # fmt: skip

    with pytest.raises(ImportRaced, match="changed by someone else"):
        _race(engine, owner, pid, out.getvalue(), edit)

    def take_key(other):
        tracker.create(session=other, caller=owner, data={
            "key": "synthetic-4", "name": "Taken", "mineral": "gallium", "stage": "refining",
            "country": "CAN", "status": "announced"})  # fmt: skip

    with pytest.raises(ImportRaced, match="taken"):
        _race(engine, owner, pid, out.getvalue(), take_key)
    with transaction(engine) as s:
        notes = dict(s.execute(select(Project.key, Project.notes)).all())
        assert notes == {"synthetic-0": "synthetic row 0", "synthetic-1": "theirs",
                         "synthetic-2": "synthetic row 2", "synthetic-4": None}  # fmt: skip
        assert _count(s, Project) == 4
        assert _count(s, ChangeLog, source="import race.csv") == 0


def test_memory_does_not_grow_with_the_file(sqlite_engine):
    with transaction(sqlite_engine) as s:
        owner = _owner(s)

    def peak(n: int, start: int) -> int:
        text = synthetic_rows(n, start=start).encode()
        tracemalloc.start()
        tracemalloc.reset_peak()
        base = tracemalloc.get_traced_memory()[0]
        with transaction(sqlite_engine) as s:
            report = tracker.import_stream(session=s, caller=owner, stream=io.BytesIO(text),
                                           fmt="csv", file="m.csv", dry_run=True)  # fmt: skip
        used = tracemalloc.get_traced_memory()[1] - base
        tracemalloc.stop()
        assert report.count("created") == n
        return used

    small, large = peak(2_000, 0), peak(8_000, 10_000)
    assert large < small * 1.5, (small, large)
