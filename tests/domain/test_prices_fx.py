"""Price observations as sources state them, windows, and FX conversion by hand-worked
numbers."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from critmin.domain.entities import ObservationCreate, problems
from critmin.domain.fx import FxTable, MissingRate, Rate
from critmin.domain.prices import parse_partial_date, parse_window, price_unit

D = dt.date
TABLE = FxTable([
    Rate("USD", "CNY", D(2023, 1, 1), "year", 7.0809),
    Rate("USD", "CNY", D(2024, 10, 1), "month", 7.0881),
    Rate("USD", "CNY", D(2024, 10, 15), "day", 7.1000),
    Rate("CNY", "USD", D(2022, 1, 1), "year", 0.15),  # stored the other way round
])  # fmt: skip


def test_cny_per_kg_to_usd_per_kg_with_the_annual_average():
    # 708.09 CNY/kg / 7.0809 CNY per USD = 100 USD/kg
    value, rate = TABLE.convert(708.09, "CNY/kg", "USD/kg", D(2023, 5, 3), "day")
    assert value == pytest.approx(100.0) and rate.date_precision == "year"
    assert rate.describe() == "USD/CNY 7.0809 (annual average 2023)"


def test_a_day_uses_its_own_rate_before_its_month_and_units_convert_too():
    # 10 USD/kg on 15 Oct 2024 at 7.1 = 71 CNY/kg = 71,000 CNY/t
    value, rate = TABLE.convert(10, "USD/kg", "CNY/t", D(2024, 10, 15), "day")
    assert value == pytest.approx(71_000) and rate.date_precision == "day"
    # another day of October has no rate of its own: the month's average, 7.0881
    value, rate = TABLE.convert(10, "USD/kg", "CNY/kg", D(2024, 10, 16), "day")
    assert value == pytest.approx(70.881) and rate.date_precision == "month"


def test_the_inverse_pair_is_used_when_stored_that_way():
    # 0.15 USD per CNY: 100 CNY/kg = 15 USD/kg; USD -> CNY divides by 0.15
    assert TABLE.convert(100, "CNY/kg", "USD/kg", D(2022, 6, 1), "month")[0] == pytest.approx(15)
    assert TABLE.convert(15, "USD/kg", "CNY/kg", D(2022, 1, 1), "year")[0] == pytest.approx(100)


def test_same_currency_needs_no_rate():
    # 1 USD/lb = 1 / 0.45359237 USD/kg; tungsten: 7.93 kg W per mtu WO3
    value, rate = TABLE.convert(1, "USD/lb", "USD/kg", D(1999, 1, 1))
    assert value == pytest.approx(2.2046226218) and rate is None
    assert TABLE.convert(793, "USD/mtu WO3", "USD/kg", D(1999, 1, 1))[0] == pytest.approx(100)


def test_a_missing_rate_is_an_error_naming_the_date_and_pair_never_a_guess():
    with pytest.raises(MissingRate, match=r"no USD/CNY exchange rate for 2024: .*year's average"):
        TABLE.convert(1, "USD/kg", "CNY/kg", D(2024, 1, 1), "year")  # only October is known
    with pytest.raises(MissingRate, match="for 2016-03-02"):
        TABLE.convert(1, "CNY/kg", "USD/kg", D(2016, 3, 2), "day")
    # a month-precision date never borrows a day's rate from within the month
    with pytest.raises(MissingRate, match="for 2025-10"):
        FxTable([Rate("USD", "CNY", D(2025, 10, 2), "day", 7.1)]).convert(
            1, "USD/kg", "CNY/kg", D(2025, 10, 1), "month")  # fmt: skip


def test_windows_in_iso_8601():
    assert parse_window(" p1m ") == "P1M"
    assert parse_window("2023-07/2025-05") == "2023-07/2025-05"
    assert parse_window("2023-07/P1M") == "2023-07/P1M"
    for bad in ("P1Q", "2023-07", "P1M/P2M", "2025-05/2023-07", "", "2023-13/P1M"):
        with pytest.raises(ValueError, match="ISO 8601|ends before"):
            parse_window(bad)


def test_partial_dates_and_price_units():
    assert parse_partial_date("2025") == (D(2025, 1, 1), "year")
    assert parse_partial_date("2025-05") == (D(2025, 5, 1), "month")
    assert price_unit("usd", "kg") == "USD/kg" and price_unit("CNY", "t") == "CNY/t"
    with pytest.raises(ValueError, match="not a known price unit"):
        price_unit("CNY", "lb")


def _problems(data):
    with pytest.raises(ValidationError) as err:
        ObservationCreate.model_validate(data)
    return {p["field"]: p["problem"] for p in problems(err.value)}


def test_observation_rules_name_their_field():
    base = {"date": "2023-08-01", "date_precision": "month"}
    assert "window" in _problems({**base, "value": 43, "kind": "change_pct"})["reference"]
    assert "other series" in _problems({**base, "value": 2, "kind": "ratio_to_series"})[
        "relative_to"]  # fmt: skip
    assert "only a change_pct" in _problems({**base, "value": 687, "window": "P1M"})["window"]
    assert "negative" in _problems({**base, "value": -1})["value"]
    ok = ObservationCreate.model_validate({**base, "value": 43, "kind": "change_pct",
                                           "qualifier": "lower_bound", "window": "2023-07/p1m"})
    assert (ok.window, ok.qualifier) == ("2023-07/P1M", "lower_bound")
    legacy = ObservationCreate.model_validate({**base, "value": 2, "kind": "ratio_to_series",
                                               "reference": "ga-china-domestic"})
    assert legacy.relative_to == "ga-china-domestic"  # older clients named it in reference
