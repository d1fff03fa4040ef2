"""Leaks and side channels of the sharing rules, at the service level, on SQLite and
PostgreSQL: aggregates over hidden sections, the required caller (and LOCAL), keys
per organisation (no existence oracle), related measures, versions and ``updated_at``
of hidden edits, and hidden rows taking the path of missing ones.

Organisation A owns the records; B is its partner (group MSP) and the hostile one:
it probes for what A hides; C is unrelated.
"""

from __future__ import annotations

import inspect
import json

import numpy as np
import pytest
from sqlalchemy import event, select

from critmin.analytics.outlook_params import OutlookParams, completion_probability
from critmin.domain.projects import ProjectRecord
from critmin.services import (
    access,
    auth,
    controls,
    dashboard,
    entities,
    outlook,
    prices,
    projects,
    tracker,
)
from critmin.services.auth import ANONYMOUS
from critmin.services.projects import ProjectNotFound
from critmin.store import entities as store
from critmin.store import projects as repo
from critmin.store.db import transaction
from critmin.store.tables import ExportMeasure, Facility, PriceSeries, Project
from support import load_usgs_chapters

BASE = {"mineral": "gallium", "stage": "extraction", "country": "CAN", "status": "feasibility"}
SOURCES = [{"document": "notice"}]
MEASURE = {
    "title": "Measure", "imposing_country": "CHN", "minerals": ["gallium"],
    "measure_type": "licensing", "effective": "2024-01-01", "sources": SOURCES,
}  # fmt: skip
KEYED = {
    "facilities": {"name": "Site", "country": "CAN", "sources": SOURCES},
    "measures": MEASURE,
    "price-series": {"mineral": "gallium", "market": "Rotterdam", "unit": "USD/kg",
                     "sources": SOURCES},
}  # fmt: skip


def callers(session) -> dict[str, auth.Caller]:
    auth.create_org(session=session, name="A", groups=["MSP"])
    auth.create_org(session=session, name="B", groups=["MSP"])
    auth.create_org(session=session, name="C")
    out: dict[str, auth.Caller] = {"anon": ANONYMOUS}
    for name in "ABC":
        _, token = auth.create_token(session=session, org_name=name, role="editor")
        out[name] = auth.authenticate(session=session, token=token)
    return out


def local() -> auth.Caller:
    """The local operator (looked up when used, so this module loads on older code)."""
    return auth.LOCAL


def keys_module():
    from critmin.services import keys

    return keys


def make(session, caller, key, **fields) -> Project:
    data = {"key": key, "name": fields.pop("name", key.title()), **BASE, **fields}
    return tracker.create(session=session, caller=caller, data=data)


# --------------------------------------------------------------- 1. aggregates, callers


def test_dashboard_outlook_ignores_sections_the_caller_may_not_see(engine):
    """B must not learn A's owner-only financing from the outlook, nor see it move."""
    with transaction(engine) as s:
        load_usgs_chapters(s, "gallium")
        c = callers(s)
        row = make(s, c["A"], "public-pilot", capacity_tpa=40, start_year=2028,
                   sharing="public", section_sharing={"financing": "owner"},
                   financing={"needed_usd": 1e8, "committed_usd": 9e7})  # fmt: skip
        pid = row.id

    def probability(caller) -> tuple[float, str]:
        with transaction(engine) as s:
            report = dashboard.outlook(session=s, caller=caller, mineral="gallium", draws=300)
        (p,) = [p for p in report["meta"]["projects"] if p["key"] == "public-pilot"]
        return p["completion_probability"], json.dumps(report, sort_keys=True)

    blind = completion_probability(OutlookParams(), status="feasibility")
    seen = completion_probability(
        OutlookParams(), status="feasibility", needed_usd=1e8, committed_usd=9e7
    )
    assert seen != pytest.approx(blind)  # the financing matters, so the check has teeth
    before = {who: probability(c[who]) for who in ("A", "B", "C", "anon")}
    assert before["A"][0] == pytest.approx(seen)
    for who in ("B", "C", "anon"):
        assert before[who][0] == pytest.approx(blind), who
    with transaction(engine) as s:  # A edits only the financing B may not see
        tracker.patch(session=s, caller=c["A"], id=pid, if_match=1,
                      changes={"financing": {"committed_usd": 1e8}})  # fmt: skip
    after = {who: probability(c[who]) for who in ("A", "B")}
    assert after["B"][1] == before["B"][1]  # byte for byte the same report
    assert after["A"][0] != pytest.approx(before["A"][0])


