"""Shipment checks and timelines over the bundled, cited measures on SQLite and
PostgreSQL: gallium to the United States through every phase of China's controls (worked
out by hand from the measure dates), a technology export, tungsten, CSV batches with
clear errors, and a hostile partner whose private measures change nobody else's verdict."""

from __future__ import annotations

import datetime as dt

import pytest

from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.services import auth
from critmin.services import controls as svc
from critmin.services.auth import LOCAL, Caller, Role
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import transaction
from critmin.store.tables import ExportMeasure

LICENSING = "cn-2023-ga-ge-licensing"
BAN = "cn-2024-12-us-ban-ga-ge-sb-superhard"
MILITARY = "cn-2024-12-us-military-end-use-ban"
SUSPENSION = "cn-2025-11-us-gallium-ban-suspension"
TECH = "cn-2025-01-02-gallium-extraction-technology-control"
TUNGSTEN = "cn-2025-02-tungsten-export-controls"


@pytest.fixture
def loaded(engine):
    with transaction(engine) as s:
        sync_catalogue(s)
        ensure_datasets(s)
        load_curated(s)
    return engine


def _check(s, date: str, item: str = "gallium", caller: Caller = LOCAL, **kw):
    r = svc.check(session=s, caller=caller, item=item, origin="CHN", destination="USA",
                  date=date, **kw)  # fmt: skip
    return r["verdict"], {m["key"]: m["effect"] for m in r["measures"]}, r


def test_gallium_to_the_united_states_through_every_phase(loaded):
    with transaction(loaded) as s:
        # before any control: the licensing was announced 3 July, in force 1 August 2023
        verdict, chain, _ = _check(s, "2023-07-31")
        assert verdict == "allowed" and LICENSING not in chain
        # during licensing
        verdict, chain, r = _check(s, "2023-08-01")
        assert verdict == "licence_required" and chain[LICENSING] == "licence_required"
        assert any(src.get("url") for m in r["measures"] for src in m["sources"])
        # during the ban (3 December 2024, immediate effect): the most restrictive wins
        verdict, chain, _ = _check(s, "2025-03-01")
        assert verdict == "prohibited" and chain[BAN] == "prohibited"
        assert chain[LICENSING] == "licence_required"
        # re-export through Viet Nam during the ban: the ban is extraterritorial
        verdict, chain, _ = _check(s, "2025-03-01", via="VNM")
        assert verdict == "prohibited" and chain[BAN] == "prohibited"
        # during the suspension (9 November 2025 to 27 November 2026):
        # the ban is lifted, but the 2023 licensing has no expiry and is not what the
        # suspension names, so a licence is still required
        verdict, chain, r = _check(s, "2026-03-01")
        assert verdict == "licence_required"
        assert (chain[BAN], chain[SUSPENSION], chain[LICENSING]) == (
            "suspended", "suspends", "licence_required")  # fmt: skip
        assert "lifts only the measure it names" in r["why"]
        # ... and the military clause of the same announcement was not suspended
        verdict, chain, _ = _check(s, "2026-03-01", end_use="military")
        assert verdict == "prohibited" and chain[MILITARY] == "prohibited"
        # its last day, then the day after: the ban applies again
        assert _check(s, "2026-11-27")[1][SUSPENSION] == "suspends"
        verdict, chain, _ = _check(s, "2026-11-28")
        assert verdict == "prohibited" and SUSPENSION not in chain
        assert _check(s, "2025-11-08")[0] == "prohibited"  # the day before it took effect
        # a technology export after 2 January 2025: the technology control, not the ban
        verdict, chain, _ = _check(s, "2025-03-01", item="technology:gallium")
        assert verdict == "licence_required" and chain[TECH] == "licence_required"
        assert BAN not in chain and LICENSING not in chain
        assert _check(s, "2024-12-31", item="technology:gallium")[0] == "allowed"


def test_tungsten_and_context_measures(loaded):
    with transaction(loaded) as s:
        # before 4 February 2025: allowed; the US Section 301 tariff is context only
        verdict, chain, _ = _check(s, "2025-02-03", item="tungsten")
        assert verdict == "allowed" and chain["us-2024-section-301-tungsten-tariffs"] == "context"
        verdict, chain, _ = _check(s, "2025-06-01", item="APT")  # a form of tungsten
        assert verdict == "licence_required" and chain[TUNGSTEN] == "licence_required"
        # the May 2025 enforcement campaign and the Section 232 investigation: context
        assert chain["cn-2025-05-anti-smuggling-enforcement"] == "context"
        assert chain["us-2025-section-232-critical-minerals"] == "context"
        # tungsten to Germany: the US measures do not concern it
        r = svc.check(session=s, caller=LOCAL, item="tungsten", origin="CHN",
                      destination="DEU", date="2025-06-01")  # fmt: skip
        assert r["verdict"] == "licence_required"
        assert not {m["key"] for m in r["measures"]} & {"us-2024-section-301-tungsten-tariffs",
                                                        "us-2025-section-232-critical-minerals"}


