"""The dashboard services on both backends (SQLite file and PostgreSQL): what each
caller sees in the overview, table, outlook, timeline and sources."""

from __future__ import annotations

import pytest
from web_support import build_world

from critmin.services import auth, controls
from critmin.services import dashboard as d
from critmin.store.db import make_engine, transaction
from critmin.store.projects import list_projects


def test_dashboard_services_apply_the_sharing_rules(db_url: str) -> None:
    world = build_world(db_url)
    engine = make_engine(db_url)
    try:
        with transaction(engine) as s:
            anon = auth.ANONYMOUS
            partner = auth.authenticate(session=s, token=world.partner)

            def outlook_keys(caller: auth.Caller) -> set[str]:
                report = d.outlook(session=s, caller=caller, mineral="gallium", draws=500)
                return {p["key"] for p in report["meta"]["projects"]}

            assert "acme-partner-pilot" not in outlook_keys(anon)
            assert "acme-partner-pilot" in outlook_keys(partner)
            everything = {r.key for r in list_projects(session=s, mineral="gallium")}
            assert "acme-internal-study" in everything  # the filter was removed afterwards

            listing = d.projects_list(session=s, caller=partner, q="ACME", country="can")
            assert [r["key"] for r in listing["rows"]] == ["acme-partner-pilot"]
            assert d.projects_list(session=s, caller=anon, q="acme", country="CAN")["total"] == 0
            with pytest.raises(d.BadRequest):
                d.projects_list(session=s, caller=anon, stage="mining")

            overview = d.mineral_overview(session=s, caller=anon, mineral="gallium")
            statuses = {r["status"]: r for r in overview["pipeline"]["by_status"]}
            assert statuses["announced"]["capacity_tpa"] > 0
            assert overview["concentration"]["shares"][0]["country"] == "CHN"
            with pytest.raises(d.NotFound):
                d.mineral_overview(session=s, caller=anon, mineral="mithril")

            view = d.project_view(session=s, caller=partner, id=world.public_id)
            assert view["hidden_sections"] == ["financing"] and not view["editable"]
            with pytest.raises(d.NotFound):
                d.project_view(session=s, caller=anon, id=world.owner_id)

            timeline = controls.measures(session=s, caller=anon, mineral="tungsten")
            assert timeline["measures"] and all(
                "tungsten" in m["minerals"] for m in timeline["measures"]
            )
            cited = {c["document"] for c in d.sources(session=s, caller=partner)["citations"]}
            assert "acme-board-memo" in cited
            assert "acme-board-memo" not in {
                c["document"] for c in d.sources(session=s, caller=anon)["citations"]
            }
    finally:
        engine.dispose()
