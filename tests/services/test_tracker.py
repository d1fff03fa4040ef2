"""The caller-aware tracker service on SQLite and PostgreSQL: lists, writes, bulk exchange."""

from __future__ import annotations

import csv
import io
import json

import pytest

from critmin.ingest.errors import IngestError
from critmin.services import auth, tracker
from critmin.services.auth import ANONYMOUS, LOCAL
from critmin.services.outlook import capacity_outlook_report
from critmin.services.projects import ProjectNotFound
from critmin.store.db import transaction

BASE = {"mineral": "gallium", "stage": "extraction", "country": "CAN", "status": "feasibility"}


def callers(session) -> dict:
    auth.create_org(session=session, name="A", groups=["MSP"])
    auth.create_org(session=session, name="B", groups=["MSP"])
    auth.create_org(session=session, name="C")
    out = {"anon": ANONYMOUS}
    for name, role in (("A", "editor"), ("B", "editor"), ("C", "editor"), ("A", "viewer")):
        _, token = auth.create_token(session=session, org_name=name, role=role)
        out[name if role == "editor" else "A-viewer"] = auth.authenticate(
            session=session, token=token
        )
    return out


def make(session, caller, key, **fields):
    data = {"key": key, "name": fields.pop("name", key.title()), **BASE, **fields}
    return tracker.create(session=session, caller=caller, data=data)


def test_list_page_filters_paging_and_deleted(engine):
    with transaction(engine) as s:
        c = callers(s)
        for i, level in enumerate(("public", "partners", "owner")):
            make(s, c["A"], f"proj-{level}", sharing=level, capacity_tpa=10 * (i + 1))
        make(s, c["A"], "proj-jp", country="JPN", operator="Nippon Ga", sharing="owner")
        page = tracker.list_page(session=s, caller=c["A"], sort="-capacity_tpa", limit=2)
        assert page.total == 4 and [r["key"] for r in page.rows] == ["proj-owner", "proj-partners"]
        assert tracker.list_page(session=s, caller=c["B"]).total == 2
        assert tracker.list_page(session=s, caller=c["C"], q="PROJ").total == 1
        assert tracker.list_page(session=s, caller=c["A"], q="nippon").total == 1
        assert tracker.list_page(session=s, caller=c["A"], country="jpn").total == 1
        with pytest.raises(ValueError, match="cannot sort by 'financing_needed_usd'"):
            tracker.list_page(session=s, caller=c["A"], sort="financing_needed_usd")
        row = tracker.get_visible(session=s, caller=c["A"], id=page.rows[0]["id"])
        tracker.delete(session=s, caller=c["A"], id=row.id, if_match=row.version)
        assert tracker.list_page(session=s, caller=c["A"]).total == 3
        assert tracker.list_page(session=s, caller=c["A"], deleted=True).total == 1
        assert tracker.list_page(session=s, caller=c["B"], deleted=True).total == 0
        assert tracker.list_page(session=s, caller=ANONYMOUS, deleted=True).total == 0


