"""The scrap exchange through the caller's view on SQLite and PostgreSQL, over the bundled,
cited export controls: a legal match and one prohibited by China's December 2024 ban on
gallium to the United States, a grade mismatch, concurrent acceptances of one lot (exactly
one wins), the history of decisions and a hostile partner who never sees a private lot."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

from critmin.ingest.curated import load_curated
from critmin.ingest.datasets import ensure_datasets
from critmin.services import auth
from critmin.services import scrap as svc
from critmin.services import scrap_decisions as decide
from critmin.services import scrap_match as match_svc
from critmin.services.auth import ANONYMOUS, LOCAL, Caller, Role
from critmin.services.entities import NotFound
from critmin.services.tracker import Conflict, Forbidden, InvalidRecord
from critmin.store.catalogue import sync_catalogue
from critmin.store.db import transaction

BAN = "cn-2024-12-us-ban-ga-ge-sb-superhard"
DAY = dt.date(2025, 3, 1)


def _caller(s, name: str) -> Caller:
    org = auth.get_org(session=s, name=name)
    return Caller(
        org_id=org.id,
        org_name=name,
        role=Role.EDITOR,
        partner_org_ids=auth.partner_ids(session=s, org_id=org.id),
    )


def offer(**over):
    return {
        "side": "offer",
        "mineral": "gallium",
        "scrap_types": ["gaas_wafer_kerf"],
        "grade_pct": 40.0,
        "quantity_t": 10.0,
        "country": "DEU",
        "lat": 51.05,
        "lon": 13.74,
        "available_from": "2025-01-01",
        "available_to": "2025-12-31",
        "standards": ["iso_14001"],
        "sharing": "public",
        **over,
    }


def request(**over):
    return {
        "side": "request",
        "mineral": "gallium",
        "scrap_types": ["gaas_wafer_kerf", "gaas_wafer_scrap"],
        "grade_min_pct": 30.0,
        "grade_max_pct": 50.0,
        "quantity_t": 10.0,
        "country": "USA",
        "lat": 42.36,
        "lon": -71.06,
        "available_from": "2025-02-01",
        "required_standards": ["iso_14001"],
        "sharing": "public",
        **over,
    }


@pytest.fixture
def world(engine):
    with transaction(engine) as s:
        sync_catalogue(s)
        ensure_datasets(s)
        load_curated(s)
        for name, groups in (
            ("Recycler DE", ["MSP"]),
            ("Smelter CN", []),
            ("Buyer US", ["MSP"]),
            ("Hostile", ["MSP"]),
        ):
            auth.create_org(session=s, name=name, groups=groups)
    with transaction(engine) as s:
        de, cn, us = (_caller(s, n) for n in ("Recycler DE", "Smelter CN", "Buyer US"))
        ids = {
            "de": svc.create_listing(session=s, caller=de, data=offer())["id"],
            "cn": svc.create_listing(
                session=s,
                caller=cn,
                data=offer(country="CHN", lat=None, lon=None, reference="CN-1"),
            )["id"],
            "low": svc.create_listing(
                session=s, caller=de, data=offer(grade_pct=20.0, reference="low grade")
            )["id"],
            "private": svc.create_listing(
                session=s,
                caller=de,
                data=offer(sharing="owner", reference="secret lot", quantity_t=3.0),
            )["id"],
            "req": svc.create_listing(session=s, caller=us, data=request())["id"],
        }
    return engine, ids


def _pairs(out):
    return {(m["offer"]["id"], m["request"]["id"]): m for m in out["matches"]}


def test_legal_and_prohibited_matches_under_the_ban(world):
    engine, ids = world
    with transaction(engine) as s:
        out = match_svc.matches(
            session=s,
            caller=_caller(s, "Buyer US"),
            mineral="gallium",
            as_of=DAY,
            include_rejected=True,
        )
    pairs = _pairs(out)
    legal, banned = pairs[(ids["de"], ids["req"])], pairs[(ids["cn"], ids["req"])]
    assert legal["legal"]["verdict"] == "allowed" and legal["status"] == "proposed"
    assert legal["quantity_t"] == 10.0 and legal["rank"] == 1
    assert legal["legal"]["date"] == "2025-03-01"  # first common day from as_of
    # Dresden -> Boston: about 6,100 km great circle; 0.10 USD per t.km
    assert 6000 < legal["distance_km"] < 6200
    assert legal["transport_usd_per_t"] == pytest.approx(legal["distance_km"] * 0.1, abs=0.1)
    assert any("Grade 40 % lies within the requested 30–50 %" in r for r in legal["reasons"])
    # China -> United States on 1 March 2025: the December 2024 ban forbids it
    assert banned["legal"]["verdict"] == "prohibited"
    # checked as the first day of its period between change days, answered for its own day
    assert banned["legal"]["date"] == "2025-03-01"
    deciding = [m["key"] for m in banned["legal"]["measures"] if m["decides"]]
    assert deciding == [BAN]
    assert banned["status"] == "not_proposed" and banned["rank"] is None
    assert banned["quantity_t"] == 0 and banned["distance_km"] is None
    assert any("Distance unknown" in r for r in banned["reasons"])
    assert any("prohibited" in r for r in banned["reasons"])
    # the grade mismatch is rejected with its reason
    (low,) = [r for r in out["rejected"] if r["offer"]["id"] == ids["low"]]
    assert low["reasons"] == ["Grade mismatch: 20 % is outside the requested 30–50 %"]
    # a prohibited pair cannot be accepted
    with transaction(engine) as s, pytest.raises(Conflict, match="prohibited"):
        decide.accept(
            session=s,
            caller=_caller(s, "Buyer US"),
            offer_id=ids["cn"],
            request_id=ids["req"],
            offer_version=1,
            request_version=1,
            as_of=DAY,
        )


def test_the_ban_suspension_makes_the_same_pair_need_a_licence(world):
    engine, ids = world
    with transaction(engine) as s:
        out = match_svc.matches(
            session=s, caller=LOCAL, mineral="gallium", as_of=dt.date(2025, 12, 15)
        )
    banned = _pairs(out)[(ids["cn"], ids["req"])]
    # suspended from November 2025: the 2023 licensing still applies
    assert banned["legal"]["verdict"] == "licence_required"
    assert banned["status"] in ("proposed", "not_proposed")
    assert any("export licence" in r for r in banned["reasons"])


def test_accept_allocates_records_history_and_refuses_a_second_time(world):
    engine, ids = world
    with transaction(engine) as s:
        us = _caller(s, "Buyer US")
        done = decide.accept(
            session=s,
            caller=us,
            offer_id=ids["de"],
            request_id=ids["req"],
            offer_version=1,
            request_version=1,
            reason="good lot",
            as_of=DAY,
        )
    assert done["status"] == "accepted" and done["quantity_t"] == 10.0
    assert (done["offer_version"], done["request_version"]) == (2, 2)
    with transaction(engine) as s:
        assert svc.get_listing(session=s, caller=LOCAL, id=ids["de"])["free_t"] == 0
        out = match_svc.matches(session=s, caller=LOCAL, mineral="gallium", as_of=DAY)
        assert _pairs(out)[(ids["de"], ids["req"])]["status"] == "accepted"
        with pytest.raises(Conflict):
            decide.accept(
                session=s,
                caller=_caller(s, "Buyer US"),
                offer_id=ids["de"],
                request_id=ids["req"],
                offer_version=2,
                request_version=2,
                as_of=DAY,
            )
        hist = decide.history(session=s, caller=_caller(s, "Recycler DE"), listing_id=ids["de"])
        assert [(h["action"], h["to_status"], h["reason"]) for h in hist] == [
            ("accept", "accepted", "good lot")
        ]
        assert hist[0]["by"] == "Buyer US (editor)"
        # a third party that sees both public listings sees the decision, not the reason
        other = decide.history(session=s, caller=_caller(s, "Hostile"), listing_id=ids["de"])
        assert [h["reason"] for h in other] == [None]


def test_decline_is_recorded_and_not_proposed_again(world):
    engine, ids = world
    with transaction(engine) as s:
        de = _caller(s, "Recycler DE")
        out = decide.decline(
            session=s,
            caller=de,
            offer_id=ids["de"],
            request_id=ids["req"],
            offer_version=1,
            request_version=1,
            reason="price too low",
        )
        assert out["status"] == "declined" and out["history"][0]["reason"] == "price too low"
    with transaction(engine) as s:
        pair = _pairs(match_svc.matches(session=s, caller=LOCAL, mineral="gallium", as_of=DAY))[
            (ids["de"], ids["req"])
        ]
        assert pair["status"] == "declined" and pair["quantity_t"] == 0


def test_concurrent_acceptances_of_one_lot_exactly_one_wins(world):
    engine, ids = world
    with transaction(engine) as s:  # a second request competing for the same offer
        second = svc.create_listing(
            session=s,
            caller=_caller(s, "Hostile"),
            data=request(country="CAN", lat=45.5, lon=-73.57),
        )["id"]
    barrier = threading.Barrier(2)
    results: dict[str, object] = {}

    def take(who: str, request_id: int) -> None:
        try:
            with transaction(engine) as s:
                caller = _caller(s, who)
                barrier.wait()
                results[who] = decide.accept(
                    session=s,
                    caller=caller,
                    offer_id=ids["de"],
                    request_id=request_id,
                    offer_version=1,
                    request_version=1,
                    as_of=DAY,
                )
        except Exception as exc:  # noqa: BLE001 - the loser's error is the result
            results[who] = exc

    threads = [
        threading.Thread(target=take, args=("Buyer US", ids["req"])),
        threading.Thread(target=take, args=("Hostile", second)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    won = [k for k, v in results.items() if isinstance(v, dict)]
    lost = [v for v in results.values() if not isinstance(v, dict)]
    assert len(won) == 1 and len(lost) == 1, results
    assert isinstance(lost[0], Conflict) and "no longer at version 1" in str(lost[0])
    with transaction(engine) as s:
        row = svc.get_listing(session=s, caller=LOCAL, id=ids["de"])
        assert row["allocated_t"] == 10.0 and row["version"] == 2
        assert len(decide.history(session=s, caller=LOCAL, listing_id=ids["de"])) == 1


def test_hostile_partner_never_sees_a_private_lot(world):
    engine, ids = world
    with transaction(engine) as s:
        hostile = _caller(s, "Hostile")
        seen = svc.list_listings(session=s, caller=hostile, mineral="gallium")
        assert ids["private"] not in [x["id"] for x in seen["listings"]]
        assert seen["counts"] == {"offer": 3, "request": 1}
        out = match_svc.matches(
            session=s, caller=hostile, mineral="gallium", as_of=DAY, include_rejected=True
        )
        assert out["offers"] == 3
        assert ids["private"] not in {m["offer"]["id"] for m in out["matches"] + out["rejected"]}
        with pytest.raises(NotFound) as hidden:
            svc.get_listing(session=s, caller=hostile, id=ids["private"])
        with pytest.raises(NotFound) as missing:
            svc.get_listing(session=s, caller=hostile, id=999_999)
        assert str(hidden.value).replace(str(ids["private"]), "N") == str(missing.value).replace(
            "999999", "N"
        )
        with pytest.raises(NotFound):
            decide.accept(
                session=s,
                caller=hostile,
                offer_id=ids["private"],
                request_id=ids["req"],
                offer_version=1,
                request_version=1,
            )
        # a partner cannot edit or decide on others' public lots either
        with pytest.raises(Forbidden):
            svc.update_listing(
                session=s, caller=hostile, id=ids["de"], changes={"quantity_t": 1.0}, version=1
            )
        with pytest.raises(Forbidden):
            decide.decline(
                session=s,
                caller=hostile,
                offer_id=ids["de"],
                request_id=ids["req"],
                offer_version=1,
                request_version=1,
            )
        # the owner and LOCAL see it; anonymous sees only public lots
        assert ids["private"] in [
            x["id"]
            for x in svc.list_listings(session=s, caller=_caller(s, "Recycler DE"))["listings"]
        ]
        anon = svc.list_listings(session=s, caller=ANONYMOUS)
        assert all(x["sharing"] == "public" for x in anon["listings"])


def test_update_with_a_stale_version_is_a_conflict_and_bad_fields_are_named(world):
    engine, ids = world
    with transaction(engine) as s:
        de = _caller(s, "Recycler DE")
        out = svc.update_listing(
            session=s, caller=de, id=ids["de"], changes={"quantity_t": 12.0}, version=1
        )
        assert out["quantity_t"] == 12.0 and out["version"] == 2
        with pytest.raises(Conflict, match="no longer at version 1"):
            svc.update_listing(
                session=s, caller=de, id=ids["de"], changes={"quantity_t": 13.0}, version=1
            )
        with pytest.raises(InvalidRecord) as bad:
            svc.update_listing(
                session=s, caller=de, id=ids["de"], changes={"grade_pct": 140}, version=2
            )
        assert bad.value.errors[0]["field"] == "grade_pct"
        with pytest.raises(InvalidRecord) as bad:
            svc.create_listing(session=s, caller=de, data=request(grade_min_pct=60.0))
        assert bad.value.errors == [
            {"field": "grade_max_pct", "problem": "must not be below grade_min_pct (60)"}
        ]
        with pytest.raises(Forbidden):
            svc.create_listing(session=s, caller=ANONYMOUS, data=offer())


def test_one_lot_split_greedily_never_promised_twice(world):
    engine, ids = world
    with transaction(engine) as s:  # a 4 t request at the same place as the 10 t one
        small = svc.create_listing(session=s, caller=_caller(s, "Hostile"),
                                   data=request(quantity_t=4.0))["id"]  # fmt: skip
        out = match_svc.matches(session=s, caller=_caller(s, "Hostile"), mineral="gallium",
                                as_of=DAY)  # fmt: skip
    pairs = _pairs(out)
    first, second = pairs[(ids["de"], small)], pairs[(ids["de"], ids["req"])]
    # equal scores (both fills are 1, same place, grade and window): the newer request ranks
    # first and takes 4 t; the 10 t request gets the 6 t left of the 10 t lot
    assert first["score"] == second["score"] and (first["rank"], second["rank"]) == (1, 2)
    assert (first["quantity_t"], second["quantity_t"]) == (4.0, 6.0)
    assert second["possible_t"] == 10.0
    assert any(r.startswith("Partly allocated: 6 t here") for r in second["reasons"])
    offered = sum(m["quantity_t"] for m in out["matches"] if m["offer"]["id"] == ids["de"])
    assert offered == 10.0


def test_withdrawing_an_accepted_match_frees_the_lot(world):
    engine, ids = world
    with transaction(engine) as s:
        us = _caller(s, "Buyer US")
        done = decide.accept(session=s, caller=us, offer_id=ids["de"], request_id=ids["req"],
                             offer_version=1, request_version=1, as_of=DAY)  # fmt: skip
    with transaction(engine) as s:
        de = _caller(s, "Recycler DE")
        with pytest.raises(Conflict, match="no longer at version 5"):
            decide.withdraw(session=s, caller=de, match_id=done["id"], version=5)
        with pytest.raises(NotFound):  # a match whose lots the caller cannot see
            decide.withdraw(session=s, caller=ANONYMOUS, match_id=done["id"] + 100, version=1)
        out = decide.withdraw(session=s, caller=de, match_id=done["id"], version=1,
                              reason="buyer cancelled")  # fmt: skip
        assert out["status"] == "withdrawn" and out["version"] == 2
        assert (out["offer_version"], out["request_version"]) == (3, 3)
        assert [h["action"] for h in out["history"]] == ["accept", "withdraw"]
    with transaction(engine) as s:
        assert svc.get_listing(session=s, caller=LOCAL, id=ids["de"])["free_t"] == 10.0
        pair = _pairs(match_svc.matches(session=s, caller=LOCAL, mineral="gallium",
                                        as_of=DAY))[(ids["de"], ids["req"])]  # fmt: skip
        assert pair["status"] == "proposed" and pair["quantity_t"] == 10.0
