"""Imports never widen sharing and never drop what the file does not mention (SQLite and
PostgreSQL), through the caller-aware service the API uses."""

from __future__ import annotations

import csv
import io
import json

import pytest

from critmin.ingest.errors import IngestError
from critmin.services import auth, tracker
from critmin.services.auth import ANONYMOUS
from critmin.store.db import transaction

BASE = {"mineral": "gallium", "stage": "extraction", "country": "CAN", "status": "feasibility"}
SECRET_FINANCING = {"needed_usd": 5e7, "committed_usd": 1e7, "capex_amount": 8e7,
                    "capex_currency": "USD", "sources": []}  # fmt: skip


def _callers(session) -> dict[str, auth.Caller]:
    auth.create_org(session=session, name="Owner Org", groups=["MSP"])
    auth.create_org(session=session, name="Partner Org", groups=["MSP"])
    out = {}
    for name, who in (("Owner Org", "owner"), ("Partner Org", "partner")):
        _, token = auth.create_token(session=session, org_name=name, role="editor")
        out[who] = auth.authenticate(session=session, token=token)
    return out


def _create(session, caller, key, **fields):
    data = {"key": key, "name": key.title(), **BASE, **fields}
    return tracker.create(session=session, caller=caller, data=data)


def _import(session, caller, text, fmt="csv", **kw):
    return tracker.import_text(session=session, caller=caller, text=text, fmt=fmt,
                               file=f"f.{fmt}", **kw)  # fmt: skip


