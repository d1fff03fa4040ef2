"""The generic shared-record repository on SQLite and PostgreSQL: create, compare-and-set
versions, diffs in the change log, soft delete, and single-statement filtered pages."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from critmin.domain.entities import MeasureCreate, StockpileLotCreate
from critmin.store import entities as store
from critmin.store.db import transaction
from critmin.store.entities import Filter
from critmin.store.tables import ChangeLog, ExportMeasure, StockpileLot

SOURCE = [{"document": "notice.pdf", "published": "2023-07-03"}]


def _measure(key: str, **over) -> MeasureCreate:
    data = {
        "key": key,
        "title": f"Measure {key}",
        "imposing_country": "CHN",
        "minerals": ["gallium"],
        "forms": ["low_purity_gallium"],
        "measure_type": "licensing",
        "effective": "2023-08-01",
        "sources": SOURCE,
    }
    return MeasureCreate.model_validate({**data, **over})


def _create(s, record, model=ExportMeasure, owner=None):
    values = store.column_values(model, record)
    return store.create(session=s, model=model, values=values, actor="alice", owner_org_id=owner)


def test_column_values_keep_dates_as_dates_and_json_as_json():
    values = store.column_values(ExportMeasure, _measure("cv-one"))
    assert values["effective"] == dt.date(2023, 8, 1)
    assert values["sources"][0]["published"] == "2023-07-03"  # JSON-ready inside JSON columns
    assert values["sharing"] == "public" and values["measure_type"] == "licensing"
    assert store.jsonable(dt.date(2024, 1, 2)) == "2024-01-02" and store.jsonable(3) == 3


def test_create_logs_non_empty_fields(engine):
    with transaction(engine) as s:
        row = _create(s, _measure("log-create"))
        rid = row.id
    with transaction(engine) as s:
        row = store.get(session=s, model=ExportMeasure, id=rid)
        assert row.version == 1 and row.owner_org_id is None and row.deleted_at is None
        (entry,) = store.history(session=s, model=ExportMeasure, id=rid)
        assert entry.action == "create" and entry.actor == "alice"
        assert entry.record_key == "log-create"
        assert entry.changes["effective"] == [None, "2023-08-01"]
        assert "expiry" not in entry.changes and "target_countries" not in entry.changes


def test_claim_version_is_compare_and_set(engine):
    with transaction(engine) as s:
        rid = _create(s, _measure("cas")).id
    with transaction(engine) as s:
        store.claim_version(session=s, model=ExportMeasure, id=rid, expected_version=1)
    with pytest.raises(store.StaleVersion), transaction(engine) as s:
        store.claim_version(session=s, model=ExportMeasure, id=rid, expected_version=1)
    with transaction(engine) as s:
        assert store.get(session=s, model=ExportMeasure, id=rid).version == 2


def test_update_diffs_and_skips_no_ops(engine):
    with transaction(engine) as s:
        rid = _create(s, _measure("upd")).id
    with transaction(engine) as s:
        row = store.get(session=s, model=ExportMeasure, id=rid)
        values = store.column_values(ExportMeasure, _measure("upd", expiry="2026-11-27"))
        changes = store.update(session=s, row=row, values=values, actor="bob", source="x")
        assert changes == {"expiry": [None, "2026-11-27"]}
    with transaction(engine) as s:
        row = store.get(session=s, model=ExportMeasure, id=rid)
        values = store.column_values(ExportMeasure, _measure("upd", expiry="2026-11-27"))
        assert store.update(session=s, row=row, values=values, actor="bob") == {}
    with transaction(engine) as s:
        row = store.get(session=s, model=ExportMeasure, id=rid)
        assert row.version == 2 and row.expiry == dt.date(2026, 11, 27)
        actions = [
            (e.action, e.actor) for e in store.history(session=s, model=ExportMeasure, id=rid)
        ]
        assert actions == [("create", "alice"), ("update", "bob")]
    with transaction(engine) as s:  # after a claim: no second bump; a no-op puts it back
        store.claim_version(session=s, model=ExportMeasure, id=rid, expected_version=2)
        row = store.get(session=s, model=ExportMeasure, id=rid, fresh=True)
        assert store.update(session=s, row=row, values=values, actor="c", claimed_from=2) == {}
    with transaction(engine) as s:
        store.claim_version(session=s, model=ExportMeasure, id=rid, expected_version=2)
        row = store.get(session=s, model=ExportMeasure, id=rid, fresh=True)
        values = store.column_values(ExportMeasure, _measure("upd", title="Renamed"))
        assert store.update(session=s, row=row, values=values, actor="c", claimed_from=2)
    with transaction(engine) as s:
        assert store.get(session=s, model=ExportMeasure, id=rid).version == 3
        assert len(store.history(session=s, model=ExportMeasure, id=rid)) == 3


def test_soft_delete_and_restore(engine):
    with transaction(engine) as s:
        rid = _create(s, _measure("soft")).id
    with transaction(engine) as s:
        row = store.get(session=s, model=ExportMeasure, id=rid)
        store.set_deleted(session=s, row=row, deleted=True, actor="bob")
    with transaction(engine) as s:
        row = store.get(session=s, model=ExportMeasure, id=rid)
        assert row.deleted_at is not None and row.version == 2
        store.set_deleted(session=s, row=row, deleted=False, actor="bob")
    with transaction(engine) as s:
        entries = store.history(session=s, model=ExportMeasure, id=rid)
        assert [e.action for e in entries] == ["create", "delete", "restore"]
        assert entries[1].changes["deleted_at"][0] is None
        assert entries[2].changes["deleted_at"][1] is None
        assert s.scalar(select(func.count()).select_from(ChangeLog)) == 3


def test_page_filters_sort_nulls_last_and_count(engine):
    with transaction(engine) as s:
        for i, (qty, expires, form) in enumerate(
            [
                (5, "2030-01-01", "high_purity_gallium"),
                (1, None, "low_purity_gallium"),
                (4, "2028-01-01", None),
                (2, "2031-06-01", "high_purity_gallium"),
                (3, None, "gallium_scrap"),
            ]
        ):
            lot = StockpileLotCreate(
                mineral="gallium",
                form=form,
                quantity=qty,
                unit="kg",
                location=f"Depot {i}",
                expires=expires,
            )
            _create(s, lot, StockpileLot, None)
    with transaction(engine) as s:
        rows, total = store.page(session=s, model=StockpileLot, sort="-quantity", limit=2, offset=1)
        assert total == 5 and [r.quantity for r in rows] == [4.0, 3.0]
        rows, _ = store.page(session=s, model=StockpileLot, sort="expires", limit=10)
        assert [r.quantity for r in rows] == [4.0, 5.0, 2.0, 1.0, 3.0]  # nulls last, then by id
        rows, _ = store.page(session=s, model=StockpileLot, sort="-expires", limit=10)
        assert [r.quantity for r in rows] == [2.0, 5.0, 4.0, 1.0, 3.0]
        after = Filter("expires_after", "expires", "gte", dt.date)
        rows, total = store.page(
            session=s, model=StockpileLot, filters=[(after, dt.date(2029, 1, 1))], sort="id"
        )
        assert total == 2 and [r.quantity for r in rows] == [5.0, 2.0]
        search = store.search_clause(StockpileLot, ("location", "form"), "DEPOT 3")
        rows, total = store.page(session=s, model=StockpileLot, where=[search])
        assert total == 1 and rows[0].quantity == 2.0
        pct = store.search_clause(StockpileLot, ("location",), "%")
        assert store.page(session=s, model=StockpileLot, where=[pct])[1] == 0  # LIKE escaped


def test_json_list_and_active_on_filters(engine):
    with transaction(engine) as s:
        _create(s, _measure("f-ga", effective="2023-08-01", expiry="2024-12-31"))
        _create(
            s,
            _measure(
                "f-w",
                minerals=["tungsten"],
                forms=["apt"],
                effective="2025-02-04",
                target_countries=["USA"],
            ),
        )
        _create(s, _measure("f-open", minerals=[], forms=[], effective=None))
    has = Filter("mineral", "minerals", "has")
    form = Filter("form", "forms", "has")
    target = Filter("target_country", "target_countries", "has", normalise=str.upper)
    on = Filter("active_on", "effective", "active_on", dt.date, end_column="expiry")

    def keys(*filters):
        with transaction(engine) as s:
            rows, total = store.page(session=s, model=ExportMeasure, filters=filters, sort="key")
            assert total == len(rows)
            return [r.key for r in rows]

    assert keys((has, "gallium")) == ["f-ga"]
    assert keys((has, "gall")) == []  # whole codes only
    assert keys((form, "low_purity_gallium")) == ["f-ga"]
    assert keys((form, "low%purity_gallium")) == []  # wildcards are escaped
    assert keys((target, "usa")) == ["f-w"]
    assert keys((on, dt.date(2024, 6, 1))) == ["f-ga", "f-open"]
    assert keys((on, dt.date(2025, 6, 1))) == ["f-open", "f-w"]
    assert keys((on, dt.date(2025, 6, 1)), (has, "tungsten")) == ["f-w"]