def test_patch_delete_restore_rules(engine):
    with transaction(engine) as s:
        c = callers(s)
        row = make(s, c["A"], "proj-x", sharing="partners", financing={"needed_usd": 100})
        pid = row.id
        with pytest.raises(tracker.Forbidden):
            tracker.patch(session=s, caller=c["B"], id=pid, changes={"name": "B"}, if_match=1)
        with pytest.raises(tracker.Forbidden):
            tracker.patch(session=s, caller=c["A-viewer"], id=pid, changes={}, if_match=1)
        with pytest.raises(ProjectNotFound):
            tracker.patch(session=s, caller=c["C"], id=pid, changes={"name": "C"}, if_match=1)
        with pytest.raises(tracker.InvalidRecord) as bad:
            tracker.patch(session=s, caller=c["A"], id=pid, changes={"key": "new"}, if_match=1)
        assert bad.value.errors == [
            {"field": "key", "problem": "the key of a project cannot change"}
        ]
        with pytest.raises(tracker.InvalidRecord, match="section_sharing"):
            tracker.patch(session=s, caller=c["A"], id=pid, changes={"section_sharing": 3},
                          if_match=1)  # fmt: skip
        with pytest.raises(tracker.InvalidRecord, match="capacity_tpa: .*finite number"):
            tracker.patch(session=s, caller=c["A"], id=pid, changes={"capacity_tpa": float("inf")},
                          if_match=1)  # fmt: skip
        changes = {"financing": {"committed_usd": 40}, "section_sharing": {"financing": "owner"}}
        row = tracker.patch(session=s, caller=c["A"], id=pid, changes=changes, if_match=1)
        assert (row.version, row.financing_needed_usd, row.financing_committed_usd) == (2, 100, 40)
        with pytest.raises(tracker.PreconditionFailed):
            tracker.patch(session=s, caller=c["A"], id=pid, changes={"name": "late"}, if_match=1)
        with pytest.raises(tracker.Conflict):
            tracker.delete(session=s, caller=c["A"], id=pid, if_match=2, restore=True)
        tracker.delete(session=s, caller=c["A"], id=pid, if_match=2)
        with pytest.raises(ProjectNotFound):
            tracker.get_visible(session=s, caller=c["B"], id=pid, include_deleted=True)
        row = tracker.delete(session=s, caller=c["A"], id=pid, if_match=3, restore=True)
        assert row.deleted_at is None and row.version == 4
        partner = tracker.history(session=s, caller=c["B"], id=pid)
        owner = tracker.history(session=s, caller=c["A"], id=pid)
        assert [e["action"] for e in owner] == ["create", "update", "delete", "restore"]
        assert set(owner[1]["changes"]) == {"financing", "section_sharing"}
        assert [e["action"] for e in partner] == ["create", "delete", "restore"]
        assert "financing" not in partner[0]["changes"]
        assert tracker.to_public(row, c["B"])["financing"] is None


def test_etags():
    assert tracker.parse_etag('"p7-v3"') == 3 and tracker.parse_etag('W/"p7-v3"', 7) == 3
    assert tracker.parse_etag('"p7-v3"', 8) is None
    assert tracker.parse_etag("junk") is None and tracker.parse_etag(None) is None


def test_import_as_caller_is_atomic_and_owned(engine):
    doc = {"projects": [{"key": "imp-a", "name": "Imp A", **BASE, "sharing": "owner"},
                        {"key": "imp-b", "name": "Imp B", **BASE}]}  # fmt: skip
    text = json.dumps(doc)
    with transaction(engine) as s:
        c = callers(s)
        dry = tracker.import_text(session=s, caller=c["A"], text=text, fmt="json", file="d.json",
                                  dry_run=True)  # fmt: skip
        assert dry.created == ["imp-a", "imp-b"]
        assert tracker.list_page(session=s, caller=c["A"]).total == 0
        tracker.import_text(session=s, caller=c["A"], text=text, fmt="json", file="d.json")
        page = tracker.list_page(session=s, caller=c["A"])
        assert page.total == 2
        assert all(tracker.get_visible(session=s, caller=c["A"], id=r["id"]).owner_org_id
                   == c["A"].org_id for r in page.rows)  # fmt: skip
        with pytest.raises(tracker.Forbidden):
            tracker.import_text(session=s, caller=c["A-viewer"], text=text, fmt="json", file="x")
        taken = (
            "key,name,mineral,stage,country,status\n"
            "b-new,B new,gallium,refining,JPN,announced\n"
            "imp-b,Takeover,gallium,refining,JPN,announced\n"
        )
        # keys are per organisation: B's "imp-b" is B's own new project, A's is untouched
        report = tracker.import_text(session=s, caller=c["B"], text=taken, fmt="csv",
                                     file="b.csv")  # fmt: skip
        assert report.created == ["b-new", "imp-b"] and not report.updated
        a_row = tracker.get_visible(session=s, caller=c["A"], id=page.rows[1]["id"])
        assert (a_row.key, a_row.name, a_row.owner_org_id) == ("imp-b", "Imp B", c["A"].org_id)
        b_new = tracker.list_page(session=s, caller=c["B"], q="b-new").rows[0]["id"]
        tracker.delete(session=s, caller=c["B"], id=b_new, if_match=1)
        with pytest.raises(IngestError) as err:  # a deleted project of one's own is a problem
            tracker.import_text(session=s, caller=c["B"], text=taken, fmt="csv", file="b.csv")
        (problem,) = err.value.problems
        assert (problem.file, problem.row, problem.column, problem.value) == (
            "b.csv", 2, "key", "b-new")  # fmt: skip


