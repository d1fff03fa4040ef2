"""Trade analytics: mirror gaps and the circumvention signal (hand-worked answers, an
injected rerouting pattern in BACI-shaped synthetic data, and null data that stays
quiet over several seeds)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from critmin.analytics import balance, trade

HS = "811292"


def _declared(rows):
    return pd.DataFrame(rows, columns=["reporter", "flow", "exporter", "importer", "hs6",
                                       "period", "value_kusd", "quantity_t"])  # fmt: skip


def test_mirror_gaps_hand_worked():
    flows = _declared([
        ("CHN", "X", "CHN", "USA", HS, 2024, 100.0, 10.0),
        ("USA", "M", "CHN", "USA", HS, 2024, 108.0, 9.5),
        ("CHN", "X", "CHN", "JPN", HS, 2024, 50.0, None),   # Japan declared nothing
        ("DEU", "M", "CHN", "DEU", HS, 2024, 20.0, 2.0),    # China declared nothing
        ("USA", "M", "CHN", "USA", HS, 2024, 2.0, 0.5),     # a second line adds up
        ("BACI", None, "CHN", "USA", HS, 2024, 999.0, 1.0),  # no direction: ignored
    ])  # fmt: skip
    flows.loc[5, "reporter"] = None
    gaps = trade.mirror_gaps(flows).set_index(["exporter", "importer"])
    usa = gaps.loc[("CHN", "USA")]
    assert (usa["exports_kusd"], usa["imports_kusd"], usa["gap_kusd"]) == (100.0, 110.0, 10.0)
    assert usa["gap_pct"] == pytest.approx(10.0)
    assert usa["gap_t"] == pytest.approx(0.0)  # 10 t declared out, 9.5 + 0.5 in
    jpn = gaps.loc[("CHN", "JPN")]
    assert jpn["exports_kusd"] == 50.0 and math.isnan(jpn["imports_kusd"])
    assert math.isnan(jpn["gap_kusd"]) and math.isnan(jpn["exports_t"])
    deu = gaps.loc[("CHN", "DEU")]
    assert math.isnan(deu["exports_kusd"]) and deu["imports_kusd"] == 20.0
    assert len(gaps) == 3


def test_circumvention_z_scores_hand_worked():
    # log1p of A->B lies exactly on a line before (sd 0 -> the floor, 0.25), then jumps:
    # 2022's level is log(3) above the line carried forward. B->C is flat, then x e^1.
    years = [2018, 2019, 2020, 2021, 2022]
    line = np.exp(np.array([1.0, 1.5, 2.0, 2.5, 3.0]))
    leg_in = line - 1
    leg_in[4] = 3 * line[4] - 1
    leg_out = np.array([np.e**2] * 4 + [np.e**3]) - 1
    rows = [("AAA", "BBB", HS, y, v) for y, v in zip(years, leg_in, strict=True)]
    rows += [("BBB", "CCC", HS, y, v) for y, v in zip(years, leg_out, strict=True)]
    rows += [("AAA", "CCC", HS, y, 50.0) for y in years]  # the direct flow: not a third country
    flows = pd.DataFrame(rows, columns=["exporter", "importer", "hs6", "period", "value_kusd"])
    out = trade.circumvention(flows, origin="AAA", target="CCC", hs_codes=[HS], start=2022,
                              threshold=4.0).set_index("country")  # fmt: skip
    assert list(out.index) == ["BBB"]
    assert out.loc["BBB", "in_z"] == pytest.approx(math.log(3) / 0.25)  # 4.39
    assert out.loc["BBB", "out_z"] == pytest.approx(1 / 0.25)  # 4.0
    assert out.loc["BBB", "score"] == pytest.approx(4.0) and bool(out.loc["BBB", "flagged"])
    assert out.loc["BBB", "in_post_kusd"] == pytest.approx(leg_in[4])
    # a noisy history: the residual sd of the fitted line is used instead of the floor
    noisy = flows.copy()
    noisy.loc[(noisy["importer"] == "CCC") & (noisy["period"] == 2019), "value_kusd"] = (
        np.e**3 - 1)  # fmt: skip
    logs = np.array([2.0, 3.0, 2.0, 2.0])
    t = np.arange(4.0) - 1.5
    slope = ((logs - logs.mean()) @ t) / (t @ t)
    resid = logs - logs.mean() - slope * t
    sd = math.sqrt((resid**2).sum() / 2)
    expected = (3.0 - (logs.mean() + slope * 2.5)) / sd
    got = trade.circumvention(noisy, origin="AAA", target="CCC", hs_codes=[HS], start=2022)
    assert got.set_index("country").loc["BBB", "out_z"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="at least 4 periods before 2020"):
        trade.circumvention(flows, origin="AAA", target="CCC", hs_codes=[HS], start=2020)


def baci_like(seed: int, *, reroute: str | None = None, start: int = 2023,
              countries: int = 40, years: range = range(2012, 2027)) -> pd.DataFrame:
    """Synthetic BACI-shaped yearly flows (invented numbers): every country pair trades
    the code with a pair-specific level, a common trend and 20 % lognormal noise. From
    ``start`` the origin's direct flow to the target falls by 80 %; with ``reroute`` that
    country's imports from the origin and its exports to the target triple."""
    rng = np.random.default_rng(seed)
    names = ["AAA", "CCC"] + [f"X{i:02d}" for i in range(countries)]
    ex, im = np.meshgrid(np.arange(len(names)), np.arange(len(names)), indexing="ij")
    keep = ex != im
    ex, im = ex[keep], im[keep]
    level = rng.lognormal(4, 1, len(ex))
    yrs = np.array(list(years))
    trend = 1.03 ** (yrs - yrs[0])
    values = level[:, None] * trend[None, :] * rng.lognormal(0, 0.2, (len(ex), len(yrs)))
    exporter = np.array(names)[ex][:, None].repeat(len(yrs), 1)
    importer = np.array(names)[im][:, None].repeat(len(yrs), 1)
    after = yrs[None, :] >= start
    direct = (exporter == "AAA") & (importer == "CCC") & after
    values = np.where(direct, values * 0.2, values)
    if reroute:
        legs = ((exporter == "AAA") & (importer == reroute)) | (
            (exporter == reroute) & (importer == "CCC"))  # fmt: skip
        values = np.where(legs & after, values * 3, values)
    return pd.DataFrame({
        "exporter": exporter.ravel(), "importer": importer.ravel(), "hs6": HS,
        "period": np.broadcast_to(yrs, exporter.shape).ravel(), "value_kusd": values.ravel(),
    })  # fmt: skip


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_circumvention_finds_injected_rerouting(seed):
    flows = baci_like(seed, reroute="X07")
    out = trade.circumvention(flows, origin="AAA", target="CCC", hs_codes=[HS], start=2023)
    assert out.loc[out["flagged"], "country"].tolist() == ["X07"]
    assert out.iloc[0]["country"] == "X07"
    direct = trade.direct_change(flows, origin="AAA", target="CCC", hs_codes=[HS], start=2023)
    assert direct["after_kusd"] < 0.5 * direct["before_kusd"]


