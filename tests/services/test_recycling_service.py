"""Recycling service: figures, targets and progress per mineral and country with their
sources, the summary the reports read, labels in both languages, clear errors; and the
scrap-trade measures as the shipment check applies them (bundled data, SQLite and
PostgreSQL)."""

from __future__ import annotations

import json

import pytest

from critmin import i18n
from critmin.services import controls
from critmin.services import recycling as service
from critmin.services.auth import ANONYMOUS, LOCAL
from critmin.store.db import make_engine, transaction


def test_rates_by_mineral_name_symbol_and_country():
    nickel = service.rates("Ni")
    assert [r["key"] for r in nickel] == ["usgs-2025-usa-nickel-scrap-consumption"]
    (n,) = nickel
    assert (n["value"], n["unit"], n["qualifier"], n["shown"]) == (
        60,
        "percent",
        "approximate",
        "about 60%",
    )
    assert n["source"]["document"] == "usgs-mcs2026/nickel.json"
    assert n["source"]["quote"] == n["quote"] and "approximately 60%" in n["quote"]
    japan = service.rates("gallium", "Japan")
    assert [(r["country"], r["value"], r["year_label"]) for r in japan] == [
        ("JPN", 40, "not stated")
    ]
    assert {r["country"] for r in service.rates("gallium")} == {"USA", "JPN"}
    assert service.rates("tungsten")[0]["shown"] == "withheld"
    assert service.rates("niobium")[0]["shown"] == "at most 20%"


def test_statements_keep_the_qualitative_ones():
    st = {s["mineral"]: s for s in service.statements() if s["country"] == "USA"}
    assert len(st) == 16
    assert st["rare-earths"]["figures"] == [] and "Limited quantities" in st["rare-earths"]["text"]
    assert st["aluminum"]["figures"] and len(st["aluminum"]["figures"]) == 4


def test_tungsten_progress_is_not_computed_without_a_current_rate():
    rows = service.progress("tungsten")
    assert [r["target"]["key"] for r in rows] == [
        "cn-tungsten-recycling-rate-70-by-2028",
        "us-tungsten-recovery-rate-60",
    ]
    for r in rows:
        assert r["current"] is None and r["state"] == "no_current_rate"
        assert r["gap_pp"] is None and r["needed_pp_per_year"] is None
        assert "progress is not computed" in r["note"]
    assert rows[0]["target"]["status_label"] == "Proposal in an analysis (not adopted)"
    assert rows[0]["target"]["expected_extra_supply_shown"] == "about 10,000 t/yr"


def test_progress_with_a_rate_and_consumption_the_user_gives():
    # 40% in 2025 toward 70% by 2028 on 10,000 t/yr: 30 points, 10 a year, 3,000 t/yr
    (r,) = service.progress(
        target="cn-tungsten-recycling-rate-70-by-2028",
        current_pct=40,
        current_year=2025,
        consumption_t=10_000,
    )
    assert r["current"]["given_by_user"] and r["current"]["source"] is None
    assert (r["gap_pp"], r["years_left"], r["needed_pp_per_year"], r["extra_supply_t"]) == (
        30,
        3,
        10,
        3000,
    )
    assert r["state"] == "open" and r["note"] is None
    with pytest.raises(service.RecyclingError, match="narrowed to one target") as err:
        service.progress("tungsten", current_pct=40)
    assert err.value.field == "current_pct"


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: service.rates("unobtainium"), "mineral"),
        (lambda: service.rates("gallium", "Atlantis"), "country"),
        (lambda: service.progress(target="no-such-target"), "target"),
        (
            lambda: service.progress(target="us-tungsten-recovery-rate-60", current_pct=120),
            "current_pct",
        ),
        (lambda: service.progress("tungsten", consumption_t=-1), "consumption_t"),
    ],
)
def test_bad_input_names_the_field(call, field):
    with pytest.raises(service.RecyclingError) as err:
        call()
    assert err.value.field == field
    assert "expected" in str(err.value) or "unknown" in str(err.value)


