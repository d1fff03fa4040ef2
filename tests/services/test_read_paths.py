"""The fast list path on SQLite and PostgreSQL: bulk summaries and reused statements.

``list_page`` reuses the statements it built for an identical request (caller and
filters); the rows always come from the database, so reuse never carries one caller's
rows to another or hides a write.
"""

from __future__ import annotations

import json

import orjson
from sqlalchemy import select

from critmin.services import auth, tracker
from critmin.services.auth import ANONYMOUS
from critmin.services.projects import import_file, summaries, summary
from critmin.store import projects as repo
from critmin.store.db import transaction
from critmin.store.tables import Project

BASE = {"mineral": "gallium", "stage": "extraction", "country": "CAN", "status": "feasibility"}


def test_bulk_summaries_equal_summary(engine, curated_projects_path):
    with transaction(engine) as s:
        import_file(session=s, path=curated_projects_path, actor="test")
        rows = s.connection().execute(select(*repo.summary_columns())).all()
        orm = s.scalars(select(Project).order_by(Project.id)).all()
        assert len(rows) == len(orm) > 5
        assert summaries(rows) == [summary(r) for r in rows]
        assert sorted(summaries(rows), key=lambda r: r["id"]) == [summary(p) for p in orm]
        assert all(isinstance(r["sources"], list) for r in summaries(rows))
        assert any(r["sources"] for r in summaries(rows))
        page = tracker.list_page(session=s, caller=ANONYMOUS, sort="id", limit=500)
        assert page.rows == [summary(p) for p in orm if p.sharing == "public"]
        assert page.total == len(page.rows)
        raw = tracker.list_page(session=s, caller=ANONYMOUS, sort="id", limit=500, raw_sources=True)
        assert json.loads(orjson.dumps(raw.rows)) == json.loads(json.dumps(page.rows, default=str))


def test_reused_statements_never_cross_callers_and_see_writes(engine):
    with transaction(engine) as s:
        auth.create_org(session=s, name="A", groups=["MSP"])
        auth.create_org(session=s, name="B", groups=["MSP"])
        auth.create_org(session=s, name="C")
        who = {"anon": ANONYMOUS}
        for name in "ABC":
            token = auth.create_token(session=s, org_name=name, role="editor")[1]
            who[name] = auth.authenticate(session=s, token=token)
        for level in ("public", "partners", "owner"):
            data = {"key": f"p-{level}", "name": f"P {level}", "sharing": level, **BASE}
            tracker.create(session=s, caller=who["A"], data=data)
    expected = {
        "A": ["p-owner", "p-partners", "p-public"],
        "B": ["p-partners", "p-public"],
        "C": ["p-public"],
        "anon": ["p-public"],
    }
    for _ in range(2):  # the second round reuses every statement
        for name in ("A", "anon", "B", "C", "A"):
            with transaction(engine) as s:
                page = tracker.list_page(session=s, caller=who[name], sort="name")
            assert [r["key"] for r in page.rows] == expected[name], name
            assert page.total == len(expected[name])
    with transaction(engine) as s:
        data = {"key": "p-new", "name": "P new", "sharing": "partners", **BASE}
        tracker.create(session=s, caller=who["B"], data=data).name = "P renamed, not flushed"
        # pending in this session: seen, as an ORM query would see it (autoflush)
        names = [r["name"] for r in tracker.list_page(session=s, caller=who["A"]).rows]
        assert "P renamed, not flushed" in names
    with transaction(engine) as s:
        assert tracker.list_page(session=s, caller=who["A"], sort="name").total == 4
        assert tracker.list_page(session=s, caller=who["C"], sort="name").total == 1


def test_total_counts_every_page(engine):
    with transaction(engine) as s:
        org = auth.create_org(session=s, name="A")
        token = auth.create_token(session=s, org_name=org.name, role="editor")[1]
        a = auth.authenticate(session=s, token=token)
        for n in range(7):
            data = {"key": f"t-{n}", "name": f"T {n}", "sharing": "public", **BASE}
            tracker.create(session=s, caller=a, data=data)
    with transaction(engine) as s:
        for limit, offset, shown in ((3, 0, 3), (3, 3, 3), (3, 6, 1), (7, 0, 7), (50, 0, 7),
                                     (3, 7, 0), (3, 100, 0), (50, 2, 5)):  # fmt: skip
            page = tracker.list_page(session=s, caller=ANONYMOUS, limit=limit, offset=offset)
            assert (len(page.rows), page.total) == (shown, 7), (limit, offset)
        assert tracker.list_page(session=s, caller=ANONYMOUS, mineral="tungsten").total == 0