SHARED_READS = {
    outlook: ["capacity_outlook_report", "capacity_outlook"],
    dashboard: ["minerals_index", "price_series", "pipeline", "mineral_overview",
                "projects_list", "project_view", "outlook", "sources"],
    controls: ["measures", "check", "check_many", "check_csv", "timeline", "change_days"],
    projects: ["list_projects", "find_project", "project_detail", "export_records",
               "export_text"],
    tracker: ["list_page", "get_visible", "writable", "create", "patch", "delete", "history",
              "export_text", "import_text", "import_stream"],
    entities: ["list_page", "get_visible", "create", "patch", "delete", "history",
               "list_observations", "get_observation", "add_observation",
               "patch_observation", "delete_observation", "visible_relations"],
    "keys": ["resolve"],
    prices: ["get_series", "series_view", "compare", "visible_measures", "events", "monitor",
             "import_file", "series_choices"],
}  # fmt: skip
# Functions of those modules that take a session but read no shared record: USGS
# statistics (public reference data), and the operator's own import of reference data.
NO_SHARED_READS = {
    "outlook.baseline_capacity", "dashboard.concentration", "dashboard.claims",
    "projects.import_records",
    "projects.import_file",
    "prices.fx_table", "prices.fx_rates", "prices.import_fx",
}  # fmt: skip


def test_every_read_of_shared_records_needs_a_caller():
    """``caller`` is a required keyword (no default) of every service reading shared records."""
    for module, names in SHARED_READS.items():
        module = keys_module() if module == "keys" else module
        found = {
            name for name, fn in inspect.getmembers(module, inspect.isfunction)
            if fn.__module__ == module.__name__ and not name.startswith("_")
            and "session" in inspect.signature(fn).parameters
        }  # fmt: skip
        short = module.__name__.rsplit(".", 1)[-1]
        assert found - {n.split(".")[1] for n in NO_SHARED_READS if n.startswith(short)} == set(
            names
        ), short
        for name in names:
            param = inspect.signature(getattr(module, name)).parameters.get("caller")
            assert param is not None, f"{short}.{name} takes no caller"
            assert param.kind is inspect.Parameter.KEYWORD_ONLY, f"{short}.{name}"
            assert param.default is inspect.Parameter.empty, f"{short}.{name} has a default"


def test_none_is_no_caller(engine):
    with transaction(engine) as s:
        with pytest.raises(TypeError, match="auth.LOCAL"):
            outlook.capacity_outlook_report(session=s, mineral="gallium", start=2026, end=2027,
                                            caller=None)  # fmt: skip
        with pytest.raises(TypeError, match="a Caller is required"):
            projects.list_projects(session=s, caller=None)


def test_local_sees_everything_owns_nothing_writes_nothing(engine):
    with transaction(engine) as s:
        c = callers(s)
        secret = make(s, c["C"], "c-secret", sharing="owner", section_sharing={},
                      financing={"needed_usd": 5.0})  # fmt: skip
        make(s, c["A"], "a-partners", sharing="partners")
        assert not local().anonymous and local().label == "local operator"
        assert {r["key"] for r in projects.list_projects(session=s, caller=local())} == {
            "c-secret", "a-partners"
        }
        assert projects.project_detail(session=s, ref="c-secret", caller=local())["financing"][
            "needed_usd"
        ] == 5.0
        assert tracker.get_visible(session=s, caller=local(), id=secret.id).key == "c-secret"
        assert not access.can_edit(secret, local())
        assert tracker.to_public(secret, local())["editable"] is False
        with pytest.raises(tracker.Forbidden):
            make(s, local(), "local-new")
        with pytest.raises(tracker.Forbidden):
            tracker.patch(session=s, caller=local(), id=secret.id, changes={"name": "x"},
                          if_match=1)  # fmt: skip
        with pytest.raises(entities.Forbidden):
            entities.create(session=s, caller=local(), spec=entities.FACILITIES,
                            data={"key": "fac-1", **KEYED["facilities"]})  # fmt: skip
        # the CLI's view of a project is not the public one
        assert projects.list_projects(session=s, caller=ANONYMOUS) == []
        with pytest.raises(ProjectNotFound):
            projects.project_detail(session=s, ref="c-secret", caller=c["B"])