def test_summary_is_json_and_every_figure_has_its_source():
    out = service.summary(None, "gallium")
    json.dumps(out, ensure_ascii=False)
    assert out["mineral"] == "gallium" and out["targets"] == [] and out["progress"] == []
    assert {r["key"] for r in out["rates"]} == {
        "usgs-2025-usa-gallium-old-scrap",
        "csis-jpn-gallium-domestic-scrap-feed",
    }
    for r in out["rates"]:
        assert r["source"]["document"] and r["source"]["quote"] in r["quote"]
    assert "EOL-RIR" in out["not_bundled"]
    w = service.summary(None, "tungsten")
    assert len(w["targets"]) == 2 and all(t["sources"] for t in w["targets"])


def test_labels_follow_the_language():
    with i18n.use_language("zh"):
        (n,) = service.rates("nickel")
        assert n["qualifier_label"] == "约数" and n["shown"] == "约 60%"
        row = service.progress("tungsten", "CHN")[0]
        assert row["state_label"] == "无当前回收率:未计算进展"
        assert "EOL-RIR" in service.not_bundled() and "不在内置来源之中" in service.not_bundled()


@pytest.fixture(scope="module")
def bundled_engine(bundled_db_url):
    engine = make_engine(bundled_db_url)
    yield engine
    engine.dispose()


@pytest.mark.parametrize(
    ("item", "origin", "destination", "date", "verdict", "effects"),
    [
        # tungsten scrap into China after 1 January 2021: prohibited as solid waste
        (
            "810197",
            "USA",
            "CHN",
            "2022-03-01",
            "prohibited",
            {"cn-2021-solid-waste-import-ban": "prohibited"},
        ),
        (
            "tungsten_scrap",
            "JPN",
            "CHN",
            "2021-01-01",
            "prohibited",
            {"cn-2021-solid-waste-import-ban": "prohibited"},
        ),
        # before the ban, and tungsten that is not scrap, are not touched by it
        ("tungsten_scrap", "JPN", "CHN", "2020-12-31", "allowed", {}),
        ("apt", "USA", "CHN", "2022-03-01", "allowed", {}),
        # copper scrap meeting the 2020 standard may enter; the ban binds the rest
        (
            "740400",
            "USA",
            "CHN",
            "2022-03-01",
            "allowed",
            {
                "cn-2021-solid-waste-import-ban": "unless_exempt",
                "cn-2020-recycled-copper-aluminium-standards": "exempts",
            },
        ),
        # from 15 November 2024 the 2024 rules exempt, the 2020 ones have lapsed
        (
            "760200",
            "JPN",
            "CHN",
            "2025-03-01",
            "allowed",
            {
                "cn-2021-solid-waste-import-ban": "unless_exempt",
                "cn-2024-recycled-copper-aluminium-standards": "exempts",
            },
        ),
        # scrap leaving China is not an import into China
        ("810530", "CHN", "JPN", "2022-03-01", "allowed", {}),
    ],
)
def test_scrap_trade_measures_in_the_shipment_check(
    bundled_engine, item, origin, destination, date, verdict, effects
):
    with transaction(bundled_engine) as s:
        out = controls.check(
            session=s,
            caller=ANONYMOUS,
            item=item,
            origin=origin,
            destination=destination,
            date=date,
        )
    assert out["verdict"] == verdict, out["why"]
    got = {
        m["key"]: m["effect"]
        for m in out["measures"]
        if m["key"]
        in (
            "cn-2021-solid-waste-import-ban",
            "cn-2020-recycled-copper-aluminium-standards",
            "cn-2024-recycled-copper-aluminium-standards",
        )
    }
    assert got == effects
    if "unless_exempt" in effects.values():
        assert "only material that meets" in out["why"]
    for m in out["measures"]:
        assert m["sources"] and all(src.get("quote") for src in m["sources"])


def test_scrap_measures_on_the_timeline(bundled_engine):
    with transaction(bundled_engine) as s:
        rows = controls.measures(session=s, caller=LOCAL, mineral="tungsten")["measures"]
    ban = next(m for m in rows if m["key"] == "cn-2021-solid-waste-import-ban")
    assert ban["measure_type_label"] == "Import ban" and ban["effective_label"] == "2021-01-01"
    assert ban["announced_label"] == "2020-11"
