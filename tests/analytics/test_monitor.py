"""Alert conditions worked by hand: a 45% jump within 30 days fires and 35% does not,
date precision and qualifiers are respected, stated changes count as what they state."""

from __future__ import annotations

import pandas as pd
import pytest

from critmin.analytics.monitor import (
    crossings,
    expiring,
    level_moves,
    stated_moves,
    trade_drops,
    window_days,
)


def _levels(rows):
    """rows: (series, first, last, value, qualifier)."""
    frame = pd.DataFrame(rows, columns=["series", "first", "last", "value", "qualifier"])
    frame["first"] = pd.to_datetime(frame["first"])
    frame["last"] = pd.to_datetime(frame["last"])
    return frame


def test_a_45_percent_jump_within_30_days_fires_and_35_does_not():
    frame = _levels([
        (1, "2024-01-01", "2024-01-01", 100.0, "exact"),
        (1, "2024-01-10", "2024-01-10", 110.0, "exact"),
        (1, "2024-01-25", "2024-01-25", 145.0, "exact"),  # 145/100 - 1 = 45% in 24 days
        (1, "2024-01-28", "2024-01-28", 146.0, "exact"),  # still > 40%: same episode
        (2, "2024-01-01", "2024-01-01", 100.0, "exact"),
        (2, "2024-01-25", "2024-01-25", 135.0, "exact"),  # 35%: below the threshold
    ])  # fmt: skip
    moves = level_moves(frame, 40, 30)
    assert moves[["end", "base"]].values.tolist() == [[2, 0]]
    assert moves["change_pct"].tolist() == pytest.approx([45.0])
    assert level_moves(frame, 30, 30)["end"].tolist() == [2, 5]  # 35% > 30%


def test_the_window_and_the_direction():
    frame = _levels([
        (1, "2024-01-01", "2024-01-01", 100.0, "exact"),
        (1, "2024-02-01", "2024-02-01", 150.0, "exact"),  # +50% but over 31 days
        (1, "2024-02-20", "2024-02-20", 80.0, "exact"),   # -46.7% within 19 days
    ])  # fmt: skip
    assert level_moves(frame, 40, 30).empty
    assert level_moves(frame, 40, 31)["end"].tolist() == [1]
    down = level_moves(frame, 40, 30, "down")
    assert down["end"].tolist() == [2] and down["base"].tolist() == [1]
    assert down["change_pct"].tolist() == pytest.approx([80 / 150 * 100 - 100])


def test_month_precision_must_prove_the_move_within_the_window():
    # July average 100, August average 150: the two months span up to 61 days
    monthly = _levels([
        (1, "2023-07-01", "2023-07-31", 100.0, "exact"),
        (1, "2023-08-01", "2023-08-31", 150.0, "exact"),
    ])  # fmt: skip
    assert level_moves(monthly, 40, 30).empty
    assert level_moves(monthly, 40, 61)["end"].tolist() == [1]
    assert level_moves(monthly, 40, 60).empty


def test_qualifiers_say_what_a_level_proves():
    frame = _levels([
        (1, "2024-01-01", "2024-01-01", 100.0, "upper_bound"),  # at most 100: a valid base
        (1, "2024-01-15", "2024-01-15", 145.0, "lower_bound"),  # at least 145: a valid end
        (2, "2024-01-01", "2024-01-01", 100.0, "lower_bound"),  # at least 100: proves no base
        (2, "2024-01-15", "2024-01-15", 145.0, "exact"),
        (3, "2024-01-01", "2024-01-01", 100.0, "exact"),
        (3, "2024-01-15", "2024-01-15", 145.0, "upper_bound"),  # at most 145: proves no rise
    ])  # fmt: skip
    assert level_moves(frame, 40, 30)["end"].tolist() == [1]


def test_stated_changes_count_as_what_they_state():
    changes = pd.DataFrame({
        "value": [43.0, 43.0, 35.0, 45.0, 40.0, 40.0, 150.0],
        "qualifier": ["lower_bound", "upper_bound", "exact", "exact", "lower_bound", "exact",
                      "lower_bound"],
        "window": ["2023-07/P1M", "P1M", "P30D", "P3M", "P1M", "P1M", "2023-07/2025-05"],
    })  # fmt: skip
    # ">43%" over a month: at least 43% > 40%; "<43%" proves nothing; 35% is too small;
    # 45% over three months is outside 30 days; ">40%" is more than 40%; exactly 40% is not
    assert stated_moves(changes, 40, 30).tolist() == [True, False, False, False, True, False,
                                                      False]  # fmt: skip
    assert stated_moves(changes, 40, 700).tolist()[-1]
    assert window_days(changes["window"]).tolist() == [30, 30, 30, 90, 30, 30, 700]


def test_crossings_fire_once_per_episode():
    group = pd.Series([1, 1, 1, 1, 2, 2])
    ratio = pd.Series([1.5, 2.1, 2.2, 1.9, 2.5, 2.6])
    assert crossings(group, ratio, 2.0, above=True).tolist() == [False, True, False, False,
                                                                 True, False]  # fmt: skip
    assert crossings(group, ratio, 2.0, above=False).tolist() == [True, False, False, True,
                                                                  False, False]  # fmt: skip


def test_trade_drops_year_on_year_with_missing_years_as_zero():
    flows = pd.DataFrame({"reporter": ["CHN", "CHN", "CHN", "USA", "USA"],
                          "year": [2020, 2020, 2021, 2020, 2021],
                          "value": [60.0, 40.0, 50.0, 100.0, 80.0]})  # fmt: skip
    out = trade_drops(flows, 30, (2020, 2022))
    # CHN: 100 -> 50 (-50%), 50 -> 0 (-100%); USA: 100 -> 80 (-20%), 80 -> 0 (-100%)
    assert out[["reporter", "year"]].values.tolist() == [["CHN", 2021], ["CHN", 2022],
                                                         ["USA", 2022]]  # fmt: skip
    assert out["change_pct"].tolist() == pytest.approx([-50.0, -100.0, -100.0])


def test_expiry_within_days_at_the_precision_of_the_date():
    first = pd.Series(pd.to_datetime(["2026-11-01", "2026-12-15", "2027-03-01", None]))
    last = pd.Series(pd.to_datetime(["2026-11-30", "2026-12-15", "2027-03-31", None]))
    # as of 2026-11-20 with 30 days: the November month may be today; 15 Dec is within
    assert expiring(first, last, "2026-11-20", 30).tolist() == [True, True, False, False]
    assert expiring(first, last, "2026-12-01", 10).tolist() == [False, False, False, False]


def test_a_change_against_a_reference_has_no_window_and_never_fires():
    changes = pd.DataFrame({"value": [150.0], "qualifier": ["lower_bound"], "window": [None]})
    assert stated_moves(changes, 40, 30).tolist() == [False]
    assert stated_moves(changes, 40, None).tolist() == [True]  # no window asked for


def test_periods_of_dates_at_their_precision():
    from critmin.analytics.monitor import periods

    dates = pd.Series(pd.to_datetime(["2024-02-01", "2024-12-31", "2023-07-15"]))
    first, last = periods(dates, pd.Series(["month", "year", "day"]))
    assert [d.date().isoformat() for d in first] == ["2024-02-01", "2024-01-01", "2023-07-15"]
    assert [d.date().isoformat() for d in last] == ["2024-02-29", "2024-12-31", "2023-07-15"]