# --------------------------------------------------------------- 2. keys per organisation


def test_create_and_import_conflict_only_with_ones_own_keys(engine):
    """B learns nothing from a key A uses: it is free for B (created), like any free key."""
    with transaction(engine) as s:
        c = callers(s)
        a_row = make(s, c["A"], "a-hidden", sharing="owner", notes="A's")
        for path, body in KEYED.items():
            spec = entities.SPECS[path]
            entities.create(session=s, caller=c["A"], spec=spec,
                            data={"key": "a-hidden", **body, "sharing": "owner"})  # fmt: skip
        s.flush()
        # a hidden key and a free key answer alike; B's own key then conflicts
        for key in ("a-hidden", "b-free"):
            assert make(s, c["B"], key).owner_org_id == c["B"].org_id
            for path, body in KEYED.items():
                row = entities.create(session=s, caller=c["B"], spec=entities.SPECS[path],
                                      data={"key": key, **body})  # fmt: skip
                assert row.owner_org_id == c["B"].org_id
        with pytest.raises(tracker.Conflict, match="already exists in your organisation"):
            make(s, c["B"], "a-hidden")
        for path, body in KEYED.items():
            with pytest.raises(entities.Conflict, match="already taken"):
                entities.create(session=s, caller=c["B"], spec=entities.SPECS[path],
                                data={"key": "b-free", **body})  # fmt: skip
        # import: the hidden key is C's new project too, and A's record is untouched
        doc = {"projects": [{"key": "a-hidden", "name": "C's", **BASE}]}
        report = tracker.import_text(session=s, caller=c["C"], text=json.dumps(doc),
                                     fmt="json", file="c.json")  # fmt: skip
        assert report.created == ["a-hidden"]
        s.expire_all()
        a_again = tracker.get_visible(session=s, caller=c["A"], id=a_row.id)
        assert (a_again.name, a_again.notes, a_again.version) == ("A-Hidden", "A's", 1)
        owners = s.scalars(select(Project.owner_org_id).where(Project.key == "a-hidden"))
        assert sorted(owners) == sorted(c[x].org_id for x in "ABC")


def test_bundled_keys_are_a_namespace_of_their_own(engine):
    with transaction(engine) as s:
        c = callers(s)
        record = ProjectRecord.model_validate({"key": "ref-plant", "name": "Reference", **BASE})
        ref, action = repo.upsert_project(session=s, record=record, actor="bundled")
        assert action == "create" and ref.owner_org_id is None
        mine = make(s, c["A"], "ref-plant", name="A's own")  # free for an organisation
        # upsert and key lookups stay inside their owner's namespace
        again, action = repo.upsert_project(session=s, record=record, actor="bundled")
        assert (again.id, action) == (ref.id, "unchanged")
        assert repo.get_project_by_key(session=s, key="ref-plant", owner_org_id=None) is ref
        got = repo.get_project_by_key(session=s, key="ref-plant", owner_org_id=c["A"].org_id)
        assert got is mine
        # by key: one's own first, then the reference data
        assert projects.find_project(session=s, ref="ref-plant", caller=c["A"]).id == mine.id
        assert projects.find_project(session=s, ref="ref-plant", caller=c["B"]).id == ref.id
        assert projects.find_project(session=s, ref="ref-plant", caller=local()).id == ref.id


def test_a_key_of_several_others_is_reported_not_guessed(engine):
    with transaction(engine) as s:
        c = callers(s)
        a = make(s, c["A"], "shared-key", sharing="public")
        b = make(s, c["B"], "shared-key", sharing="public")
        make(s, c["A"], "a-only", sharing="owner")
        assert projects.find_project(session=s, ref="shared-key", caller=c["A"]).id == a.id
        assert projects.find_project(session=s, ref="shared-key", caller=c["B"]).id == b.id
        for who in (c["C"], local(), ANONYMOUS):
            with pytest.raises(ProjectNotFound, match=f"names 2 projects.*ids {a.id}, {b.id}"):
                projects.find_project(session=s, ref="shared-key", caller=who)
        # hidden records are never candidates (nor named in the message)
        with pytest.raises(ProjectNotFound, match="no project with id or key 'a-only'"):
            projects.find_project(session=s, ref="a-only", caller=c["C"])
        with pytest.raises(keys_module().AmbiguousKey):
            keys_module().resolve(session=s, model=Project, key="shared-key", caller=c["C"])


