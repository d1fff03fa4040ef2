"""The rules engine on hand-built measures: verdicts worked out by hand from the rules in
the module docstring (precision read cautiously, suspensions, extraterritorial reach,
end uses, context), statuses on chosen dates, and the batch agreeing with single checks."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from critmin.analytics import rules

D = dt.date


def measure(key: str, mtype: str, **kw) -> dict:
    base = {"key": key, "measure_type": mtype, "imposing_country": "CHN",
            "target_countries": [], "minerals": ["gallium"], "end_use": "all", "end_users": [],
            "extraterritorial": False, "announced": None, "effective": None, "expiry": None,
            "announced_precision": "day", "effective_precision": "day",
            "expiry_precision": "day", "relates_to": None, "goods": True, "technology": False,
            "hs_codes": []}  # fmt: skip
    base.update(kw)
    return base


MEASURES = pd.DataFrame([
    measure("lic", "licensing", minerals=["gallium", "germanium"], announced=D(2023, 7, 3),
            effective=D(2023, 8, 1), hs_codes=["811292"]),
    measure("ban", "ban", target_countries=["USA"], minerals=["gallium", "germanium"],
            extraterritorial=True, effective=D(2024, 12, 3)),
    measure("susp", "suspension", target_countries=["USA"], effective=D(2025, 11, 1),
            effective_precision="month", expiry=D(2026, 11, 1), expiry_precision="month",
            relates_to="ban"),
    measure("tech", "technology_control", effective=D(2025, 1, 2), goods=False, technology=True),
    measure("ge-local", "ban", target_countries=["USA"], minerals=["germanium"],
            effective=D(2024, 1, 1)),
    measure("mil", "ban", target_countries=["USA"], end_use="military", effective=D(2024, 12, 3)),
    measure("tariff", "tariff", imposing_country="USA", target_countries=["CHN"],
            minerals=["tungsten"], effective=D(2024, 12, 31), effective_precision="year"),
    measure("w-lic", "licensing", minerals=["tungsten"], effective=D(2025, 2, 4)),
    measure("undated", "ban", minerals=["gallium"]),
])  # fmt: skip


def ship(day: D, minerals=("gallium",), *, via=None, end_use=None, technology=False, hs=None,
         origin="CHN", destination="USA") -> dict:  # fmt: skip
    return {"minerals": list(minerals), "technology": technology, "hs": hs, "origin": origin,
            "destination": destination, "via": via, "date": day, "end_use": end_use}


def run(*shipments: dict):
    verdicts, links = rules.check(pd.DataFrame(list(shipments)), MEASURES)
    keys = MEASURES["key"].to_numpy()
    chains = [{keys[m]: e for m, e in zip(g["measure"], g["effect"], strict=True)}
              for _, g in links.groupby("shipment")] if len(links) else []  # fmt: skip
    by_ship = dict(zip(links["shipment"].unique(), chains, strict=True)) if len(links) else {}
    return [(v, by_ship.get(i, {})) for i, v in enumerate(verdicts["verdict"])]


def test_period_bounds_at_each_precision():
    first, last = rules.period_bounds([D(2025, 11, 1), D(2024, 12, 31), D(2024, 2, 10), None],
                                      ["month", "year", "day", "day"])  # fmt: skip
    assert [str(x) for x in first[:3]] == ["2025-11-01", "2024-01-01", "2024-02-10"]
    assert [str(x) for x in last[:3]] == ["2025-11-30", "2024-12-31", "2024-02-10"]
    assert np.isnat(first[3]) and np.isnat(last[3])


def test_gallium_to_the_united_states_through_time():
    (before, _), (licensing, c1), (ban, c2), (suspended, c3), (after, c4) = run(
        ship(D(2023, 7, 31)), ship(D(2023, 8, 1)), ship(D(2025, 3, 1)), ship(D(2026, 3, 1)),
        ship(D(2026, 12, 1)))  # fmt: skip
    assert before == "allowed"  # licensing effective 1 August, not before
    assert licensing == "licence_required" and c1["lic"] == "licence_required"
    assert ban == "prohibited" and c2["ban"] == "prohibited" and c2["lic"] == "licence_required"
    # the suspension lifts the ban only: the licence requirement, with no expiry, stays
    assert suspended == "licence_required"
    assert (c3["ban"], c3["susp"], c3["lic"]) == ("suspended", "suspends", "licence_required")
    assert after == "prohibited" and "susp" not in c4  # expired (November 2026 is past)
    assert c2["mil"] == "conditional"  # end use not stated: reported, not decisive


def test_vague_dates_are_read_cautiously():
    # suspension known to the month: surely in force only from 30 November 2025 and
    # surely over from 1 November 2026, so it lifts the ban from 30 Nov 2025 to 31 Oct 2026
    results = run(ship(D(2025, 11, 15)), ship(D(2025, 11, 30)), ship(D(2026, 10, 31)),
                  ship(D(2026, 11, 1)))  # fmt: skip
    assert [v for v, _ in results] == ["prohibited", "licence_required", "licence_required",
                                       "prohibited"]  # fmt: skip
    # a restriction known to the year binds from the first day it may: the US tariff on
    # tungsten, dated 'end of 2024' (year precision), is context from 1 January 2024
    (_, chain), = run(ship(D(2024, 1, 1), ("tungsten",)))
    assert chain == {"tariff": "context"}


def test_reexport_reach_and_end_use():
    (via_ban, c1), (ge_direct, _), (ge_via, c3), (mil, c4), (civil, c5) = run(
        ship(D(2025, 3, 1), via="VNM"),
        ship(D(2024, 6, 1), ("germanium",)),
        ship(D(2024, 6, 1), ("germanium",), via="VNM"),
        ship(D(2026, 3, 1), end_use="military"),
        ship(D(2026, 3, 1), end_use="civil"),
    )  # fmt: skip
    assert via_ban == "prohibited" and c1["ban"] == "prohibited"  # extraterritorial
    assert ge_direct == "prohibited"
    # not extraterritorial: the export goes to Viet Nam, so only the licensing binds
    assert ge_via == "licence_required" and "ge-local" not in c3
    assert mil == "prohibited" and c4["mil"] == "prohibited" and c4["ban"] == "suspended"
    assert civil == "licence_required" and "mil" not in c5


def test_items_technology_hs_and_origin():
    (tech, c1), (tech_early, _), (hs, c3), (elsewhere, c5), (w, c6) = run(
        ship(D(2025, 3, 1), technology=True),
        ship(D(2024, 12, 31), technology=True),
        ship(D(2023, 9, 1), (), hs="81129290"),
        ship(D(2025, 3, 1), origin="AUS"),
        ship(D(2025, 3, 1), ("tungsten",)),
    )  # fmt: skip
    assert tech == "licence_required" and set(c1) == {"tech"}  # goods measures do not bind
    assert tech_early == "allowed"
    assert hs == "licence_required" and c3 == {"lic": "licence_required"}  # by its HS item
    assert elsewhere == "allowed" and c5 == {}  # Chinese measures bind Chinese exports
    assert w == "licence_required" and c6 == {"w-lic": "licence_required", "tariff": "context"}


def test_batch_equals_single_checks():
    rng = np.random.default_rng(7)
    days = pd.date_range("2023-01-01", "2027-06-30", freq="D").date
    n = 400
    batch = [ship(days[i], [("gallium",), ("germanium",), ("tungsten",)][k % 3],
                  via=[None, "VNM"][k % 2], end_use=[None, "civil", "military"][k % 3],
                  destination=["USA", "DEU"][k % 2])
             for i, k in zip(rng.integers(0, len(days), n), rng.integers(0, 6, n), strict=True)]
    together = [v for v, _ in run(*batch)]
    alone = [run(s)[0][0] for s in batch]
    assert together == alone and set(together) >= {"allowed", "licence_required", "prohibited"}


def test_change_days_are_where_verdicts_can_change():
    changes = rules.change_days(MEASURES)
    # month precision: the suspension may start 2025-11-01 and surely has by 2025-11-30;
    # it surely lifts until 2026-10-31, so 2026-11-01 is a change day; the year-precision
    # tariff may bind from 2024-01-01
    for day in ("2023-08-01", "2024-12-03", "2025-11-01", "2025-11-30", "2026-11-01",
                "2024-01-01"):
        assert np.datetime64(day) in changes, day
    assert list(changes) == sorted(set(changes))
    days = pd.date_range("2022-12-01", "2027-12-31", freq="D").to_numpy().astype("datetime64[D]")
    starts = rules.period_starts(days, changes)
    same = np.searchsorted(changes, starts, "right") == np.searchsorted(changes, days, "right")
    assert same.all() and len(np.unique(starts)) == len(changes) + 1  # one day per period
    # every day, every kind of shipment: the same verdicts and measures as its period's start
    kinds = [dict(minerals=m, via=v, end_use=u, destination=d)
             for m in (("gallium",), ("germanium",), ("tungsten",))
             for v in (None, "VNM") for u in (None, "military") for d in ("USA", "DEU")]
    every = [ship(day, **k) for day in days.astype(dt.date) for k in kinds]
    first = [ship(day, **k) for day in starts.astype(dt.date) for k in kinds]
    v_every, l_every = rules.check(pd.DataFrame(every), MEASURES)
    v_first, l_first = rules.check(pd.DataFrame(first), MEASURES)
    pd.testing.assert_frame_equal(v_every, v_first)
    pd.testing.assert_frame_equal(l_every, l_first)
    assert set(v_every["verdict"]) == {"allowed", "licence_required", "prohibited"}
    assert set(l_every["effect"]) >= {"suspended", "suspends", "conditional", "context"}


def test_period_starts_without_changes_and_before_the_first():
    days = np.array(["2024-01-05", "2023-03-01"], dtype="datetime64[D]")
    assert list(rules.period_starts(days, np.array([], dtype="datetime64[D]"))) == [
        np.datetime64("2023-03-01")] * 2  # fmt: skip
    changes = np.array(["2024-01-01"], dtype="datetime64[D]")
    assert list(rules.period_starts(days, changes)) == [
        np.datetime64("2024-01-01"), np.datetime64("2023-12-31")]  # fmt: skip


def test_statuses_on_a_date():
    st = rules.statuses(MEASURES, D(2026, 11, 15), mineral="gallium").set_index(MEASURES["key"])
    assert st.loc["ban", "status"] == "suspended" and st.loc["ban", "suspended_by"] == "susp"
    # the suspension's expiry is known to the month: inside November it is 'ending'
    assert st.loc["susp", "status"] == "in_force" and bool(st.loc["susp", "ending"])
    assert st.loc["undated", "status"] == "undated"
    later = rules.statuses(MEASURES, D(2026, 12, 1), "gallium").set_index(MEASURES["key"])
    assert (later.loc["susp", "status"], later.loc["ban", "status"]) == ("expired", "in_force")
    # a suspension of gallium does not suspend the ban on a germanium timeline
    ge = rules.statuses(MEASURES, D(2026, 3, 1), "germanium").set_index(MEASURES["key"])
    assert ge.loc["ban", "status"] == "in_force"
    early = rules.statuses(MEASURES, D(2023, 7, 10)).set_index(MEASURES["key"])
    assert early.loc["lic", "status"] == "announced" and early.loc["ban", "status"] == (
        "not_announced")


@pytest.mark.parametrize("n", [0])
def test_no_shipments(n):
    verdicts, links = rules.check(pd.DataFrame(columns=list(rules.SHIPMENT_COLUMNS)), MEASURES)
    assert len(verdicts) == n and len(links) == 0


SCRAP = pd.DataFrame([
    measure("waste-ban", "import_ban", minerals=["tungsten"], effective=D(2021, 1, 1),
            hs_codes=["810197", "740400"]),
    measure("cu-std", "standard", minerals=[], effective=D(2020, 11, 1), expiry=D(2024, 11, 14),
            relates_to="waste-ban", hs_codes=["7404000030"]),
    measure("w-lic", "licensing", minerals=["tungsten"], effective=D(2025, 2, 4)),
])  # fmt: skip


def test_scrap_import_ban_and_the_standard_that_exempts():
    def one(**kw):
        base = ship(D(2022, 3, 1), ("tungsten",), origin="USA", destination="CHN")
        verdicts, links = rules.check(pd.DataFrame([base | kw]), SCRAP)
        keys = SCRAP["key"].to_numpy()
        return verdicts["verdict"][0], {
            keys[m]: e for m, e in zip(links["measure"], links["effect"], strict=True)
        }

    # waste and scrap into the imposer after the ban: prohibited, by HS code or by the form
    assert one(hs="810197") == ("prohibited", {"waste-ban": "prohibited"})
    assert one(form_hs="810197") == ("prohibited", {"waste-ban": "prohibited"})
    # the same mineral as ore or metal, scrap before the ban, or scrap leaving: untouched
    assert one() == ("allowed", {})
    assert one(hs="810197", date=D(2020, 12, 31)) == ("allowed", {})
    assert one(hs="810197", origin="CHN", destination="USA") == ("allowed", {})
    # copper scrap: the standard in force exempts conforming material; once it has lapsed
    # (14 November 2024) the ban binds again
    exempt = {"waste-ban": "unless_exempt", "cu-std": "exempts"}
    assert one(hs="740400", minerals=[]) == ("allowed", exempt)
    lapsed = one(hs="740400", minerals=[], date=D(2025, 1, 1))
    assert lapsed == ("prohibited", {"waste-ban": "prohibited"})
    # an export measure of the imposer still binds its own exports of the mineral
    export = one(origin="CHN", destination="USA", date=D(2025, 3, 1))
    assert export == ("licence_required", {"w-lic": "licence_required"})