@pytest.mark.parametrize("seed", [11, 12, 13, 14, 15, 16, 17, 18])
def test_circumvention_is_quiet_on_null_data(seed):
    out = trade.circumvention(baci_like(seed), origin="AAA", target="CCC", hs_codes=[HS],
                              start=2023)  # fmt: skip
    assert not out["flagged"].any()
    assert len(out) == 40  # every third country scored, neither end of the measure


def test_only_one_leg_rising_is_not_flagged():
    flows = baci_like(3)
    mask = (flows["exporter"] == "AAA") & (flows["importer"] == "X05") & (flows["period"] >= 2023)
    flows.loc[mask, "value_kusd"] *= 5  # more imports from the origin, no more exports to C
    out = trade.circumvention(flows, origin="AAA", target="CCC", hs_codes=[HS], start=2023)
    row = out.set_index("country").loc["X05"]
    assert row["in_z"] > 3 and not row["flagged"]


def test_balance_hand_worked():
    production = pd.Series({2021: 100.0, 2022: 120.0})
    imports = pd.Series({2021: 30.0, 2022: 10.0, 2023: 5.0})
    exports = pd.Series({2021: 20.0, 2022: 40.0, 2023: 1.0})
    stocks = pd.Series({2020: 50.0, 2021: 55.0, 2022: 45.0})
    table = balance.apparent_consumption(production, imports, exports,
                                         balance.stock_change(stocks))  # fmt: skip
    assert table.loc[2021, "apparent"] == 110.0  # 100 + 30 - 20
    assert table.loc[2021, "after_stocks"] == 105.0  # stocks rose by 5
    assert table.loc[2022, "apparent"] == 90.0 and table.loc[2022, "after_stocks"] == 100.0
    assert math.isnan(table.loc[2023, "apparent"])  # no production: unknown, not 4
    assert table.loc[2023, "net_imports"] == 4.0
    assert math.isnan(table.loc[2023, "stock_change"])
    assert list(balance.stock_change(pd.Series({2020: 1.0, 2022: 3.0})).isna()) == [True, True]
