"""Caller-aware entity use cases on SQLite and PostgreSQL: sharing, edit rights,
optimistic concurrency, merged validation, references and price observations."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import inspect as sa_inspect

from critmin.services import auth
from critmin.services import entities as svc
from critmin.services.auth import ANONYMOUS, Caller, Role
from critmin.store import entities as store
from critmin.store.db import transaction
from critmin.store.tables import Project

SOURCE = [{"document": "notice.pdf"}]
MEASURE = {
    "key": "ga-licensing",
    "title": "Gallium export licensing",
    "imposing_country": "CHN",
    "minerals": ["gallium"],
    "measure_type": "licensing",
    "announced": "2023-07-03",
    "effective": "2023-08-01",
    "sources": SOURCE,
}
SERIES = {
    "key": "apt-rotterdam",
    "mineral": "tungsten",
    "form": "apt",
    "market": "Rotterdam",
    "unit": "USD/mtu WO3",
}


@pytest.fixture
def who(engine) -> dict[str, Caller]:
    """Editors of Alpha and its partner Beta, an unrelated Gamma, Alpha's viewer, anonymous."""
    with transaction(engine) as s:
        orgs = {
            "alpha": auth.create_org(session=s, name="Alpha", groups=["MSP"]),
            "beta": auth.create_org(session=s, name="Beta", groups=["MSP"]),
            "gamma": auth.create_org(session=s, name="Gamma"),
        }
        callers = {
            name: Caller(
                org_id=org.id,
                org_name=org.name,
                role=Role.EDITOR,
                partner_org_ids=auth.partner_ids(session=s, org_id=org.id),
            )
            for name, org in orgs.items()
        }
    viewer = Caller(org_id=callers["alpha"].org_id, org_name="Alpha", role=Role.VIEWER)
    return {**callers, "viewer": viewer, "anonymous": ANONYMOUS}


def _new(engine, caller, path, data):
    with transaction(engine) as s:
        return svc.create(session=s, caller=caller, spec=svc.SPECS[path], data=data).id


def test_registry_matches_the_tables():
    prefixes = [spec.etag_prefix for spec in svc.SPECS.values()]
    assert len(set(prefixes)) == len(prefixes)
    for path, spec in svc.SPECS.items():
        assert spec.path == path
        columns = set(sa_inspect(spec.model).columns.keys())
        assert set(spec.fields) <= columns, path
        assert set(spec.sortable) | set(spec.search) <= columns, path
        assert {f.column for f in spec.filters} <= columns, path
        assert set(spec.public.model_fields) - {"deleted", "editable"} <= columns, path
        assert set(spec.update.model_fields) == set(spec.fields)
        assert spec.default_sort.lstrip("-") in spec.sortable


def test_sharing_rules_for_lists_and_details(engine, who):
    spec = svc.SPECS["facilities"]
    ids = {
        level: _new(
            engine,
            who["alpha"],
            "facilities",
            {"key": f"fac-{level}", "name": level, "country": "DEU", "sharing": level},
        )
        for level in ("public", "partners", "owner")
    }
    expected = {
        "alpha": {"public", "partners", "owner"},
        "viewer": {"public", "partners", "owner"},
        "beta": {"public", "partners"},
        "gamma": {"public"},
        "anonymous": {"public"},
    }
    with transaction(engine) as s:
        for name, levels in expected.items():
            page = svc.list_page(session=s, caller=who[name], spec=spec, sort="name")
            assert {p.name for p in page.items} == levels and page.total == len(levels), name
            for level, rid in ids.items():
                if level in levels:
                    assert svc.get_visible(session=s, caller=who[name], spec=spec, id=rid).id == rid
                    continue
                with pytest.raises(svc.NotFound) as hidden:
                    svc.get_visible(session=s, caller=who[name], spec=spec, id=rid)
                with pytest.raises(svc.NotFound) as missing:
                    svc.get_visible(session=s, caller=who[name], spec=spec, id=10**6)
                assert str(hidden.value) == str(missing.value) == "no such facility"
        editable = [
            p.editable for p in svc.list_page(session=s, caller=who["alpha"], spec=spec).items
        ]
        assert editable == [True] * 3
        assert not any(
            p.editable for p in svc.list_page(session=s, caller=who["viewer"], spec=spec).items
        )