def test_keys_are_unique_per_owner_in_the_database(engine):
    """The unique index itself: per owner, with the reference data (NULL owner) as one."""
    from sqlalchemy.exc import IntegrityError

    with transaction(engine) as s:
        c = callers(s)
        ids = [c["A"].org_id, c["B"].org_id, None]
    for model, extra in ((Facility, {"name": "F", "country": "CAN"}),
                         (ExportMeasure, {"title": "T", "imposing_country": "CHN",
                                          "measure_type": "ban"}),
                         (PriceSeries, {"mineral": "gallium", "market": "M", "unit": "USD/kg"})):
        with transaction(engine) as s:
            for owner in ids:
                s.add(model(key="k", owner_org_id=owner, **extra))
        for owner in ids:
            with pytest.raises(IntegrityError), transaction(engine) as s:
                s.add(model(key="k", owner_org_id=owner, **extra))


# --------------------------------------------------------------- 3a. related measures


def _measure(s, caller, key, **extra):
    spec = entities.MEASURES
    return entities.create(session=s, caller=caller, spec=spec, data={**MEASURE, "key": key,
                                                                      **extra})


def test_relates_to_is_shown_only_with_the_related_measure(engine):
    with transaction(engine) as s:
        c = callers(s)
        hidden = _measure(s, c["A"], "a-secret-ban", sharing="owner", effective="2023-01-01")
        susp = _measure(s, c["A"], "a-suspension", relates_to="a-secret-ban",
                        effective="2024-01-01")  # fmt: skip
        follow = _measure(s, c["A"], "a-follow-up", relates_to="a-suspension",
                          effective="2025-01-01")  # fmt: skip
        s.flush()
        spec = entities.MEASURES
        for who in ("B", "C", "anon"):
            caller = c[who]
            assert entities.to_public(spec, susp, caller).relates_to is None, who
            assert entities.to_public(spec, follow, caller).relates_to == "a-suspension"
            listed = entities.list_page(session=s, caller=caller, spec=spec).items
            assert {m.key: m.relates_to for m in listed} == {
                "a-suspension": None, "a-follow-up": "a-suspension"
            }
            timeline = controls.measures(session=s, caller=caller)
            assert "a-secret-ban" not in json.dumps(timeline), who
            assert timeline["chains"] == [
                [{"key": "a-suspension", "title": "Measure"},
                 {"key": "a-follow-up", "title": "Measure"}]
            ]  # fmt: skip
            overview = dashboard.mineral_overview(session=s, caller=caller, mineral="gallium")
            assert "a-secret-ban" not in json.dumps(overview), who
        # the days a verdict may change come from the caller's own view only
        secret_day = np.datetime64("2023-01-01")
        for who in ("B", "C", "anon"):
            assert secret_day not in controls.change_days(session=s, caller=c[who]), who
        assert secret_day in controls.change_days(session=s, caller=c["A"])
        owner = controls.measures(session=s, caller=c["A"])
        assert [[m["key"] for m in chain] for chain in owner["chains"]] == [
            ["a-secret-ban", "a-suspension", "a-follow-up"]
        ]
        assert entities.to_public(spec, susp, c["A"]).relates_to == "a-secret-ban"
        # B may not learn the hidden key by pointing at it either
        with pytest.raises(entities.InvalidRecord, match="no measure 'a-secret-ban'"):
            _measure(s, c["B"], "b-probe", relates_to="a-secret-ban")
        assert hidden.key == "a-secret-ban"


def test_relates_to_is_read_as_the_owner_reads_it(engine):
    """Another organisation's measure with the same key never takes over the relation."""
    with transaction(engine) as s:
        c = callers(s)
        _measure(s, c["A"], "ban", sharing="owner")
        susp = _measure(s, c["A"], "suspension", relates_to="ban")
        _measure(s, c["B"], "ban", sharing="public")  # B's public "ban" is not A's
        s.flush()
        assert entities.to_public(entities.MEASURES, susp, c["C"]).relates_to is None
        assert entities.to_public(entities.MEASURES, susp, c["A"]).relates_to == "ban"
        related = entities.visible_relations(session=s, rows=[susp], caller=c["A"])
        assert related[susp.id].owner_org_id == c["A"].org_id
        # a key naming measures of two other organisations is refused, not guessed
        _measure(s, c["A"], "ban-2", sharing="partners")
        _measure(s, c["C"], "ban-2", sharing="public")
        s.flush()
        with pytest.raises(entities.InvalidRecord, match="names 2 measures"):
            _measure(s, c["B"], "b-suspension", relates_to="ban-2")