def _csv(rows: list[dict], columns: list[str]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, lineterminator="\n", extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def _reload(session, caller, id):
    session.expire_all()
    return tracker.get_visible(session=session, caller=caller, id=id)


def test_reimport_without_sharing_column_keeps_owner_only_and_financing(engine):
    with transaction(engine) as s:
        c = _callers(s)
        row = _create(s, c["owner"], "secret-refinery", sharing="owner",
                      financing=SECRET_FINANCING, offtakers=[{"name": "Buyer"}])  # fmt: skip
        pid = row.id
        exported = tracker.export_text(session=s, caller=c["owner"], fmt="csv")
        rows = list(csv.DictReader(io.StringIO(exported)))
        rows[0]["name"] = "Renamed refinery"
        kept = ["key", "name", "mineral", "stage", "country", "status", "capacity_tpa"]
        report = _import(s, c["owner"], _csv(rows, kept))
        assert report.count("updated") == 1
        row = _reload(s, c["owner"], pid)
        assert (row.name, row.sharing) == ("Renamed refinery", "owner")
        assert (row.financing_needed_usd, row.capex_currency) == (5e7, "USD")
        assert row.offtakers == [{"name": "Buyer", "volume_tpa": None, "floor_price": None,
                                  "floor_price_unit": None, "note": None}]  # fmt: skip
        assert tracker.list_page(session=s, caller=ANONYMOUS).total == 0
        assert tracker.list_page(session=s, caller=c["partner"]).total == 0


def test_stated_sharing_narrows_but_never_widens(engine):
    with transaction(engine) as s:
        c = _callers(s)
        wide = _create(s, c["owner"], "wide-one", sharing="public").id
        narrow = _create(s, c["owner"], "narrow-one", sharing="partners").id
        cols = ["key", "name", "mineral", "stage", "country", "status", "sharing"]
        rows = [{"key": "wide-one", "name": "Wide One", **BASE, "sharing": "owner"},
                {"key": "narrow-one", "name": "Narrow", **BASE, "sharing": "public"}]  # fmt: skip
        report = _import(s, c["owner"], _csv(rows, cols))
        assert report.kept_sharing == [
            {"key": "narrow-one", "sharing": "partners", "stated": "public"}
        ]
        assert report.as_dict()["kept_sharing"] == report.kept_sharing
        assert _reload(s, c["owner"], wide).sharing == "owner"
        assert _reload(s, c["owner"], narrow).sharing == "partners"
        assert tracker.list_page(session=s, caller=ANONYMOUS).total == 0


def test_json_keys_absent_keep_values_and_nulls_clear(engine):
    with transaction(engine) as s:
        c = _callers(s)
        pid = _create(s, c["owner"], "json-one", sharing="partners", notes="keep me?",
                      operator="Op", partners=["A", "B"], financing=SECRET_FINANCING,
                      section_sharing={"financing": "owner"}).id  # fmt: skip
        item = {"key": "json-one", "name": "Json One", **BASE, "notes": None, "partners": None,
                "financing": {"committed_usd": 2e7}}  # fmt: skip
        report = _import(s, c["owner"], json.dumps({"projects": [item]}), fmt="json")
        assert report.count("updated") == 1 and report.kept_sharing == []
        row = _reload(s, c["owner"], pid)
        assert (row.notes, row.partners, row.operator) == (None, [], "Op")
        assert (row.financing_needed_usd, row.financing_committed_usd) == (5e7, 2e7)
        assert (row.sharing, row.section_sharing) == ("partners", {"financing": "owner"})
        partner_view = tracker.to_public(_reload(s, c["partner"], pid), c["partner"])
        assert partner_view["financing"] is None
        history = tracker.history(session=s, caller=c["owner"], id=pid)
        assert set(history[-1]["changes"]) == {"name", "notes", "partners", "financing"}


def test_financing_null_clears_it_and_empty_cells_clear(engine):
    with transaction(engine) as s:
        c = _callers(s)
        pid = _create(s, c["owner"], "clear-one", financing=SECRET_FINANCING, notes="n").id
        item = {"key": "clear-one", "name": "Clear One", **BASE, "financing": None}
        _import(s, c["owner"], json.dumps({"projects": [item]}), fmt="json")
        row = _reload(s, c["owner"], pid)
        assert (row.financing_needed_usd, row.capex_amount, row.notes) == (None, None, "n")
        cols = ["key", "name", "mineral", "stage", "country", "status", "notes"]
        _import(s, c["owner"], _csv([{"key": "clear-one", "name": "C", **BASE, "notes": ""}], cols))
        assert _reload(s, c["owner"], pid).notes is None


def test_new_records_without_a_level_are_owner_only(engine):
    with transaction(engine) as s:
        c = _callers(s)
        cols = ["key", "name", "mineral", "stage", "country", "status", "sharing"]
        text = _csv([{"key": "fresh-one", "name": "Fresh", **BASE, "sharing": ""},
                     {"key": "fresh-two", "name": "Fresh 2", **BASE, "sharing": "public"}],
                    cols)  # fmt: skip
        report = _import(s, c["owner"], text)
        assert report.owner_only_by_default == 1
        assert [r["key"] for r in tracker.list_page(session=s, caller=ANONYMOUS).rows] == [
            "fresh-two"
        ]
        page = tracker.list_page(session=s, caller=c["owner"])
        levels = {r["key"]: r["sharing"] for r in page.rows}
        assert levels == {"fresh-one": "owner", "fresh-two": "public"}


def test_merged_record_is_validated_as_a_whole(engine):
    with transaction(engine) as s:
        c = _callers(s)
        _create(s, c["owner"], "years-one", start_year=2030)
        cols = ["key", "name", "mineral", "stage", "country", "status", "end_year"]
        rows = [{"key": "years-one", "name": "Y", **BASE, "end_year": "2020"}]
        with pytest.raises(IngestError) as info:
            _import(s, c["owner"], _csv(rows, cols))
        (problem,) = info.value.problems
        assert (problem.row, problem.column) == (2, "end_year")
        assert "start_year" in problem.expected


def test_imports_stamp_shared_changes_apart_from_section_changes(engine):
    with transaction(engine) as s:
        c = _callers(s)
        pid = _create(s, c["owner"], "stamp-one", financing=SECRET_FINANCING).id
        before = _reload(s, c["owner"], pid)
        shared0, updated0 = before.shared_updated_at, before.updated_at
        item = {"key": "stamp-one", "name": "Stamp-One", **BASE,
                "financing": {"committed_usd": 3e7}}  # fmt: skip
        _import(s, c["owner"], json.dumps({"projects": [item]}), fmt="json")
        after = _reload(s, c["owner"], pid)
        assert after.updated_at > updated0 and after.shared_updated_at == shared0
        _import(s, c["owner"], json.dumps({"projects": [item | {"name": "Renamed"}]}), fmt="json")
        assert _reload(s, c["owner"], pid).shared_updated_at > shared0
