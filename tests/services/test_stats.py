"""Country shares and HHI from USGS MCS 2026 world tables, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import critmin
from critmin.domain.vocab import UnknownValue
from critmin.services.stats import StatsNotFound, production_shares
from critmin.store.db import transaction
from critmin.store.tables import ProductionStat
from support import load_usgs_chapters

USGS = Path(critmin.__file__).parent / "data" / "reference" / "usgs-mcs2026"


def insert_usgs(session, slug: str) -> None:
    """Store a bundled USGS chapter with the real loader."""
    load_usgs_chapters(session, slug)


def test_gallium_2024_shares_and_hhi(engine):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
    with transaction(engine) as s:
        out = production_shares(session=s, mineral="gallium", year=2024)
    assert (out["mineral"], out["year"], out["measure"], out["unit"]) == (
        "gallium",
        2024,
        "production",
        "kg",
    )
    assert out["world_total"] == 848_000.0 and out["total_basis"] == "world_row"
    first = out["shares"][0]
    assert (first["country"], first["name"], first["value"]) == ("CHN", "China", 839_000.0)
    assert first["share"] == pytest.approx(0.98939, abs=1e-5)
    assert [r["country"] for r in out["shares"]] == ["CHN", "RUS", "JPN", "USA"]
    w = 848_000.0
    expected = (839_000 / w) ** 2 + (3_000 / w) ** 2 + (6_000 / w) ** 2
    assert out["hhi"] == pytest.approx(expected)
    assert out["hhi_points"] == pytest.approx(expected * 10_000)
    assert out["other_share"] == 0.0
    assert out["residual_share"] == pytest.approx(1 - 848_000 / w)
    assert out["sources"][0]["document"] == "usgs-mcs2026-gallium"
    assert out["years_available"] == [2024, 2025]
    json.dumps(out)  # plain, serialisable result


def test_latest_year_capacity_and_other_countries(engine):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        latest = production_shares(session=s, mineral="gallium")
        cap = production_shares(session=s, mineral="gallium", measure="capacity")
    # USGS 2025e: the rounded world row (900,000 kg) is below China 900,000 + Japan 3,000
    # + Russia 6,000, so the rows' sum is the denominator and shares stay fractions
    assert latest["year"] == 2025 and latest["total_basis"] == "sum_of_rows"
    assert latest["world_total"] == 909_000.0
    assert latest["shares"][0]["share"] == pytest.approx(900_000 / 909_000)
    assert latest["hhi"] < 1.0
    # capacity: 1,600,000 + 10,000 + 10,000 + other 100,000 = 1,720,000 > world row 1,700,000
    assert cap["year"] == 2025 and cap["world_total"] == 1_720_000.0
    assert cap["other_share"] == pytest.approx(100_000 / 1_720_000)
    assert cap["hhi_upper"] == pytest.approx(cap["hhi"] + (100_000 / 1_720_000) ** 2)
    assert cap["shares"][0]["share"] == pytest.approx(1_600_000 / 1_720_000)


def test_tungsten_and_missing_values(engine):
    with transaction(engine) as s:
        insert_usgs(s, "tungsten")
        out = production_shares(session=s, mineral="tungsten", year=2024)
        reserves = production_shares(session=s, mineral="tungsten", measure="reserves")
        with pytest.raises(StatsNotFound, match="no capacity data for tungsten"):
            production_shares(session=s, mineral="tungsten", measure="capacity")
    assert out["shares"][0]["country"] == "CHN"
    assert out["shares"][0]["share"] == pytest.approx(67_000 / 82_000)
    assert out["other_share"] == pytest.approx(1_700 / 82_000)
    usa = next(w for w in reserves["withheld"] if w["country"] == "USA")
    assert (usa["raw_value"], usa["status"]) == ("NA", "not_available")
    assert reserves["world_total"] == 4_700_000.0  # ">4,700,000", a lower bound


def test_no_data_names_mineral_year_and_years_available(engine):
    with transaction(engine) as s:
        insert_usgs(s, "gallium")
        with pytest.raises(LookupError) as info:
            production_shares(session=s, mineral="gallium", year=2019)
        assert str(info.value) == (
            "no production data for gallium in 2019; years available: 2024, 2025"
        )
        with pytest.raises(StatsNotFound, match="no production data for germanium.*none"):
            production_shares(session=s, mineral="germanium", year=2024)
        with pytest.raises(UnknownValue, match="unknown mineral 'unobtainium'"):
            production_shares(session=s, mineral="unobtainium", year=2024)


def test_without_world_row_shares_are_of_the_sum(engine):
    """Synthetic rows (not USGS figures): no world row, so the total is the sum of rows."""
    with transaction(engine) as s:
        for iso, value in (("CHN", 60.0), ("CAN", 30.0), (None, 10.0)):
            s.add(
                ProductionStat(
                    mineral="indium",
                    measure="production",
                    year=2024,
                    country=iso,
                    country_label=None if iso else "other",
                    value=value,
                    unit="t",
                )
            )
        s.flush()
        out = production_shares(session=s, mineral="indium", year=2024)
    assert out["total_basis"] == "sum_of_rows" and out["world_total"] == 100.0
    assert [r["share"] for r in out["shares"]] == pytest.approx([0.6, 0.3])
    assert out["hhi"] == pytest.approx(0.45) and out["other_share"] == pytest.approx(0.1)
