"""Market analytics, each checked against numbers worked by hand."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from critmin.analytics import market


def series(points: dict[str, float]) -> pd.Series:
    return pd.Series(list(points.values()), index=pd.to_datetime(list(points)))


A = series({"2023-06-01": 10.0, "2023-06-06": 20.0, "2023-06-20": 30.0})
B = series({"2023-06-01": 1.0, "2023-06-05": 2.0, "2023-06-10": 4.0})


def test_align_same_date_only_by_default():
    frame = market.align(A, B)
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2023-06-01"]
    assert frame.iloc[0][["a", "b"]].tolist() == [10.0, 1.0]


def test_align_carries_the_last_value_within_the_tolerance_only():
    # 06-06 takes B's 06-05 (1 day old); 06-20 would need B's 06-10, 10 days old: too old
    frame = market.spread_ratio(A, B, tolerance_days=3)
    assert list(frame.index.strftime("%Y-%m-%d")) == ["2023-06-01", "2023-06-06"]
    assert frame["b_date"].dt.strftime("%Y-%m-%d").tolist() == ["2023-06-01", "2023-06-05"]
    assert frame["spread"].tolist() == [9.0, 18.0] and frame["ratio"].tolist() == [10.0, 10.0]
    wide = market.spread_ratio(A, B, tolerance_days=10)
    assert wide["spread"].tolist() == [9.0, 18.0, 26.0] and wide["ratio"].iloc[-1] == 7.5


def test_ratio_to_zero_is_missing_not_infinite():
    frame = market.spread_ratio(series({"2024-01-01": 5.0}), series({"2024-01-01": 0.0}))
    assert frame["spread"].iloc[0] == 5.0 and math.isnan(frame["ratio"].iloc[0])


def test_repeated_dates_are_refused():
    twice = pd.Series([1.0, 2.0], index=pd.to_datetime(["2024-01-01", "2024-01-01"]))
    with pytest.raises(ValueError, match="one value per date"):
        market.align(twice, B)


def test_returns_over_observations_and_calendar_days():
    s = series({"2024-01-01": 100.0, "2024-01-08": 120.0, "2024-01-10": 90.0})
    assert market.returns(s).round(10).tolist()[1:] == [0.2, -0.25]
    by_days = market.returns(s, days=7)
    assert by_days.iloc[1] == pytest.approx(0.2)  # 01-08 against 01-01
    assert math.isnan(by_days.iloc[2])  # 01-03 has no value, and none may be carried
    assert market.returns(s, days=7, tolerance_days=2).iloc[2] == pytest.approx(-0.1)


def test_rolling_volatility_of_log_returns():
    s = series({"2024-01-31": 100.0, "2024-02-29": 110.0, "2024-03-31": 99.0,
                "2024-04-30": 108.9})  # fmt: skip
    vol = market.rolling_volatility(s, window=2)
    # log returns ln 1.1, ln 0.9, ln 1.1; sd of two values = |difference| / sqrt 2
    expected = abs(math.log(1.1) - math.log(0.9)) / math.sqrt(2)
    assert math.isnan(vol.iloc[1]) and vol.iloc[2] == pytest.approx(expected)
    assert vol.iloc[3] == pytest.approx(expected)
    annual = market.rolling_volatility(s, window=2, periods_per_year=12)
    assert annual.iloc[2] == pytest.approx(expected * math.sqrt(12))


def test_drawdowns_and_the_deepest():
    s = series({"2024-01-01": 1.0, "2024-01-02": 3.0, "2024-01-03": 2.0, "2024-01-04": 1.5,
                "2024-01-05": 3.5})  # fmt: skip
    frame = market.drawdowns(s)
    assert frame["drawdown"].round(10).tolist() == [0.0, 0.0, round(-1 / 3, 10), -0.5, 0.0]
    deepest = market.max_drawdown(s)
    assert deepest["drawdown"] == -0.5
    assert [str(deepest[k]) for k in ("peak_date", "trough_date", "recovery_date")] == [
        "2024-01-02", "2024-01-04", "2024-01-05"]  # fmt: skip
    assert market.max_drawdown(s.iloc[:4])["recovery_date"] is None


JUMP = pd.Series(
    np.where(pd.date_range("2023-06-01", "2023-12-31") < "2023-08-01", 100.0, 150.0),
    index=pd.date_range("2023-06-01", "2023-12-31"),
)
"""A synthetic daily price: 100 until 31 July 2023, 150 from 1 August 2023."""


def test_event_study_finds_a_known_jump_at_the_precision_of_the_date():
    frame = market.event_study(JUMP, ["2023-08-01", "2023-08-15"], ["month", "day"],
                               windows=[30, 60])  # fmt: skip
    month30, month60, day30, _ = frame.to_dict("records")
    # August 2023 known to the month: the event spans the month; base = 31 July (100)
    assert (str(month30["start"].date()), str(month30["end"].date())) == ("2023-08-01",
                                                                          "2023-08-31")
    assert month30["base"] == 100 and month30["change_after"] == pytest.approx(0.5)
    assert month30["change_before"] == 0 and str(month30["after_date"].date()) == "2023-09-30"
    assert str(month60["after_date"].date()) == "2023-10-30" and month60["change_after"] == 0.5
    # a day inside the month sees the jump as already past: nothing after, all before
    assert day30["base"] == 150 and day30["change_after"] == 0
    assert day30["change_before"] == pytest.approx(0.5)


def test_event_study_year_precision_and_gaps():
    sparse = series({"2022-12-20": 10.0, "2024-01-03": 30.0})
    five, thirty = market.event_study(sparse, ["2023-06-01"], ["year"], windows=[5, 30],
                                      tolerance_days=14).to_dict("records")  # fmt: skip
    # a year-precision event spans 2023: base as of 31 Dec 2022 (the 20 Dec value)
    assert (str(five["start"].date()), str(five["end"].date())) == ("2023-01-01", "2023-12-31")
    assert five["base"] == 10 and five["change_before"] == 0
    assert five["change_after"] == pytest.approx(2.0)  # 3 Jan 2024, 2 days before 5 Jan
    # 30 days: nothing within 14 days of 1 Dec 2022 or of 30 Jan 2024
    assert math.isnan(thirty["change_before"]) and math.isnan(thirty["change_after"])