def test_timeline_statuses_precision_and_undated(loaded):
    with transaction(loaded) as s:
        t = svc.timeline(session=s, caller=LOCAL, mineral="gallium", as_of="2026-03-01")
        by = {m["key"]: m for m in t["measures"]}
        assert by[BAN]["status"] == "suspended" and by[BAN]["suspended_by"] == SUSPENSION
        assert by[SUSPENSION]["expiry_label"] == "2026-11-27"
        assert not by[SUSPENSION]["expiry_derived"]
        assert by[SUSPENSION]["effective_precision"] == "day"
        assert by[LICENSING]["announced"] == "2023-07-03" and by[LICENSING]["status"] == (
            "in_force")
        later = svc.timeline(session=s, caller=LOCAL, mineral="gallium", as_of="2026-11-28")
        by = {m["key"]: m for m in later["measures"]}
        assert by[SUSPENSION]["status"] == "expired" and by[BAN]["status"] == "in_force"
        # germanium: clause 2 is suspended as a whole, so for germanium too
        for day, status in (("2026-03-01", "suspended"), ("2026-11-28", "in_force")):
            ge = svc.timeline(session=s, caller=LOCAL, mineral="germanium", as_of=day)
            assert {m["key"]: m["status"] for m in ge["measures"]}[BAN] == status
        # the Section 232 statutory clock: derived milestones
        us = svc.timeline(session=s, caller=LOCAL, mineral="tungsten", jurisdiction="USA")
        inv = {m["key"]: m for m in us["measures"]}["us-2025-section-232-critical-minerals"]
        # 22 April 2025 + 270 days = 17 January 2026; + 90 days = 17 April 2026
        assert [(m["date"], m["derived"]) for m in inv["milestones"]] == [
            ("2026-01-17", True), ("2026-04-17", True)]  # fmt: skip
        assert dt.date(2025, 4, 22) + dt.timedelta(days=270) == dt.date(2026, 1, 17)
        every = svc.timeline(session=s, caller=LOCAL, as_of="2026-03-01")
        assert every["undated_count"] == 4 == len(every["undated"])
        assert all(m["status"] == "undated" for m in every["measures"] if m["start"] is None)
        with pytest.raises(svc.BadRequest, match="jurisdiction"):
            svc.timeline(session=s, caller=LOCAL, jurisdiction="Atlantis")


def test_batch_csv_and_its_errors(loaded):
    text = ("item,origin,destination,date,via,end_use\n"
            "gallium,CHN,USA,2023-06-01,,\n"
            "gallium,CHN,USA,2025-03-01,VNM,\n"
            "Ga,China,United States,2026-03-01,,military\n"
            "811292,CHN,USA,2023-09-01,,\n")  # fmt: skip
    with transaction(loaded) as s:
        results = svc.check_csv(session=s, caller=LOCAL, text=text, file="ships.csv")
        assert [r["verdict"] for r in results] == ["allowed", "prohibited", "prohibited",
                                                   "licence_required"]  # fmt: skip
        bad = text + "gallium,CHN,USA,2025-02-30,,\n"
        with pytest.raises(svc.BadRequest) as err:
            svc.check_csv(session=s, caller=LOCAL, text=bad, file="ships.csv")
        assert str(err.value).startswith("ships.csv, row 6, column 'date': got '2025-02-30';")
        assert "YYYY-MM-DD" in str(err.value)
        with pytest.raises(svc.BadRequest, match="row 1 \\(header\\): missing column"):
            svc.check_csv(session=s, caller=LOCAL, text="item,origin\ngallium,CHN\n")
        with pytest.raises(svc.BadRequest, match="row 2, column 'item': got 'unobtainium'"):
            svc.check_csv(session=s, caller=LOCAL, file="ships.csv",
                          text="item,origin,destination,date\nunobtainium,CHN,USA,2025-01-01\n")
        with pytest.raises(svc.BadRequest, match="end use 'peaceful'"):
            svc.check(session=s, caller=LOCAL, item="gallium", origin="CHN",
                      destination="USA", date="2025-01-01", end_use="peaceful")


def test_a_hostile_partners_private_measure_changes_nobody_elses_answer(loaded):
    with transaction(loaded) as s:
        alpha_org = auth.create_org(session=s, name="Alpha", groups=["MSP"])
        beta_org = auth.create_org(session=s, name="Beta", groups=["MSP"])

        def caller(org):
            return Caller(org_id=org.id, org_name=org.name, role=Role.EDITOR,
                          partner_org_ids=auth.partner_ids(session=s, org_id=org.id))

        alpha, beta = caller(alpha_org), caller(beta_org)
        # Beta, a partner, records a private 'suspension' of the public ban, and a
        # private ban under the key of the public licensing
        for key, mtype, rel in ((f"{SUSPENSION}-fake", "suspension", BAN),
                                (LICENSING, "ban", None)):  # fmt: skip
            s.add(ExportMeasure(key=key, title="Beta's private view", imposing_country="CHN",
                                minerals=["gallium"], forms=[], target_countries=["USA"],
                                measure_type=mtype, effective=dt.date(2024, 1, 1),
                                date_precision="day", relates_to=rel, sharing="owner",
                                owner_org_id=beta_org.id, sources=[], section_sharing={},
                                version=1))  # fmt: skip
    with transaction(loaded) as s:
        # Alpha's answers are those of the public record
        assert _check(s, "2025-03-01", caller=alpha)[0] == "prohibited"
        assert _check(s, "2023-09-01", caller=alpha)[0] == "licence_required"
        t = svc.timeline(session=s, caller=alpha, mineral="gallium", as_of="2025-03-01")
        assert {m["key"]: m["status"] for m in t["measures"]}[BAN] == "in_force"
        assert "Beta's private view" not in str(t)
        anon = _check(s, "2025-03-01", caller=auth.Caller())
        assert anon[0] == "prohibited" and "Beta" not in str(anon[2])
        # Beta's own view uses Beta's measures
        verdict, chain, _ = _check(s, "2025-03-01", caller=beta)
        assert chain[BAN] == "suspended" and verdict == "prohibited"  # its own 'ban' on key
        assert _check(s, "2024-06-01", caller=beta)[0] == "prohibited"
        assert _check(s, "2024-06-01", caller=alpha)[0] == "licence_required"