def test_patch_merges_validates_and_logs(engine, who):
    spec = svc.SPECS["measures"]
    rid = _new(engine, who["alpha"], "measures", MEASURE)
    with pytest.raises(svc.InvalidRecord) as bad, transaction(engine) as s:
        svc.patch(
            session=s,
            caller=who["alpha"],
            spec=spec,
            id=rid,
            changes={"expiry": "2023-01-01"},
            if_match=1,
        )
    assert bad.value.errors[0]["field"] == "expiry"
    assert "before effective" in bad.value.errors[0]["problem"]
    for changes, field in (({"key": "new-key"}, "key"), ({"colour": "red"}, "colour")):
        with pytest.raises(svc.InvalidRecord) as bad, transaction(engine) as s:
            svc.patch(
                session=s, caller=who["alpha"], spec=spec, id=rid, changes=changes, if_match=1
            )
        assert bad.value.errors[0]["field"] == field
    for name in ("beta", "viewer"):
        with pytest.raises(svc.Forbidden), transaction(engine) as s:
            svc.patch(session=s, caller=who[name], spec=spec, id=rid, changes={}, if_match=1)
    with transaction(engine) as s:
        row = svc.patch(
            session=s,
            caller=who["alpha"],
            spec=spec,
            id=rid,
            changes={"expiry": "2026-11-27", "target_countries": ["usa"]},
            if_match=1,
        )
        assert row.version == 2 and row.target_countries == ["USA"]
    with pytest.raises(svc.PreconditionFailed), transaction(engine) as s:
        svc.patch(session=s, caller=who["alpha"], spec=spec, id=rid, changes={}, if_match=1)
    with transaction(engine) as s:  # a patch that changes nothing keeps the version
        same = {"expiry": "2026-11-27", "title": MEASURE["title"]}
        row = svc.patch(session=s, caller=who["alpha"], spec=spec, id=rid, changes=same, if_match=2)
        assert row.version == 2
    with transaction(engine) as s:
        assert svc.get_visible(session=s, caller=who["alpha"], spec=spec, id=rid).version == 2
        entries = svc.history(session=s, caller=who["gamma"], spec=spec, id=rid)
        assert [e.action for e in entries] == ["create", "update"]
        assert entries[1].changes == {
            "expiry": [None, "2026-11-27"],
            "target_countries": [[], ["USA"]],
        }
        assert entries[1].actor == "Alpha (editor)" and entries[1].source == "api"


def test_delete_restore_and_bundled_records(engine, who):
    spec = svc.SPECS["stockpile-lots"]
    lot = {"mineral": "gallium", "quantity": 3, "unit": "kg", "sharing": "partners"}
    rid = _new(engine, who["alpha"], "stockpile-lots", lot)
    with transaction(engine) as s:
        assert (
            svc.delete(session=s, caller=who["alpha"], spec=spec, id=rid, if_match=1).version == 2
        )
    for call, kwargs in (
        (svc.delete, {"if_match": 2}),
        (svc.patch, {"if_match": 2, "changes": {}}),
    ):
        with pytest.raises(svc.Conflict), transaction(engine) as s:
            call(session=s, caller=who["alpha"], spec=spec, id=rid, **kwargs)
    with pytest.raises(svc.NotFound), transaction(engine) as s:
        svc.get_visible(session=s, caller=who["beta"], spec=spec, id=rid, include_deleted=True)
    with transaction(engine) as s:
        trash = svc.list_page(session=s, caller=who["alpha"], spec=spec, deleted=True)
        assert [p.id for p in trash.items] == [rid]
        assert svc.list_page(session=s, caller=ANONYMOUS, spec=spec, deleted=True).total == 0
        row = svc.delete(
            session=s, caller=who["alpha"], spec=spec, id=rid, if_match=2, restore=True
        )
        assert row.deleted_at is None and row.version == 3

    with transaction(engine) as s:  # bundled reference data: no owner, read-only
        bundled = store.create(
            session=s,
            model=spec.model,
            actor="loader",
            values={"mineral": "gallium", "quantity": 1.0, "unit": "t"},
            owner_org_id=None,
        )
        bid = bundled.id
    with pytest.raises(svc.Forbidden, match="read-only"), transaction(engine) as s:
        svc.patch(session=s, caller=who["alpha"], spec=spec, id=bid, changes={}, if_match=1)
    with pytest.raises(svc.Forbidden, match="needs an editor"), transaction(engine) as s:
        svc.create(session=s, caller=who["viewer"], spec=spec, data=lot)


def test_references_must_be_visible(engine, who):
    with transaction(engine) as s:
        hidden = Project(
            key="hidden-project",
            name="Hidden",
            mineral="tungsten",
            stage="refining",
            country="AUS",
            status="announced",
            sharing="owner",
            owner_org_id=who["gamma"].org_id,
            section_sharing={},
        )
        s.add(hidden)
        s.flush()
        pid = hidden.id
    offtake = {"buyer": "B", "mineral": "tungsten", "project_id": pid}
    with pytest.raises(svc.InvalidRecord) as bad, transaction(engine) as s:
        svc.create(session=s, caller=who["alpha"], spec=svc.SPECS["offtakes"], data=offtake)
    assert bad.value.errors == [{"field": "project_id", "problem": f"no project {pid}"}]
    oid = _new(engine, who["gamma"], "offtakes", offtake)  # the owner of the project may
    with transaction(engine) as s:
        row = svc.patch(
            session=s,
            caller=who["gamma"],
            spec=svc.SPECS["offtakes"],
            id=oid,
            changes={"volume_tpa": 10},
            if_match=1,
        )
        assert row.volume_tpa == 10

    related = {**MEASURE, "key": "ga-follow-up", "relates_to": "no-such-measure"}
    with pytest.raises(svc.InvalidRecord) as bad, transaction(engine) as s:
        svc.create(session=s, caller=who["alpha"], spec=svc.SPECS["measures"], data=related)
    assert bad.value.errors[0]["field"] == "relates_to"
    _new(engine, who["beta"], "measures", {**MEASURE, "sharing": "partners"})
    _new(engine, who["alpha"], "measures", {**related, "relates_to": MEASURE["key"]})
    # keys are unique per organisation: Beta's key is free for Alpha, once
    _new(engine, who["alpha"], "measures", MEASURE)
    with pytest.raises(svc.Conflict), transaction(engine) as s:
        svc.create(session=s, caller=who["alpha"], spec=svc.SPECS["measures"], data=MEASURE)


