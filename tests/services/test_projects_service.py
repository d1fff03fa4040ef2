"""Import/export use cases: atomic, idempotent, lossless — on SQLite and PostgreSQL."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from critmin.ingest import exchange
from critmin.ingest.errors import IngestError
from critmin.services import projects as service
from critmin.services.auth import LOCAL
from critmin.store.db import make_engine, transaction
from critmin.store.migrate import upgrade
from critmin.store.tables import ChangeLog, Project


def _counts(engine):
    with transaction(engine) as s:
        return (
            s.scalar(select(func.count()).select_from(Project)),
            s.scalar(select(func.count()).select_from(ChangeLog)),
        )


def test_import_is_idempotent(engine, curated_projects_path):
    with transaction(engine) as s:
        first = service.import_file(session=s, path=curated_projects_path, actor="t")
    with transaction(engine) as s:
        second = service.import_file(session=s, path=curated_projects_path, actor="t")
    assert len(first.created) >= 15 and not first.updated
    assert second.created == [] and second.updated == []
    assert len(second.unchanged) == len(first.created)


def test_bad_file_changes_nothing(engine, curated_projects_path, tmp_path):
    with transaction(engine) as s:
        service.import_file(session=s, path=curated_projects_path, actor="t")
    before = _counts(engine)
    with transaction(engine) as s:
        records = service.export_records(session=s, caller=LOCAL)
    text = exchange.to_csv(records)
    rows = list(csv.DictReader(io.StringIO(text)))
    rows[0]["status"] = "operating" if rows[0]["status"] != "operating" else "closed"  # valid edit
    rows[5]["capacity_tpa"] = "-12"  # spreadsheet row 7
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=exchange.CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    bad = tmp_path / "bad.csv"
    bad.write_text(out.getvalue())
    with pytest.raises(IngestError) as info, transaction(engine) as s:
        service.import_file(session=s, path=bad, actor="t")
    assert [(p.row, p.column) for p in info.value.problems] == [(7, "capacity_tpa")]
    assert _counts(engine) == before
    with transaction(engine) as s:
        assert service.export_records(session=s, caller=LOCAL) == records


def test_dry_run_reports_and_writes_nothing(engine, curated_projects_path):
    with transaction(engine) as s:
        report = service.import_file(session=s, path=curated_projects_path, actor="t", dry_run=True)
    assert report.dry_run and len(report.created) >= 15
    assert _counts(engine) == (0, 0)


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_import_export_round_trip(engine, db_url, curated_projects_path, tmp_path, fmt):
    with transaction(engine) as s:
        service.import_file(session=s, path=curated_projects_path, actor="t")
        first = service.export_text(session=s, caller=LOCAL, fmt=fmt)
    path = tmp_path / f"export.{fmt}"
    path.write_text(first)
    other_url = f"sqlite:///{tmp_path / 'other.db'}"
    upgrade(other_url)
    other = make_engine(other_url)
    with transaction(other) as s:
        service.import_file(session=s, path=path, actor="t")
    with transaction(other) as s:
        second = service.export_text(session=s, caller=LOCAL, fmt=fmt)
    other.dispose()
    assert second == first


def test_detail_has_history_and_sources(engine, curated_projects_path):
    with transaction(engine) as s:
        service.import_file(session=s, path=curated_projects_path, actor="importer")
        row = s.scalars(select(Project).where(Project.mineral == "gallium")).first()
        detail = service.project_detail(session=s, caller=LOCAL, ref=row.key)
    assert detail["id"] == row.id and detail["sources"]
    assert detail["changes"][0]["action"] == "create"
    assert detail["changes"][0]["actor"] == "importer"
    with transaction(engine) as s, pytest.raises(service.ProjectNotFound):
        service.project_detail(session=s, caller=LOCAL, ref="no-such-project")


def test_curated_file_path_exists(curated_projects_path: Path):
    assert curated_projects_path.is_file()
