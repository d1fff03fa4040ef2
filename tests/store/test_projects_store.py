"""Project repository on SQLite and PostgreSQL: upsert, history, children."""

from __future__ import annotations

from sqlalchemy import func, select

from critmin.domain.projects import ProjectRecord
from critmin.store import projects as repo
from critmin.store.db import transaction
from critmin.store.history import history_for
from critmin.store.tables import ChangeLog, ProjectCapacity


def _record(**over) -> ProjectRecord:
    data = dict(
        key="stade-restart",
        name="Stade restart",
        mineral="gallium",
        stage="extraction",
        country="DEU",
        status="announced",
        capacity_tpa=40,
        start_year=2027,
        capacity_by_year=[{"year": 2027, "capacity_tpa": 20}, {"year": 2028, "capacity_tpa": 40}],
        history=[{"date": "2025-06-01", "status": "announced", "note": "restart announced"}],
        financing={"needed_usd": 1e7, "sources": [{"name": "Programme X", "kind": "government"}]},
    )
    data.update(over)
    return ProjectRecord.model_validate(data)


def test_create_then_unchanged_then_update(engine):
    with transaction(engine) as s:
        row, action = repo.upsert_project(
            session=s, record=_record(), actor="alice", source="a.csv"
        )
        assert action == "create"
        pid = row.id
    with transaction(engine) as s:
        _, action = repo.upsert_project(session=s, record=_record(), actor="alice")
        assert action == "unchanged"
    with transaction(engine) as s:
        _, action = repo.upsert_project(
            session=s,
            record=_record(status="financed", capacity_tpa=50),
            actor="bob",
            source="b.csv",
        )
        assert action == "update"
    with transaction(engine) as s:
        entries = history_for(session=s, table="projects", record_id=pid)
        assert [e.action for e in entries] == ["create", "update"]
        assert entries[1].actor == "bob" and entries[1].source == "b.csv"
        assert entries[1].changes == {
            "status": ["announced", "financed"],
            "capacity_tpa": [40.0, 50.0],
        }
        row = repo.get_project(session=s, id=pid)
        assert row.version == 2
        assert repo.to_record(row) == _record(status="financed", capacity_tpa=50)


def test_children_are_replaced_not_duplicated(engine):
    with transaction(engine) as s:
        repo.upsert_project(session=s, record=_record(), actor="t")
    with transaction(engine) as s:
        repo.upsert_project(
            session=s,
            record=_record(capacity_by_year=[{"year": 2029, "capacity_tpa": 45}]),
            actor="t",
        )
    with transaction(engine) as s:
        years = s.scalars(select(ProjectCapacity.year)).all()
        assert years == [2029]
        assert s.scalar(select(func.count()).select_from(ChangeLog)) == 2


def test_filters(engine):
    with transaction(engine) as s:
        repo.upsert_project(session=s, record=_record(), actor="t")
        repo.upsert_project(
            session=s,
            record=_record(
                key="boguty", name="Boguty", mineral="tungsten", country="KAZ", status="operating"
            ),
            actor="t",
        )
    with transaction(engine) as s:
        assert [p.key for p in repo.list_projects(session=s, mineral="tungsten")] == ["boguty"]
        assert [p.key for p in repo.list_projects(session=s, country="deu")] == ["stade-restart"]
        assert repo.list_projects(session=s, status="closed") == []