# --------------------------------------------------------------- 3b. versions, updated_at


def test_hidden_edits_move_nothing_others_see(engine):
    with transaction(engine) as s:
        c = callers(s)
        first = make(s, c["A"], "first", sharing="public", section_sharing={"financing": "owner"},
                     financing={"needed_usd": 10.0})  # fmt: skip
        make(s, c["A"], "second", sharing="public")
        pid = first.id

    def view(who):
        with transaction(engine) as s:
            row = tracker.get_visible(session=s, caller=c[who], id=pid)
            body = tracker.to_public(row, c[who])
            order = [r["key"] for r in tracker.list_page(session=s, caller=c[who],
                                                          sort="-updated_at").rows]
            return body, tracker.etag(row, c[who], body), order

    before = {who: view(who) for who in ("A", "B", "anon")}
    for who in ("B", "anon"):
        body, tag, order = before[who]
        assert body["version"] is None and body["financing"] is None
        assert tag.startswith(f'"p{pid}-b') and tracker.parse_etag(tag) is None
        assert order == ["second", "first"]
    assert before["A"][1] == f'"p{pid}-v1"' and before["A"][0]["version"] == 1
    with transaction(engine) as s:
        tracker.patch(session=s, caller=c["A"], id=pid, if_match=1,
                      changes={"financing": {"needed_usd": 20.0}})  # fmt: skip
    after = {who: view(who) for who in ("A", "B", "anon")}
    for who in ("B", "anon"):
        assert after[who] == before[who], who
    assert after["A"][1] == f'"p{pid}-v2"'
    assert after["A"][2] == ["first", "second"]  # the owner's own sort sees its edit
    with transaction(engine) as s:  # a change everyone sees moves everyone's view
        tracker.patch(session=s, caller=c["A"], id=pid, if_match=2, changes={"name": "First!"})
    moved = view("B")
    assert moved[1] != before["B"][1] and moved[2] == ["first", "second"]


# --------------------------------------------------------------- 3c. hidden = missing


def _statements(engine):
    seen: list[str] = []

    def count(conn, cursor, statement, *args):
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    return seen, lambda: event.remove(engine, "before_cursor_execute", count)


def test_a_hidden_record_takes_the_path_of_a_missing_one(engine):
    with transaction(engine) as s:
        c = callers(s)
        pid = make(s, c["A"], "a-secret", sharing="owner",
                   capacity_by_year=[{"year": 2030, "capacity_tpa": 1.0}]).id  # fmt: skip
        fid = entities.create(session=s, caller=c["A"], spec=entities.FACILITIES,
                              data={"key": "fac-1", **KEYED["facilities"], "sharing": "owner"}).id
    cases = [
        (lambda s, i: tracker.get_visible(session=s, caller=c["B"], id=i), ProjectNotFound,
         Project, pid),
        (lambda s, i: entities.get_visible(session=s, caller=c["B"], spec=entities.FACILITIES,
                                           id=i), entities.NotFound, Facility, fid),
    ]  # fmt: skip
    for get, missing_error, model, hidden_id in cases:
        runs = {}
        for label, ident in (("hidden", hidden_id), ("missing", hidden_id + 1000)):
            seen, stop = _statements(engine)
            try:
                with transaction(engine) as s:
                    with pytest.raises(missing_error) as err:
                        get(s, ident)
                    loaded = [o for o in s.identity_map.values() if isinstance(o, model)]
            finally:
                stop()
            runs[label] = (len(seen), loaded, str(err.value).replace(str(ident), "ID"))
        assert runs["hidden"] == runs["missing"], model.__name__
        assert runs["hidden"][1] == []  # nothing of the hidden row was ever loaded
    # and the owner still gets its record, children included
    with transaction(engine) as s:
        row = tracker.get_visible(session=s, caller=c["A"], id=pid)
        assert [p.year for p in row.capacity_points] == [2030]
        assert store.get(session=s, model=Facility, id=fid).key == "fac-1"