def test_export_redacts_what_the_caller_may_not_see(engine):
    with transaction(engine) as s:
        c = callers(s)
        make(s, c["A"], "exp-a", sharing="partners", section_sharing={"offtakers": "owner"},
             offtakers=[{"name": "SECRET BUYER"}], financing={"needed_usd": 5})  # fmt: skip
        owner = json.loads(tracker.export_text(session=s, caller=c["A"]))["projects"][0]
        partner = json.loads(tracker.export_text(session=s, caller=c["B"]))["projects"][0]
        assert owner["offtakers"] == [{"name": "SECRET BUYER", "volume_tpa": None,
                                       "floor_price": None, "floor_price_unit": None,
                                       "note": None}]  # fmt: skip
        assert "offtakers" not in partner and partner["financing"]["needed_usd"] == 5
        rows = list(csv.DictReader(io.StringIO(tracker.export_text(session=s, caller=c["B"],
                                                                   fmt="csv"))))  # fmt: skip
        assert rows[0]["offtakers"] == "" and rows[0]["financing_needed_usd"] == "5"
        assert json.loads(tracker.export_text(session=s, caller=c["C"]))["projects"] == []


def test_outlook_counts_only_visible_projects(engine):
    from critmin.store.tables import ProductionStat

    with transaction(engine) as s:
        c = callers(s)
        for country, value in (("CHN", 1_600_000), ("JPN", 10_000)):
            s.add(ProductionStat(mineral="gallium", measure="capacity", year=2025, value=value,
                                 country=country, country_label=country, unit="kg"))  # fmt: skip
        make(s, c["A"], "out-public", capacity_tpa=5, start_year=2027)
        make(s, c["A"], "out-secret", capacity_tpa=50, start_year=2027, sharing="partners",
             section_sharing={"financing": "owner"},
             financing={"needed_usd": 100, "committed_usd": 100})  # fmt: skip
        kw = {"session": s, "mineral": "gallium", "start": 2027, "end": 2028, "draws": 50}
        everyone = capacity_outlook_report(**kw, caller=LOCAL)
        assert {p["key"] for p in everyone["meta"]["projects"]} == {"out-public", "out-secret"}
        anon = capacity_outlook_report(**kw, caller=ANONYMOUS)
        assert {p["key"] for p in anon["meta"]["projects"]} == {"out-public"}
        owner = capacity_outlook_report(**kw, caller=c["A"])
        partner = capacity_outlook_report(**kw, caller=c["B"])
        prob = {
            who: {p["key"]: p["completion_probability"] for p in r["meta"]["projects"]}
            for who, r in (("owner", owner), ("partner", partner), ("all", everyone))
        }
        assert prob["owner"] == prob["all"]
        assert prob["partner"]["out-secret"] < prob["owner"]["out-secret"]  # financing unseen


def test_search_is_literal(engine):
    with transaction(engine) as s:
        c = callers(s)
        make(s, c["A"], "pct-one", name="100% recycled gallium")
        make(s, c["A"], "under-two", name="Plain name")
        hits = {q: tracker.list_page(session=s, caller=c["A"], q=q).total
                for q in ("%", "_", "100%", "pct-", "e-t", "\\")}  # fmt: skip
    assert hits == {"%": 1, "_": 0, "100%": 1, "pct-": 1, "e-t": 0, "\\": 0}