def test_list_filters_search_and_bad_parameters(engine, who):
    spec = svc.SPECS["measures"]
    _new(engine, who["alpha"], "measures", MEASURE)
    _new(
        engine,
        who["alpha"],
        "measures",
        {
            **MEASURE,
            "key": "w-ban",
            "title": "Tungsten ban",
            "minerals": ["tungsten"],
            "measure_type": "ban",
            "effective": "2025-02-04",
            "target_countries": ["USA"],
        },
    )
    with transaction(engine) as s:

        def keys(**kw):
            return [
                p.key for p in svc.list_page(session=s, caller=ANONYMOUS, spec=spec, **kw).items
            ]

        assert keys(sort="-effective") == ["w-ban", "ga-licensing"]
        assert keys(filters={"mineral": "tungsten"}) == ["w-ban"]
        assert keys(filters={"target_country": "usa", "measure_type": "ban"}) == ["w-ban"]
        assert keys(filters={"active_on": dt.date(2024, 1, 1)}) == ["ga-licensing"]
        assert keys(q="TUNGSTEN") == ["w-ban"]
        assert keys(filters={"sharing": "owner"}) == []
        for kw, field in (({"sort": "colour"}, "sort"), ({"filters": {"colour": 1}}, "colour")):
            with pytest.raises(svc.InvalidRecord) as bad:
                keys(**kw)
            assert bad.value.errors[0]["field"] == field


def test_price_observations(engine, who):
    sid = _new(engine, who["alpha"], "price-series", {**SERIES, "sharing": "partners"})
    with transaction(engine) as s:
        series, obs = svc.add_observation(
            session=s,
            caller=who["alpha"],
            series_id=sid,
            data={"date": "2025-01-06", "value": 400},
            if_match=1,
        )
        assert obs.unit == "USD/mtu WO3" and series.version == 2
        oid = obs.id
    with pytest.raises(svc.InvalidRecord) as bad, transaction(engine) as s:
        svc.add_observation(
            session=s,
            caller=who["alpha"],
            series_id=sid,
            data={"date": "2025-01-13", "value": 4, "unit": "USD/kg"},
            if_match=2,
        )
    assert bad.value.errors[0]["field"] == "unit"
    with transaction(engine) as s:
        svc.add_observation(
            session=s,
            caller=who["alpha"],
            series_id=sid,
            if_match=2,
            data={"date": "2025-01-13", "value": 2.5, "kind": "change_pct", "reference": "w/w"},
        )
        series, obs = svc.patch_observation(
            session=s,
            caller=who["alpha"],
            series_id=sid,
            obs_id=oid,
            changes={"value": 410},
            if_match=3,
        )
        assert obs.value == 410 and series.version == 4
    with pytest.raises(svc.PreconditionFailed), transaction(engine) as s:
        svc.delete_observation(
            session=s, caller=who["alpha"], series_id=sid, obs_id=oid, if_match=3
        )
    with pytest.raises(svc.Forbidden), transaction(engine) as s:
        svc.delete_observation(session=s, caller=who["beta"], series_id=sid, obs_id=oid, if_match=4)
    with transaction(engine) as s:
        _, page = svc.list_observations(
            session=s,
            caller=who["beta"],
            series_id=sid,
            filters={"date_from": dt.date(2025, 1, 10)},
        )
        assert [o.kind for o in page.items] == ["change_pct"] and page.total == 1
        _, page = svc.list_observations(session=s, caller=who["beta"], series_id=sid, sort="-value")
        assert [o.value for o in page.items] == [410, 2.5]
        with pytest.raises(svc.NotFound):
            svc.list_observations(session=s, caller=who["gamma"], series_id=sid)
        svc.delete_observation(
            session=s, caller=who["alpha"], series_id=sid, obs_id=oid, if_match=4
        )
    with transaction(engine) as s:
        with pytest.raises(svc.NotFound, match="no such price observation"):
            svc.get_observation(session=s, caller=who["alpha"], series_id=sid, obs_id=oid)
        changes = [
            e.changes
            for e in svc.history(
                session=s, caller=who["beta"], spec=svc.SPECS["price-series"], id=sid
            )
        ]
        assert changes[1][f"observations.{oid}"][1]["value"] == 400.0
        assert changes[3] == {f"observations.{oid}.value": [400.0, 410.0]}
        assert changes[4][f"observations.{oid}"][1] is None
        assert (
            svc.get_visible(
                session=s, caller=who["alpha"], spec=svc.SPECS["price-series"], id=sid
            ).version
            == 5
        )
